//! Collecting every bad field of a request at once, so a user fixes them all in one go.

use std::collections::BTreeMap;

/// Messages for the fields of one request that failed to parse, by field name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// Records the error of `result` under `field`, if any, and passes the value on.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Records a message for a field; the first message for a field wins.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Adds another set of messages; for a field in both, the message already here wins.
    pub fn merge(&mut self, other: FieldErrors) {
        for (field, message) in other.0 {
            self.add(&field, message);
        }
    }

    /// Whether no field failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages by field name.
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    /// The messages by field name.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// A required single-line text: trimmed, not empty, at most `max` characters, no control
/// characters.
pub fn bounded_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("This field is required.".into());
    }
    check_length_and_controls(trimmed, max, false)?;
    Ok(trimmed.to_owned())
}

/// An optional text: trimmed, an empty value becomes `None`; `multiline` allows line breaks.
pub fn optional_text(
    value: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_length_and_controls(text, max, multiline)?;
            Ok(Some(text.to_owned()))
        }
    }
}

fn check_length_and_controls(text: &str, max: usize, multiline: bool) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("Must be at most {max} characters."));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\r' || c == '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err("Must not contain control characters.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            bounded_text("  Sin Fronteras ", 300),
            Ok("Sin Fronteras".into())
        );
        assert!(bounded_text("   ", 300).is_err());
        assert!(bounded_text(&"a".repeat(301), 300).is_err());
        assert!(bounded_text(&"á".repeat(300), 300).is_ok());
        assert!(bounded_text("a\u{0}b", 300).is_err());
    }

    #[test]
    fn optional_text_allows_line_breaks_only_when_multiline() {
        assert_eq!(optional_text(Some(" "), 10, false), Ok(None));
        assert!(optional_text(Some("a\nb"), 10, false).is_err());
        assert_eq!(
            optional_text(Some("a\nb"), 10, true),
            Ok(Some("a\nb".into()))
        );
    }

    #[test]
    fn the_first_message_for_a_field_wins() {
        let mut errors = FieldErrors::default();
        errors.add("slug", "first");
        errors.add("slug", "second");
        assert_eq!(errors.as_map()["slug"], "first");
    }
}
