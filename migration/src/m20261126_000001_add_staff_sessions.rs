//! The dashboard's sign-in: browser sessions beside the API's bearer tokens, and single-use
//! links that let a staff member set a password (a forgotten one, or a first one on invitation).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .add_column(string_len(AccessTokens::Kind, 16).default("api"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .add_column(timestamp_with_time_zone_null(AccessTokens::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordLinks::Table)
                    .col(big_pk_auto(PasswordLinks::Id))
                    .col(big_integer(PasswordLinks::UserId))
                    .col(string_len_uniq(PasswordLinks::TokenHash, 64))
                    .col(string_len(PasswordLinks::Purpose, 16))
                    .col(timestamp_with_time_zone(PasswordLinks::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordLinks::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordLinks::Table, PasswordLinks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_links_user")
                    .table(PasswordLinks::Table)
                    .col(PasswordLinks::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordLinks::Table).to_owned())
            .await?;
        for column in [AccessTokens::LastUsedAt, AccessTokens::Kind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessTokens::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessTokens {
    Table,
    Kind,
    LastUsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PasswordLinks {
    Table,
    Id,
    UserId,
    TokenHash,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
