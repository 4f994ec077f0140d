//! Secret tokens handed to people (bearer tokens, emailed links) and the digests we keep.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A fresh secret: 32 random bytes, URL-safe base64. Only its [`TokenHash`] is stored.
pub struct Token(SecretString);

impl Token {
    /// Draws a new token from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The token as given to its holder.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest stored in place of the token.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.expose())
    }
}

/// The SHA-256 of a token, hex-encoded: what the database holds and looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    /// Digests a token as presented by a client; any string is accepted, since an unknown
    /// token simply finds nothing.
    pub fn of(presented: &str) -> Self {
        Self(hex::encode(Sha256::digest(presented.as_bytes())))
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = Token::generate();
        let b = Token::generate();
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.hash(), TokenHash::of(a.expose()));
        assert_eq!(a.hash().as_str().len(), 64);
    }
}
