//! Who holds a claimed email: the outbox worker that claims a batch writes its instance id next
//! to the lease it renews, so that only the live holder extends it. And one row per background
//! job that must run once across every instance sharing the database (the retention job): when
//! it is next due and who is running it now.

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
                    .table(Outbox::Table)
                    .add_column(string_len_null(Outbox::ClaimedBy, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScheduledJobs::Table)
                    .col(string_len(ScheduledJobs::Name, 64).primary_key())
                    .col(timestamp_with_time_zone(ScheduledJobs::NextRunAt))
                    .col(timestamp_with_time_zone_null(ScheduledJobs::LockedUntil))
                    .col(string_len_null(ScheduledJobs::LockedBy, 64))
                    .col(big_integer(ScheduledJobs::Runs).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScheduledJobs::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::ClaimedBy)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    ClaimedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum ScheduledJobs {
    Table,
    Name,
    NextRunAt,
    LockedUntil,
    LockedBy,
    Runs,
}
