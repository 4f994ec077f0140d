//! The emails of a delivery: one to the letter's addressees from its coordinators, with the
//! frozen PDF attached, and one notice to each approved signatory's contact person that the
//! letter went out. Both are queued in the outbox by the transaction that marks the letter
//! delivered, so they go out once: a delivered letter is never delivered again, and a restart
//! resumes from the outbox.

use entity::{LetterStatus, SignatureStatus, letter, letter_snapshot, signature};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use url::Url;

use super::audit::{self, Actor, Event};
use super::delivery_emails::{AddresseeEmail, DeliveryNotice};
use super::keys::Keys;
use super::letters::{coordinator_names, text_in};
use super::outbox::{self, Queued};
use super::{contact, delivery_emails};
use crate::domain::{AddresseeEmails, FieldErrors, MAX_COVER_NOTE_CHARS, optional_text};
use crate::error::AppResult;

/// The outbox kind of the email to the addressees.
pub const ADDRESSEE_KIND: &str = "delivery.addressees";
/// The outbox kind of a signatory's notice.
pub const NOTICE_KIND: &str = "delivery.notice";
/// Signatures read, and notices queued with one statement, at a time.
const PAGE: u64 = 500;

/// A letter's delivery settings as given, before any check; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct DeliveryFields {
    /// The addressees' email addresses; an empty list sends no email to addressees.
    pub addressee_emails: Option<Vec<String>>,
    /// The coordinators' note above the letter; blank for none.
    pub cover_note: Option<String>,
}

/// Checked delivery settings; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct DeliveryChanges {
    /// The addressees' email addresses.
    pub addressee_emails: Option<AddresseeEmails>,
    /// The cover note, empty for none.
    pub cover_note: Option<String>,
}

impl DeliveryFields {
    /// Checks the fields, adding their errors to `errors`.
    pub fn check(self, errors: &mut FieldErrors) -> DeliveryChanges {
        let addressee_emails = self
            .addressee_emails
            .and_then(|list| errors.check("addressee_emails", AddresseeEmails::parse(&list)));
        let cover_note = self.cover_note.and_then(|note| {
            errors
                .check(
                    "cover_note",
                    optional_text(Some(&note), MAX_COVER_NOTE_CHARS, true),
                )
                .map(Option::unwrap_or_default)
        });
        DeliveryChanges {
            addressee_emails,
            cover_note,
        }
    }
}

impl DeliveryChanges {
    /// Writes the changed settings into a letter being created or edited.
    pub fn apply(self, letter: &mut letter::ActiveModel) {
        if let Some(emails) = self.addressee_emails {
            letter.addressee_emails = Set(emails.to_json());
        }
        if let Some(note) = self.cover_note {
            letter.cover_note = Set(note);
        }
    }
}

/// A letter's addressee addresses.
pub fn addressee_emails(letter: &letter::Model) -> AddresseeEmails {
    AddresseeEmails::from_json(&letter.addressee_emails)
}

/// What delivering a letter would send, for the confirmation that asks first.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPlan {
    /// The addresses the one email to the addressees goes to (none: no such email).
    pub addresses: usize,
    /// The approved signatories whose contact person hears of it.
    pub notices: u64,
}

/// What delivering `letter` now would send.
pub async fn plan(db: &impl ConnectionTrait, letter: &letter::Model) -> AppResult<DeliveryPlan> {
    Ok(DeliveryPlan {
        addresses: addressee_emails(letter).emails().len(),
        notices: notified(letter.id).count(db).await?,
    })
}

/// The signatures whose contact person is told of the delivery: approved, contact not erased.
fn notified(letter_id: i64) -> sea_orm::Select<signature::Entity> {
    signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::Status.eq(SignatureStatus::Approved))
        .filter(signature::Column::ContactEmail.is_not_null())
}

/// The public address of the delivered letter's PDF in `language`.
pub fn public_pdf_url(
    base_url: &Url,
    letter: &letter::Model,
    language: entity::Language,
) -> String {
    let mut url = base_url.clone();
    url.set_path(&format!("/l/{}/letter.pdf", letter.slug));
    url.set_query(Some(&format!("lang={}", crate::i18n::code(language))));
    url.to_string()
}

/// Queues the delivery's emails and records them in the audit trail, in the transaction that
/// marks `letter` delivered (after its exports were frozen).
pub async fn queue(
    txn: &impl ConnectionTrait,
    keys: &Keys,
    base_url: &Url,
    actor: &Actor,
    letter: &letter::Model,
) -> AppResult<()> {
    debug_assert_eq!(letter.status, LetterStatus::Delivered);
    let started = std::time::Instant::now();
    let coordinators = coordinator_names(txn, letter.id).await?.join(", ");
    let addresses = addressee_emails(letter);
    let to_addressees = if addresses.emails().is_empty() {
        0
    } else {
        queue_addressee_email(txn, keys, base_url, letter, &coordinators, &addresses).await?;
        1
    };
    let notices = queue_notices(txn, keys, base_url, letter, &coordinators).await?;
    tracing::info!(
        letter_id = letter.id,
        to_addressees,
        notices,
        ms = started.elapsed().as_millis() as u64,
        "delivery emails queued"
    );
    audit::record(
        txn,
        Event {
            actor,
            action: "letter.delivery_emails_queued",
            letter_id: Some(letter.id),
            signature_id: None,
            before: None,
            after: Some(json!({
                "addressee_emails": to_addressees,
                "addresses": addresses.emails().len(),
                "notices": notices,
            })),
        },
    )
    .await
}

async fn queue_addressee_email(
    txn: &impl ConnectionTrait,
    keys: &Keys,
    base_url: &Url,
    letter: &letter::Model,
    coordinators: &str,
    addresses: &AddresseeEmails,
) -> AppResult<()> {
    let language = letter.language;
    let pdf: i64 = letter_snapshot::Entity::find()
        .select_only()
        .column(letter_snapshot::Column::Id)
        .filter(letter_snapshot::Column::LetterId.eq(letter.id))
        .filter(letter_snapshot::Column::Format.eq("pdf"))
        .filter(letter_snapshot::Column::Language.eq(crate::i18n::code(language)))
        .into_tuple()
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the delivered letter has no frozen PDF"))?;
    let signatories = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::Status.eq(SignatureStatus::Approved))
        .count(txn)
        .await?;
    let text = text_in(letter, language);
    let email = delivery_emails::to_addressees(&AddresseeEmail {
        language,
        letter_title: &text.title,
        coordinators,
        cover_note: &letter.cover_note,
        signatories,
        pdf_url: &public_pdf_url(base_url, letter, language),
    });
    outbox::enqueue_to_several(
        txn,
        keys,
        ADDRESSEE_KIND,
        addresses.emails(),
        email,
        Some(pdf),
    )
    .await?;
    Ok(())
}

/// Queues one notice per notified signature, a page at a time; returns how many.
async fn queue_notices(
    txn: &impl ConnectionTrait,
    keys: &Keys,
    base_url: &Url,
    letter: &letter::Model,
    coordinators: &str,
) -> AppResult<u64> {
    let mut after = 0;
    let mut queued = 0;
    loop {
        let rows = notified(letter.id)
            .filter(signature::Column::Id.gt(after))
            .order_by_asc(signature::Column::Id)
            .limit(PAGE)
            .all(txn)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(queued);
        };
        after = last.id;
        let mut contacts = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(recipient) = contact::load_recipient(keys, row)? {
                contacts.push((row, recipient));
            }
        }
        let emails = contacts
            .iter()
            .map(|(row, (contact_name, address))| {
                // The signer's language, and the letter's where it has no text in it.
                let text = text_in(letter, row.language);
                let email = delivery_emails::notice(&DeliveryNotice {
                    language: row.language,
                    letter_title: &text.title,
                    coordinators,
                    signatory: &row.name,
                    contact_name,
                    pdf_url: &public_pdf_url(base_url, letter, text.language),
                });
                Queued {
                    signature_id: Some(row.id),
                    kind: NOTICE_KIND,
                    recipient: address,
                    email,
                }
            })
            .collect::<Vec<_>>();
        queued += emails.len() as u64;
        if !emails.is_empty() {
            outbox::enqueue_many(txn, keys, emails).await?;
        }
    }
}
