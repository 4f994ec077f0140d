//! The final letter as files: the PDF and the CSV exports, and the frozen copies of a delivered
//! letter, which are returned byte for byte whatever changes afterwards.

use chrono::Utc;
use entity::{Language, LetterStatus, Role, letter, letter_snapshot, signature};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};

use super::accounts::Staff;
use super::keys::Keys;
use super::letters::text_in;
use super::signatures::{approved, signatory};
use super::signing::public_of;
use super::{access, contact};
use crate::domain::{ContactFields, LeadSignatories, Translations};
use crate::error::{AppError, AppResult};
use crate::export::{LetterDocument, order_signatories};
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
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// The bytes.
    pub content: Vec<u8>,
    /// `application/pdf` or `text/csv; charset=utf-8`.
    pub content_type: &'static str,
    /// A file name for the download.
    pub file_name: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Whether these are the frozen bytes of the delivered letter.
    pub frozen: bool,
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
    use sea_orm::QuerySelect;
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
        return Ok(file(letter, kind, language, frozen.content, true));
    }
    let content = match kind {
        ExportKind::StaffCsv => {
            let keys = keys.ok_or_else(|| anyhow::anyhow!("the staff CSV needs the keys"))?;
            staff_csv(db, keys, letter).await?
        }
        ExportKind::Pdf | ExportKind::PublicCsv => render(db, letter, kind, language).await?,
    };
    Ok(file(letter, kind, language, content, false))
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
    content: Vec<u8>,
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
        sha256: hex::encode(Sha256::digest(&content)),
        content,
        content_type,
        file_name,
        frozen,
    }
}

/// Every signature with its state and contact details, decrypted for staff.
async fn staff_csv(
    db: &impl ConnectionTrait,
    keys: &Keys,
    letter: &letter::Model,
) -> AppResult<Vec<u8>> {
    let rows = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .order_by_asc(signature::Column::Id)
        .all(db)
        .await?;
    let staff_rows = rows
        .iter()
        .map(|row| staff_row(keys, row))
        .collect::<AppResult<Vec<_>>>()?;
    csv::staff(&staff_rows).map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

/// Produces a public export (the PDF or the public CSV) from the letter as it is now.
async fn render(
    db: &impl ConnectionTrait,
    letter: &letter::Model,
    kind: ExportKind,
    language: Language,
) -> AppResult<Vec<u8>> {
    let rows = approved(db, letter.id).await?;
    let ordered = || {
        order_signatories(
            rows.iter().map(signatory).collect(),
            letter.list_order,
            LeadSignatories::from_json(&letter.lead_signatories).names(),
            language,
        )
    };
    let bytes = match kind {
        ExportKind::Pdf => {
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
            let ordered = ordered();
            let order = letter.list_order;
            // Laying out hundreds of names takes a moment: keep it off the async workers.
            tokio::task::spawn_blocking(move || pdf::render(&document, &ordered, order))
                .await
                .map_err(|e| anyhow::anyhow!("the PDF task failed: {e}"))?
        }
        ExportKind::PublicCsv => csv::public(&ordered(), language),
        ExportKind::StaffCsv => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the staff CSV is made with the keys, by staff_csv"
            )));
        }
    };
    bytes.map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

fn staff_row(keys: &Keys, row: &signature::Model) -> AppResult<csv::StaffRow> {
    let time = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.to_rfc3339());
    Ok(csv::StaffRow {
        id: row.id,
        status: row.status.to_value(),
        source: row.source.to_value(),
        kind: row.kind.to_value(),
        public: public_of(row),
        contact: contact::load(keys, row)?
            .as_ref()
            .map(ContactFields::from)
            .unwrap_or_default(),
        consent: row.consent,
        created_at: row.created_at.to_rfc3339(),
        verified_at: time(row.verified_at),
        decided_at: time(row.decided_at),
        verification_note: row.verification_note.clone(),
        decision_reason: row.decision_reason.clone(),
        duplicate_of: row.duplicate_of,
        flags: row.flags.clone(),
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
