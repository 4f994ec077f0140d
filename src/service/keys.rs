//! The server's keys, held in memory only: the key of keyed hashes (contact-email lookups and
//! abuse-review hashes of IP addresses and user agents: fast, and useless to anyone without the
//! key) and the data keys that encrypt contact data at rest. Where the keys come from is
//! [`super::key_store`]'s business; what is encrypted, and bound to which row, is
//! [`super::contact`]'s.
//!
//! A sealed value is text: `v1:KEYID:BASE64` where `KEYID` names the data key (a short digest
//! of it, so a rotation tells old ciphertext from new without decrypting) and `BASE64` is the
//! random 24-byte nonce followed by the XChaCha20-Poly1305 ciphertext and tag.

use std::sync::Arc;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

use crate::domain::Email;
use crate::domain::mailbox::canonical_email;

/// The version tag every sealed value starts with.
const SEALED_VERSION: &str = "v1";
/// Nonce bytes of XChaCha20-Poly1305: random nonces of this size never repeat in practice.
const NONCE_LEN: usize = 24;

/// 32 bytes of a data key, wiped from memory when dropped.
pub type DataKeyBytes = SecretBox<[u8; 32]>;

/// The key material; `Debug` prints none of it.
#[derive(Clone)]
pub struct Keys {
    lookup: [u8; 32],
    /// The key that encrypts first; the others are only read, until a rotation retires them.
    data: Vec<DataKey>,
    /// Held while this process uses the key file, so that a rotation cannot run under it.
    _lock: Option<Arc<std::fs::File>>,
}

#[derive(Clone)]
struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// Keys from a lookup secret (any string) and data keys, the one that encrypts first.
    pub fn new(secret: &str, data_keys: &[DataKeyBytes]) -> anyhow::Result<Self> {
        if data_keys.is_empty() {
            bail!("at least one data key is needed");
        }
        Ok(Self {
            lookup: Sha256::digest(secret.as_bytes()).into(),
            data: data_keys
                .iter()
                .map(|key| DataKey {
                    id: data_key_id(key),
                    cipher: XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(
                        key.expose_secret(),
                    )),
                })
                .collect(),
            _lock: None,
        })
    }

    /// Keeps `lock` (an open, locked file) for as long as these keys are in use.
    pub(super) fn holding(mut self, lock: Option<std::fs::File>) -> Self {
        self._lock = lock.map(Arc::new);
        self
    }

    fn keyed_hash(&self, domain: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup)
            .expect("HMAC takes a key of any length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A short name of the lookup key, safe to store: it tells whether a later run uses the
    /// same key without revealing it.
    pub fn lookup_key_id(&self) -> String {
        self.keyed_hash("key id", "")[..8].to_owned()
    }

    /// The name of the data key that encrypts.
    pub fn data_key_id(&self) -> &str {
        &self.data[0].id
    }

    /// The names of every data key held, the one that encrypts first.
    pub fn data_key_ids(&self) -> Vec<&str> {
        self.data.iter().map(|key| key.id.as_str()).collect()
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

    /// A link token the server can issue again for the same row (a reminder repeats the
    /// invitation's link) without storing it: a keyed hash of the row, unguessable without the
    /// key. Only its SHA-256 is stored, as for random tokens.
    pub fn row_token(&self, purpose: &str, id: i64) -> String {
        self.keyed_hash(&format!("link {purpose}"), &id.to_string())
    }

    /// A hash of the client's user agent for abuse review.
    pub fn agent_hash(&self, user_agent: &str) -> String {
        self.keyed_hash("agent", user_agent)
    }

    /// Encrypts `plaintext` under the current data key, bound to `associated` (which must be
    /// given again, byte for byte, to open it).
    pub fn seal(&self, associated: &[u8], plaintext: &str) -> String {
        self.seal_bytes(associated, plaintext.as_bytes())
    }

    /// Decrypts a value made by [`Keys::seal`] with the same `associated` data, under whichever
    /// data key it names.
    pub fn open(&self, associated: &[u8], sealed: &str) -> anyhow::Result<String> {
        String::from_utf8(self.open_bytes(associated, sealed)?)
            .context("a decrypted value is not text")
    }

    /// [`Keys::seal`] for bytes that need not be text.
    pub fn seal_bytes(&self, associated: &[u8], plaintext: &[u8]) -> String {
        let key = &self.data[0];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source is unavailable");
        let ciphertext = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: associated,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!(
            "{SEALED_VERSION}:{}:{}",
            key.id,
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// [`Keys::open`] for bytes that need not be text.
    pub fn open_bytes(&self, associated: &[u8], sealed: &str) -> anyhow::Result<Vec<u8>> {
        let (key_id, payload) =
            split_sealed(sealed).context("a stored value is not in the sealed format")?;
        let key = self
            .data
            .iter()
            .find(|key| key.id == key_id)
            .with_context(|| {
                format!("a stored value is under data key {key_id}, which is not held")
            })?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .filter(|b| b.len() >= NONCE_LEN)
            .context("a stored value is not in the sealed format")?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated,
                },
            )
            .ok()
            .context(
                "a stored value does not decrypt in its place: altered, or moved from another row",
            )
    }

    /// Whether a stored value is sealed under the data key that encrypts now.
    pub fn is_current(&self, stored: &str) -> bool {
        split_sealed(stored).is_some_and(|(key_id, _)| key_id == self.data[0].id)
    }

    /// The start every value sealed under the current data key shares.
    pub fn current_prefix(&self) -> String {
        format!("{SEALED_VERSION}:{}:", self.data[0].id)
    }
}

/// Whether a stored value is in the sealed format (values written before encryption are not).
pub fn is_sealed(stored: &str) -> bool {
    split_sealed(stored).is_some()
}

fn split_sealed(stored: &str) -> Option<(&str, &str)> {
    let rest = stored.strip_prefix(SEALED_VERSION)?.strip_prefix(':')?;
    let (key_id, payload) = rest.split_once(':')?;
    (key_id.len() == 8 && key_id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some((key_id, payload))
}

/// The short name of a data key: a digest of it, which reveals nothing of the key.
fn data_key_id(key: &DataKeyBytes) -> String {
    let mut digest = Sha256::new();
    digest.update(b"signon data key id\0");
    digest.update(key.expose_secret());
    hex::encode(digest.finalize())[..8].to_owned()
}

/// A new random data key.
pub fn generate_data_key() -> DataKeyBytes {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    SecretBox::new(Box::new(bytes))
}

/// A data key as written in the key file and accepted in `SIGNON_DATA_KEY`: URL-safe base64.
pub fn encode_data_key(key: &DataKeyBytes) -> String {
    URL_SAFE_NO_PAD.encode(key.expose_secret())
}

/// Reads a data key given as 64 hex digits or as base64 (either alphabet, padded or not) of
/// exactly 32 bytes; the message never repeats the text.
pub fn parse_data_key(text: &str) -> anyhow::Result<DataKeyBytes> {
    let text = text.trim();
    let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
    };
    let bytes: [u8; 32] = decoded
        .and_then(|bytes| bytes.try_into().ok())
        .context("a data key must be 32 random bytes, as 64 hex digits or base64 (make one with `openssl rand -hex 32`)")?;
    Ok(SecretBox::new(Box::new(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, data: &[&DataKeyBytes]) -> Keys {
        let data: Vec<DataKeyBytes> = data
            .iter()
            .map(|k| SecretBox::new(Box::new(*k.expose_secret())))
            .collect();
        Keys::new(secret, &data).unwrap()
    }

    #[test]
    fn spellings_of_one_mailbox_share_a_key_and_keys_differ_by_secret() {
        let data = generate_data_key();
        let one = keys("one", &[&data]);
        let a = one.email_key(&Email::parse("Ana.Perez@gmail.com").unwrap());
        let b = one.email_key(&Email::parse("anaperez+mpp@gmail.com").unwrap());
        assert_eq!(a, b);
        assert_ne!(
            a,
            keys("two", &[&data]).email_key(&Email::parse("anaperez@gmail.com").unwrap())
        );
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_associated_data_and_a_held_key() {
        let (old, new) = (generate_data_key(), generate_data_key());
        let before = keys("s", &[&old]);
        let sealed = before.seal(b"signatures\0 7\0contact_email", "ana@example.org");
        assert!(!sealed.contains("ana"));
        assert!(sealed.starts_with(&before.current_prefix()));
        assert_eq!(
            before
                .open(b"signatures\0 7\0contact_email", &sealed)
                .unwrap(),
            "ana@example.org"
        );
        assert!(
            before
                .open(b"signatures\0 8\0contact_email", &sealed)
                .is_err()
        );

        let rotating = keys("s", &[&new, &old]);
        assert!(!rotating.is_current(&sealed));
        assert_eq!(
            rotating
                .open(b"signatures\0 7\0contact_email", &sealed)
                .unwrap(),
            "ana@example.org"
        );
        let resealed = rotating.seal(b"signatures\0 7\0contact_email", "ana@example.org");
        assert!(rotating.is_current(&resealed));
        assert!(
            before
                .open(b"signatures\0 7\0contact_email", &resealed)
                .is_err()
        );

        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(
            before
                .open(b"signatures\0 7\0contact_email", &altered)
                .is_err()
        );
    }

    #[test]
    fn two_seals_of_one_value_differ_and_plain_text_is_not_sealed() {
        let k = keys("s", &[&generate_data_key()]);
        assert_ne!(k.seal(b"x", "same"), k.seal(b"x", "same"));
        assert!(is_sealed(&k.seal(b"x", "same")));
        assert!(!is_sealed("Ana Pérez"));
        assert!(!is_sealed("v1: a note"));
    }

    #[test]
    fn data_keys_are_read_as_hex_or_base64_of_32_bytes() {
        let key = generate_data_key();
        let hex_text = hex::encode(key.expose_secret());
        assert_eq!(
            parse_data_key(&hex_text).unwrap().expose_secret(),
            key.expose_secret()
        );
        assert_eq!(
            parse_data_key(&encode_data_key(&key))
                .unwrap()
                .expose_secret(),
            key.expose_secret()
        );
        let error = parse_data_key("hunter2").unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(parse_data_key(&hex_text[..62]).is_err());
    }
}
