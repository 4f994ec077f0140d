//! Personal invitations to sign a letter, and the reminders that follow them: the invitations
//! table, the two reminder settings of a letter, the record of the one reminder a signer who
//! has not confirmed may get, and the `List-Unsubscribe` address an outbox email carries.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_invitations(manager).await?;
        manager
            .create_table(
                Table::create()
                    .table(SignatureReminders::Table)
                    .col(big_integer(SignatureReminders::SignatureId).primary_key())
                    .col(timestamp_with_time_zone_null(SignatureReminders::SentAt))
                    .col(timestamp_with_time_zone_null(
                        SignatureReminders::UnsubscribedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignatureReminders::Table, SignatureReminders::SignatureId)
                            .to(Signatures::Table, Signatures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // SQLite alters one column per statement.
        for column in [
            Letters::InvitationReminderDaysBeforeDeadline,
            Letters::ConfirmationReminderDays,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Letters::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(text_null(Outbox::ListUnsubscribe))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::ListUnsubscribe)
                    .to_owned(),
            )
            .await?;
        for column in [
            Letters::ConfirmationReminderDays,
            Letters::InvitationReminderDaysBeforeDeadline,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Letters::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(SignatureReminders::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}

/// The `invitations` table, one invitation per address and letter.
async fn create_invitations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Invitations::Table)
                .col(big_pk_auto(Invitations::Id))
                .col(big_integer(Invitations::LetterId))
                .col(string_len(Invitations::Organization, 300))
                // Sealed by service::contact, like a signature's contact.
                .col(text(Invitations::ContactName))
                .col(text(Invitations::ContactEmail))
                .col(string_len(Invitations::ContactEmailKey, 64))
                .col(string_len(Invitations::Language, 2))
                .col(string_len_uniq(Invitations::TokenHash, 64))
                .col(big_integer_null(Invitations::SignatureId))
                .col(big_integer_null(Invitations::OutboxId))
                .col(big_integer_null(Invitations::CreatedBy))
                .col(timestamp_with_time_zone(Invitations::SentAt))
                .col(timestamp_with_time_zone_null(Invitations::OpenedAt))
                .col(timestamp_with_time_zone_null(Invitations::SignedAt))
                .col(timestamp_with_time_zone_null(Invitations::DeclinedAt))
                .col(timestamp_with_time_zone_null(Invitations::UnsubscribedAt))
                .col(timestamp_with_time_zone_null(Invitations::RemindedAt))
                .col(big_integer_null(Invitations::ReminderOutboxId))
                .foreign_key(
                    ForeignKey::create()
                        .from(Invitations::Table, Invitations::LetterId)
                        .to(Letters::Table, Letters::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Invitations::Table, Invitations::SignatureId)
                        .to(Signatures::Table, Signatures::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    // One invitation per address and letter: the same mailbox is never invited twice.
    manager
        .create_index(
            Index::create()
                .name("ux_invitations_letter_email")
                .table(Invitations::Table)
                .col(Invitations::LetterId)
                .col(Invitations::ContactEmailKey)
                .unique()
                .to_owned(),
        )
        .await?;
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Id,
    LetterId,
    Organization,
    ContactName,
    ContactEmail,
    ContactEmailKey,
    Language,
    TokenHash,
    SignatureId,
    OutboxId,
    CreatedBy,
    SentAt,
    OpenedAt,
    SignedAt,
    DeclinedAt,
    UnsubscribedAt,
    RemindedAt,
    ReminderOutboxId,
}

#[derive(DeriveIden, Clone, Copy)]
enum SignatureReminders {
    Table,
    SignatureId,
    SentAt,
    UnsubscribedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    Id,
    InvitationReminderDaysBeforeDeadline,
    ConfirmationReminderDays,
}

#[derive(DeriveIden, Clone, Copy)]
enum Signatures {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    ListUnsubscribe,
}
