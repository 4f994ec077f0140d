//! Letter slugs, the readable part of a letter's public address.

use std::fmt;

/// Lowercase ASCII letters, digits and single hyphens; 3 to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug; surrounding spaces are ignored and letters lowercased.
    pub fn parse(input: &str) -> Result<Self, String> {
        let slug = input.trim().to_ascii_lowercase();
        let well_formed = (3..=80).contains(&slug.len())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if well_formed {
            Ok(Self(slug))
        } else {
            Err("Use 3 to 80 lowercase letters, digits and single hyphens, such as \"mpp-asylum-2019\".".into())
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercased_and_checked() {
        assert_eq!(
            Slug::parse(" MPP-Asylum-2019 ").unwrap().as_str(),
            "mpp-asylum-2019"
        );
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "año-2019",
            "a b c",
            &"a".repeat(81),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
