//! The organizations leading a letter.

use sea_orm::entity::prelude::*;

/// One coordinating organization of one letter; exactly one per letter is the lead.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_coordinators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub letter_id: i64,
    pub organization_id: i64,
    pub is_lead: bool,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "letter_id", to = "id")]
    pub letter: BelongsTo<super::letter::Entity>,
    #[sea_orm(belongs_to, from = "organization_id", to = "id")]
    pub organization: BelongsTo<super::organization::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
