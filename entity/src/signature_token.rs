//! Single-use links sent to a signature's contact person.

use crate::TokenPurpose;
use sea_orm::entity::prelude::*;

/// A verify or withdraw link; only the SHA-256 of the token is stored.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signature_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub signature_id: i64,
    pub purpose: TokenPurpose,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    #[sea_orm(belongs_to, from = "signature_id", to = "id")]
    pub signature: BelongsTo<super::signature::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
