//! A counter on each letter that goes up, in the same transaction, with every change to what
//! the public sees of it (its text, settings, status, coordinators and approved signatories),
//! so that every server instance can tell with one read by key whether its copy is current.

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
            .alter_table(
                Table::alter()
                    .table(Letters::Table)
                    .add_column(big_integer(Letters::ListVersion).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Letters::Table)
                    .drop_column(Letters::ListVersion)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    ListVersion,
}
