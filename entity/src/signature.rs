//! One endorsement of one letter.

use crate::{Language, SignatureKind, SignatureSource, SignatureStatus};
use sea_orm::entity::prelude::*;

/// A signature: a public part (name, place, type) and a private part (the contact person).
///
/// The contact columns are personal data: read and write them only through the signon
/// crate's contact module, never directly.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub letter_id: i64,
    pub kind: SignatureKind,
    pub name: String,
    pub affiliation: Option<String>,
    pub org_type: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub contact_name: Option<String>,
    pub contact_title: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub comment: Option<String>,
    /// Keyed hash of the canonical contact email: the same-signer lookup.
    pub contact_email_key: Option<String>,
    /// Normalized name for duplicate detection.
    pub name_key: String,
    pub consent: bool,
    pub status: SignatureStatus,
    pub source: SignatureSource,
    pub language: Language,
    pub letter_revision: i32,
    pub duplicate_of: Option<i64>,
    pub ip_hash: Option<String>,
    pub user_agent_hash: Option<String>,
    /// A JSON array of abuse and verification flags.
    pub flags: String,
    /// Public fields re-submitted for an already confirmed signature, as JSON, applied when
    /// the signer confirms through the emailed link (under manual moderation, when staff
    /// approve them).
    pub pending_changes: Option<String>,
    /// When the signer confirmed the pending changes of an approved entry that waits for staff.
    pub changes_confirmed_at: Option<DateTimeUtc>,
    pub emails_sent: i32,
    pub verification_note: Option<String>,
    pub decision_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub contact_erased_at: Option<DateTimeUtc>,
    /// The partner whose link brought the signature (`?ref=CODE`), if any.
    pub partner_id: Option<i64>,
    #[sea_orm(belongs_to, from = "letter_id", to = "id")]
    pub letter: BelongsTo<super::letter::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
