//! Email addresses.

use std::fmt;

/// A syntactically valid email address, trimmed, with its domain lowercased.
///
/// `Debug` does not print the address: emails are personal data and must not reach logs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address as typed by a person.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("This field is required.".into());
        }
        if trimmed.len() > 254 || !email_address::EmailAddress::is_valid(trimmed) {
            return Err("Enter an email address such as name@example.org.".into());
        }
        let (local, domain) = trimmed
            .rsplit_once('@')
            .ok_or_else(|| "Enter an email address such as name@example.org.".to_owned())?;
        // A bare host ("user@localhost") is valid syntax but never a working contact address.
        if !domain.contains('.') || domain.starts_with('[') {
            return Err("Enter an email address such as name@example.org.".into());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address lowercased whole: how staff logins are matched.
    pub fn to_login_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses_are_trimmed_and_their_domain_lowercased() {
        let email = Email::parse("  Ana.Perez@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "Ana.Perez@example.org");
        assert_eq!(email.to_login_key(), "ana.perez@example.org");
    }

    #[test]
    fn invalid_addresses_are_refused() {
        for input in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@localhost",
            "a b@example.org",
        ] {
            assert!(Email::parse(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn debug_output_never_shows_the_address() {
        let email = Email::parse("ana@example.org").unwrap();
        assert!(!format!("{email:?}").contains("ana"));
    }
}
