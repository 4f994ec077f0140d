//! The real-world fixture shared by the export tests: 400 organizations that signed an open
//! letter in 2020, with their accents, quotes and typos.

use entity::SignatureKind;

use super::Signatory;
use crate::domain::{PublicDetails, countries};

/// The fixture lives in the repository, so a plain clone runs these tests.
const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/open-letter-2020-400-orgs.csv"
);

/// The 400 organizations: international networks with no country, national ones with the
/// country's code when the written country is recognized and the text as written when not
/// ("Marocco").
pub(crate) fn organizations() -> Vec<Signatory> {
    let mut reader = ::csv::Reader::from_path(PATH)
        .unwrap_or_else(|error| panic!("cannot read the fixture {PATH}: {error}"));
    reader
        .records()
        .map(|record| {
            let record = record.expect("fixture rows are valid CSV");
            let field = |index: usize| record.get(index).unwrap_or_default().to_owned();
            let national = field(1) == "national";
            let country = field(3);
            Signatory {
                id: field(0).parse().expect("fixture numbers are integers"),
                kind: SignatureKind::Organization,
                public: PublicDetails {
                    name: field(2),
                    org_type: Some(
                        if national {
                            "National"
                        } else {
                            "International or regional"
                        }
                        .into(),
                    ),
                    country: national.then(|| {
                        countries::code_for(&country)
                            .map(str::to_owned)
                            .unwrap_or(country)
                    }),
                    ..Default::default()
                },
            }
        })
        .collect()
}

/// The fixture's descriptions of the international networks, which must never be printed.
pub(crate) fn descriptions() -> Vec<String> {
    let mut reader = ::csv::Reader::from_path(PATH).expect("fixture is readable");
    reader
        .records()
        .filter_map(|record| {
            let record = record.ok()?;
            (record.get(1) == Some("international_regional"))
                .then(|| record.get(3).unwrap_or_default().to_owned())
        })
        .collect()
}

#[test]
fn the_fixture_has_400_organizations_most_with_a_known_country() {
    let organizations = organizations();
    assert_eq!(organizations.len(), 400);
    let national: Vec<_> = organizations
        .iter()
        .filter(|o| o.public.country.is_some())
        .collect();
    assert_eq!(national.len(), 315);
    let unknown: Vec<_> = national
        .iter()
        .filter_map(|o| o.public.country.as_deref().filter(|c| c.len() != 2))
        .collect();
    // Only the typos remain unrecognized.
    assert_eq!(
        unknown
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        2,
        "{unknown:?}"
    );
}
