//! Use cases. They take a connection (or a transaction the caller chose) and domain types,
//! and know nothing of HTTP.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod changes;
pub mod contact;
pub mod delivery;
pub mod delivery_emails;
pub mod digest;
pub mod digest_email;
pub mod emails;
pub mod exports;
pub mod import;
pub mod import_drafts;
pub mod invitation_emails;
pub mod invitations;
pub mod key_file;
pub mod key_store;
pub mod keys;
pub mod letters;
pub mod members;
pub mod outbox;
pub mod partners;
pub mod password_links;
pub mod public_view;
pub mod reminders;
pub mod retention;
pub mod schedule;
pub mod signatures;
pub mod signing;
pub mod verification;
pub mod writer;
