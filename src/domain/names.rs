//! The normalized form of an organization's name, to find the same organization signing twice.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Legal forms that say nothing about which organization it is, as words after normalization.
const LEGAL_FORMS: [&[&str]; 16] = [
    &["asociacion", "civil"],
    &["sociedad", "civil"],
    &["a", "c"],
    &["ac"],
    &["s", "c"],
    &["sc"],
    &["i", "a", "p"],
    &["iap"],
    &["a", "b", "p"],
    &["inc"],
    &["incorporated"],
    &["ltd"],
    &["limited"],
    &["llc"],
    &["e", "v"],
    &["ev"],
];

/// The version of the rules of [`name_key`]. Raise it with any change of what a name's key is:
/// on the next start, keys stored under earlier rules are recomputed (see `db::migrate`).
/// 2: the rules repeat until the key is its own key.
pub const NAME_KEY_RULES: u32 = 2;

/// Lowercase words without accents or punctuation, legal forms such as "A.C.", "Inc." or
/// "Asociación Civil" and a leading "the" removed: "Asociación Civil Sin Fronteras, A.C." and
/// "Sin Fronteras" share the key "sin fronteras". A key is its own key, so a stored key can be
/// compared with the key of any spelling.
pub fn name_key(name: &str) -> String {
    let mut key = key_once(name);
    // Removing words can bring others together into a legal form or put "the" first
    // ("ac the i" loses "ac", then "the"): repeat until nothing more goes. Each pass that
    // changes the key drops a word, so this ends; the bound is only a safety net.
    for _ in 0..16 {
        let again = key_once(&key);
        if again == key {
            break;
        }
        key = again;
    }
    key
}

fn key_once(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    if words.first() == Some(&"the") && words.len() > 1 {
        words.remove(0);
    }
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;
    'words: while i < words.len() {
        for form in LEGAL_FORMS {
            if words[i..].starts_with(form) && words.len() > form.len() {
                i += form.len();
                continue 'words;
            }
        }
        kept.push(words[i]);
        i += 1;
    }
    if kept.is_empty() {
        // A name made only of legal-form words still needs a key of its own.
        return words.join(" ");
    }
    kept.join(" ")
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn the_same_organization_under_two_spellings_has_one_key() {
        assert_eq!(
            name_key("Asociación Civil Sin Fronteras A.C."),
            "sin fronteras"
        );
        assert_eq!(name_key("Sin Fronteras"), "sin fronteras");
        assert_eq!(name_key("SIN FRONTERAS, I.A.P."), "sin fronteras");
        assert_eq!(
            name_key("The Washington Office on Latin America"),
            "washington office on latin america"
        );
        assert_eq!(
            name_key("Amnesty International Ltd."),
            "amnesty international"
        );
        assert_eq!(
            name_key("Coalición Pro Defensa del Migrante, A.C."),
            "coalicion pro defensa del migrante"
        );
    }

    #[test]
    fn different_organizations_keep_different_keys() {
        assert_ne!(name_key("Sin Fronteras"), name_key("Médicos Sin Fronteras"));
        assert_eq!(name_key("A.C."), "a c");
        assert_eq!(name_key("The"), "the");
    }

    #[test]
    fn words_that_meet_once_others_go_are_removed_too() {
        assert_eq!(name_key("A.C. The Initiative"), "initiative");
        assert_eq!(name_key("X A AC C"), "x");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::name_key;

    /// Names built of the words the rules act on: legal forms, "the", and ordinary words.
    fn tricky_name() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "the",
            "The",
            "A.C.",
            "a",
            "c",
            "ac",
            "S.C.",
            "inc.",
            "Ltd",
            "LLC",
            "e.V.",
            "i",
            "p",
            "b",
            "Asociación",
            "Civil",
            "Sociedad",
            "Sin",
            "Fronteras",
            "Ñandú",
            "x",
        ]);
        let separator = prop::sample::select(vec![" ", ", ", ".", "-", "  ", "\t"]);
        prop::collection::vec((word, separator), 0..8).prop_map(|parts| {
            parts
                .into_iter()
                .map(|(word, separator)| format!("{word}{separator}"))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn any_text_has_a_key_that_is_its_own_key(name in any::<String>()) {
            let key = name_key(&name);
            prop_assert_eq!(name_key(&key), key);
        }

        #[test]
        fn names_of_legal_forms_have_a_key_that_is_its_own_key(name in tricky_name()) {
            let key = name_key(&name);
            prop_assert_eq!(name_key(&key), key);
        }
    }
}
