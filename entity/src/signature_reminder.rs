//! The one reminder a signer who has not confirmed may get.

use sea_orm::entity::prelude::*;

/// A row exists once the reminder went to the outbox, or once the signer asked for no more
/// email about the letter; its key makes a second reminder impossible.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signature_reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub signature_id: i64,
    pub sent_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
