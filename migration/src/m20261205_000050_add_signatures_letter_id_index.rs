//! An index of each letter's signatures in id order. The staff table and other exports read a
//! letter's signatures a page at a time after the last id read; without it, each page searched
//! the letter's rows through another index and sorted all that were left, so a letter of
//! 100,000 signatures cost its export a hundred sorts of up to 100,000 rows.

use sea_orm_migration::prelude::*;

const NAME: &str = "ix_signatures_letter_id";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Signatures::Table)
                    .col(Signatures::LetterId)
                    .col(Signatures::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Signatures::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Signatures {
    Table,
    LetterId,
    Id,
}
