//! The one place where personal data is read and written: a signature's contact fields, the
//! recipient and body of an outbox email (the body greets the contact by name and carries their
//! links), and a CSV file kept between the dashboard's import preview and its confirmation.
//!
//! Contact data never appears on a public page, in a public export or in a log, and it is
//! stored encrypted: XChaCha20-Poly1305 under the data key ([`super::keys`]), a random nonce
//! per value. A copy of the database file, its WAL or a backup reveals no contact without the
//! key file. Equality lookups (the same-signer rule, staff search by email, erasure by email)
//! never decrypt: they compare `contact_email_key`, a keyed hash of the canonical address.
//!
//! Each value is bound, as associated data, to its table, row id and column, so a ciphertext
//! copied into another row or column does not open there. The row id because it is the row's
//! identity: unique, never changed, and the one value a copy cannot take along (another unique
//! column would do as well, but would be one more thing to keep). Rows are inserted with their
//! contact already sealed, so plain text never reaches the database, not even for a moment in
//! the WAL; that needs the id before the insert, which writers reserve in the inserting
//! transaction with [`crate::db::reserve_ids`].

use anyhow::{Context, anyhow};
use chrono::Utc;
use entity::{import_draft, invitation, outbox, signature};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::keys::{Keys, is_sealed};
use crate::domain::{Contact, Email};
use crate::error::{AppError, AppResult};

/// Rows one re-encryption transaction takes.
const RESEAL_BATCH: u64 = 500;

/// The associated data of a value: where it belongs.
fn place(table: &str, id: i64, column: &str) -> Vec<u8> {
    format!("signon\0{table}\0{id}\0{column}").into_bytes()
}

fn sealer<'a>(keys: &'a Keys, table: &'a str, id: i64) -> impl Fn(&str, &str) -> String + 'a {
    move |column, value| keys.seal(&place(table, id, column), value)
}

/// Writes the contact fields, sealed for the row, and the email's lookup key. The row's id
/// must already be set (see the module's notes).
pub fn store(contact: &Contact, keys: &Keys, row: &mut signature::ActiveModel) -> AppResult<()> {
    let id = *row
        .id
        .try_as_ref()
        .ok_or_else(|| anyhow!("a contact is stored only in a row whose id is known"))?;
    let seal = sealer(keys, "signatures", id);
    let optional = |column, value: &Option<String>| value.as_deref().map(|v| seal(column, v));
    row.contact_name = Set(Some(seal("contact_name", &contact.name)));
    row.contact_title = Set(optional("contact_title", &contact.title));
    row.contact_email = Set(Some(seal("contact_email", contact.email.as_str())));
    row.contact_phone = Set(optional("contact_phone", &contact.phone));
    row.comment = Set(optional("comment", &contact.comment));
    row.contact_email_key = Set(Some(keys.email_key(&contact.email)));
    Ok(())
}

/// Reads the contact fields; `None` once they were erased (or for imported rows without them).
pub fn load(keys: &Keys, row: &signature::Model) -> AppResult<Option<Contact>> {
    let sealed = Sealed {
        contact_name: row.contact_name.as_deref(),
        contact_title: row.contact_title.as_deref(),
        contact_email: row.contact_email.as_deref(),
        contact_phone: row.contact_phone.as_deref(),
        comment: row.comment.as_deref(),
    };
    open_sealed(keys, row.id, &sealed)
}

/// A signature's contact columns as stored, borrowed from wherever they were read: a long
/// export reads only the columns it writes rather than whole rows.
#[derive(Clone, Copy, Default)]
pub struct Sealed<'a> {
    /// The sealed `contact_name`.
    pub contact_name: Option<&'a str>,
    /// The sealed `contact_title`.
    pub contact_title: Option<&'a str>,
    /// The sealed `contact_email`.
    pub contact_email: Option<&'a str>,
    /// The sealed `contact_phone`.
    pub contact_phone: Option<&'a str>,
    /// The sealed `comment`.
    pub comment: Option<&'a str>,
}

/// [`load`] for the contact columns of the signature `id`, read apart from its row.
pub fn open_sealed(keys: &Keys, id: i64, sealed: &Sealed<'_>) -> AppResult<Option<Contact>> {
    let open = |column, value: Option<&str>| -> AppResult<Option<String>> {
        value
            .map(|v| keys.open(&place("signatures", id, column), v))
            .transpose()
            .with_context(|| format!("the {column} of signature {id}"))
            .map_err(AppError::Internal)
    };
    let Some(email) = open("contact_email", sealed.contact_email)? else {
        return Ok(None);
    };
    let Ok(email) = Email::parse(&email) else {
        return Ok(None);
    };
    Ok(Some(Contact {
        name: open("contact_name", sealed.contact_name)?.unwrap_or_default(),
        title: open("contact_title", sealed.contact_title)?,
        email,
        phone: open("contact_phone", sealed.contact_phone)?,
        comment: open("comment", sealed.comment)?,
    }))
}

/// The contact person's name and email, without opening the other contact fields: for mail
/// to many signers at once. `None` once the contact was erased.
pub fn load_recipient(keys: &Keys, row: &signature::Model) -> AppResult<Option<(String, Email)>> {
    let open = |column, value: &str| -> AppResult<String> {
        keys.open(&place("signatures", row.id, column), value)
            .with_context(|| format!("the {column} of signature {}", row.id))
            .map_err(AppError::Internal)
    };
    let Some(email) = row.contact_email.as_deref() else {
        return Ok(None);
    };
    let Ok(email) = Email::parse(&open("contact_email", email)?) else {
        return Ok(None);
    };
    let name = match row.contact_name.as_deref() {
        Some(name) => open("contact_name", name)?,
        None => String::new(),
    };
    Ok(Some((name, email)))
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

/// An invitee's contact person, in clear: what [`store_invitee`] seals.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitee {
    /// The contact person's name.
    pub name: String,
    /// Their email.
    pub email: Email,
}

impl std::fmt::Debug for Invitee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Invitee(<redacted>)")
    }
}

/// Writes an invitee's name and email, sealed for the row (whose id must be set), and the
/// email's lookup key.
pub fn store_invitee(
    invitee: &Invitee,
    keys: &Keys,
    row: &mut invitation::ActiveModel,
) -> AppResult<()> {
    let id = *row
        .id
        .try_as_ref()
        .ok_or_else(|| anyhow!("a contact is stored only in a row whose id is known"))?;
    let seal = sealer(keys, "invitations", id);
    row.contact_name = Set(seal("contact_name", &invitee.name));
    row.contact_email = Set(seal("contact_email", invitee.email.as_str()));
    row.contact_email_key = Set(keys.email_key(&invitee.email));
    Ok(())
}

/// Reads an invitee's name and email.
pub fn load_invitee(keys: &Keys, row: &invitation::Model) -> AppResult<Invitee> {
    let open = |column, value: &str| -> AppResult<String> {
        keys.open(&place("invitations", row.id, column), value)
            .with_context(|| format!("the {column} of invitation {}", row.id))
            .map_err(AppError::Internal)
    };
    let email = Email::parse(&open("contact_email", &row.contact_email)?)
        .map_err(|_| anyhow!("the email of invitation {} is not valid", row.id))?;
    Ok(Invitee {
        name: open("contact_name", &row.contact_name)?,
        email,
    })
}

/// The personal parts of an outbox email, sealed for its row.
pub struct SealedEmail {
    /// The recipients' addresses, one a line.
    pub recipient: String,
    /// The plain-text body.
    pub body_text: String,
    /// The HTML body.
    pub body_html: String,
}

/// Seals an email's recipients and bodies for the outbox row `outbox_id` (reserved beforehand).
pub fn seal_email(
    keys: &Keys,
    outbox_id: i64,
    recipients: &[Email],
    text: &str,
    html: &str,
) -> SealedEmail {
    let seal = sealer(keys, "outbox", outbox_id);
    // One address a line: an address never holds whitespace (see `Email::parse`).
    let recipients: Vec<&str> = recipients.iter().map(Email::as_str).collect();
    SealedEmail {
        recipient: seal("recipient", &recipients.join("\n")),
        body_text: seal("body_text", text),
        body_html: seal("body_html", html),
    }
}

/// An outbox email opened for sending: its recipients (one, or several who see each other),
/// and the row with the bodies in clear.
pub fn open_email(
    keys: &Keys,
    email: &outbox::Model,
) -> anyhow::Result<(Vec<Email>, outbox::Model)> {
    let open = |column, value: &str| {
        keys.open(&place("outbox", email.id, column), value)
            .with_context(|| format!("the {column} of outbox email {}", email.id))
    };
    let recipients = open("recipient", &email.recipient)?
        .lines()
        .map(|line| Email::parse(line).map_err(|_| anyhow!("the recipient address is not valid")))
        .collect::<anyhow::Result<Vec<Email>>>()?;
    let mut opened = email.clone();
    opened.recipient = String::new();
    opened.body_text = open("body_text", &email.body_text)?;
    opened.body_html = open("body_html", &email.body_html)?;
    Ok((recipients, opened))
}

/// Seals an uploaded import file (its rows hold contacts) for the draft row `draft_id`
/// (reserved beforehand).
pub fn seal_file(keys: &Keys, draft_id: i64, content: &[u8]) -> Vec<u8> {
    keys.seal_bytes(&place("import_drafts", draft_id, "content"), content)
        .into_bytes()
}

/// The import file a draft keeps.
pub fn open_file(keys: &Keys, draft: &import_draft::Model) -> AppResult<Vec<u8>> {
    std::str::from_utf8(&draft.content)
        .map_err(anyhow::Error::new)
        .and_then(|sealed| keys.open_bytes(&place("import_drafts", draft.id, "content"), sealed))
        .with_context(|| format!("the file of import draft {}", draft.id))
        .map_err(AppError::Internal)
}

/// Whether the database holds any contact data, unsent email or kept import file: what would
/// be lost, or written under two keys, if the keys changed.
pub async fn holds_any(db: &impl ConnectionTrait) -> AppResult<bool> {
    let contact = signature::Entity::find()
        .select_only()
        .column(signature::Column::Id)
        .filter(
            Condition::any()
                .add(signature::Column::ContactEmail.is_not_null())
                .add(signature::Column::ContactEmailKey.is_not_null())
                .add(signature::Column::ContactName.is_not_null()),
        )
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let email = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::Recipient.ne(""))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let file = import_draft::Entity::find()
        .select_only()
        .column(import_draft::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let invitee = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(contact.is_some() || email.is_some() || file.is_some() || invitee.is_some())
}

/// Re-encrypts every stored contact value and unsent email that is not under the current data
/// key (values from before encryption at rest included), in batches, each in a transaction of
/// its own: a run that stops halfway leaves every row under one key or the other, and the next
/// run finishes the job. `progress` is told how many rows are done; returns that number.
pub async fn reseal_all(
    db: &DatabaseConnection,
    keys: &Keys,
    progress: &dyn Fn(u64),
) -> anyhow::Result<u64> {
    let mut done = 0;
    in_batches(|| reseal_signatures(db, keys), &mut done, progress).await?;
    in_batches(|| reseal_invitations(db, keys), &mut done, progress).await?;
    in_batches(|| reseal_outbox(db, keys), &mut done, progress).await?;
    done += reseal_files(db, keys).await?;
    progress(done);
    Ok(done)
}

/// Runs `batch` until a run finds nothing left to do, adding the rows of each run to `done`
/// and telling `progress` the total.
async fn in_batches<F: Future<Output = anyhow::Result<u64>>>(
    mut batch: impl FnMut() -> F,
    done: &mut u64,
    progress: &dyn Fn(u64),
) -> anyhow::Result<()> {
    loop {
        let rows = batch().await?;
        if rows == 0 {
            return Ok(());
        }
        *done += rows;
        progress(*done);
    }
}

/// A stored value under the current key as it is, or sealed anew; plain text is what rows from
/// before encryption at rest hold.
fn resealed(keys: &Keys, place: &[u8], stored: &str) -> anyhow::Result<String> {
    if keys.is_current(stored) {
        return Ok(stored.to_owned());
    }
    let plain = if is_sealed(stored) {
        keys.open(place, stored)?
    } else {
        stored.to_owned()
    };
    Ok(keys.seal(place, &plain))
}

fn stale<C: ColumnTrait>(column: C, prefix: &str) -> Condition {
    Condition::all()
        .add(column.is_not_null())
        .add(column.not_like(prefix))
}

async fn reseal_signatures(db: &DatabaseConnection, keys: &Keys) -> anyhow::Result<u64> {
    use signature::Column as C;
    let prefix = format!("{}%", keys.current_prefix());
    let columns = [
        (C::ContactName, "contact_name"),
        (C::ContactTitle, "contact_title"),
        (C::ContactEmail, "contact_email"),
        (C::ContactPhone, "contact_phone"),
        (C::Comment, "comment"),
    ];
    let txn = crate::db::begin_write(db).await?;
    let rows = signature::Entity::find()
        .filter(
            columns
                .iter()
                .fold(Condition::any(), |any, (c, _)| any.add(stale(*c, &prefix))),
        )
        .order_by_asc(C::Id)
        .limit(RESEAL_BATCH)
        .lock_exclusive()
        .all(&txn)
        .await?;
    for row in &rows {
        let reseal = |column: &str, value: &Option<String>| -> anyhow::Result<Option<String>> {
            value
                .as_deref()
                .map(|v| resealed(keys, &place("signatures", row.id, column), v))
                .transpose()
                .with_context(|| format!("the {column} of signature {}", row.id))
        };
        signature::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(row.id),
            contact_name: Set(reseal("contact_name", &row.contact_name)?),
            contact_title: Set(reseal("contact_title", &row.contact_title)?),
            contact_email: Set(reseal("contact_email", &row.contact_email)?),
            contact_phone: Set(reseal("contact_phone", &row.contact_phone)?),
            comment: Set(reseal("comment", &row.comment)?),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(rows.len() as u64)
}

async fn reseal_invitations(db: &DatabaseConnection, keys: &Keys) -> anyhow::Result<u64> {
    use invitation::Column as C;
    let prefix = format!("{}%", keys.current_prefix());
    let txn = crate::db::begin_write(db).await?;
    let rows = invitation::Entity::find()
        .filter(
            Condition::any()
                .add(stale(C::ContactName, &prefix))
                .add(stale(C::ContactEmail, &prefix)),
        )
        .order_by_asc(C::Id)
        .limit(RESEAL_BATCH)
        .lock_exclusive()
        .all(&txn)
        .await?;
    for row in &rows {
        let reseal = |column: &str, value: &str| {
            resealed(keys, &place("invitations", row.id, column), value)
                .with_context(|| format!("the {column} of invitation {}", row.id))
        };
        invitation::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(row.id),
            contact_name: Set(reseal("contact_name", &row.contact_name)?),
            contact_email: Set(reseal("contact_email", &row.contact_email)?),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(rows.len() as u64)
}

async fn reseal_outbox(db: &DatabaseConnection, keys: &Keys) -> anyhow::Result<u64> {
    use outbox::Column as C;
    let prefix = format!("{}%", keys.current_prefix());
    let txn = crate::db::begin_write(db).await?;
    let rows = outbox::Entity::find()
        .filter(C::SentAt.is_null())
        .filter(C::Recipient.ne(""))
        .filter(
            Condition::any()
                .add(stale(C::Recipient, &prefix))
                .add(stale(C::BodyText, &prefix))
                .add(stale(C::BodyHtml, &prefix)),
        )
        .order_by_asc(C::Id)
        .limit(RESEAL_BATCH)
        .lock_exclusive()
        .all(&txn)
        .await?;
    for row in &rows {
        let reseal = |column: &str, value: &str| {
            resealed(keys, &place("outbox", row.id, column), value)
                .with_context(|| format!("the {column} of outbox email {}", row.id))
        };
        outbox::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(row.id),
            recipient: Set(reseal("recipient", &row.recipient)?),
            body_text: Set(reseal("body_text", &row.body_text)?),
            body_html: Set(reseal("body_html", &row.body_html)?),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(rows.len() as u64)
}

/// Kept import files live a day, so there are few: they are looked at one by one.
async fn reseal_files(db: &DatabaseConnection, keys: &Keys) -> anyhow::Result<u64> {
    let txn = crate::db::begin_write(db).await?;
    let drafts = import_draft::Entity::find()
        .lock_exclusive()
        .all(&txn)
        .await?;
    let mut done = 0;
    for draft in drafts {
        let place = place("import_drafts", draft.id, "content");
        let content = match std::str::from_utf8(&draft.content) {
            Ok(stored) if keys.is_current(stored) => continue,
            Ok(stored) if is_sealed(stored) => keys
                .open_bytes(&place, stored)
                .with_context(|| format!("the file of import draft {}", draft.id))?,
            // Kept before encryption at rest.
            _ => draft.content.clone(),
        };
        import_draft::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(draft.id),
            content: Set(keys.seal_bytes(&place, &content).into_bytes()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        done += 1;
    }
    txn.commit().await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::keys::generate_data_key;

    fn keys() -> Keys {
        Keys::new("secret", &[generate_data_key()]).unwrap()
    }

    fn contact() -> Contact {
        Contact {
            name: "Ana Pérez".into(),
            title: Some("Directora".into()),
            email: Email::parse("ana@sinfronteras.org.mx").unwrap(),
            phone: Some("+52 55 5514 1521".into()),
            comment: None,
        }
    }

    fn stored(keys: &Keys, id: i64) -> signature::Model {
        let mut row = signature::ActiveModel {
            id: Set(id),
            ..Default::default()
        };
        store(&contact(), keys, &mut row).unwrap();
        signature::Model {
            id,
            contact_name: row.contact_name.unwrap(),
            contact_title: row.contact_title.unwrap(),
            contact_email: row.contact_email.unwrap(),
            contact_phone: row.contact_phone.unwrap(),
            comment: row.comment.unwrap(),
            contact_email_key: row.contact_email_key.unwrap(),
            ..blank()
        }
    }

    fn blank() -> signature::Model {
        let now = Utc::now();
        signature::Model {
            id: 0,
            letter_id: 1,
            kind: entity::SignatureKind::Organization,
            name: "Sin Fronteras".into(),
            affiliation: None,
            org_type: None,
            city: None,
            region: None,
            country: None,
            website: None,
            contact_name: None,
            contact_title: None,
            contact_email: None,
            contact_phone: None,
            comment: None,
            contact_email_key: None,
            name_key: "sin fronteras".into(),
            consent: true,
            status: entity::SignatureStatus::Approved,
            source: entity::SignatureSource::Form,
            language: entity::Language::En,
            letter_revision: 1,
            duplicate_of: None,
            ip_hash: None,
            user_agent_hash: None,
            flags: "[]".into(),
            pending_changes: None,
            emails_sent: 0,
            verification_note: None,
            decision_reason: None,
            created_at: now,
            updated_at: now,
            verified_at: None,
            decided_at: None,
            withdrawn_at: None,
            contact_erased_at: None,
            partner_id: None,
            changes_confirmed_at: None,
        }
    }

    #[test]
    fn a_stored_contact_is_sealed_and_loads_back() {
        let keys = keys();
        let row = stored(&keys, 7);
        for value in [&row.contact_name, &row.contact_email, &row.contact_phone] {
            let value = value.as_deref().unwrap();
            assert!(is_sealed(value), "{value}");
            assert!(!value.contains("Ana") && !value.contains("5514"), "{value}");
        }
        assert_eq!(row.comment, None);
        assert_eq!(load(&keys, &row).unwrap(), Some(contact()));
    }

    #[test]
    fn a_contact_copied_to_another_row_or_column_does_not_open() {
        let keys = keys();
        let row = stored(&keys, 7);
        let moved = signature::Model {
            id: 8,
            ..row.clone()
        };
        assert!(load(&keys, &moved).is_err());
        let swapped = signature::Model {
            contact_name: row.contact_phone.clone(),
            ..row
        };
        assert!(load(&keys, &swapped).is_err());
    }

    #[test]
    fn a_row_without_an_id_is_refused() {
        let mut row = <signature::ActiveModel as Default>::default();
        assert!(store(&contact(), &keys(), &mut row).is_err());
    }
}
