//! Sorting names the way a reader of the letter's language expects: "Ángeles" next to "ala",
//! not after "Zorro" as a byte comparison would put it.

use std::cmp::Ordering;

use entity::Language;
use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::{Collator, CollatorBorrowed};
use icu_locale::locale;

/// Compares names with the Unicode collation of one language, ignoring case.
pub struct NameCollator {
    /// `None` only if the compiled-in collation data could not be loaded, which would be a build
    /// defect; names then still sort, by lowercased code points, rather than failing an export.
    collator: Option<CollatorBorrowed<'static>>,
}

impl NameCollator {
    /// The collator for `language`.
    pub fn new(language: Language) -> Self {
        let mut options = CollatorOptions::default();
        // Secondary strength: accents still tell "Él" from "El", case never matters.
        options.strength = Some(Strength::Secondary);
        let locale = match language {
            Language::En => locale!("en"),
            Language::Es => locale!("es"),
        };
        Self {
            collator: Collator::try_new(locale.into(), options).ok(),
        }
    }

    /// Whether real collation data is in use (always, unless the build is broken).
    pub fn is_linguistic(&self) -> bool {
        self.collator.is_some()
    }

    /// Orders two names; names equal but for case compare equal.
    pub fn compare(&self, left: &str, right: &str) -> Ordering {
        match &self.collator {
            Some(collator) => collator.compare(left, right),
            None => left.to_lowercase().cmp(&right.to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(language: Language, names: &[&str]) -> Vec<String> {
        let collator = NameCollator::new(language);
        let mut names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        names.sort_by(|a, b| collator.compare(a, b));
        names
    }

    #[test]
    fn spanish_names_sort_with_accents_beside_their_letters() {
        assert_eq!(
            sorted(
                Language::Es,
                &["Zorro", "Émile", "zeta", "Él", "Ángeles", "ala"]
            ),
            ["ala", "Ángeles", "Él", "Émile", "zeta", "Zorro"]
        );
    }

    #[test]
    fn spanish_sorts_enie_after_n() {
        assert_eq!(
            sorted(Language::Es, &["Ñandú", "Oaxaca", "Nube"]),
            ["Nube", "Ñandú", "Oaxaca"]
        );
        assert_eq!(
            sorted(Language::En, &["Ñandú", "Oaxaca", "Nube"]),
            ["Ñandú", "Nube", "Oaxaca"]
        );
    }

    #[test]
    fn case_is_ignored() {
        let collator = NameCollator::new(Language::En);
        assert!(collator.is_linguistic());
        assert_eq!(collator.compare("ACME", "acme"), Ordering::Equal);
        assert_eq!(collator.compare("acme", "Acme Two"), Ordering::Less);
    }
}
