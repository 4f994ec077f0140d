//! Exports of a letter and its signatories: the PDF delivered to the addressees and the CSV
//! files staff open in a spreadsheet. Pure functions from data to bytes, so they are tested
//! without a server or a database.

pub mod collation;

pub mod csv;
pub mod pdf;

#[cfg(test)]
mod fixture;

use std::borrow::Cow;
use std::cmp::Ordering;

pub use entity::Paper;
use entity::{Language, ListOrder, SignatureKind};

use crate::domain::{PublicDetails, countries};
use collation::NameCollator;

/// What the PDF shows about the letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterDocument {
    /// The letter's title.
    pub title: String,
    /// Who the letter is addressed to; line breaks are kept.
    pub addressees: String,
    /// The letter's text, Markdown.
    pub body_markdown: String,
    /// The language the letter is written in, which also sets dates, labels and sort order.
    pub language: Language,
    /// The date printed on the letter.
    pub date: chrono::NaiveDate,
    /// The organizations leading the letter, in order: the letterhead, and listed first.
    pub lead_organizations: Vec<String>,
    /// Paper size.
    pub paper: Paper,
}

/// An approved signature as the list, the PDF and the public CSV show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatory {
    /// The signature's id, used only to keep the order stable between equal names.
    pub id: i64,
    /// An organization or a person.
    pub kind: SignatureKind,
    /// The public fields; the name exactly as it is to be printed, and a country that is not
    /// an ISO 3166-1 alpha-2 code shown as written. Each export picks the fields it shows.
    pub public: PublicDetails,
}

/// Why an export could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An embedded font could not be read; a build defect, not a problem with the letter.
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    /// Writing CSV failed.
    #[error("writing CSV failed: {0}")]
    Csv(#[from] ::csv::Error),
    /// Finishing the CSV buffer failed.
    #[error("writing CSV failed: {0}")]
    CsvBuffer(String),
    /// The PDF's pages did not come out as they were laid out; a defect, not a problem with
    /// the letter.
    #[error("writing the PDF failed: {0}")]
    Pdf(&'static str),
}

/// Orders signatories for the list: lead signatories first (in the order of `lead_names`,
/// matched by exact name), then organizations, then individuals; within each, by `order`:
/// alphabetical by collated name; or grouped by country name (collated, in the letter's
/// language; no country last) then name; or grouped by org_type (none last) then name.
pub fn order_signatories(
    list: Vec<Signatory>,
    order: ListOrder,
    lead_names: &[String],
    language: Language,
) -> Vec<Signatory> {
    let mut rest = list;
    let mut ordered = Vec::with_capacity(rest.len());
    for lead in lead_names {
        let (matching, others): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .partition(|signatory| &signatory.public.name == lead);
        ordered.extend(matching);
        rest = others;
    }
    let (mut organizations, mut individuals): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|signatory| signatory.kind == SignatureKind::Organization);
    let collator = NameCollator::new(language);
    let compare = |a: &Signatory, b: &Signatory| {
        let by_group = match order {
            ListOrder::Alphabetical => Ordering::Equal,
            ListOrder::Country | ListOrder::OrgType => compare_groups(
                &collator,
                group_label(a, order, language).as_deref(),
                group_label(b, order, language).as_deref(),
            ),
        };
        by_group
            .then_with(|| collator.compare(&a.public.name, &b.public.name))
            .then_with(|| a.public.name.cmp(&b.public.name))
            .then_with(|| a.id.cmp(&b.id))
    };
    organizations.sort_by(compare);
    individuals.sort_by(compare);
    ordered.extend(organizations);
    ordered.extend(individuals);
    ordered
}

/// Groups in collation order, the missing group last; groups that collate equal but are
/// written differently ("NGO", "ngo") stay apart so their members do not interleave.
fn compare_groups(collator: &NameCollator, a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => collator.compare(a, b).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The heading a signatory is listed under when the list is grouped; `None` when the value
/// that groups it is missing, or when the list is alphabetical.
pub fn group_label(
    signatory: &Signatory,
    order: ListOrder,
    language: Language,
) -> Option<Cow<'static, str>> {
    match order {
        ListOrder::Alphabetical => None,
        ListOrder::Country => country_label(signatory.public.country.as_deref(), language),
        ListOrder::OrgType => non_blank(signatory.public.org_type.as_deref())
            .map(|org_type| Cow::Owned(org_type.to_owned())),
    }
}

/// The country as printed: its name in `language` for a known code, otherwise the value as
/// written (never lose what a signer typed), `None` when blank.
pub fn country_label(country: Option<&str>, language: Language) -> Option<Cow<'static, str>> {
    let country = non_blank(country)?;
    Some(match countries::name(country, language) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(country.to_owned()),
    })
}

/// The trimmed text, or `None` when it is missing or only whitespace.
fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, name: &str, country: Option<&str>, org_type: Option<&str>) -> Signatory {
        Signatory {
            id,
            kind: SignatureKind::Organization,
            public: PublicDetails {
                name: name.into(),
                org_type: org_type.map(Into::into),
                country: country.map(Into::into),
                ..Default::default()
            },
        }
    }

    fn person(id: i64, name: &str, country: Option<&str>) -> Signatory {
        let mut signatory = org(id, name, country, None);
        signatory.kind = SignatureKind::Individual;
        signatory.public.affiliation = Some("Universidad".into());
        signatory
    }

    fn names(list: &[Signatory]) -> Vec<&str> {
        list.iter().map(|s| s.public.name.as_str()).collect()
    }

    #[test]
    fn spanish_alphabetical_order_puts_accented_names_beside_their_letter() {
        let list = ["Zorro", "Émile", "zeta", "Él", "Ángeles", "ala"]
            .iter()
            .enumerate()
            .map(|(i, name)| org(i as i64, name, None, None))
            .collect();
        let ordered = order_signatories(list, ListOrder::Alphabetical, &[], Language::Es);
        assert_eq!(
            names(&ordered),
            ["ala", "Ángeles", "Él", "Émile", "zeta", "Zorro"]
        );
    }

    #[test]
    fn leads_come_first_in_their_order_then_organizations_then_individuals() {
        let list = vec![
            person(1, "Ana Pérez", None),
            org(2, "Zeta Colectivo", None, None),
            org(3, "WOLA", None, None),
            person(4, "Bruno Díaz", None),
            org(5, "Amnistía", None, None),
            org(6, "Centro Prodh", None, None),
        ];
        let leads = vec![
            "Centro Prodh".to_string(),
            "WOLA".to_string(),
            "Not signed".to_string(),
        ];
        let ordered = order_signatories(list, ListOrder::Alphabetical, &leads, Language::Es);
        assert_eq!(
            names(&ordered),
            [
                "Centro Prodh",
                "WOLA",
                "Amnistía",
                "Zeta Colectivo",
                "Ana Pérez",
                "Bruno Díaz"
            ]
        );
    }

    #[test]
    fn lead_names_match_exactly() {
        let list = vec![org(1, "wola", None, None), org(2, "WOLA ", None, None)];
        let ordered = order_signatories(
            list,
            ListOrder::Alphabetical,
            &["WOLA".into()],
            Language::En,
        );
        assert_eq!(ordered.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn grouping_by_country_sorts_country_names_in_the_letters_language() {
        let list = vec![
            org(1, "Bravo", Some("DE"), None),
            org(2, "Alfa", None, None),
            org(3, "Charlie", Some("MX"), None),
            org(4, "Delta", Some("DE"), None),
            org(5, "Echo", Some("AT"), None),
            org(6, "Alfa Dos", Some("MX"), None),
            person(7, "Persona", Some("MX")),
            person(8, "Otra Persona", Some("AT")),
        ];
        // Spanish: Alemania (DE), Austria (AT), México (MX); English: Austria, Germany, Mexico.
        let spanish = order_signatories(list.clone(), ListOrder::Country, &[], Language::Es);
        assert_eq!(
            names(&spanish),
            [
                "Bravo",
                "Delta",
                "Echo",
                "Alfa Dos",
                "Charlie",
                "Alfa",
                "Otra Persona",
                "Persona"
            ]
        );
        let english = order_signatories(list, ListOrder::Country, &[], Language::En);
        assert_eq!(
            names(&english),
            [
                "Echo",
                "Bravo",
                "Delta",
                "Alfa Dos",
                "Charlie",
                "Alfa",
                "Otra Persona",
                "Persona"
            ]
        );
    }

    #[test]
    fn grouping_by_org_type_keeps_differently_written_types_apart_and_untyped_last() {
        let list = vec![
            org(1, "Uno", Some("MX"), Some("ngo")),
            org(2, "Dos", None, None),
            org(3, "Tres", None, Some("Union")),
            org(4, "Cuatro", None, Some("NGO")),
            org(5, "Cinco", None, Some("ngo")),
            org(6, "Seis", None, Some("  ")),
        ];
        let ordered = order_signatories(list, ListOrder::OrgType, &[], Language::En);
        let groups: Vec<_> = ordered
            .iter()
            .map(|s| group_label(s, ListOrder::OrgType, Language::En))
            .collect();
        assert_eq!(
            names(&ordered),
            ["Cuatro", "Cinco", "Uno", "Tres", "Dos", "Seis"]
        );
        assert_eq!(groups[0].as_deref(), Some("NGO"));
        assert_eq!(groups[1].as_deref(), Some("ngo"));
        assert_eq!(groups[4], None);
    }

    #[test]
    fn unknown_country_values_are_shown_as_written() {
        assert_eq!(
            country_label(Some("MX"), Language::Es).as_deref(),
            Some("México")
        );
        assert_eq!(
            country_label(Some("Marocco"), Language::Es).as_deref(),
            Some("Marocco")
        );
        assert_eq!(country_label(Some(" "), Language::Es), None);
        assert_eq!(country_label(None, Language::Es), None);
    }
}
