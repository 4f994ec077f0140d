//! Personal invitations to sign a letter.

use crate::Language;
use sea_orm::entity::prelude::*;

/// One invitee of one letter. The contact name and email are sealed (see the signon crate's
/// `service::contact`); only the SHA-256 of the link's token is stored.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub letter_id: i64,
    pub organization: String,
    /// Personal data, sealed.
    pub contact_name: String,
    /// Personal data, sealed.
    pub contact_email: String,
    /// Keyed hash of the canonical address: lookups and the one-invitation-per-address rule.
    pub contact_email_key: String,
    pub language: Language,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The signature made through the link.
    pub signature_id: Option<i64>,
    /// The invitation email in the outbox.
    pub outbox_id: Option<i64>,
    pub created_by: Option<i64>,
    pub sent_at: DateTimeUtc,
    pub opened_at: Option<DateTimeUtc>,
    pub signed_at: Option<DateTimeUtc>,
    pub declined_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    /// The reminder email in the outbox: erasure removes its copy with the invitation's.
    pub reminder_outbox_id: Option<i64>,
    #[sea_orm(belongs_to, from = "letter_id", to = "id")]
    pub letter: BelongsTo<super::letter::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
