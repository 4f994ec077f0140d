//! Partners of a letter: the organizations that spread it with a link of their own.

use sea_orm::entity::prelude::*;

/// One partner of one letter, named by a short code that travels in `?ref=CODE`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub letter_id: i64,
    /// Lowercase letters, digits and single hyphens; unique within the letter.
    pub code: String,
    /// The partner organization's name, as coordinators wrote it.
    pub name: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "letter_id", to = "id")]
    pub letter: BelongsTo<super::letter::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
