//! The audit trail: who did what, when, with the before and after.

use sea_orm::entity::prelude::*;

/// One recorded action.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub letter_id: Option<i64>,
    pub signature_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    /// A readable description of the actor: a staff email, `signer` or `system`.
    pub actor: String,
    pub action: String,
    /// JSON, without contact data.
    pub before: Option<String>,
    /// JSON, without contact data.
    pub after: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
