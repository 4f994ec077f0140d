//! The sea-orm entities of signon: one module per table, in the 2.0 dense entity format.
//!
//! These are storage types. The domain rules live in the `signon` crate; the enumerations here
//! are shared because their stored spelling is also their spelling in the public API.

pub mod access_token;
pub mod audit_event;
pub mod enums;
pub mod import_draft;
pub mod invitation;
pub mod letter;
pub mod letter_coordinator;
pub mod letter_snapshot;
pub mod membership;
pub mod organization;
pub mod outbox;
pub mod partner;
pub mod password_link;
pub mod scheduled_job;
pub mod server_secret;
pub mod signature;
pub mod signature_reminder;
pub mod signature_token;
pub mod staff_digest;
pub mod user;

pub use enums::*;
