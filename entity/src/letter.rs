//! A letter being signed.

use crate::{Language, LetterStatus, ListOrder, Moderation, Paper};
use sea_orm::entity::prelude::*;

/// A letter, its settings and its status.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub addressees: String,
    pub language: Language,
    pub deadline: Option<DateTimeUtc>,
    pub moderation: Moderation,
    pub accept_individuals: bool,
    pub list_order: ListOrder,
    pub paper: Paper,
    /// A JSON array of names listed first.
    pub lead_signatories: String,
    pub retention_days: i32,
    /// A JSON object from language code to `{title, body, addressees}`.
    pub translations: String,
    pub status: LetterStatus,
    /// Goes up by one whenever the text changes, so a signature records what was signed.
    pub revision: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    /// When it was last closed; empty while it is open (retention counts from here when the
    /// letter is never delivered).
    pub closed_at: Option<DateTimeUtc>,
    /// One reminder to invitees who have not answered, this many days before the deadline;
    /// none when empty.
    pub invitation_reminder_days_before_deadline: Option<i32>,
    /// One reminder to signers who have not confirmed, this many days after signing; none
    /// when empty.
    pub confirmation_reminder_days: Option<i32>,
    /// Goes up by one in the same transaction as any change to what the public sees of the
    /// letter (text, settings, status, coordinators, approved signatories): the key of the
    /// public pages' cache and of their `ETag`.
    pub list_version: i64,
    /// A JSON array of the addressees' email addresses, to which delivery sends the frozen
    /// PDF; never shown on a public page.
    pub addressee_emails: String,
    /// The coordinators' note above the letter in the addressees' email; may be empty.
    pub cover_note: String,
    /// A JSON array of the origins (`https://host[:port]`) whose pages may frame the letter's
    /// embeddable form.
    pub embed_origins: String,
    #[sea_orm(has_many)]
    pub coordinators: HasMany<super::letter_coordinator::Entity>,
    #[sea_orm(has_many)]
    pub signatures: HasMany<super::signature::Entity>,
    #[sea_orm(has_many)]
    pub invitations: HasMany<super::invitation::Entity>,
    #[sea_orm(has_many)]
    pub partners: HasMany<super::partner::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
