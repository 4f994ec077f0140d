//! The frozen exports of a delivered letter.

use sea_orm::entity::prelude::*;

/// One export (a PDF or the public CSV, in one language) as it was delivered.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub letter_id: i64,
    /// `pdf` or `csv`.
    pub format: String,
    /// `en` or `es`.
    pub language: String,
    pub content: Vec<u8>,
    /// Hex SHA-256 of `content`, to show that what is fetched is what was delivered.
    pub sha256: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "letter_id", to = "id")]
    pub letter: BelongsTo<super::letter::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
