//! What the last daily digest of a staff member said, and the day it was last considered.

use sea_orm::entity::prelude::*;

/// One staff member's digest state; the row appears with their first digest.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_digests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The UTC day (`YYYY-MM-DD`) the digest was last considered, sent or not: once a day.
    pub day: String,
    /// When the last digest was sent: the new signatures of the next one are those since.
    pub sent_at: Option<DateTimeUtc>,
    /// The counts by state of each letter in the last digest (JSON), to tell if anything changed.
    pub counts: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
