//! The one place where a signature's contact fields are read and written.
//!
//! Contact data is personal: it never appears on a public page, in a public export or in a
//! log. Keeping every read and write here means encrypting it at rest is a change in this
//! file only.

use chrono::Utc;
use entity::signature;
use sea_orm::ActiveValue::Set;

use super::keys::Keys;
use crate::domain::{Contact, Email};

/// Writes the contact fields and the email's lookup key.
pub fn store(contact: &Contact, keys: &Keys, row: &mut signature::ActiveModel) {
    row.contact_name = Set(Some(contact.name.clone()));
    row.contact_title = Set(contact.title.clone());
    row.contact_email = Set(Some(contact.email.as_str().to_owned()));
    row.contact_phone = Set(contact.phone.clone());
    row.comment = Set(contact.comment.clone());
    row.contact_email_key = Set(Some(keys.email_key(&contact.email)));
}

/// Reads the contact fields; `None` once they were erased (or for imported rows without them).
pub fn load(row: &signature::Model) -> Option<Contact> {
    let email = Email::parse(row.contact_email.as_deref()?).ok()?;
    Some(Contact {
        name: row.contact_name.clone().unwrap_or_default(),
        title: row.contact_title.clone(),
        email,
        phone: row.contact_phone.clone(),
        comment: row.comment.clone(),
    })
}

/// Clears the contact fields of a row read for someone who may not see them; nothing is stored.
pub fn hide(row: &mut signature::Model) {
    row.contact_name = None;
    row.contact_title = None;
    row.contact_email = None;
    row.contact_phone = None;
    row.comment = None;
}

/// Erases the contact fields, and the hashes of the signer's network and browser kept for
/// abuse review; the public part of the signature stays.
pub fn erase(row: &mut signature::ActiveModel) {
    row.ip_hash = Set(None);
    row.user_agent_hash = Set(None);
    row.contact_name = Set(None);
    row.contact_title = Set(None);
    row.contact_email = Set(None);
    row.contact_phone = Set(None);
    row.comment = Set(None);
    row.contact_email_key = Set(None);
    row.contact_erased_at = Set(Some(Utc::now()));
}

/// How an email recipient is kept in the outbox until the email has left.
pub fn seal_recipient(email: &Email) -> String {
    email.as_str().to_owned()
}

/// The recipient of an outbox email.
pub fn open_recipient(stored: &str) -> Option<Email> {
    Email::parse(stored).ok()
}
