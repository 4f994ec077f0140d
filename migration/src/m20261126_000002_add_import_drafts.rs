//! Files uploaded at the dashboard's import, kept between the preview and the confirmation, so
//! that what is imported is exactly the file that was previewed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportDrafts::Table)
                    .col(big_pk_auto(ImportDrafts::Id))
                    .col(string_len_uniq(ImportDrafts::TokenHash, 64))
                    .col(big_integer(ImportDrafts::LetterId))
                    .col(big_integer(ImportDrafts::UserId))
                    .col(blob(ImportDrafts::Content))
                    .col(string_len(ImportDrafts::Sha256, 64))
                    .col(timestamp_with_time_zone(ImportDrafts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportDrafts::Table, ImportDrafts::LetterId)
                            .to(Letters::Table, Letters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportDrafts::Table, ImportDrafts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Old drafts are swept by age whenever a new one is made.
        manager
            .create_index(
                Index::create()
                    .name("ix_import_drafts_created_at")
                    .table(ImportDrafts::Table)
                    .col(ImportDrafts::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportDrafts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ImportDrafts {
    Table,
    Id,
    TokenHash,
    LetterId,
    UserId,
    Content,
    Sha256,
    CreatedAt,
}
