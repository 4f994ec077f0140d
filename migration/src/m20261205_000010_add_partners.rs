//! Partner links and the embeddable form: the partner codes coordinators create for a letter
//! (`/l/{slug}?ref=CODE`), which partner brought each signature, and the origins a letter lets
//! frame its embeddable form.

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
                    .table(Partners::Table)
                    .col(big_pk_auto(Partners::Id))
                    .col(big_integer(Partners::LetterId))
                    .col(string_len(Partners::Code, 40))
                    .col(string_len(Partners::Name, 300))
                    .col(big_integer_null(Partners::CreatedBy))
                    .col(timestamp_with_time_zone(Partners::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Partners::Table, Partners::LetterId)
                            .to(Letters::Table, Letters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A code names one partner of a letter: the same code on two letters is two partners.
        manager
            .create_index(
                Index::create()
                    .name("ux_partners_letter_code")
                    .table(Partners::Table)
                    .col(Partners::LetterId)
                    .col(Partners::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // No foreign key: SQLite cannot drop a column a foreign key names, and a partner goes
        // only with its letter, whose signatures go with it.
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(big_integer_null(Signatures::PartnerId))
                    .to_owned(),
            )
            .await?;
        // The counts by partner read one letter's attributed signatures.
        manager
            .create_index(
                Index::create()
                    .name("ix_signatures_letter_partner")
                    .table(Signatures::Table)
                    .col(Signatures::LetterId)
                    .col(Signatures::PartnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Letters::Table)
                    .add_column(text(Letters::EmbedOrigins).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Letters::Table)
                    .drop_column(Letters::EmbedOrigins)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_signatures_letter_partner")
                    .table(Signatures::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .drop_column(Signatures::PartnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Partners::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Partners {
    Table,
    Id,
    LetterId,
    Code,
    Name,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    Id,
    EmbedOrigins,
}

#[derive(DeriveIden, Clone, Copy)]
enum Signatures {
    Table,
    LetterId,
    PartnerId,
}
