//! Types valid by construction, parsed once at the boundary and trusted everywhere after.

mod email;
mod fields;
mod letter;
mod password;
mod slug;
mod token;

pub use email::Email;
pub use fields::{FieldErrors, bounded_text, optional_text};
pub use letter::{
    LeadSignatories, MAX_ADDRESSEES_CHARS, MAX_BODY_CHARS, MAX_NAME_CHARS, RetentionDays,
    Translation, Translations, check_transition,
};
pub use password::Password;
pub use slug::Slug;
pub use token::{Token, TokenHash};
