//! A coordinating organization with staff accounts here.

use sea_orm::entity::prelude::*;

/// An organization such as WOLA or a shelter network.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub memberships: HasMany<super::membership::Entity>,
    #[sea_orm(has_many)]
    pub coordinated_letters: HasMany<super::letter_coordinator::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
