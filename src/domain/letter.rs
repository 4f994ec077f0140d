//! The parts of a letter that have rules of their own.

use std::collections::BTreeMap;

use entity::{Language, LetterStatus};
use serde::{Deserialize, Serialize};

use super::fields::{bounded_text, optional_text};

/// Longest letter body accepted, in characters (a long letter is about 20,000).
pub const MAX_BODY_CHARS: usize = 100_000;
/// Longest addressee block accepted, in characters.
pub const MAX_ADDRESSEES_CHARS: usize = 5_000;
/// Longest title, and longest signatory name, in characters.
pub const MAX_NAME_CHARS: usize = 300;

/// What [`check_changeable`] answers for a delivered letter.
pub const DELIVERED_IS_FINAL: &str =
    "This letter was delivered; it and its signatures can no longer change.";

/// Checks that a letter in `status` may still change: its text, settings, coordinators, status
/// and signatures. Once delivered, nothing does, so that what was delivered stays what it was.
/// The one rule for every change.
pub fn check_changeable(status: LetterStatus) -> Result<(), String> {
    if status == LetterStatus::Delivered {
        return Err(DELIVERED_IS_FINAL.into());
    }
    Ok(())
}

/// Checks a status change against the life of a letter:
/// draft -> open -> closed -> delivered, closed -> open again, and nothing leaves delivered.
pub fn check_transition(from: LetterStatus, to: LetterStatus) -> Result<(), String> {
    use LetterStatus::*;
    check_changeable(from)?;
    match (from, to) {
        (Draft, Open) | (Open, Closed) | (Closed, Open) | (Closed, Delivered) => Ok(()),
        (from, to) => Err(format!(
            "A letter cannot go from {} to {}; the order is draft, open, closed, delivered (a closed letter may reopen).",
            status_word(from),
            status_word(to)
        )),
    }
}

fn status_word(status: LetterStatus) -> &'static str {
    match status {
        LetterStatus::Draft => "draft",
        LetterStatus::Open => "open",
        LetterStatus::Closed => "closed",
        LetterStatus::Delivered => "delivered",
    }
}

/// Names listed first, in the order given, before the rest of the signatories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadSignatories(Vec<String>);

impl LeadSignatories {
    /// At most this many lead signatories.
    pub const MAX: usize = 200;

    /// Trims each name and drops blank ones; each name follows the signatory name rules.
    pub fn parse(names: &[String]) -> Result<Self, String> {
        if names.len() > Self::MAX {
            return Err(format!("At most {} lead signatories.", Self::MAX));
        }
        let mut parsed = Vec::with_capacity(names.len());
        for name in names.iter().filter(|name| !name.trim().is_empty()) {
            parsed
                .push(bounded_text(name, MAX_NAME_CHARS).map_err(|e| format!("\"{name}\": {e}"))?);
        }
        Ok(Self(parsed))
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// The list with `name` added at the end, unless already there.
    pub fn with(mut self, name: &str) -> Self {
        if !self.0.iter().any(|n| n == name) {
            self.0.push(name.to_owned());
        }
        self
    }

    /// The list without `name`.
    pub fn without(mut self, name: &str) -> Self {
        self.0.retain(|n| n != name);
        self
    }

    /// The list with `old` replaced by `new` in its place.
    pub fn renamed(mut self, old: &str, new: &str) -> Self {
        for n in &mut self.0 {
            if n == old {
                new.clone_into(n);
            }
        }
        self
    }

    /// The stored form, a JSON array.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a list of strings always serializes")
    }

    /// Reads the stored form; an unreadable value (never written by us) reads as empty.
    pub fn from_json(stored: &str) -> Self {
        Self(serde_json::from_str(stored).unwrap_or_default())
    }
}

/// How many days after delivery contact data is kept before it is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(i32);

impl RetentionDays {
    /// Ninety days, long enough to answer questions about the delivered letter.
    pub const DEFAULT: Self = Self(90);

    /// Between 0 (erase at delivery) and ten years.
    pub fn parse(days: i64) -> Result<Self, String> {
        if (0..=3650).contains(&days) {
            Ok(Self(days as i32))
        } else {
            Err("Must be between 0 and 3650 days.".into())
        }
    }

    /// The number of days.
    pub fn days(self) -> i32 {
        self.0
    }
}

/// The letter's text in a second language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    /// The translated title.
    pub title: String,
    /// The translated body, Markdown.
    pub body: String,
    /// The translated addressee block.
    pub addressees: String,
}

impl Translation {
    /// Checks a translation with the same rules as the letter's own text.
    pub fn parse(title: &str, body: &str, addressees: &str) -> Result<Self, String> {
        Ok(Self {
            title: bounded_text(title, MAX_NAME_CHARS).map_err(|e| format!("title: {e}"))?,
            body: optional_text(Some(body), MAX_BODY_CHARS, true)
                .map_err(|e| format!("body: {e}"))?
                .unwrap_or_default(),
            addressees: optional_text(Some(addressees), MAX_ADDRESSEES_CHARS, true)
                .map_err(|e| format!("addressees: {e}"))?
                .unwrap_or_default(),
        })
    }
}

/// The letter's translations by language; never one in the letter's own language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translations(BTreeMap<Language, Translation>);

impl Translations {
    /// Builds the set, refusing a translation into the letter's own language.
    pub fn new(
        letter_language: Language,
        entries: BTreeMap<Language, Translation>,
    ) -> Result<Self, String> {
        if entries.contains_key(&letter_language) {
            return Err("A translation must be in a language other than the letter's own.".into());
        }
        Ok(Self(entries))
    }

    /// The translations by language.
    pub fn entries(&self) -> &BTreeMap<Language, Translation> {
        &self.0
    }

    /// The stored form, a JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("translations always serialize")
    }

    /// Reads the stored form; an unreadable value (never written by us) reads as empty.
    pub fn from_json(stored: &str) -> Self {
        Self(serde_json::from_str(stored).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LetterStatus::*;

    #[test]
    fn the_life_of_a_letter_goes_forward_and_may_reopen() {
        for (from, to) in [
            (Draft, Open),
            (Open, Closed),
            (Closed, Open),
            (Closed, Delivered),
        ] {
            assert!(check_transition(from, to).is_ok(), "{from:?} -> {to:?}");
        }
        for (from, to) in [
            (Draft, Closed),
            (Draft, Delivered),
            (Open, Draft),
            (Open, Delivered),
            (Closed, Draft),
        ] {
            assert!(check_transition(from, to).is_err(), "{from:?} -> {to:?}");
        }
        for to in [Draft, Open, Closed] {
            assert!(
                check_transition(Delivered, to)
                    .unwrap_err()
                    .contains("delivered")
            );
        }
    }

    #[test]
    fn lead_signatories_are_trimmed_and_blank_ones_dropped() {
        let lead = LeadSignatories::parse(&[" WOLA ".into(), "".into(), "Amnesty".into()]).unwrap();
        assert_eq!(lead.names(), ["WOLA", "Amnesty"]);
        assert_eq!(LeadSignatories::from_json(&lead.to_json()), lead);
    }

    #[test]
    fn a_translation_into_the_letters_own_language_is_refused() {
        let es = Translation::parse("Carta", "Texto", "").unwrap();
        let entries = BTreeMap::from([(Language::Es, es)]);
        assert!(Translations::new(Language::Es, entries.clone()).is_err());
        let translations = Translations::new(Language::En, entries).unwrap();
        assert_eq!(
            Translations::from_json(&translations.to_json()),
            translations
        );
    }
}
