//! The server's key for keyed hashes: contact-email lookups and abuse-review hashes of IP
//! addresses and user agents. Fast, and useless to anyone without the key.

use anyhow::Context;
use chrono::Utc;
use entity::server_secret;
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::Email;
use crate::domain::mailbox::canonical_email;

const LOOKUP_KEY_NAME: &str = "lookup_key";

/// The key material; `Debug` prints none of it.
#[derive(Clone)]
pub struct Keys {
    lookup: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// Uses the configured secret when there is one; otherwise the key this database was
    /// given on its first run, generating it if needed, so a fresh install needs no set-up.
    pub async fn load(
        db: &DatabaseConnection,
        configured: Option<&SecretString>,
    ) -> anyhow::Result<Self> {
        if let Some(secret) = configured {
            return Ok(Self::from_secret(secret.expose_secret()));
        }
        if let Some(stored) = server_secret::Entity::find_by_id(LOOKUP_KEY_NAME)
            .one(db)
            .await?
        {
            return Ok(Self::from_secret(&stored.value));
        }
        let generated = crate::domain::Token::generate();
        let inserted = server_secret::ActiveModel {
            name: Set(LOOKUP_KEY_NAME.to_owned()),
            value: Set(generated.expose().to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(db)
        .await;
        if inserted.is_err() {
            // Another instance generated it at the same moment: use theirs.
            let stored = server_secret::Entity::find_by_id(LOOKUP_KEY_NAME)
                .one(db)
                .await?
                .context("the server key could be neither stored nor read")?;
            return Ok(Self::from_secret(&stored.value));
        }
        Ok(Self::from_secret(generated.expose()))
    }

    fn from_secret(secret: &str) -> Self {
        Self {
            lookup: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    fn keyed_hash(&self, domain: &str, value: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.lookup).expect("HMAC takes a key of any length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The lookup key of a contact email: equal for two spellings of the same mailbox.
    pub fn email_key(&self, email: &Email) -> String {
        self.keyed_hash("email", &canonical_email(email))
    }

    /// A hash of the client's network for abuse review: the IPv4 address, or the /64 of an
    /// IPv6 address (one household or office), never stored in the clear.
    pub fn network_hash(&self, ip: std::net::IpAddr) -> String {
        let network = match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        };
        self.keyed_hash("network", &network)
    }

    /// The dashboard's anti-forgery token for a browser: a keyed hash of its session (or of
    /// its pre-sign-in cookie), so a page of another site can neither read nor guess it.
    pub fn csrf_token(&self, binding: &str) -> String {
        self.keyed_hash("csrf", binding)
    }

    /// A hash of the client's user agent for abuse review.
    pub fn agent_hash(&self, user_agent: &str) -> String {
        self.keyed_hash("agent", user_agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_mailbox_share_a_key_and_keys_differ_by_secret() {
        let keys = Keys::from_secret("one");
        let a = keys.email_key(&Email::parse("Ana.Perez@gmail.com").unwrap());
        let b = keys.email_key(&Email::parse("anaperez+mpp@gmail.com").unwrap());
        assert_eq!(a, b);
        assert_ne!(
            a,
            Keys::from_secret("two").email_key(&Email::parse("anaperez@gmail.com").unwrap())
        );
        assert_eq!(a.len(), 64);
    }
}
