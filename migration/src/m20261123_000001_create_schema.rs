//! The first schema: accounts, letters, signatures, tokens, the outbox and the audit trail.
//!
//! Every timestamp is UTC. Enumerations are stored as short lowercase strings so that the
//! database stays readable with a plain SQL client on SQLite and PostgreSQL alike.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // All or nothing on SQLite as well, so a failed first run leaves an empty file.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_server_secrets(manager).await?;
        create_organizations(manager).await?;
        create_users(manager).await?;
        create_memberships(manager).await?;
        create_access_tokens(manager).await?;
        create_letters(manager).await?;
        create_letter_coordinators(manager).await?;
        create_signatures(manager).await?;
        create_signature_tokens(manager).await?;
        create_outbox(manager).await?;
        create_letter_snapshots(manager).await?;
        create_audit_events(manager).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never block a drop.
        for table in [
            AuditEvents::Table.into_iden(),
            LetterSnapshots::Table.into_iden(),
            Outbox::Table.into_iden(),
            SignatureTokens::Table.into_iden(),
            Signatures::Table.into_iden(),
            LetterCoordinators::Table.into_iden(),
            Letters::Table.into_iden(),
            AccessTokens::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
            ServerSecrets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The `server_secrets` table.
async fn create_server_secrets(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ServerSecrets::Table)
                .col(string_len(ServerSecrets::Name, 64).primary_key())
                .col(text(ServerSecrets::Value))
                .col(timestamp_with_time_zone(ServerSecrets::CreatedAt))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// The `organizations` table.
async fn create_organizations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Organizations::Table)
                .col(big_pk_auto(Organizations::Id))
                .col(string_len_uniq(Organizations::Name, 300))
                .col(timestamp_with_time_zone(Organizations::CreatedAt))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// The `users` table.
async fn create_users(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_len_uniq(Users::Email, 320))
                .col(string_len(Users::Name, 300))
                .col(string(Users::PasswordHash))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// The `memberships` table and its indexes.
async fn create_memberships(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Memberships::Table)
                .col(big_pk_auto(Memberships::Id))
                .col(big_integer(Memberships::UserId))
                .col(big_integer(Memberships::OrganizationId))
                .col(string_len(Memberships::Role, 16))
                .col(timestamp_with_time_zone(Memberships::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Memberships::Table, Memberships::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Memberships::Table, Memberships::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        Memberships::Table,
        "ux_memberships_user_org",
        &[Memberships::UserId, Memberships::OrganizationId],
    )
    .await?;
    plain_index(
        manager,
        Memberships::Table,
        "ix_memberships_org",
        &[Memberships::OrganizationId],
    )
    .await?;
    Ok(())
}

/// The `access_tokens` table and its indexes.
async fn create_access_tokens(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AccessTokens::Table)
                .col(big_pk_auto(AccessTokens::Id))
                .col(big_integer(AccessTokens::UserId))
                .col(string_len_uniq(AccessTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(AccessTokens::CreatedAt))
                .col(timestamp_with_time_zone(AccessTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(AccessTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AccessTokens::Table, AccessTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    plain_index(
        manager,
        AccessTokens::Table,
        "ix_access_tokens_user",
        &[AccessTokens::UserId],
    )
    .await?;
    Ok(())
}

/// The `letters` table.
async fn create_letters(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Letters::Table)
                .col(big_pk_auto(Letters::Id))
                .col(string_len_uniq(Letters::Slug, 80))
                .col(string_len(Letters::Title, 300))
                .col(text(Letters::Body))
                .col(text(Letters::Addressees))
                .col(string_len(Letters::Language, 2))
                .col(timestamp_with_time_zone_null(Letters::Deadline))
                .col(string_len(Letters::Moderation, 16))
                .col(boolean(Letters::AcceptIndividuals))
                .col(string_len(Letters::ListOrder, 16))
                .col(string_len(Letters::Paper, 8))
                .col(text(Letters::LeadSignatories))
                .col(integer(Letters::RetentionDays))
                .col(text(Letters::Translations))
                .col(string_len(Letters::Status, 16))
                .col(integer(Letters::Revision))
                .col(big_integer_null(Letters::CreatedBy))
                .col(timestamp_with_time_zone(Letters::CreatedAt))
                .col(timestamp_with_time_zone(Letters::UpdatedAt))
                .col(timestamp_with_time_zone_null(Letters::DeliveredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Letters::Table, Letters::CreatedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// The `letter_coordinators` table and its indexes.
async fn create_letter_coordinators(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LetterCoordinators::Table)
                .col(big_pk_auto(LetterCoordinators::Id))
                .col(big_integer(LetterCoordinators::LetterId))
                .col(big_integer(LetterCoordinators::OrganizationId))
                .col(boolean(LetterCoordinators::IsLead))
                .col(timestamp_with_time_zone(LetterCoordinators::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LetterCoordinators::Table, LetterCoordinators::LetterId)
                        .to(Letters::Table, Letters::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            LetterCoordinators::Table,
                            LetterCoordinators::OrganizationId,
                        )
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        LetterCoordinators::Table,
        "ux_letter_coordinators_letter_org",
        &[
            LetterCoordinators::LetterId,
            LetterCoordinators::OrganizationId,
        ],
    )
    .await?;
    plain_index(
        manager,
        LetterCoordinators::Table,
        "ix_letter_coordinators_org",
        &[LetterCoordinators::OrganizationId],
    )
    .await?;
    Ok(())
}

/// The `signatures` table.
async fn create_signatures(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Signatures::Table)
                .col(big_pk_auto(Signatures::Id))
                .col(big_integer(Signatures::LetterId))
                .col(string_len(Signatures::Kind, 16))
                .col(string_len(Signatures::Name, 300))
                .col(string_len_null(Signatures::Affiliation, 300))
                .col(string_len_null(Signatures::OrgType, 100))
                .col(string_len_null(Signatures::City, 200))
                .col(string_len_null(Signatures::Region, 200))
                .col(string_len_null(Signatures::Country, 2))
                .col(string_len_null(Signatures::Website, 500))
                // Contact fields hold personal data; they are read and written only through
                // the contact module so that encryption at rest is a change in one place.
                .col(text_null(Signatures::ContactName))
                .col(text_null(Signatures::ContactTitle))
                .col(text_null(Signatures::ContactEmail))
                .col(text_null(Signatures::ContactPhone))
                .col(text_null(Signatures::Comment))
                .col(string_len_null(Signatures::ContactEmailKey, 64))
                .col(string_len(Signatures::NameKey, 300))
                .col(boolean(Signatures::Consent))
                .col(string_len(Signatures::Status, 24))
                .col(string_len(Signatures::Source, 16))
                .col(string_len(Signatures::Language, 2))
                .col(integer(Signatures::LetterRevision))
                .col(big_integer_null(Signatures::DuplicateOf))
                .col(string_len_null(Signatures::IpHash, 64))
                .col(string_len_null(Signatures::UserAgentHash, 64))
                .col(text(Signatures::Flags))
                // Public fields a signer re-submitted after confirming, applied once they
                // confirm again: typing someone's email must not be enough to edit their entry.
                .col(text_null(Signatures::PendingChanges))
                .col(integer(Signatures::EmailsSent))
                .col(text_null(Signatures::VerificationNote))
                .col(text_null(Signatures::DecisionReason))
                .col(timestamp_with_time_zone(Signatures::CreatedAt))
                .col(timestamp_with_time_zone(Signatures::UpdatedAt))
                .col(timestamp_with_time_zone_null(Signatures::VerifiedAt))
                .col(timestamp_with_time_zone_null(Signatures::DecidedAt))
                .col(timestamp_with_time_zone_null(Signatures::WithdrawnAt))
                .col(timestamp_with_time_zone_null(Signatures::ContactErasedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Signatures::Table, Signatures::LetterId)
                        .to(Letters::Table, Letters::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Signatures::Table, Signatures::DuplicateOf)
                        .to(Signatures::Table, Signatures::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    index_signatures(manager).await
}

/// The indexes of `signatures`: one signer per contact email, and the lookups by state and
/// by name key.
async fn index_signatures(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // One signer per contact email and letter; imported rows without an email are NULL,
    // which both engines allow any number of times.
    unique_index(
        manager,
        Signatures::Table,
        "ux_signatures_letter_email_key",
        &[Signatures::LetterId, Signatures::ContactEmailKey],
    )
    .await?;
    plain_index(
        manager,
        Signatures::Table,
        "ix_signatures_letter_status",
        &[Signatures::LetterId, Signatures::Status],
    )
    .await?;
    plain_index(
        manager,
        Signatures::Table,
        "ix_signatures_letter_name_key",
        &[Signatures::LetterId, Signatures::NameKey],
    )
    .await?;
    Ok(())
}

/// The `signature_tokens` table and its indexes.
async fn create_signature_tokens(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SignatureTokens::Table)
                .col(big_pk_auto(SignatureTokens::Id))
                .col(big_integer(SignatureTokens::SignatureId))
                .col(string_len(SignatureTokens::Purpose, 16))
                .col(string_len_uniq(SignatureTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(SignatureTokens::CreatedAt))
                .col(timestamp_with_time_zone(SignatureTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(SignatureTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SignatureTokens::Table, SignatureTokens::SignatureId)
                        .to(Signatures::Table, Signatures::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    plain_index(
        manager,
        SignatureTokens::Table,
        "ix_signature_tokens_signature",
        &[SignatureTokens::SignatureId],
    )
    .await?;
    Ok(())
}

/// The `outbox` table and its indexes.
async fn create_outbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(big_integer_null(Outbox::SignatureId))
                .col(string_len(Outbox::Kind, 32))
                .col(text(Outbox::Recipient))
                .col(text(Outbox::Subject))
                .col(text(Outbox::BodyText))
                .col(text(Outbox::BodyHtml))
                .col(integer(Outbox::Attempts))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .col(text_null(Outbox::LastError))
                .foreign_key(
                    ForeignKey::create()
                        .from(Outbox::Table, Outbox::SignatureId)
                        .to(Signatures::Table, Signatures::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    plain_index(
        manager,
        Outbox::Table,
        "ix_outbox_due",
        &[Outbox::SentAt, Outbox::NextAttemptAt],
    )
    .await?;
    Ok(())
}

/// The `letter_snapshots` table and its indexes.
async fn create_letter_snapshots(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // A delivered letter's exports, frozen: fetched again later, they are the same bytes.
    manager
        .create_table(
            Table::create()
                .table(LetterSnapshots::Table)
                .col(big_pk_auto(LetterSnapshots::Id))
                .col(big_integer(LetterSnapshots::LetterId))
                .col(string_len(LetterSnapshots::Format, 16))
                .col(string_len(LetterSnapshots::Language, 2))
                .col(blob(LetterSnapshots::Content))
                .col(string_len(LetterSnapshots::Sha256, 64))
                .col(timestamp_with_time_zone(LetterSnapshots::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LetterSnapshots::Table, LetterSnapshots::LetterId)
                        .to(Letters::Table, Letters::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        LetterSnapshots::Table,
        "ux_letter_snapshots_letter_format_language",
        &[
            LetterSnapshots::LetterId,
            LetterSnapshots::Format,
            LetterSnapshots::Language,
        ],
    )
    .await?;
    Ok(())
}

/// The `audit_events` table and its indexes.
async fn create_audit_events(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(big_integer_null(AuditEvents::LetterId))
                .col(big_integer_null(AuditEvents::SignatureId))
                .col(big_integer_null(AuditEvents::ActorUserId))
                .col(string_len(AuditEvents::Actor, 320))
                .col(string_len(AuditEvents::Action, 64))
                .col(text_null(AuditEvents::Before))
                .col(text_null(AuditEvents::After))
                .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AuditEvents::Table, AuditEvents::LetterId)
                        .to(Letters::Table, Letters::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AuditEvents::Table, AuditEvents::ActorUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    plain_index(
        manager,
        AuditEvents::Table,
        "ix_audit_events_letter",
        &[AuditEvents::LetterId, AuditEvents::Id],
    )
    .await?;
    Ok(())
}

async fn unique_index<T: Iden + Copy + 'static, C: Iden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    name: &str,
    columns: &[C],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index.to_owned()).await
}

async fn plain_index<T: Iden + Copy + 'static, C: Iden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    name: &str,
    columns: &[C],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
enum ServerSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizations {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Memberships {
    Table,
    Id,
    UserId,
    OrganizationId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Letters {
    Table,
    Id,
    Slug,
    Title,
    Body,
    Addressees,
    Language,
    Deadline,
    Moderation,
    AcceptIndividuals,
    ListOrder,
    Paper,
    LeadSignatories,
    RetentionDays,
    Translations,
    Status,
    Revision,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LetterCoordinators {
    Table,
    Id,
    LetterId,
    OrganizationId,
    IsLead,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Signatures {
    Table,
    Id,
    LetterId,
    Kind,
    Name,
    Affiliation,
    OrgType,
    City,
    Region,
    Country,
    Website,
    ContactName,
    ContactTitle,
    ContactEmail,
    ContactPhone,
    Comment,
    ContactEmailKey,
    NameKey,
    Consent,
    Status,
    Source,
    Language,
    LetterRevision,
    PendingChanges,
    DuplicateOf,
    IpHash,
    UserAgentHash,
    Flags,
    EmailsSent,
    VerificationNote,
    DecisionReason,
    CreatedAt,
    UpdatedAt,
    VerifiedAt,
    DecidedAt,
    WithdrawnAt,
    ContactErasedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SignatureTokens {
    Table,
    Id,
    SignatureId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    SignatureId,
    Kind,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    Attempts,
    CreatedAt,
    NextAttemptAt,
    LockedUntil,
    SentAt,
    LastError,
}

#[derive(DeriveIden, Clone, Copy)]
enum LetterSnapshots {
    Table,
    Id,
    LetterId,
    Format,
    Language,
    Content,
    Sha256,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    LetterId,
    SignatureId,
    ActorUserId,
    Actor,
    Action,
    Before,
    After,
    CreatedAt,
}
