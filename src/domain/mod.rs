//! Types valid by construction, parsed once at the boundary and trusted everywhere after.

pub mod countries;
mod country;
mod delivery;
mod email;
mod fields;
mod letter;
pub mod mailbox;
mod names;
mod partner;
mod password;
pub mod signature;
mod slug;
mod token;

pub use country::CountryCode;
pub use delivery::{AddresseeEmails, MAX_COVER_NOTE_CHARS};
pub use email::Email;
pub use fields::{FieldErrors, bounded_text, optional_text};
pub use letter::{
    DELIVERED_IS_FINAL, LeadSignatories, MAX_ADDRESSEES_CHARS, MAX_BODY_CHARS, MAX_NAME_CHARS,
    RetentionDays, Translation, Translations, check_changeable, check_transition,
};
pub use names::{NAME_KEY_RULES, name_key};
pub use partner::{EmbedOrigins, PartnerCode};
pub use password::Password;
pub use signature::{
    Contact, ContactChanges, ContactFields, Intake, PublicChanges, PublicDetails, PublicFields,
    SignatureDraft, SignatureInput,
};
pub use slug::Slug;
pub use token::{Token, TokenHash};
