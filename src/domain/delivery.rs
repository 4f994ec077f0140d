//! What a letter's delivery sends: the addressees' email addresses and the coordinators' cover
//! note that goes with the frozen PDF.

use super::Email;

/// The most characters a cover note may have.
pub const MAX_COVER_NOTE_CHARS: usize = 5_000;

/// The addressees' email addresses, in the order given, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddresseeEmails(Vec<Email>);

impl AddresseeEmails {
    /// At most this many addresses: one email goes to all of them together.
    pub const MAX: usize = 50;

    /// Parses each address; the same address given twice (in any case) counts once.
    pub fn parse(addresses: &[String]) -> Result<Self, String> {
        if addresses.len() > Self::MAX {
            return Err(format!("At most {} addresses.", Self::MAX));
        }
        let mut parsed: Vec<Email> = Vec::with_capacity(addresses.len());
        for address in addresses {
            let email = Email::parse(address).map_err(|_| EVERY_ADDRESS.to_owned())?;
            let seen = parsed
                .iter()
                .any(|p| p.as_str().eq_ignore_ascii_case(email.as_str()));
            if !seen {
                parsed.push(email);
            }
        }
        Ok(Self(parsed))
    }

    /// The addresses.
    pub fn emails(&self) -> &[Email] {
        &self.0
    }

    /// The stored form, a JSON array of strings.
    pub fn to_json(&self) -> String {
        let addresses: Vec<&str> = self.0.iter().map(Email::as_str).collect();
        serde_json::to_string(&addresses).expect("a list of strings always serializes")
    }

    /// Reads the stored form; an unreadable value or address (never written by us) is left out.
    pub fn from_json(stored: &str) -> Self {
        let addresses: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
        Self(
            addresses
                .iter()
                .filter_map(|a| Email::parse(a).ok())
                .collect(),
        )
    }
}

/// The refusal of a list with an address that is not one.
pub const EVERY_ADDRESS: &str = "Each address must be an email address such as name@example.org.";

#[cfg(test)]
mod tests {
    use super::*;

    fn list(addresses: &[&str]) -> Vec<String> {
        addresses.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn an_address_given_twice_counts_once_and_the_list_keeps_its_order() {
        let parsed =
            AddresseeEmails::parse(&list(&["b@example.org", "a@example.org", "B@Example.org"]))
                .unwrap();
        let addresses: Vec<&str> = parsed.emails().iter().map(Email::as_str).collect();
        assert_eq!(addresses, ["b@example.org", "a@example.org"]);
        assert_eq!(AddresseeEmails::from_json(&parsed.to_json()), parsed);
    }

    #[test]
    fn a_list_with_a_bad_address_or_too_many_is_refused() {
        assert_eq!(
            AddresseeEmails::parse(&list(&["a@example.org", "nobody"])),
            Err(EVERY_ADDRESS.to_owned())
        );
        let many: Vec<String> = (0..=AddresseeEmails::MAX)
            .map(|n| format!("a{n}@example.org"))
            .collect();
        assert!(AddresseeEmails::parse(&many).is_err());
        assert!(AddresseeEmails::parse(&[]).unwrap().emails().is_empty());
    }
}
