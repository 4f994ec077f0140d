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
        let invalid = || "Enter an email address such as name@example.org.".to_owned();
        // Display text ("Name <a@b.org>") would be stored as the address: it could never be
        // mailed, and each variant would dodge the one-signature-per-address rule. A bare host
        // ("user@localhost") or a domain literal is valid syntax but never a working contact.
        let bare_address = email_address::Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        if trimmed.len() > 254
            || email_address::EmailAddress::parse_with_options(trimmed, bare_address).is_err()
        {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
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
            "ana@[192.0.2.1]",
            "Ana <ana@example.org>",
            "<ana@example.org>",
            "\"Ana\" <ana@example.org>",
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
