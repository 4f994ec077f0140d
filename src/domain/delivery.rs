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
