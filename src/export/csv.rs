//! CSV exports: the public signatory list and the staff's full moderation table.
//!
//! Both are written for spreadsheets: UTF-8 with a byte-order mark, so Excel reads accents
//! correctly, and every cell that a spreadsheet would run as a formula is neutralized
//! (OWASP CSV injection), because signers type those cells.

use entity::{Language, SignatureKind};

use super::{ExportError, Signatory, country_label};
use crate::domain::{ContactFields, PublicDetails};

/// The UTF-8 byte-order mark that tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Columns of the public list.
pub const PUBLIC_HEADER: [&str; 8] = [
    "name",
    "kind",
    "affiliation",
    "org_type",
    "city",
    "region",
    "country",
    "country_code",
];

/// Columns of the staff table.
pub const STAFF_HEADER: [&str; 25] = [
    "id",
    "status",
    "source",
    "kind",
    "name",
    "affiliation",
    "org_type",
    "city",
    "region",
    "country",
    "website",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
    "comment",
    "consent",
    "created_at",
    "verified_at",
    "decided_at",
    "verification_note",
    "decision_reason",
    "duplicate_of",
    "flags",
    "partner",
];

/// One signature with everything staff see, already formatted as text by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffRow {
    /// The signature's id.
    pub id: i64,
    /// Where the signature is in its life ("approved", "rejected", ...).
    pub status: String,
    /// How it arrived ("form", "import", "staff").
    pub source: String,
    /// "organization" or "individual".
    pub kind: String,
    /// The public fields, as stored.
    pub public: PublicDetails,
    /// The contact person and the signer's note; empty once erased.
    pub contact: ContactFields,
    /// Whether the signer agreed to be contacted.
    pub consent: bool,
    /// When the signature arrived.
    pub created_at: String,
    /// When the contact person confirmed.
    pub verified_at: Option<String>,
    /// When a coordinator approved or rejected it.
    pub decided_at: Option<String>,
    /// Notes from verification.
    pub verification_note: Option<String>,
    /// Why it was approved or rejected.
    pub decision_reason: Option<String>,
    /// The signature this one duplicates, if flagged.
    pub duplicate_of: Option<i64>,
    /// Moderation flags, as one string.
    pub flags: String,
    /// The code of the partner whose link brought the signature.
    pub partner: Option<String>,
}

/// The public signatory list, in the given order, with countries named in `language`.
pub fn public(ordered: &[Signatory], language: Language) -> Result<Vec<u8>, ExportError> {
    let mut writer = Writer::new(&PUBLIC_HEADER)?;
    for signatory in ordered {
        writer.public_row(signatory, language)?;
    }
    writer.take()
}

/// The staff table: every field of every signature given.
pub fn staff(rows: &[StaffRow]) -> Result<Vec<u8>, ExportError> {
    let mut writer = Writer::new(&STAFF_HEADER)?;
    for row in rows {
        writer.staff_row(row)?;
    }
    writer.take()
}

/// A CSV file written a row at a time, whose bytes are taken out as they are made, so that a
/// list of any length is sent without ever being whole in memory.
pub struct Writer {
    writer: ::csv::Writer<Vec<u8>>,
}

impl Writer {
    /// A file that starts with the byte-order mark and `header`.
    pub fn new(header: &[&str]) -> Result<Self, ExportError> {
        let mut writer = ::csv::Writer::from_writer(BOM.to_vec());
        writer.write_record(header)?;
        Ok(Self { writer })
    }

    /// Adds a signatory of the public list, with its country named in `language`.
    pub fn public_row(
        &mut self,
        Signatory { kind, public, .. }: &Signatory,
        language: Language,
    ) -> Result<(), ExportError> {
        let country_code = public
            .country
            .as_deref()
            .map(str::trim)
            .and_then(crate::domain::countries::code_for)
            .unwrap_or_default();
        let country = country_label(public.country.as_deref(), language);
        self.record([
            public.name.as_str(),
            kind_word(*kind),
            text(&public.affiliation),
            text(&public.org_type),
            text(&public.city),
            text(&public.region),
            country.as_deref().unwrap_or_default(),
            country_code,
        ])
    }

    /// Adds a row of the staff table.
    pub fn staff_row(&mut self, row: &StaffRow) -> Result<(), ExportError> {
        let id = row.id.to_string();
        let duplicate_of = row.duplicate_of.map(|id| id.to_string());
        self.record([
            id.as_str(),
            &row.status,
            &row.source,
            &row.kind,
            &row.public.name,
            text(&row.public.affiliation),
            text(&row.public.org_type),
            text(&row.public.city),
            text(&row.public.region),
            text(&row.public.country),
            text(&row.public.website),
            text(&row.contact.contact_name),
            text(&row.contact.contact_title),
            text(&row.contact.contact_email),
            text(&row.contact.contact_phone),
            text(&row.contact.comment),
            if row.consent { "true" } else { "false" },
            &row.created_at,
            text(&row.verified_at),
            text(&row.decided_at),
            text(&row.verification_note),
            text(&row.decision_reason),
            duplicate_of.as_deref().unwrap_or_default(),
            &row.flags,
            text(&row.partner),
        ])
    }

    fn record<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), ExportError> {
        for cell in cells {
            self.writer.write_field(neutralize(cell).as_bytes())?;
        }
        // An empty record ends the one whose fields were just written.
        self.writer.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// The bytes written since the last call (the first call's start with the header).
    pub fn take(&mut self) -> Result<Vec<u8>, ExportError> {
        // Records do not depend on one another: a fresh writer goes on where this one ends.
        std::mem::replace(&mut self.writer, ::csv::Writer::from_writer(Vec::new()))
            .into_inner()
            .map_err(|error| ExportError::CsvBuffer(error.error().to_string()))
    }
}

/// Makes a cell inert in a spreadsheet: one starting with `=`, `+`, `-`, `@`, tab or carriage
/// return gets a leading `'`, which spreadsheets show as text instead of running a formula.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

fn kind_word(kind: SignatureKind) -> &'static str {
    match kind {
        SignatureKind::Organization => "organization",
        SignatureKind::Individual => "individual",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        assert!(bytes.starts_with(BOM), "the file must start with a BOM");
        let mut reader = ::csv::Reader::from_reader(&bytes[BOM.len()..]);
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|record| record.unwrap().iter().map(str::to_owned).collect())
            .collect();
        (header, rows)
    }

    fn signatory(name: &str, country: Option<&str>) -> Signatory {
        Signatory {
            id: 1,
            kind: SignatureKind::Organization,
            public: PublicDetails {
                name: name.into(),
                org_type: Some("ONG".into()),
                city: Some("Ciudad de México".into()),
                region: Some("CDMX".into()),
                country: country.map(Into::into),
                ..Default::default()
            },
        }
    }

    #[test]
    fn formula_prefixes_are_neutralized_and_nothing_else_changes() {
        assert_eq!(neutralize("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralize("+52 Colectivo"), "'+52 Colectivo");
        assert_eq!(neutralize("-1"), "'-1");
        assert_eq!(neutralize("@cmd"), "'@cmd");
        assert_eq!(neutralize("\tTab"), "'\tTab");
        assert_eq!(neutralize("\rCR"), "'\rCR");
        assert_eq!(
            neutralize("Asociación \"La Voz\", A.C."),
            "Asociación \"La Voz\", A.C."
        );
        assert_eq!(neutralize("a=b"), "a=b");
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn the_public_list_round_trips_with_spanish_country_names() {
        let names = [
            "Asociación Civil Sin Fronteras A.C.",
            "\"La Voz\" de los Pueblos, A.C.",
            "L'Union des Femmes (UdF)",
            "=SUM(A1)",
            "+52 Colectivo",
            "-Guion",
            "@Arroba",
            "Línea\nnueva",
            "Łódź Kreyòl São Grüße — 2026",
        ];
        let list: Vec<Signatory> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let country = [Some("MX"), Some("de"), Some("Marocco"), None][i % 4];
                signatory(name, country)
            })
            .collect();
        let bytes = public(&list, Language::Es).unwrap();
        let (header, rows) = read(&bytes);
        assert_eq!(header, PUBLIC_HEADER);
        assert_eq!(rows.len(), names.len());
        for (row, name) in rows.iter().zip(names) {
            let expected = if name.starts_with(['=', '+', '-', '@']) {
                format!("'{name}")
            } else {
                name.to_string()
            };
            assert_eq!(row[0], expected);
            assert_eq!(row[1], "organization");
            assert_eq!(row[3], "ONG");
            assert_eq!(row[4], "Ciudad de México");
        }
        assert_eq!(rows[0][6..], ["México", "MX"]);
        assert_eq!(rows[1][6..], ["Alemania", "DE"]);
        assert_eq!(rows[2][6..], ["Marocco", ""]);
        assert_eq!(rows[3][6..], ["", ""]);
    }

    #[test]
    fn the_staff_table_round_trips_every_field() {
        let row = StaffRow {
            id: 42,
            status: "approved".into(),
            source: "form".into(),
            kind: "organization".into(),
            public: PublicDetails {
                name: "Colectivo \"Tierra\", A.C.".into(),
                affiliation: None,
                org_type: Some("ONG".into()),
                city: Some("Oaxaca".into()),
                region: Some("Oaxaca".into()),
                country: Some("MX".into()),
                website: Some("https://tierra.example.org".into()),
            },
            contact: ContactFields {
                contact_name: Some("María José Ñúñez".into()),
                contact_title: Some("Directora".into()),
                contact_email: Some("maria@tierra.example.org".into()),
                contact_phone: Some("+52 951 123 4567".into()),
                comment: Some("Línea uno\nlínea dos, con \"comillas\"".into()),
            },
            consent: true,
            created_at: "2026-11-23T10:00:00Z".into(),
            verified_at: Some("2026-11-23T10:05:00Z".into()),
            decided_at: None,
            verification_note: None,
            decision_reason: Some("=HYPERLINK(\"http://evil\")".into()),
            duplicate_of: Some(7),
            flags: "possible_duplicate".into(),
            partner: Some("sin-fronteras".into()),
        };
        let bytes = staff(std::slice::from_ref(&row)).unwrap();
        let (header, rows) = read(&bytes);
        assert_eq!(header, STAFF_HEADER);
        assert_eq!(
            rows,
            [[
                "42",
                "approved",
                "form",
                "organization",
                "Colectivo \"Tierra\", A.C.",
                "",
                "ONG",
                "Oaxaca",
                "Oaxaca",
                "MX",
                "https://tierra.example.org",
                "María José Ñúñez",
                "Directora",
                "maria@tierra.example.org",
                "'+52 951 123 4567",
                "Línea uno\nlínea dos, con \"comillas\"",
                "true",
                "2026-11-23T10:00:00Z",
                "2026-11-23T10:05:00Z",
                "",
                "",
                "'=HYPERLINK(\"http://evil\")",
                "7",
                "possible_duplicate",
                "sin-fronteras",
            ]]
        );
    }

    #[test]
    fn the_400_real_names_round_trip_exactly_in_spanish() {
        let list = crate::export::fixture::organizations();
        let bytes = public(&list, Language::Es).unwrap();
        let (_, rows) = read(&bytes);
        assert_eq!(rows.len(), 400);
        for (row, signatory) in rows.iter().zip(&list) {
            assert_eq!(row[0], *neutralize(&signatory.public.name));
            assert_eq!(
                row[0], signatory.public.name,
                "no real name needs neutralizing"
            );
            assert_eq!(
                row[3],
                signatory.public.org_type.clone().unwrap_or_default()
            );
        }
        let country = |name: &str| {
            let row = rows.iter().find(|row| row[0] == name).unwrap();
            (row[6].clone(), row[7].clone())
        };
        assert_eq!(
            country("ActionAid Australia"),
            ("Australia".into(), "AU".into())
        );
        assert_eq!(country("11.11.11"), ("Bélgica".into(), "BE".into()));
        assert_eq!(country("ATTAC Germany"), ("Alemania".into(), "DE".into()));
        assert_eq!(country("ActionAid International"), ("".into(), "".into()));
        // Only what the public list shows: never the source table's descriptions.
        let text = String::from_utf8(bytes).unwrap();
        for description in crate::export::fixture::descriptions() {
            assert!(
                description.len() < 30 || !text.contains(&description),
                "{description}"
            );
        }
    }

    #[test]
    fn an_empty_list_is_a_header_only() {
        let bytes = public(&[], Language::En).unwrap();
        let (header, rows) = read(&bytes);
        assert_eq!(header.len(), 8);
        assert!(rows.is_empty());
    }
}
