//! The emails of a delivery: a letter's addressee addresses and cover note (settings of the
//! letter), and an outbox email's attachment, which names a frozen export rather than copying
//! its bytes into every row.

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
                    .table(Letters::Table)
                    .add_column(text(Letters::AddresseeEmails).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Letters::Table)
                    .add_column(text(Letters::CoverNote).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(big_integer_null(Outbox::AttachmentSnapshotId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::AttachmentSnapshotId)
                    .to_owned(),
            )
            .await?;
        for column in [Letters::CoverNote, Letters::AddresseeEmails] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Letters::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    AddresseeEmails,
    CoverNote,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    AttachmentSnapshotId,
}
