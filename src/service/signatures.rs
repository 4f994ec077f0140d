//! Signatures for staff: the moderation queue with its signals, decisions, edits, merges,
//! signatures added by hand; and the public list of approved signatories.

use std::collections::HashMap;

use chrono::Utc;
use entity::{
    Moderation, Role, SignatureKind, SignatureSource, SignatureStatus, letter, signature,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::access;
use super::accounts::Staff;
use super::audit::{self, Actor, Event};
use super::keys::Keys;
use super::outbox::MailCopies;
use super::signing::{audit_public, public_of, write_public};
use super::{changes, contact, public_view};
use crate::domain::mailbox::{email_matches_website, is_free_mail};
use crate::domain::{
    Contact, ContactChanges, ContactFields, Email, LeadSignatories, PublicChanges, SignatureDraft,
    check_changeable,
};
use crate::error::{AppError, AppResult};
use crate::export::Signatory;

/// What staff look at when deciding whether a signature is genuine.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// The contact's email domain is the organization's website domain.
    pub email_matches_website: bool,
    /// The contact uses an address anyone can get.
    pub free_mail: bool,
    /// How many other signatures, on any letter, have the same contact email.
    pub same_contact_elsewhere: u64,
    /// How many other signatures on this letter came from the same network.
    pub same_network: u64,
    /// Flags raised on submission, such as `honeypot`.
    pub flags: Vec<String>,
}

/// A signature as staff see it.
#[derive(Debug, Clone)]
pub struct StaffSignature {
    /// The stored row (its contact columns are read through `contact` only, and are empty for
    /// a reader who may not see them).
    pub row: signature::Model,
    /// The contact person, unless erased, never given, or not for this reader.
    pub contact: Option<Contact>,
    /// Whether the reader's role sees contact data (`access::may_see_contacts`); when not,
    /// `contact` is always `None`.
    pub contacts_visible: bool,
    /// Whether it is one of the letter's lead signatories.
    pub lead: bool,
    /// Verification signals.
    pub signals: Signals,
    /// Other signatures on the letter that may be the same signatory.
    pub duplicate_candidates: Vec<i64>,
}

/// Which signatures to list.
#[derive(Debug, Default)]
pub struct SignatureFilter {
    /// Only this state.
    pub status: Option<SignatureStatus>,
    /// A name, place or type to search for, or a contact email.
    pub query: Option<String>,
    /// Only signatures with changes from their signer.
    pub changes: Option<changes::ChangesFilter>,
}

/// A page of a letter's signatures, newest first, with the total.
pub async fn list(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    filter: SignatureFilter,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<StaffSignature>, u64)> {
    let (letter, reader) = access::letter_and_role(db, staff, letter_id, Role::Viewer).await?;
    let mut query = signature::Entity::find().filter(signature::Column::LetterId.eq(letter_id));
    if let Some(status) = filter.status {
        query = query.filter(signature::Column::Status.eq(status));
    }
    if let Some(changes) = filter.changes {
        query = query.filter(changes.condition());
    }
    if let Some(text) = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        query = match Email::parse(text) {
            // Finding a signature by its contact's email would tell a viewer who signed with it.
            Ok(email) if text.contains('@') && access::may_see_contacts(reader) => {
                query.filter(signature::Column::ContactEmailKey.eq(keys.email_key(&email)))
            }
            _ => {
                let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
                let mut any = Condition::any();
                for column in [
                    signature::Column::Name,
                    signature::Column::City,
                    signature::Column::Region,
                    signature::Column::OrgType,
                    signature::Column::Affiliation,
                ] {
                    any = any.add(Expr::expr(Func::lower(Expr::col(column))).like(pattern.clone()));
                }
                query.filter(any)
            }
        };
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(signature::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((enrich(db, keys, &letter, rows, reader).await?, total))
}

/// One signature of a letter.
pub async fn get(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    signature_id: i64,
) -> AppResult<StaffSignature> {
    let (letter, reader) = access::letter_and_role(db, staff, letter_id, Role::Viewer).await?;
    let row = find(db, letter_id, signature_id).await?;
    one(db, keys, &letter, row, reader).await
}

async fn find(
    db: &impl ConnectionTrait,
    letter_id: i64,
    signature_id: i64,
) -> AppResult<signature::Model> {
    signature::Entity::find_by_id(signature_id)
        .filter(signature::Column::LetterId.eq(letter_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "Letter {letter_id} has no signature with id {signature_id}."
            ))
        })
}

async fn one(
    db: &DatabaseConnection,
    keys: &Keys,
    letter: &letter::Model,
    row: signature::Model,
    reader: Role,
) -> AppResult<StaffSignature> {
    Ok(enrich(db, keys, letter, vec![row], reader).await?.remove(0))
}

/// Adds the signals and duplicate candidates to a page of signatures, in a fixed number of
/// queries, with their contacts only for a `reader` whose role sees contact data.
async fn enrich(
    db: &DatabaseConnection,
    keys: &Keys,
    letter: &letter::Model,
    rows: Vec<signature::Model>,
    reader: Role,
) -> AppResult<Vec<StaffSignature>> {
    let contacts_visible = access::may_see_contacts(reader);
    let lead = LeadSignatories::from_json(&letter.lead_signatories);
    let name_keys: Vec<String> = rows.iter().map(|r| r.name_key.clone()).collect();
    let namesakes = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::NameKey.is_in(name_keys))
        .filter(signature::Column::Status.ne(SignatureStatus::Withdrawn))
        .filter(signature::Column::DuplicateOf.is_null())
        .all(db)
        .await?;
    let email_keys = rows.iter().filter_map(|r| r.contact_email_key.clone());
    let contact_uses = uses(db, signature::Column::ContactEmailKey, email_keys, None).await?;
    let network_keys = rows.iter().filter_map(|r| r.ip_hash.clone());
    let network_uses = uses(db, signature::Column::IpHash, network_keys, Some(letter.id)).await?;
    rows.into_iter()
        .map(|mut row| {
            let contact = contact::load(keys, &row)?;
            let others = |uses: &HashMap<String, i64>, key: &Option<String>| {
                key.as_ref()
                    .and_then(|k| uses.get(k))
                    .map_or(0, |n| u64::try_from(*n - 1).unwrap_or(0))
            };
            let signals = Signals {
                email_matches_website: match (&contact, &row.website) {
                    (Some(c), Some(website)) => email_matches_website(&c.email, website),
                    _ => false,
                },
                free_mail: contact.as_ref().is_some_and(|c| is_free_mail(&c.email)),
                same_contact_elsewhere: others(&contact_uses, &row.contact_email_key),
                same_network: others(&network_uses, &row.ip_hash),
                flags: serde_json::from_str(&row.flags).unwrap_or_default(),
            };
            let duplicate_candidates = namesakes
                .iter()
                .filter(|other| {
                    other.id != row.id
                        && other.name_key == row.name_key
                        && (other.country == row.country
                            || other.country.is_none()
                            || row.country.is_none())
                })
                .map(|other| other.id)
                .collect();
            if !contacts_visible {
                contact::hide(&mut row);
            }
            Ok(StaffSignature {
                lead: lead.names().contains(&row.name),
                contact: contact.filter(|_| contacts_visible),
                contacts_visible,
                signals,
                duplicate_candidates,
                row,
            })
        })
        .collect()
}

/// How many signatures hold each of `keys` in `column`, on one letter or on any.
async fn uses(
    db: &DatabaseConnection,
    column: signature::Column,
    keys: impl Iterator<Item = String>,
    letter_id: Option<i64>,
) -> AppResult<HashMap<String, i64>> {
    let mut query = signature::Entity::find()
        .select_only()
        .column(column)
        .column_as(signature::Column::Id.count(), "n")
        .filter(column.is_in(keys.collect::<Vec<_>>()))
        .group_by(column);
    if let Some(letter_id) = letter_id {
        query = query.filter(signature::Column::LetterId.eq(letter_id));
    }
    Ok(query
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Refuses a contact email (by its lookup key) that another signature on the letter has.
async fn ensure_contact_free(
    db: &impl ConnectionTrait,
    letter_id: i64,
    email_key: &str,
) -> AppResult<()> {
    let taken = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::ContactEmailKey.eq(email_key))
        .count(db)
        .await?;
    if taken > 0 {
        return Err(AppError::taken(
            "contact_email",
            "Another signature on this letter has this contact email.",
        ));
    }
    Ok(())
}

/// Records how staff verified a contact (a call); a signature still waiting for its
/// confirmation link counts as verified, and as approved under automatic moderation.
fn verify_by_other_means(
    row: &mut signature::ActiveModel,
    before: &signature::Model,
    letter: &letter::Model,
    note: String,
    now: chrono::DateTime<Utc>,
) {
    row.verification_note = Set(Some(note));
    if before.status == SignatureStatus::PendingVerification {
        let auto = letter.moderation == Moderation::Auto;
        row.status = Set(if auto {
            SignatureStatus::Approved
        } else {
            SignatureStatus::Verified
        });
        row.verified_at = Set(Some(now));
        if auto {
            row.decided_at = Set(Some(now));
        }
    }
}

/// Adds a signature staff vouch for (source `staff`): approved at once.
pub async fn add(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    draft: SignatureDraft,
) -> AppResult<StaffSignature> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let (letter, reader) = access::letter_and_role(&txn, staff, letter_id, Role::Editor).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    if let Some(contact) = &draft.contact {
        ensure_contact_free(&txn, letter_id, &keys.email_key(&contact.email)).await?;
    }
    let now = Utc::now();
    let id = crate::db::reserve_ids::<signature::Entity>(&txn, 1).await?[0];
    let mut row = signature::ActiveModel {
        id: Set(id),
        letter_id: Set(letter_id),
        consent: Set(true),
        status: Set(SignatureStatus::Approved),
        source: Set(SignatureSource::Staff),
        language: Set(letter.language),
        letter_revision: Set(letter.revision),
        duplicate_of: Set(None),
        ip_hash: Set(None),
        user_agent_hash: Set(None),
        flags: Set("[]".into()),
        pending_changes: Set(None),
        emails_sent: Set(0),
        verification_note: Set(Some(format!("Added by {}", staff.email))),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        verified_at: Set(Some(now)),
        decided_at: Set(Some(now)),
        withdrawn_at: Set(None),
        contact_erased_at: Set(None),
        ..Default::default()
    };
    write_public(&mut row, draft.kind, &draft.public);
    if let Some(contact) = &draft.contact {
        contact::store(contact, keys, &mut row)?;
    }
    let saved = row.insert(&txn).await?;
    public_view::touch(&txn, letter_id).await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "signature.added",
            letter_id: Some(letter_id),
            signature_id: Some(saved.id),
            before: None,
            after: Some(audit_public(&saved)),
        },
    )
    .await?;
    txn.commit().await?;
    one(db, keys, &letter, saved, reader).await
}

/// Changes staff make to a signature, parsed: the public and contact fields hold one `Option`
/// more than a submission's, since `None` leaves a field as it is and `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct SignatureEdit {
    /// Organization or individual.
    pub kind: Option<SignatureKind>,
    /// The public fields to change.
    pub public: PublicChanges,
    /// The contact fields to change.
    pub contact: ContactChanges,
    /// Marks the contact verified by other means (a call), with how.
    pub verification_note: Option<String>,
    /// Lists the signature first, or not.
    pub lead: Option<bool>,
}

impl SignatureEdit {
    /// Every field of a full form replaces the stored one; a draft without a contact leaves
    /// the contact as it is (erasing it is a step of its own).
    pub fn replacing(draft: SignatureDraft) -> Self {
        Self {
            kind: Some(draft.kind),
            public: draft.public.map(Some, |_, value| Some(value)),
            contact: draft
                .contact
                .map(|contact| ContactFields::from(&contact).map(|_, value| Some(value)))
                .unwrap_or_default(),
            ..Self::default()
        }
    }
}

/// Edits a signature: fix a misspelled name, record a verification by phone, make it a lead signatory.
pub async fn edit(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    signature_id: i64,
    changes: SignatureEdit,
) -> AppResult<StaffSignature> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let (letter, reader) = access::letter_and_role(&txn, staff, letter_id, Role::Editor).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    let before = find(&txn, letter_id, signature_id).await?;
    let now = Utc::now();
    let mut row = before.clone().into_active_model();
    let mut public = public_of(&before);
    public.apply(changes.public);
    write_public(&mut row, changes.kind.unwrap_or(before.kind), &public);
    if changes.contact.any() {
        change_contact(&txn, keys, &before, changes.contact, &public.name, &mut row).await?;
    }
    if let Some(note) = changes.verification_note {
        verify_by_other_means(&mut row, &before, &letter, note, now);
    }
    row.updated_at = Set(now);
    let after = row.update(&txn).await?;
    let lead = leads_after_edit(&letter, &before, &after, changes.lead);
    if save_leads(&txn, &letter, &lead, now).await? {
        public_view::touch(&txn, letter_id).await?;
    } else {
        public_view::touch_if_listed(&txn, &before, &after).await?;
    }
    let mut after_audit = audit_public(&after);
    after_audit["lead"] = json!(lead.names().contains(&after.name));
    if after.verification_note != before.verification_note {
        after_audit["verification_note"] = json!(after.verification_note);
    }
    record_staff_action(&txn, staff, "signature.edited", &before, after_audit).await?;
    txn.commit().await?;
    // Read again: the edit may have changed its lead signatories.
    let letter = letter::Entity::find_by_id(letter_id)
        .one(db)
        .await?
        .unwrap_or(letter);
    one(db, keys, &letter, after, reader).await
}

/// Applies a contact edit to the stored contact; an email that changes must be one no other
/// signature on the letter has.
async fn change_contact(
    txn: &impl ConnectionTrait,
    keys: &Keys,
    before: &signature::Model,
    changes: ContactChanges,
    signatory: &str,
    row: &mut signature::ActiveModel,
) -> AppResult<()> {
    let contact = changes
        .apply(contact::load(keys, before)?, signatory)
        .map_err(AppError::invalid)?;
    let key = keys.email_key(&contact.email);
    if before.contact_email_key.as_deref() != Some(key.as_str()) {
        ensure_contact_free(txn, before.letter_id, &key).await?;
    }
    contact::store(&contact, keys, row)?;
    Ok(())
}

/// The letter's lead signatories after an edit: a lead signatory renamed stays one under its
/// new name; `make_lead` adds or removes it.
fn leads_after_edit(
    letter: &letter::Model,
    before: &signature::Model,
    after: &signature::Model,
    make_lead: Option<bool>,
) -> LeadSignatories {
    let mut lead = LeadSignatories::from_json(&letter.lead_signatories);
    if lead.names().contains(&before.name) {
        lead = lead.renamed(&before.name, &after.name);
    }
    match make_lead {
        Some(true) => lead.with(&after.name),
        Some(false) => lead.without(&after.name),
        None => lead,
    }
}

/// Stores the letter's lead signatories when they differ from its own; whether they did.
async fn save_leads(
    txn: &impl ConnectionTrait,
    letter: &letter::Model,
    lead: &LeadSignatories,
    now: chrono::DateTime<Utc>,
) -> AppResult<bool> {
    if lead.names() == LeadSignatories::from_json(&letter.lead_signatories).names() {
        return Ok(false);
    }
    letter::ActiveModel {
        id: Set(letter.id),
        lead_signatories: Set(lead.to_json()),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(true)
}

/// Records a staff member's action on a signature, with its public part before and after (never
/// its contact).
async fn record_staff_action(
    txn: &impl ConnectionTrait,
    staff: &Staff,
    action: &str,
    before: &signature::Model,
    after: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        txn,
        Event {
            actor: &Actor::from(staff),
            action,
            letter_id: Some(before.letter_id),
            signature_id: Some(before.id),
            before: Some(audit_public(before)),
            after: Some(after),
        },
    )
    .await
}

/// A coordinator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Put it on the public list.
    Approve,
    /// Keep it off the list.
    Reject,
}

/// What a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The signature; or, while changes its signer confirmed wait, those changes.
    Signature,
    /// Only the changes its signer confirmed: refused when none wait, so that a decision sent
    /// twice never falls on the signature itself.
    Changes,
}

/// Approves or rejects a signature; for an approved signature whose signer confirmed changes,
/// approves or rejects the changes (see [`changes::decide`]). A withdrawn signature stays
/// withdrawn: the signer decided.
pub async fn decide(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    signature_id: i64,
    decision: Decision,
    subject: Subject,
    reason: Option<String>,
) -> AppResult<StaffSignature> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let (letter, reader) = access::letter_and_role(&txn, staff, letter_id, Role::Editor).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    let after = decide_in(
        &txn,
        staff,
        letter_id,
        signature_id,
        decision,
        subject,
        reason,
    )
    .await?;
    txn.commit().await?;
    one(db, keys, &letter, after, reader).await
}

/// What became of each signature of an approval of several at once.
#[derive(Debug, Default)]
pub struct BulkApproval {
    /// The signatures approved.
    pub approved: Vec<i64>,
    /// The signatures left as they were, each with why.
    pub refused: Vec<(i64, String)>,
}

/// Approves several signatures of a letter in one transaction. Each one a single decision
/// would refuse (withdrawn, merged, not on this letter) is left as it is and reported, so one
/// such signature does not hold back the others.
pub async fn approve_many(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    signature_ids: &[i64],
) -> AppResult<BulkApproval> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let letter = access::letter_for(&txn, staff, letter_id, access::MODERATES).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    let mut outcome = BulkApproval::default();
    let mut ids = signature_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let approved = decide_in(
            &txn,
            staff,
            letter_id,
            id,
            Decision::Approve,
            Subject::Signature,
            None,
        );
        match approved.await {
            Ok(_) => outcome.approved.push(id),
            Err(AppError::Conflict { message, .. }) | Err(AppError::NotFound(message)) => {
                outcome.refused.push((id, message));
            }
            Err(other) => return Err(other),
        }
    }
    txn.commit().await?;
    Ok(outcome)
}

/// One decision, audited, in the caller's transaction; the letter is already checked.
async fn decide_in(
    txn: &impl ConnectionTrait,
    staff: &Staff,
    letter_id: i64,
    signature_id: i64,
    decision: Decision,
    subject: Subject,
    reason: Option<String>,
) -> AppResult<signature::Model> {
    let before = find(txn, letter_id, signature_id).await?;
    if subject == Subject::Changes && !changes::awaiting_review(&before) {
        return Err(AppError::conflict(
            "No changes confirmed by the signer wait for a decision on this signature.",
        ));
    }
    if before.status == SignatureStatus::Withdrawn {
        return Err(AppError::conflict(
            "The signer withdrew this signature; it cannot be approved or rejected.",
        ));
    }
    if before.duplicate_of.is_some() {
        return Err(AppError::conflict(
            "This signature was merged into another one; decide on that one.",
        ));
    }
    let now = Utc::now();
    let mut row = before.clone().into_active_model();
    let change_decided = changes::decide(&before, &mut row, decision == Decision::Approve);
    if change_decided.is_none() {
        row.status = Set(match decision {
            Decision::Approve => SignatureStatus::Approved,
            Decision::Reject => SignatureStatus::Rejected,
        });
        row.decision_reason = Set(reason.clone());
        row.decided_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    let after = row.update(txn).await?;
    public_view::touch_if_listed(txn, &before, &after).await?;
    let mut after_audit = audit_public(&after);
    after_audit["reason"] = json!(reason);
    let action = change_decided.unwrap_or(match decision {
        Decision::Approve => "signature.approved",
        Decision::Reject => "signature.rejected",
    });
    record_staff_action(txn, staff, action, &before, after_audit).await?;
    Ok(after)
}

/// Merges a duplicate into the signature that stays: the duplicate leaves the list (rejected,
/// pointing at the one kept), the one kept gains the duplicate's missing public details and the
/// further of the two states. Both keep their audit trail.
pub async fn merge(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    duplicate_id: i64,
    into_id: i64,
) -> AppResult<StaffSignature> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let (letter, reader) = access::letter_and_role(&txn, staff, letter_id, Role::Editor).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    let (duplicate, kept) = mergeable_pair(&txn, letter_id, duplicate_id, into_id).await?;
    let now = Utc::now();
    let kept_after = kept_with_duplicate(&kept, &duplicate, now)
        .update(&txn)
        .await?;
    let mut duplicate_row = duplicate.clone().into_active_model();
    duplicate_row.status = Set(SignatureStatus::Rejected);
    duplicate_row.duplicate_of = Set(Some(into_id));
    duplicate_row.decision_reason = Set(Some(format!("Merged into signature {into_id}.")));
    duplicate_row.decided_at = Set(Some(now));
    duplicate_row.updated_at = Set(now);
    let duplicate_after = duplicate_row.update(&txn).await?;
    for (before, after) in [(&duplicate, &duplicate_after), (&kept, &kept_after)] {
        public_view::touch_if_listed(&txn, before, after).await?;
        let mut after_audit = audit_public(after);
        after_audit["merged"] = json!({ "duplicate": duplicate_id, "into": into_id });
        record_staff_action(&txn, staff, "signature.merged", before, after_audit).await?;
    }
    txn.commit().await?;
    one(db, keys, &letter, kept_after, reader).await
}

/// The duplicate and the signature it is to be merged into, both on the letter and neither
/// merged already.
async fn mergeable_pair(
    txn: &impl ConnectionTrait,
    letter_id: i64,
    duplicate_id: i64,
    into_id: i64,
) -> AppResult<(signature::Model, signature::Model)> {
    if duplicate_id == into_id {
        return Err(AppError::invalid_field(
            "into",
            "A signature cannot be merged into itself.",
        ));
    }
    let duplicate = find(txn, letter_id, duplicate_id).await?;
    let kept = find(txn, letter_id, into_id).await.map_err(|_| {
        AppError::invalid_field("into", "There is no such signature on this letter.")
    })?;
    if duplicate.duplicate_of.is_some() {
        return Err(AppError::conflict("This signature was already merged."));
    }
    if kept.duplicate_of.is_some() {
        return Err(AppError::invalid_field(
            "into",
            "That signature was itself merged into another; merge into that one.",
        ));
    }
    Ok((duplicate, kept))
}

/// The signature kept by a merge: its public details completed from the duplicate's, and the
/// duplicate's state when that one got further (a withdrawn signature stays withdrawn).
fn kept_with_duplicate(
    kept: &signature::Model,
    duplicate: &signature::Model,
    now: chrono::DateTime<Utc>,
) -> signature::ActiveModel {
    let mut public = public_of(kept);
    public.fill_from(public_of(duplicate));
    let mut row = kept.clone().into_active_model();
    write_public(&mut row, kept.kind, &public);
    if progress(duplicate.status) > progress(kept.status)
        && kept.status != SignatureStatus::Withdrawn
    {
        row.status = Set(duplicate.status);
        row.verified_at = Set(kept.verified_at.or(duplicate.verified_at));
        row.decided_at = Set(kept.decided_at.or(duplicate.decided_at));
    }
    row.updated_at = Set(now);
    row
}

/// How far a signature got towards the public list.
fn progress(status: SignatureStatus) -> u8 {
    match status {
        SignatureStatus::Approved => 3,
        SignatureStatus::Verified => 2,
        SignatureStatus::PendingVerification => 1,
        SignatureStatus::Rejected | SignatureStatus::Withdrawn => 0,
    }
}

/// The approved signatures of a letter, in no particular order.
pub async fn approved(
    db: &impl ConnectionTrait,
    letter_id: i64,
) -> AppResult<Vec<signature::Model>> {
    Ok(signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::Status.eq(SignatureStatus::Approved))
        .all(db)
        .await?)
}

/// The public part of a signature, as lists and exports show it.
pub fn signatory(row: &signature::Model) -> Signatory {
    Signatory {
        id: row.id,
        kind: row.kind,
        public: public_of(row),
    }
}

/// Erases a signature's contact data (right to erasure): the contact fields, the hashes kept
/// for abuse review, the signer's pending changes, the emails not yet sent and the copies of
/// those sent. Its public part stays on the letter. Allowed at any time, delivered letters
/// included; the one way contact data is erased, on request and by retention alike.
pub async fn erase_contact(
    db: &DatabaseConnection,
    copies: &MailCopies,
    actor: &Actor,
    letter_id: i64,
    signature_id: i64,
) -> AppResult<()> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let row = find(&txn, letter_id, signature_id).await?;
    let mut erased = row.clone().into_active_model();
    contact::erase(&mut erased);
    changes::discard(&mut erased);
    erased.updated_at = Set(Utc::now());
    erased.update(&txn).await?;
    let invitation_emails = match &row.contact_email_key {
        Some(key) => super::invitations::forget(&txn, letter_id, Some(key)).await?,
        None => Vec::new(),
    };
    let emails: Vec<i64> = entity::outbox::Entity::find()
        .select_only()
        .column(entity::outbox::Column::Id)
        .filter(entity::outbox::Column::SignatureId.eq(signature_id))
        .into_tuple()
        .all(&txn)
        .await?;
    entity::outbox::Entity::delete_many()
        .filter(entity::outbox::Column::SignatureId.eq(signature_id))
        .filter(entity::outbox::Column::SentAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Event {
            actor,
            action: "signature.contact_erased",
            letter_id: Some(letter_id),
            signature_id: Some(signature_id),
            before: None,
            after: Some(audit_public(&row)),
        },
    )
    .await?;
    // The files go first: when one cannot be removed, the erasure is not recorded as done and
    // can simply be asked for again.
    copies
        .remove(Some(signature_id), &emails)
        .await
        .and(copies.remove(None, &invitation_emails).await)
        .map_err(|err| anyhow::anyhow!("cannot remove the copies of emails to a signer: {err}"))?;
    txn.commit().await?;
    Ok(())
}

/// Erases a signature's contact data for a staff member of the letter (editors and owners).
pub async fn erase_for_staff(
    db: &DatabaseConnection,
    copies: &MailCopies,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    signature_id: i64,
) -> AppResult<StaffSignature> {
    let (letter, reader) = access::letter_and_role(db, staff, letter_id, Role::Editor).await?;
    erase_contact(db, copies, &Actor::from(staff), letter_id, signature_id).await?;
    let row = find(db, letter_id, signature_id).await?;
    one(db, keys, &letter, row, reader).await
}

/// The signature on a letter whose contact has this email, if any.
pub async fn find_by_contact_email(
    db: &impl ConnectionTrait,
    keys: &Keys,
    letter_id: i64,
    email: &Email,
) -> AppResult<Option<signature::Model>> {
    Ok(signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::ContactEmailKey.eq(keys.email_key(email)))
        .one(db)
        .await?)
}
