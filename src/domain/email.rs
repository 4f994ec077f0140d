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
        // A quoted local part may hold spaces, tabs and controls: valid syntax, but such an
        // address breaks headers and logs, looks like another, and no person types it.
        let hidden = trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        if trimmed.len() > 254
            || hidden
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
            "\"ana perez\"@example.org",
            "\"\t\"@example.org",
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

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::Email;

    /// Addresses near the edge of the syntax: quotes, spaces, comments, brackets, controls.
    fn almost_an_address() -> impl Strategy<Value = String> {
        let local = "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\" \t\\\\(),:;<>\\[\\]\u{0}\u{7f}\u{a0}é-]{0,16}";
        let domain = "[a-zA-Z0-9.\\- \t\u{85}é\\[\\]]{0,16}";
        (local, domain, "(org|MX|\\.com| com|)")
            .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
    }

    fn check(input: &str) -> Result<(), TestCaseError> {
        if let Ok(email) = Email::parse(input) {
            let address = email.as_str();
            prop_assert!(
                !address.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{:?} accepted as {:?}",
                input,
                address
            );
            prop_assert_eq!(Email::parse(address), Ok(email.clone()));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn any_text_parses_without_panic_and_what_is_accepted_round_trips(input in any::<String>()) {
            check(&input)?;
        }

        #[test]
        fn addresses_near_the_edge_are_clean_when_accepted(input in almost_an_address()) {
            check(&input)?;
        }

        #[test]
        fn quoted_local_parts_are_clean_when_accepted(
            input in "\"[a-z \t\u{0}\u{1f}\u{a0}\\\\\"@]{0,6}\"@example\\.org"
        ) {
            check(&input)?;
        }
    }
}
