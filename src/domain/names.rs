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

/// Lowercase words without accents or punctuation, legal forms such as "A.C.", "Inc." or
/// "Asociación Civil" and a leading "the" removed: "Asociación Civil Sin Fronteras, A.C." and
/// "Sin Fronteras" share the key "sin fronteras".
pub fn name_key(name: &str) -> String {
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
}
