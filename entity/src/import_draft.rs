//! A CSV file uploaded for import, kept between its preview and the confirmation.

use sea_orm::entity::prelude::*;

/// The uploaded bytes, for the staff member who previewed them; found by the SHA-256 of a
/// random token that only their confirmation form holds.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_drafts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub letter_id: i64,
    pub user_id: i64,
    pub content: Vec<u8>,
    /// Hex SHA-256 of `content`, checked again before importing.
    pub sha256: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "letter_id", to = "id")]
    pub letter: BelongsTo<super::letter::Entity>,
    #[sea_orm(belongs_to, from = "user_id", to = "id")]
    pub user: BelongsTo<super::user::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
