//! Writing emails to the outbox, in the transaction of the change that causes them: a crash
//! either keeps both or neither. The mail worker sends them.

use std::path::PathBuf;

use chrono::Utc;
use entity::outbox;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::contact;
use super::emails::ComposedEmail;
use super::keys::Keys;
use crate::domain::Email;
use crate::error::AppResult;

/// Queues one email, its recipient and body sealed (they name the contact and carry links).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    keys: &Keys,
    signature_id: Option<i64>,
    kind: &str,
    recipient: &Email,
    email: ComposedEmail,
) -> AppResult<i64> {
    let id = crate::db::reserve_ids::<outbox::Entity>(db, 1).await?[0];
    let queued = Queued {
        signature_id,
        kind,
        recipient,
        email,
    };
    let row = sealed_row(keys, id, queued, Utc::now()).insert(db).await?;
    Ok(row.id)
}

/// An email to queue with others.
pub struct Queued<'a> {
    /// The signature it is sent for.
    pub signature_id: Option<i64>,
    /// What it is, e.g. `verification`.
    pub kind: &'a str,
    /// Its recipient.
    pub recipient: &'a Email,
    /// The email.
    pub email: ComposedEmail,
}

/// Queues several emails with one statement, as [`enqueue`] does one.
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    keys: &Keys,
    emails: Vec<Queued<'_>>,
) -> AppResult<()> {
    let ids = crate::db::reserve_ids::<outbox::Entity>(db, emails.len()).await?;
    let now = Utc::now();
    let rows = emails
        .into_iter()
        .zip(ids)
        .map(|(queued, id)| sealed_row(keys, id, queued, now));
    outbox::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The outbox row `id` of an email, its recipient and bodies sealed for that row.
fn sealed_row(
    keys: &Keys,
    id: i64,
    queued: Queued<'_>,
    now: chrono::DateTime<Utc>,
) -> outbox::ActiveModel {
    let recipients = std::slice::from_ref(queued.recipient);
    let mut row = new_row(keys, id, queued.kind, recipients, queued.email, now);
    row.signature_id = Set(queued.signature_id);
    row
}

/// A due, unclaimed outbox row `id` for no signature, its recipients and bodies sealed.
fn new_row(
    keys: &Keys,
    id: i64,
    kind: &str,
    recipients: &[Email],
    email: ComposedEmail,
    now: chrono::DateTime<Utc>,
) -> outbox::ActiveModel {
    let sealed = contact::seal_email(keys, id, recipients, &email.text, &email.html);
    outbox::ActiveModel {
        id: Set(id),
        signature_id: Set(None),
        kind: Set(kind.to_owned()),
        recipient: Set(sealed.recipient),
        subject: Set(email.subject),
        body_text: Set(sealed.body_text),
        body_html: Set(sealed.body_html),
        attempts: Set(0),
        created_at: Set(now),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        claimed_by: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        failed_at: Set(None),
        list_unsubscribe: Set(email.list_unsubscribe),
        attachment_snapshot_id: Set(None),
    }
}

/// One email to several recipients together (each sees the others, as on a letter's
/// addressee line), with a frozen export attached when it is sent: the row names the
/// snapshot rather than holding its bytes.
pub async fn enqueue_to_several(
    db: &impl ConnectionTrait,
    keys: &Keys,
    kind: &str,
    recipients: &[Email],
    email: ComposedEmail,
    attachment_snapshot_id: Option<i64>,
) -> AppResult<i64> {
    let id = crate::db::reserve_ids::<outbox::Entity>(db, 1).await?[0];
    let mut row = new_row(keys, id, kind, recipients, email, Utc::now());
    row.attachment_snapshot_id = Set(attachment_snapshot_id);
    Ok(row.insert(db).await?.id)
}

/// The file name of an email's `.eml` copy: the outbox id, and the signature it was sent for,
/// so that erasing a signature's contact finds its emails without reading any file.
pub fn copy_file_name(outbox_id: i64, signature_id: Option<i64>) -> String {
    match signature_id {
        Some(signature_id) => format!("outbox-{outbox_id:08}-signature-{signature_id}.eml"),
        None => format!("outbox-{outbox_id:08}.eml"),
    }
}

/// The folder where emails are written as `.eml` files when no SMTP server is set. Copies of
/// the emails sent to a signer are personal data like the contact itself, so erasing the
/// contact removes them.
#[derive(Debug, Clone)]
pub struct MailCopies {
    dir: PathBuf,
}

impl MailCopies {
    /// The copies in this folder (which need not exist).
    pub fn in_folder(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Removes the copies of these outbox emails, of one signature or of none (invitations),
    /// finished or half-written; copies that are not there are fine.
    pub async fn remove(
        &self,
        signature_id: Option<i64>,
        outbox_ids: &[i64],
    ) -> std::io::Result<()> {
        for &outbox_id in outbox_ids {
            // Before files were named by signature, a copy was named by its outbox id alone.
            let names = [
                signature_id.map(|id| copy_file_name(outbox_id, Some(id))),
                Some(copy_file_name(outbox_id, None)),
            ];
            for name in names.into_iter().flatten() {
                let path = self.dir.join(name);
                for file in [path.with_extension("eml.partial"), path] {
                    match tokio::fs::remove_file(&file).await {
                        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }
}
