//! Values the server keeps about itself: the names (short digests) of the keys its data is
//! written with, never the keys, which live in the key file or the environment; the version of
//! the name key rules its stored name keys follow. Databases from before encryption at rest
//! kept the key of keyed hashes here; their first start moves it out.

use sea_orm::entity::prelude::*;

/// One named value.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub value: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
