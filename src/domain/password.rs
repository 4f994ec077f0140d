//! Staff passwords.

use secrecy::{ExposeSecret, SecretString};

/// A password that meets the length rules; it can be neither printed nor logged.
pub struct Password(SecretString);

impl Password {
    /// Shortest accepted password, in characters.
    pub const MIN_CHARS: usize = 10;
    /// Longest accepted password, in characters; bounds the hashing work an attacker can ask for.
    pub const MAX_CHARS: usize = 1024;

    /// Checks a new password's length.
    pub fn parse(input: String) -> Result<Self, String> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!(
                "The password must be at least {} characters long.",
                Self::MIN_CHARS
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "The password must be at most {} characters long.",
                Self::MAX_CHARS
            ));
        }
        Ok(Self(SecretString::from(input)))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}
