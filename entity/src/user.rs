//! A staff account.

use sea_orm::entity::prelude::*;

/// A staff member who logs in; the email is stored lowercased.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// An argon2id PHC string; never logged, never returned.
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    /// The language the dashboard last showed this user in, when they chose one: their emails'.
    pub language: Option<crate::Language>,
    /// Whether they asked for the coordinators' daily digest.
    pub daily_digest: bool,
    #[sea_orm(has_many)]
    pub memberships: HasMany<super::membership::Entity>,
    #[sea_orm(has_many)]
    pub access_tokens: HasMany<super::access_token::Entity>,
    #[sea_orm(has_many)]
    pub password_links: HasMany<super::password_link::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
