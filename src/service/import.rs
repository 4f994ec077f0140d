//! Importing signatures from a spreadsheet's CSV: rows staff vouch for, checked one by one,
//! duplicates found within the file and against the letter, and written all together or not at all.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::Utc;
use entity::{Role, SignatureSource, SignatureStatus, letter, signature};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use super::accounts::Staff;
use super::audit::{self, Actor, Event};
use super::keys::Keys;
use super::signing::write_public;
use super::{access, contact, public_view};
use crate::domain::countries::code_for;
use crate::domain::{Contact, Intake, SignatureInput, check_changeable, name_key};
use crate::error::{AppError, AppResult};

/// Rows written per INSERT statement: well under SQLite's limit of bound parameters.
const INSERT_CHUNK: usize = 400;

/// What happened to one row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Imported (in a dry run: would be).
    Imported,
    /// The same signatory is already on the letter, or earlier in the file; not imported.
    Duplicate {
        /// The signature already on the letter.
        of_signature: Option<i64>,
        /// The earlier line of the file.
        of_line: Option<u64>,
    },
    /// Not importable as it is: what is wrong with each field.
    Invalid(BTreeMap<String, String>),
}

/// One row's report.
#[derive(Debug, Clone)]
pub struct RowReport {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// The name as written in the file.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// Things worth a look that did not stop the row, such as an unrecognized country.
    pub warnings: Vec<String>,
}

/// The whole import's report.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Every row, in file order.
    pub rows: Vec<RowReport>,
    /// Columns of the file that were not used.
    pub ignored_columns: Vec<String>,
    /// Whether anything was written (false for a dry run, or when some row is invalid).
    pub committed: bool,
}

impl ImportReport {
    /// Rows imported (or that would be).
    pub fn imported(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.outcome == Outcome::Imported)
            .count()
    }

    /// Rows skipped as duplicates.
    pub fn duplicates(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Duplicate { .. }))
            .count()
    }

    /// Rows that are not importable.
    pub fn invalid(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Invalid(_)))
            .count()
    }
}

/// Which field a header names: the contract's field names, case-insensitive, plus the headers
/// spreadsheets usually have.
fn field_for_header(header: &str) -> Option<&'static str> {
    let normalized: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(match normalized.as_str() {
        "kind" | "signatory type" | "signs as" => "kind",
        "name"
        | "organization"
        | "organisation"
        | "organization name"
        | "organisation name"
        | "org name"
        | "signatory"
        | "nombre"
        | "organización"
        | "organizacion"
        | "nombre de la organización" => "name",
        "affiliation"
        | "institution"
        | "institutional affiliation"
        | "afiliación"
        | "afiliacion" => "affiliation",
        "org type"
        | "organization type"
        | "organisation type"
        | "type"
        | "type of organization"
        | "tipo" => "org_type",
        "city" | "town" | "ciudad" => "city",
        "region" | "state" | "province" | "state/province" | "estado" | "provincia" => "region",
        "country" | "país" | "pais" | "country or description" => "country",
        "website" | "web" | "url" | "web site" | "sitio web" | "página web" => "website",
        "contact name"
        | "contact"
        | "contact person"
        | "nombre de contacto"
        | "persona de contacto" => "contact_name",
        "contact title" | "title" | "position" | "job title" | "cargo" => "contact_title",
        "contact email"
        | "email"
        | "email address"
        | "e mail"
        | "correo"
        | "correo electrónico" => "contact_email",
        "contact phone" | "phone" | "telephone" | "phone number" | "teléfono" | "telefono" => {
            "contact_phone"
        }
        "comment" | "comments" | "notes" | "note" | "comentario" | "comentarios" => "comment",
        "status" | "estado de la firma" => "status",
        _ => return None,
    })
}

struct ParsedRow {
    line: u64,
    name: String,
    row: Option<signature::ActiveModel>,
    /// Sealed into the row once its id is reserved, at insertion.
    contact: Option<Contact>,
    email_key: Option<String>,
    name_key: String,
    country: Option<String>,
    errors: BTreeMap<String, String>,
    warnings: Vec<String>,
}

/// How an import runs.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Report only, write nothing.
    pub dry_run: bool,
    /// The most rows the file may have; a longer file is refused whole.
    pub max_rows: usize,
}

/// Told how many rows are done; called from a blocking thread while the file is parsed.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// A [`Progress`] that tells nobody.
pub fn no_progress() -> Progress {
    Arc::new(|_| {})
}

/// Imports a CSV into a letter. With `dry_run`, or when any row is invalid, nothing is written;
/// otherwise every importable row is written in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: Option<&Staff>,
    letter: &letter::Model,
    csv_bytes: Vec<u8>,
    options: ImportOptions,
    progress: Progress,
) -> AppResult<ImportReport> {
    check_changeable(letter.status).map_err(AppError::conflict)?;
    let existing = existing_keys(db, letter.id).await?;
    let (parsed, report) = check_rows(
        keys.clone(),
        letter.clone(),
        csv_bytes,
        existing,
        options.max_rows,
        progress.clone(),
    )
    .await?;
    if options.dry_run || report.invalid() > 0 {
        return Ok(report);
    }

    let txn = crate::db::begin_letter_write(db, letter.id).await?;
    let mut report = recheck(&txn, letter, &parsed, report).await?;
    let to_insert: Vec<(signature::ActiveModel, Option<Contact>)> = parsed
        .into_iter()
        .zip(&report.rows)
        .filter(|(_, outcome)| outcome.outcome == Outcome::Imported)
        .filter_map(|(parsed, _)| Some((parsed.row?, parsed.contact)))
        .collect();
    let count = to_insert.len();
    let mut done = 0u64;
    let mut remaining = to_insert;
    while !remaining.is_empty() {
        let rest = remaining.split_off(remaining.len().min(INSERT_CHUNK));
        let chunk = std::mem::replace(&mut remaining, rest);
        done += chunk.len() as u64;
        let ids = crate::db::reserve_ids::<signature::Entity>(&txn, chunk.len()).await?;
        let mut rows = Vec::with_capacity(chunk.len());
        for ((mut row, contact), id) in chunk.into_iter().zip(ids) {
            row.id = Set(id);
            if let Some(contact) = &contact {
                contact::store(contact, keys, &mut row)?;
            }
            rows.push(row);
        }
        signature::Entity::insert_many(rows).exec(&txn).await?;
        progress(done);
    }
    public_view::touch(&txn, letter.id).await?;
    let actor = staff.map(Actor::from).unwrap_or(Actor::System);
    audit::record(
        &txn,
        Event {
            actor: &actor,
            action: "signatures.imported",
            letter_id: Some(letter.id),
            signature_id: None,
            before: None,
            after: Some(json!({
                "imported": count,
                "duplicates": report.duplicates(),
            })),
        },
    )
    .await?;
    txn.commit().await?;
    report.committed = true;
    // The rows are in; slower plans until autovacuum catches up are the worst a failure means.
    if let Err(error) = crate::db::refresh_statistics::<signature::Entity>(db).await {
        tracing::warn!(%error, "could not refresh the planner's statistics after an import");
    }
    Ok(report)
}

/// The file was checked against the letter as it was, and people sign and staff deliver while
/// a large file is parsed: in the write transaction, with other signature writers held off,
/// the rows are classified again against the letter as it is now (a cheap pass). A signer who
/// signed meanwhile is a duplicate, not a second row or a failed import, and a letter
/// delivered meanwhile takes nothing.
async fn recheck(
    txn: &DatabaseTransaction,
    letter: &letter::Model,
    parsed: &[ParsedRow],
    report: ImportReport,
) -> AppResult<ImportReport> {
    crate::db::exclude_signature_writers(txn).await?;
    let status = letter::Entity::find_by_id(letter.id)
        .one(txn)
        .await?
        .map_or(letter.status, |current| current.status);
    check_changeable(status).map_err(AppError::conflict)?;
    let existing = existing_keys(txn, letter.id).await?;
    Ok(classify(parsed, report.ignored_columns, &existing))
}

/// A letter a staff member may import into: editors and owners.
pub async fn letter_for_import(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
) -> AppResult<letter::Model> {
    access::letter_for(db, staff, letter_id, Role::Editor).await
}

/// The import for a staff member of the letter (editors and owners).
pub async fn import_for_staff(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    csv_bytes: Vec<u8>,
    options: ImportOptions,
) -> AppResult<ImportReport> {
    let letter = letter_for_import(db, staff, letter_id).await?;
    import(
        db,
        keys,
        Some(staff),
        &letter,
        csv_bytes,
        options,
        no_progress(),
    )
    .await
}

/// Parses the file and decides each row's outcome on a blocking thread: a large file takes
/// seconds of CPU, which must not stall every other request.
async fn check_rows(
    keys: Keys,
    letter: letter::Model,
    csv_bytes: Vec<u8>,
    existing: ExistingKeys,
    max_rows: usize,
    progress: Progress,
) -> AppResult<(Vec<ParsedRow>, ImportReport)> {
    tokio::task::spawn_blocking(move || {
        let (parsed, ignored_columns) =
            parse(&keys, &letter, &csv_bytes, max_rows, progress.as_ref())?;
        let report = classify(&parsed, ignored_columns, &existing);
        Ok((parsed, report))
    })
    .await
    .map_err(|err| AppError::Internal(anyhow::anyhow!("the import stopped: {err}")))?
}

/// Each row's outcome: invalid, a duplicate of a signature or of an earlier line, or imported.
fn classify(
    parsed: &[ParsedRow],
    ignored_columns: Vec<String>,
    existing: &ExistingKeys,
) -> ImportReport {
    let mut by_email: HashMap<&str, u64> = HashMap::new();
    let mut by_name: HashMap<(&str, Option<&str>), u64> = HashMap::new();
    let mut report = ImportReport {
        ignored_columns,
        ..Default::default()
    };
    for row in parsed {
        let outcome = if !row.errors.is_empty() {
            Outcome::Invalid(row.errors.clone())
        } else if let Some(id) = row
            .email_key
            .as_deref()
            .and_then(|k| existing.by_email.get(k))
        {
            Outcome::Duplicate {
                of_signature: Some(*id),
                of_line: None,
            }
        } else if let Some(id) = existing
            .by_name
            .get(&(row.name_key.clone(), row.country.clone()))
        {
            Outcome::Duplicate {
                of_signature: Some(*id),
                of_line: None,
            }
        } else if let Some(line) = row.email_key.as_deref().and_then(|k| by_email.get(k)) {
            Outcome::Duplicate {
                of_signature: None,
                of_line: Some(*line),
            }
        } else if let Some(line) = by_name.get(&(row.name_key.as_str(), row.country.as_deref())) {
            Outcome::Duplicate {
                of_signature: None,
                of_line: Some(*line),
            }
        } else {
            if let Some(key) = row.email_key.as_deref() {
                by_email.insert(key, row.line);
            }
            by_name.insert((row.name_key.as_str(), row.country.as_deref()), row.line);
            Outcome::Imported
        };
        report.rows.push(RowReport {
            line: row.line,
            name: row.name.clone(),
            outcome,
            warnings: row.warnings.clone(),
        });
    }
    report
}

fn parse(
    keys: &Keys,
    letter: &letter::Model,
    csv_bytes: &[u8],
    max_rows: usize,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> AppResult<(Vec<ParsedRow>, Vec<String>)> {
    let text = csv_bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(csv_bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::invalid_field("file", format!("The first line must name the columns: {e}"))
        })?
        .clone();
    let columns: Vec<Option<&'static str>> = headers.iter().map(field_for_header).collect();
    if !columns.contains(&Some("name")) {
        return Err(AppError::invalid_field(
            "file",
            "No column holds the signatories' names: name one \"name\" or \"organization\".",
        ));
    }
    let ignored: Vec<String> = headers
        .iter()
        .zip(&columns)
        .filter(|(_, field)| field.is_none())
        .map(|(header, _)| header.to_owned())
        .collect();
    let now = Utc::now();
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text);
    for (index, record) in reader.records().enumerate() {
        if index >= max_rows {
            // Refused whole, before more rows are held in memory.
            return Err(too_many_rows(max_rows));
        }
        let fallback = index as u64 + 2;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(fallback, |p| lines.at(p.byte()));
                rows.push(unreadable(
                    line,
                    &format!("This line is not valid CSV: {err}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(fallback, |p| lines.at(p.byte()));
        let mut values: HashMap<&str, String> = HashMap::new();
        for (value, field) in record.iter().zip(&columns) {
            if let Some(field) = field {
                values.entry(field).or_insert_with(|| value.to_owned());
            }
        }
        rows.push(parse_row(keys, letter, line, values, now));
        if rows.len() % 1000 == 0 {
            progress(rows.len() as u64);
        }
    }
    progress(rows.len() as u64);
    Ok((rows, ignored))
}

fn too_many_rows(max_rows: usize) -> AppError {
    let message = format!(
        "The file has more than {max_rows} rows, the most one import takes. Split it and import the parts one after the other."
    );
    let mut fields = crate::domain::FieldErrors::default();
    fields.add("file", message.clone());
    AppError::Invalid { message, fields }
}

/// Line numbers from byte offsets, counted as a person counts them in an editor (the csv
/// crate's own count is one short for files with CRLF line ends, as spreadsheets write them).
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the byte at `byte`; offsets must not go backwards.
    fn at(&mut self, byte: u64) -> u64 {
        let mut target = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // After a CR, the csv crate starts the next record on the LF that ends the line.
        if self.text.get(target) == Some(&b'\n') {
            target += 1;
        }
        if target > self.offset {
            // A line ends with LF, CRLF, or a CR alone (as old Mac files and the csv crate have it).
            let text = self.text;
            self.line += (self.offset..target)
                .filter(|&i| {
                    text[i] == b'\n' || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n'))
                })
                .count() as u64;
            self.offset = target;
        }
        self.line
    }
}

fn unreadable(line: u64, message: &str) -> ParsedRow {
    ParsedRow {
        line,
        name: String::new(),
        row: None,
        contact: None,
        email_key: None,
        name_key: String::new(),
        country: None,
        errors: BTreeMap::from([("line".to_owned(), message.to_owned())]),
        warnings: Vec::new(),
    }
}

fn parse_row(
    keys: &Keys,
    letter: &letter::Model,
    line: u64,
    mut values: HashMap<&str, String>,
    now: chrono::DateTime<Utc>,
) -> ParsedRow {
    let mut warnings = Vec::new();
    let name = values.get("name").cloned().unwrap_or_default();
    country_as_code(&mut values, &mut warnings);
    let status = imported_status(values.get("status").map(String::as_str));
    let input = match read_input(values) {
        Ok(input) => input,
        Err(err) => return unreadable(line, &format!("This line could not be read: {err}")),
    };
    let mut errors = BTreeMap::new();
    let draft = input
        .parse(Intake::Vouched)
        .map_err(|field_errors| errors.extend(field_errors.into_map()))
        .ok();
    let status = status
        .map_err(|message| errors.insert("status".to_owned(), message))
        .ok();
    let (Some(draft), Some(status)) = (draft, status) else {
        return ParsedRow {
            line,
            name,
            row: None,
            contact: None,
            email_key: None,
            name_key: String::new(),
            country: None,
            errors,
            warnings,
        };
    };
    let mut row = imported_row(letter, status, now);
    write_public(&mut row, draft.kind, &draft.public);
    ParsedRow {
        line,
        email_key: draft.contact.as_ref().map(|c| keys.email_key(&c.email)),
        name_key: name_key(&draft.public.name),
        country: draft.public.country.clone(),
        name,
        row: Some(row),
        contact: draft.contact,
        errors,
        warnings,
    }
}

/// People write countries as names; the domain takes codes. Unrecognized text is kept out of
/// the country, with a warning, rather than refusing the whole row.
fn country_as_code(values: &mut HashMap<&str, String>, warnings: &mut Vec<String>) {
    let Some(written) = values
        .get("country")
        .cloned()
        .filter(|c| !c.trim().is_empty())
    else {
        return;
    };
    match code_for(&written) {
        Some(code) => {
            values.insert("country", code.to_owned());
        }
        None => {
            warnings.push(format!(
                "country: \"{written}\" is not a country we recognize; left empty"
            ));
            values.remove("country");
        }
    }
}

/// The status column: approved when empty, since an imported list is usually the signed one.
fn imported_status(written: Option<&str>) -> Result<SignatureStatus, String> {
    match written.map(|s| s.trim().to_lowercase()).as_deref() {
        None | Some("") | Some("approved") => Ok(SignatureStatus::Approved),
        Some("verified") => Ok(SignatureStatus::Verified),
        Some("pending_verification") | Some("pending") => Ok(SignatureStatus::PendingVerification),
        Some("rejected") => Ok(SignatureStatus::Rejected),
        Some("withdrawn") => Ok(SignatureStatus::Withdrawn),
        Some(other) => Err(format!(
            "\"{other}\" is not a status: use approved, verified, pending_verification, rejected or withdrawn."
        )),
    }
}

/// An imported signature's row before its public fields, with its dates set as its status implies.
fn imported_row(
    letter: &letter::Model,
    status: SignatureStatus,
    now: chrono::DateTime<Utc>,
) -> signature::ActiveModel {
    let decided = matches!(
        status,
        SignatureStatus::Approved | SignatureStatus::Rejected
    )
    .then_some(now);
    signature::ActiveModel {
        letter_id: Set(letter.id),
        consent: Set(true),
        status: Set(status),
        source: Set(SignatureSource::Import),
        language: Set(letter.language),
        letter_revision: Set(letter.revision),
        duplicate_of: Set(None),
        ip_hash: Set(None),
        user_agent_hash: Set(None),
        flags: Set("[]".into()),
        pending_changes: Set(None),
        emails_sent: Set(0),
        verification_note: Set(Some("Imported".into())),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        verified_at: Set(matches!(
            status,
            SignatureStatus::Approved | SignatureStatus::Verified
        )
        .then_some(now)),
        decided_at: Set(decided),
        withdrawn_at: Set((status == SignatureStatus::Withdrawn).then_some(now)),
        contact_erased_at: Set(None),
        // Unused columns must still be bound so that every row of a multi-row INSERT has the same shape.
        contact_name: Set(None),
        contact_title: Set(None),
        contact_email: Set(None),
        contact_phone: Set(None),
        comment: Set(None),
        contact_email_key: Set(None),
        ..Default::default()
    }
}

/// The signature fields of a row: the columns are named after them, so a row reads as the
/// form's post does. Rows are vouched for by staff, so consent is given.
fn read_input(values: HashMap<&str, String>) -> Result<SignatureInput, serde_json::Error> {
    let row = values
        .into_iter()
        .map(|(field, value)| (field.to_owned(), serde_json::Value::String(value)))
        .collect();
    let mut input: SignatureInput = serde_json::from_value(serde_json::Value::Object(row))?;
    input.kind = input.kind.map(|kind| kind.trim().to_lowercase());
    input.consent = true;
    Ok(input)
}

struct ExistingKeys {
    by_email: HashMap<String, i64>,
    by_name: HashMap<(String, Option<String>), i64>,
}

async fn existing_keys(db: &impl ConnectionTrait, letter_id: i64) -> AppResult<ExistingKeys> {
    use sea_orm::QuerySelect;
    let rows: Vec<(i64, Option<String>, String, Option<String>)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::Id)
        .column(signature::Column::ContactEmailKey)
        .column(signature::Column::NameKey)
        .column(signature::Column::Country)
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::DuplicateOf.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut keys = ExistingKeys {
        by_email: HashMap::new(),
        by_name: HashMap::new(),
    };
    for (id, email_key, name_key, country) in rows {
        if let Some(email_key) = email_key {
            keys.by_email.entry(email_key).or_insert(id);
        }
        keys.by_name.entry((name_key, country)).or_insert(id);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<u64> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut counter = LineCounter::new(text.as_bytes());
        reader
            .records()
            .map(|record| counter.at(record.unwrap().position().unwrap().byte()))
            .collect()
    }

    #[test]
    fn line_numbers_are_what_an_editor_shows() {
        assert_eq!(lines_of("a,b\r\n1,2\r\n3,4\r\n"), [2, 3]);
        assert_eq!(lines_of("a,b\n1,2\n3,4\n"), [2, 3]);
        assert_eq!(lines_of("a,b\n1,\"x\ny\"\n3,4\n"), [2, 4]);
        assert_eq!(lines_of("a,b\r1,2\r3,4\r"), [2, 3]);
    }

    #[test]
    fn a_row_reads_every_signature_field_by_its_column() {
        let row = HashMap::from([
            ("kind", " Individual ".to_owned()),
            ("name", "Ana Ruiz".to_owned()),
            ("affiliation", "UNAM".to_owned()),
            ("contact_email", "ana@example.org".to_owned()),
            ("status", "approved".to_owned()),
        ]);
        let input = read_input(row).unwrap();
        assert_eq!(input.kind.as_deref(), Some("individual"));
        assert_eq!(input.public.name.as_deref(), Some("Ana Ruiz"));
        assert_eq!(input.public.affiliation.as_deref(), Some("UNAM"));
        assert_eq!(
            input.contact.contact_email.as_deref(),
            Some("ana@example.org")
        );
        assert!(input.consent, "staff vouch for imported rows");
    }

    #[test]
    fn spreadsheet_headers_map_to_fields() {
        assert_eq!(field_for_header("Organization Name"), Some("name"));
        assert_eq!(
            field_for_header("\u{feff}EMAIL ADDRESS"),
            Some("contact_email")
        );
        assert_eq!(field_for_header("contact_email"), Some("contact_email"));
        assert_eq!(field_for_header("País"), Some("country"));
        assert_eq!(field_for_header("number"), None);
    }
}

#[cfg(test)]
mod properties {
    use entity::{Language, LetterStatus, ListOrder, Moderation, Paper};
    use proptest::prelude::*;

    use super::*;
    use crate::service::keys::generate_data_key;

    fn letter() -> letter::Model {
        letter::Model {
            id: 1,
            slug: "hostile".into(),
            title: "A letter".into(),
            body: "We ask.".into(),
            addressees: String::new(),
            language: Language::En,
            deadline: None,
            moderation: Moderation::Auto,
            accept_individuals: true,
            list_order: ListOrder::Alphabetical,
            paper: Paper::Letter,
            lead_signatories: "[]".into(),
            retention_days: 90,
            translations: "{}".into(),
            status: LetterStatus::Open,
            revision: 1,
            created_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            delivered_at: None,
            closed_at: None,
            invitation_reminder_days_before_deadline: None,
            confirmation_reminder_days: None,
            list_version: 0,
            addressee_emails: "[]".into(),
            cover_note: String::new(),
            embed_origins: "[]".into(),
        }
    }

    fn keys() -> Keys {
        Keys::new("secret", &[generate_data_key()]).unwrap()
    }

    /// Reads a file the way an import does, up to each row's outcome.
    fn read(keys: &Keys, file: &[u8]) -> AppResult<(Vec<ParsedRow>, ImportReport)> {
        let (parsed, ignored) = parse(keys, &letter(), file, 1000, &|_| {})?;
        let existing = ExistingKeys {
            by_email: HashMap::new(),
            by_name: HashMap::new(),
        };
        let report = classify(&parsed, ignored, &existing);
        Ok((parsed, report))
    }

    /// A cell: ordinary text, or the characters that break CSV and the field checks.
    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9 ]{0,12}",
            "[A-Za-z]{1,8}@[a-z]{1,8}\\.(org|mx)",
            "(MX|US|Mexico|México|Narnia|)",
            "(individual|organization|approved|pending_verification|)",
            any::<String>(),
            "[\",\r\n\u{feff}\u{0}\t'=+@-]{0,6}",
        ]
    }

    /// A file with a known header and `rows` of hostile cells, some rows short or long.
    fn file() -> impl Strategy<Value = (Vec<u8>, usize)> {
        let header = prop::sample::subsequence(
            vec![
                "kind",
                "contact_email",
                "country",
                "city",
                "website",
                "status",
                "comment",
                "Email Address",
                "???",
            ],
            0..6,
        );
        let rows = prop::collection::vec(prop::collection::vec(cell(), 0..8), 0..12);
        (header, rows).prop_map(|(header, rows)| {
            let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
            let mut columns = vec!["name"];
            columns.extend(header);
            writer.write_record(&columns).unwrap();
            let mut written = 0;
            for row in &rows {
                // The csv crate skips empty lines; a row of one empty cell is one.
                if row.is_empty() || (row.len() == 1 && row[0].is_empty()) {
                    continue;
                }
                writer.write_record(row).unwrap();
                written += 1;
            }
            (writer.into_inner().unwrap(), written)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic_and_every_row_is_reported(
            bytes in prop::collection::vec(any::<u8>(), 0..400)
        ) {
            let keys = keys();
            let mut with_header = b"name,contact_email,country\n".to_vec();
            with_header.extend(&bytes);
            for file in [bytes, with_header] {
                if let Ok((parsed, report)) = read(&keys, &file) {
                    prop_assert_eq!(report.rows.len(), parsed.len());
                    let lines: Vec<u64> = report.rows.iter().map(|r| r.line).collect();
                    prop_assert!(lines.windows(2).all(|w| w[0] < w[1]), "lines {:?}", lines);
                    prop_assert!(lines.iter().all(|line| *line >= 2));
                }
            }
        }

        #[test]
        fn hostile_rows_get_one_report_each_and_never_panic((file, rows) in file()) {
            let (_, report) = read(&keys(), &file).expect("a file with a name column reads");
            prop_assert_eq!(report.rows.len(), rows);
            prop_assert_eq!(
                report.imported() + report.duplicates() + report.invalid(),
                rows
            );
            for row in &report.rows {
                if let Outcome::Invalid(errors) = &row.outcome {
                    prop_assert!(!errors.is_empty());
                }
            }
        }
    }
}
