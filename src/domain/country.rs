//! ISO 3166-1 alpha-2 country codes, checked against the table in `countries`.

use std::fmt;

use super::countries::COUNTRIES;

/// A country, by its ISO 3166-1 alpha-2 code (uppercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code such as "mx" or "MX"; only assigned codes are accepted.
    pub fn parse(input: &str) -> Result<Self, String> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() == 2 && COUNTRIES.iter().any(|(assigned, _, _)| *assigned == code) {
            let bytes = code.as_bytes();
            Ok(Self([bytes[0], bytes[1]]))
        } else {
            Err("Choose a country (a two-letter ISO code such as MX or US).".into())
        }
    }

    /// The two uppercase letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("parsed from ASCII letters")
    }

    /// Every assigned code, in alphabetical order.
    pub fn all() -> impl Iterator<Item = CountryCode> {
        COUNTRIES.iter().map(|(code, _, _)| {
            let bytes = code.as_bytes();
            Self([bytes[0], bytes[1]])
        })
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::CountryCode;

    #[test]
    fn assigned_codes_parse_in_any_case() {
        assert_eq!(CountryCode::parse(" mx ").unwrap().as_str(), "MX");
        assert_eq!(CountryCode::all().count(), 249);
        for bad in ["", "M", "MEX", "XX", "EU", "12"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
