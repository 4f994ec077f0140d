//! Database migrations for signon, applied in order by `signon migrate` and `signon serve`.
//!
//! Each migration is a file named `mYYYYMMDD_HHMMSS_verb_noun.rs` with an `up` and a `down`.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_schema;
mod m20261126_000001_add_staff_sessions;
mod m20261126_000002_add_import_drafts;
mod m20261126_000003_add_closed_at_and_changes_confirmed_at;
mod m20261204_000010_add_outbox_claims_and_scheduled_jobs;
mod m20261204_000020_add_letter_list_version;
mod m20261204_000040_add_invitations;
mod m20261205_000010_add_partners;
mod m20261205_000020_add_delivery_emails;
mod m20261205_000030_add_staff_digests;
mod m20261205_000031_add_outbox_failed_at;
mod m20261205_000050_add_signatures_letter_id_index;

/// The list of all migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_schema::Migration),
            Box::new(m20261126_000001_add_staff_sessions::Migration),
            Box::new(m20261126_000002_add_import_drafts::Migration),
            Box::new(m20261126_000003_add_closed_at_and_changes_confirmed_at::Migration),
            Box::new(m20261204_000010_add_outbox_claims_and_scheduled_jobs::Migration),
            Box::new(m20261204_000020_add_letter_list_version::Migration),
            Box::new(m20261204_000040_add_invitations::Migration),
            Box::new(m20261205_000010_add_partners::Migration),
            Box::new(m20261205_000020_add_delivery_emails::Migration),
            Box::new(m20261205_000030_add_staff_digests::Migration),
            Box::new(m20261205_000031_add_outbox_failed_at::Migration),
            Box::new(m20261205_000050_add_signatures_letter_id_index::Migration),
        ]
    }
}
