//! Two moments the service needs to remember. When a letter was closed: its contacts are erased
//! a retention period after it closed, if it was never delivered. When a signer confirmed
//! changes to an approved entry: under manual moderation they wait for the coordinators.

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
                    .add_column(timestamp_with_time_zone_null(Letters::ClosedAt))
                    .to_owned(),
            )
            .await?;
        // Letters closed before this column existed count from their last change, which is no
        // earlier than their closing: their contacts are kept at least as long as promised.
        manager
            .exec_stmt(
                Query::update()
                    .table(Letters::Table)
                    .value(Letters::ClosedAt, Expr::col(Letters::UpdatedAt))
                    .and_where(Expr::col(Letters::Status).eq("closed"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(timestamp_with_time_zone_null(
                        Signatures::ChangesConfirmedAt,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .drop_column(Signatures::ChangesConfirmedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Letters::Table)
                    .drop_column(Letters::ClosedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    Status,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Signatures {
    Table,
    ChangesConfirmedAt,
}
