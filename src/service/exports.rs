//! The final letter as files: the PDF and the CSV exports, and the frozen copies of a delivered
//! letter, which are returned byte for byte whatever changes afterwards.

use std::collections::HashMap;

use chrono::Utc;

use entity::{
    Language, LetterStatus, ListOrder, Role, SignatureKind, SignatureSource, SignatureStatus,
    letter, letter_snapshot, signature,
};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use super::accounts::Staff;
use super::keys::Keys;
use super::letters::text_in;
use super::{access, contact};
use crate::domain::{ContactFields, LeadSignatories, PublicDetails, Translations};
use crate::error::{AppError, AppResult};
use crate::export::{LetterDocument, Signatory, order_signatories};
use crate::export::{csv, pdf};

/// Which export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The letter with its approved signatories, fit to deliver.
    Pdf,
    /// The approved signatories, public fields only.
    PublicCsv,
    /// Every signature with its state and contact details, for staff.
    StaffCsv,
}

impl ExportKind {
    fn snapshot_format(self) -> Option<&'static str> {
        match self {
            Self::Pdf => Some("pdf"),
            Self::PublicCsv => Some("csv"),
            // Staff exports hold contact data, which is erased after delivery: never frozen.
            Self::StaffCsv => None,
        }
    }
}

/// An export, ready to send.
#[derive(Debug)]
pub struct ExportFile {
    /// The content.
    pub body: ExportBody,
    /// `application/pdf` or `text/csv; charset=utf-8`.
    pub content_type: &'static str,
    /// A file name for the download.
    pub file_name: String,
    /// Whether these are the frozen bytes of the delivered letter.
    pub frozen: bool,
}

/// What an export is made of.
pub enum ExportBody {
    /// Made whole before it is sent: the PDF (whose file identifier is a digest of the whole
    /// file) and the copies frozen at delivery.
    Whole {
        /// The bytes.
        content: Vec<u8>,
        /// Hex SHA-256 of the bytes.
        sha256: String,
    },
    /// A CSV made a page of rows at a time while it is sent, so that it is never whole in
    /// memory; dropping the stream stops the work.
    Streamed(BoxStream<'static, AppResult<Vec<u8>>>),
}

impl std::fmt::Debug for ExportBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Whole { content, sha256 } => f
                .debug_struct("Whole")
                .field("bytes", &content.len())
                .field("sha256", sha256)
                .finish(),
            Self::Streamed(_) => f.write_str("Streamed"),
        }
    }
}

impl ExportBody {
    fn whole(content: Vec<u8>) -> Self {
        Self::Whole {
            sha256: hex::encode(Sha256::digest(&content)),
            content,
        }
    }
}

impl ExportKind {
    /// The lowest role that may download this export: viewers may export the public files;
    /// the staff CSV holds contact data, so it needs the role that sees contacts.
    pub fn needed_role(self) -> Role {
        match self {
            Self::StaffCsv => access::SEES_CONTACTS,
            Self::Pdf | Self::PublicCsv => Role::Viewer,
        }
    }
}

/// An export for a staff member whose role allows it (see [`ExportKind::needed_role`]).
pub async fn for_staff(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    kind: ExportKind,
    language: Option<Language>,
) -> AppResult<ExportFile> {
    let letter = access::letter_for(db, staff, letter_id, kind.needed_role()).await?;
    export(db, Some(keys), &letter, kind, language).await
}

/// A file frozen when the letter was delivered.
#[derive(Debug, Clone)]
pub struct FrozenCopy {
    /// The PDF or the public CSV.
    pub kind: ExportKind,
    /// Its language.
    pub language: Language,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// When it was frozen.
    pub frozen_at: chrono::DateTime<Utc>,
}

/// What a staff member may download of a letter.
#[derive(Debug, Clone)]
pub struct ExportChoices {
    /// The letter.
    pub letter: letter::Model,
    /// The languages it has text in, its own first.
    pub languages: Vec<Language>,
    /// The exports the staff member's role allows.
    pub kinds: Vec<ExportKind>,
    /// For a delivered letter, the files frozen at delivery (which its downloads return).
    pub frozen: Vec<FrozenCopy>,
}

/// The exports of a letter a staff member may download, for any member who may read it.
pub async fn choices(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
) -> AppResult<ExportChoices> {
    let (letter, role) = access::letter_and_role(db, staff, letter_id, Role::Viewer).await?;
    let mut languages = vec![letter.language];
    languages.extend(
        Translations::from_json(&letter.translations)
            .entries()
            .keys()
            .filter(|language| **language != letter.language),
    );
    let kinds = [ExportKind::Pdf, ExportKind::PublicCsv, ExportKind::StaffCsv]
        .into_iter()
        .filter(|kind| role >= kind.needed_role())
        .collect();
    // The frozen bytes themselves are only read when downloaded.
    let rows: Vec<(String, String, String, chrono::DateTime<Utc>)> =
        letter_snapshot::Entity::find()
            .select_only()
            .column(letter_snapshot::Column::Format)
            .column(letter_snapshot::Column::Language)
            .column(letter_snapshot::Column::Sha256)
            .column(letter_snapshot::Column::CreatedAt)
            .filter(letter_snapshot::Column::LetterId.eq(letter.id))
            .order_by_asc(letter_snapshot::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
    let frozen = rows
        .into_iter()
        .filter_map(|(format, language, sha256, frozen_at)| {
            let kind = [ExportKind::Pdf, ExportKind::PublicCsv]
                .into_iter()
                .find(|kind| kind.snapshot_format() == Some(format.as_str()))?;
            Some(FrozenCopy {
                kind,
                language: crate::i18n::parse_code(&language)?,
                sha256,
                frozen_at,
            })
        })
        .collect();
    Ok(ExportChoices {
        letter,
        languages,
        kinds,
        frozen,
    })
}

/// An export of a letter by slug, for the command line (which is trusted like the database).
/// Only the staff CSV needs the keys.
pub async fn by_slug(
    db: &DatabaseConnection,
    keys: Option<&Keys>,
    slug: &str,
    kind: ExportKind,
    language: Option<Language>,
) -> AppResult<ExportFile> {
    let letter = super::letters::find_by_slug(db, slug).await?;
    export(db, keys, &letter, kind, language).await
}

async fn export(
    db: &DatabaseConnection,
    keys: Option<&Keys>,
    letter: &letter::Model,
    kind: ExportKind,
    language: Option<Language>,
) -> AppResult<ExportFile> {
    let language = language.unwrap_or(letter.language);
    check_language(letter, language)?;
    if letter.status == LetterStatus::Delivered
        && let Some(format) = kind.snapshot_format()
        && let Some(frozen) = letter_snapshot::Entity::find()
            .filter(letter_snapshot::Column::LetterId.eq(letter.id))
            .filter(letter_snapshot::Column::Format.eq(format))
            .filter(letter_snapshot::Column::Language.eq(crate::i18n::code(language)))
            .one(db)
            .await?
    {
        // Stored bytes, served as they are.
        let body = ExportBody::Whole {
            content: frozen.content,
            sha256: frozen.sha256,
        };
        return Ok(file(letter, kind, language, body, true));
    }
    let body = match kind {
        ExportKind::Pdf => ExportBody::whole(pdf(db, letter, language).await?),
        ExportKind::PublicCsv => {
            let ids = ordered_ids(db, letter, language).await?;
            streamed(db, CsvPages::public(letter.id, ids, language)?).await?
        }
        ExportKind::StaffCsv => {
            let keys = keys.ok_or_else(|| anyhow::anyhow!("the staff CSV needs the keys"))?;
            let partners = super::partners::codes(db, letter.id).await?;
            streamed(db, CsvPages::staff(db, letter.id, keys.clone(), partners)?).await?
        }
    };
    Ok(file(letter, kind, language, body, false))
}

fn check_language(letter: &letter::Model, language: Language) -> AppResult<()> {
    if language != letter.language
        && !Translations::from_json(&letter.translations)
            .entries()
            .contains_key(&language)
    {
        return Err(AppError::invalid_field(
            "lang",
            "This letter has no text in that language.",
        ));
    }
    Ok(())
}

fn file(
    letter: &letter::Model,
    kind: ExportKind,
    language: Language,
    body: ExportBody,
    frozen: bool,
) -> ExportFile {
    let lang = crate::i18n::code(language);
    let (content_type, file_name) = match kind {
        ExportKind::Pdf => ("application/pdf", format!("{}-{lang}.pdf", letter.slug)),
        ExportKind::PublicCsv => (
            "text/csv; charset=utf-8",
            format!("{}-signatories-{lang}.csv", letter.slug),
        ),
        ExportKind::StaffCsv => (
            "text/csv; charset=utf-8",
            format!("{}-staff.csv", letter.slug),
        ),
    };
    ExportFile {
        body,
        content_type,
        file_name,
        frozen,
    }
}

/// Rows read per query while a CSV is made: enough that the queries cost little, few enough
/// that a page of them is a small part of the memory an export may use.
const PAGE: usize = 1000;

/// The rows a CSV is made of, and how far it has got.
enum Rows {
    /// The approved signatories, in the list's order; `ids` are those still to write.
    Public {
        ids: std::vec::IntoIter<i64>,
        language: Language,
    },
    /// Every signature of the letter, by id, with its contact decrypted; `partners` names the
    /// letter's partners by id.
    Staff {
        keys: Keys,
        pages: StaffPages,
        partners: HashMap<i64, String>,
    },
}

/// A CSV export being written a page of rows at a time.
struct CsvPages {
    letter_id: i64,
    rows: Rows,
    writer: csv::Writer,
    done: bool,
}

impl CsvPages {
    /// The public list of the signatories `ids`, in that order.
    fn public(letter_id: i64, ids: Vec<i64>, language: Language) -> AppResult<Self> {
        let rows = Rows::Public {
            ids: ids.into_iter(),
            language,
        };
        Self::new(letter_id, rows, &csv::PUBLIC_HEADER)
    }

    /// The staff table of every signature of the letter, `partners` naming its partners.
    fn staff(
        db: &DatabaseConnection,
        letter_id: i64,
        keys: Keys,
        partners: HashMap<i64, String>,
    ) -> AppResult<Self> {
        let pages = StaffPages {
            db: db.clone(),
            letter_id,
            ahead: None,
        };
        let rows = Rows::Staff {
            keys,
            pages,
            partners,
        };
        Self::new(letter_id, rows, &csv::STAFF_HEADER)
    }

    fn new(letter_id: i64, rows: Rows, header: &[&str]) -> AppResult<Self> {
        Ok(Self {
            letter_id,
            rows,
            writer: csv::Writer::new(header).map_err(internal)?,
            done: false,
        })
    }

    /// The next piece of the file, the header in the first; `None` once the file is whole.
    async fn next(&mut self, db: &impl ConnectionTrait) -> AppResult<Option<Vec<u8>>> {
        while !self.done {
            self.done = !self.write_page(db).await?;
            let bytes = self.writer.take().map_err(internal)?;
            if !bytes.is_empty() {
                return Ok(Some(bytes));
            }
        }
        Ok(None)
    }

    /// Writes the next page of rows; whether more may follow.
    async fn write_page(&mut self, db: &impl ConnectionTrait) -> AppResult<bool> {
        match &mut self.rows {
            Rows::Public { ids, language } => {
                let page: Vec<i64> = ids.by_ref().take(PAGE).collect();
                let mut found: HashMap<i64, Signatory> =
                    public_signatories(db, self.letter_id, Some(&page))
                        .await?
                        .into_iter()
                        .map(|signatory| (signatory.id, signatory))
                        .collect();
                // A signatory withdrawn since the list was ordered is left out.
                for signatory in page.iter().filter_map(|id| found.remove(id)) {
                    self.writer
                        .public_row(&signatory, *language)
                        .map_err(internal)?;
                }
                Ok(page.len() == PAGE)
            }
            Rows::Staff {
                keys,
                pages,
                partners,
            } => {
                let rows = pages.next().await?;
                let count = rows.len();
                for row in rows {
                    self.writer
                        .staff_row(&staff_row(keys, partners, row)?)
                        .map_err(internal)?;
                }
                Ok(count == PAGE)
            }
        }
    }

    /// The whole file, for a copy to keep.
    async fn collect(mut self, db: &impl ConnectionTrait) -> AppResult<Vec<u8>> {
        let mut content = Vec::new();
        while let Some(bytes) = self.next(db).await? {
            content.extend_from_slice(&bytes);
        }
        Ok(content)
    }
}

/// The staff table's rows, a page at a time by id. The next page is read while the current one
/// is decrypted and written, so that the database's work and ours share the cores.
struct StaffPages {
    db: DatabaseConnection,
    letter_id: i64,
    /// The page after the one last returned, being read.
    ahead: Option<tokio::task::JoinHandle<AppResult<Vec<StaffColumns>>>>,
}

impl StaffPages {
    /// The next page (empty at the end), once it is read; starts reading the one after it.
    async fn next(&mut self) -> AppResult<Vec<StaffColumns>> {
        let rows = match self.ahead.take() {
            Some(reading) => reading
                .await
                .map_err(|e| anyhow::anyhow!("reading a page of the staff table failed: {e}"))??,
            None => staff_page(self.db.clone(), self.letter_id, 0).await?,
        };
        if rows.len() == PAGE
            && let Some(last) = rows.last()
        {
            let reading = staff_page(self.db.clone(), self.letter_id, last.id);
            self.ahead = Some(tokio::spawn(reading));
        }
        Ok(rows)
    }
}

impl Drop for StaffPages {
    /// A download stopped halfway reads no further.
    fn drop(&mut self) {
        if let Some(reading) = &self.ahead {
            reading.abort();
        }
    }
}

/// The columns of the staff table, for the signatures of a letter after the id `after`.
async fn staff_page(
    db: DatabaseConnection,
    letter_id: i64,
    after: i64,
) -> AppResult<Vec<StaffColumns>> {
    use signature::Column as C;
    Ok(signature::Entity::find()
        .select_only()
        .columns(STAFF_COLUMNS)
        .filter(C::LetterId.eq(letter_id))
        .filter(C::Id.gt(after))
        .order_by_asc(C::Id)
        .limit(PAGE as u64)
        .into_model::<StaffColumns>()
        .all(&db)
        .await?)
}

/// What the staff table reads of a signature: [`StaffColumns`]' fields, and nothing of the
/// hashes, search keys or pending changes a whole row would bring along.
const STAFF_COLUMNS: [signature::Column; 25] = {
    use signature::Column as C;
    [
        C::Id,
        C::Status,
        C::Source,
        C::Kind,
        C::Name,
        C::Affiliation,
        C::OrgType,
        C::City,
        C::Region,
        C::Country,
        C::Website,
        C::ContactName,
        C::ContactTitle,
        C::ContactEmail,
        C::ContactPhone,
        C::Comment,
        C::Consent,
        C::CreatedAt,
        C::VerifiedAt,
        C::DecidedAt,
        C::VerificationNote,
        C::DecisionReason,
        C::DuplicateOf,
        C::Flags,
        C::PartnerId,
    ]
};

/// A signature's columns of the staff table, its contact still sealed.
#[derive(FromQueryResult)]
struct StaffColumns {
    id: i64,
    status: SignatureStatus,
    source: SignatureSource,
    kind: SignatureKind,
    name: String,
    affiliation: Option<String>,
    org_type: Option<String>,
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
    website: Option<String>,
    contact_name: Option<String>,
    contact_title: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    comment: Option<String>,
    consent: bool,
    created_at: chrono::DateTime<Utc>,
    verified_at: Option<chrono::DateTime<Utc>>,
    decided_at: Option<chrono::DateTime<Utc>>,
    verification_note: Option<String>,
    decision_reason: Option<String>,
    duplicate_of: Option<i64>,
    flags: String,
    partner_id: Option<i64>,
}

/// The CSV as a stream that reads its pages as it is sent. The first piece is made before it
/// returns, so that a failure to start is answered as an error rather than a cut-off file.
async fn streamed(db: &DatabaseConnection, mut pages: CsvPages) -> AppResult<ExportBody> {
    let first = pages.next(db).await?;
    let rest = futures_util::stream::try_unfold((db.clone(), pages), |(db, mut pages)| async {
        let next = pages.next(&db).await?;
        Ok(next.map(|bytes| (bytes, (db, pages))))
    });
    let stream = futures_util::stream::iter(first.map(Ok)).chain(rest);
    Ok(ExportBody::Streamed(stream.boxed()))
}

fn internal(error: crate::export::ExportError) -> AppError {
    AppError::Internal(anyhow::Error::new(error))
}

/// The public columns of a letter's approved signatures (of those among `ids`, when given):
/// what the list shows, and never the contact columns.
async fn public_signatories(
    db: &impl ConnectionTrait,
    letter_id: i64,
    ids: Option<&[i64]>,
) -> AppResult<Vec<Signatory>> {
    use signature::Column as C;
    let mut query = signature::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::Kind,
            C::Name,
            C::Affiliation,
            C::OrgType,
            C::City,
            C::Region,
            C::Country,
            C::Website,
        ])
        .filter(C::LetterId.eq(letter_id))
        .filter(C::Status.eq(SignatureStatus::Approved));
    if let Some(ids) = ids {
        query = query.filter(C::Id.is_in(ids.iter().copied()));
    }
    let rows = query.into_model::<PublicColumns>().all(db).await?;
    Ok(rows
        .into_iter()
        .map(PublicColumns::into_signatory)
        .collect())
}

/// A signature's public columns, read without the rest of the row.
#[derive(FromQueryResult)]
struct PublicColumns {
    id: i64,
    kind: SignatureKind,
    name: String,
    affiliation: Option<String>,
    org_type: Option<String>,
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
    website: Option<String>,
}

impl PublicColumns {
    fn into_signatory(self) -> Signatory {
        Signatory {
            id: self.id,
            kind: self.kind,
            public: PublicDetails {
                name: self.name,
                affiliation: self.affiliation,
                org_type: self.org_type,
                city: self.city,
                region: self.region,
                country: self.country,
                website: self.website,
            },
        }
    }
}

/// The approved signatories of a letter, in the list's order.
async fn ordered_signatories(
    db: &impl ConnectionTrait,
    letter: &letter::Model,
    language: Language,
) -> AppResult<Vec<Signatory>> {
    Ok(order_signatories(
        public_signatories(db, letter.id, None).await?,
        letter.list_order,
        LeadSignatories::from_json(&letter.lead_signatories).names(),
        language,
    ))
}

/// The ids of the approved signatories in the list's order. Only what the order depends on is
/// read (the name, the kind, and the country or type a grouped list sorts by), so ordering a
/// long list holds a small key per signatory rather than whole rows.
async fn ordered_ids(
    db: &impl ConnectionTrait,
    letter: &letter::Model,
    language: Language,
) -> AppResult<Vec<i64>> {
    use signature::Column as C;
    let rows: Vec<(i64, SignatureKind, String, Option<String>)> = signature::Entity::find()
        .select_only()
        .columns([C::Id, C::Kind, C::Name])
        .column(match letter.list_order {
            ListOrder::OrgType => C::OrgType,
            ListOrder::Alphabetical | ListOrder::Country => C::Country,
        })
        .filter(C::LetterId.eq(letter.id))
        .filter(C::Status.eq(SignatureStatus::Approved))
        .into_tuple()
        .all(db)
        .await?;
    let keys = rows
        .into_iter()
        .map(|(id, kind, name, group)| {
            let mut public = PublicDetails {
                name,
                ..Default::default()
            };
            match letter.list_order {
                ListOrder::OrgType => public.org_type = group,
                ListOrder::Alphabetical | ListOrder::Country => public.country = group,
            }
            Signatory { id, kind, public }
        })
        .collect();
    let ordered = order_signatories(
        keys,
        letter.list_order,
        LeadSignatories::from_json(&letter.lead_signatories).names(),
        language,
    );
    Ok(ordered.into_iter().map(|signatory| signatory.id).collect())
}

/// The letter with its approved signatories as a PDF.
async fn pdf(
    db: &impl ConnectionTrait,
    letter: &letter::Model,
    language: Language,
) -> AppResult<Vec<u8>> {
    let ordered = ordered_signatories(db, letter, language).await?;
    let text = text_in(letter, language);
    let coordinators = super::letters::coordinator_names(db, letter.id).await?;
    let date = letter.delivered_at.unwrap_or_else(Utc::now).date_naive();
    let document = LetterDocument {
        title: text.title,
        addressees: text.addressees,
        body_markdown: text.body,
        language,
        date,
        lead_organizations: coordinators,
        paper: letter.paper,
    };
    let order = letter.list_order;
    // Laying out thousands of names takes a moment: keep it off the async workers.
    tokio::task::spawn_blocking(move || pdf::render(&document, &ordered, order))
        .await
        .map_err(|e| anyhow::anyhow!("the PDF task failed: {e}"))?
        .map_err(internal)
}

/// A public export (the PDF or the public CSV) from the letter as it is now, whole.
async fn render(
    db: &impl ConnectionTrait,
    letter: &letter::Model,
    kind: ExportKind,
    language: Language,
) -> AppResult<Vec<u8>> {
    match kind {
        ExportKind::Pdf => pdf(db, letter, language).await,
        ExportKind::PublicCsv => {
            let ids = ordered_ids(db, letter, language).await?;
            CsvPages::public(letter.id, ids, language)?
                .collect(db)
                .await
        }
        ExportKind::StaffCsv => Err(AppError::Internal(anyhow::anyhow!(
            "the staff CSV holds contact data and is never kept"
        ))),
    }
}

/// A signature as the staff table shows it, its contact decrypted, its partner named by code;
/// its text is moved, not copied.
fn staff_row(
    keys: &Keys,
    partners: &HashMap<i64, String>,
    row: StaffColumns,
) -> AppResult<csv::StaffRow> {
    let time = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.to_rfc3339());
    let sealed = contact::Sealed {
        contact_name: row.contact_name.as_deref(),
        contact_title: row.contact_title.as_deref(),
        contact_email: row.contact_email.as_deref(),
        contact_phone: row.contact_phone.as_deref(),
        comment: row.comment.as_deref(),
    };
    let contact = contact::open_sealed(keys, row.id, &sealed)?
        .map(ContactFields::from)
        .unwrap_or_default();
    Ok(csv::StaffRow {
        id: row.id,
        status: row.status.to_value(),
        source: row.source.to_value(),
        kind: row.kind.to_value(),
        contact,
        consent: row.consent,
        created_at: row.created_at.to_rfc3339(),
        verified_at: time(row.verified_at),
        decided_at: time(row.decided_at),
        duplicate_of: row.duplicate_of,
        public: PublicDetails {
            name: row.name,
            affiliation: row.affiliation,
            org_type: row.org_type,
            city: row.city,
            region: row.region,
            country: row.country,
            website: row.website,
        },
        verification_note: row.verification_note,
        decision_reason: row.decision_reason,
        flags: row.flags,
        partner: row.partner_id.and_then(|id| partners.get(&id).cloned()),
    })
}

/// A delivered letter's frozen PDF, as anyone may read it.
#[derive(Debug)]
pub struct PublicPdf {
    /// The bytes frozen at delivery.
    pub content: Vec<u8>,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// A file name for the download.
    pub file_name: String,
}

/// The PDF frozen when the letter `slug` was delivered, in `language` when the letter has it,
/// else in its own; not found for a letter that is not delivered.
pub async fn public_pdf(
    db: &DatabaseConnection,
    slug: &str,
    language: Option<Language>,
) -> AppResult<PublicPdf> {
    let letter = super::letters::published(db, slug).await?;
    if letter.status != LetterStatus::Delivered {
        return Err(AppError::not_found(
            "This letter has not been delivered yet.",
        ));
    }
    let language = text_in(&letter, language.unwrap_or(letter.language)).language;
    let frozen = letter_snapshot::Entity::find()
        .filter(letter_snapshot::Column::LetterId.eq(letter.id))
        .filter(letter_snapshot::Column::Format.eq("pdf"))
        .filter(letter_snapshot::Column::Language.eq(crate::i18n::code(language)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("This letter has no delivered PDF."))?;
    Ok(PublicPdf {
        content: frozen.content,
        sha256: frozen.sha256,
        file_name: format!("{}-{}.pdf", letter.slug, crate::i18n::code(language)),
    })
}

/// Freezes a letter's exports at delivery, in the delivering transaction: the PDF and the
/// public CSV in the letter's language and in each translation.
pub async fn freeze(db: &impl ConnectionTrait, letter: &letter::Model) -> AppResult<()> {
    let mut languages = vec![letter.language];
    languages.extend(
        Translations::from_json(&letter.translations)
            .entries()
            .keys()
            .copied(),
    );
    for language in languages {
        for kind in [ExportKind::Pdf, ExportKind::PublicCsv] {
            let content = render(db, letter, kind, language).await?;
            letter_snapshot::ActiveModel {
                letter_id: Set(letter.id),
                format: Set(kind
                    .snapshot_format()
                    .expect("frozen kinds have a format")
                    .to_owned()),
                language: Set(crate::i18n::code(language).to_owned()),
                sha256: Set(hex::encode(Sha256::digest(&content))),
                content: Set(content),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
