//! The coordinators' daily digest: whether a staff member asked for it, the language the
//! dashboard last showed them (the digest's language), and per staff member what the last
//! digest said, so that the next one tells only what changed and nothing goes out twice a day.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::Language, 2))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::DailyDigest).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffDigests::Table)
                    .col(big_integer(StaffDigests::UserId).primary_key())
                    .col(string_len(StaffDigests::Day, 10))
                    .col(timestamp_with_time_zone_null(StaffDigests::SentAt))
                    .col(text_null(StaffDigests::Counts))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffDigests::Table, StaffDigests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffDigests::Table).to_owned())
            .await?;
        for column in [Users::DailyDigest, Users::Language] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Language,
    DailyDigest,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffDigests {
    Table,
    UserId,
    Day,
    SentAt,
    Counts,
}
