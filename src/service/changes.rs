//! A signer's changes to an entry already confirmed. Knowing a contact's email must not be
//! enough to change what is published under an organization's name: the changes wait until
//! the contact confirms them through the emailed link, having been shown the entry as it is
//! and as it would be. Under manual moderation (or when the submission was flagged) a confirmed
//! change to an approved entry then waits for the coordinators, while the entry stays public
//! as it was: approving applies the change, rejecting drops it.
//!
//! Every rule about pending changes is in this file.

use chrono::{DateTime, Utc};
use entity::{Language, Moderation, SignatureKind, SignatureStatus, letter, signature};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition};

use super::signing::{PendingChanges, public_of, write_public};
use crate::domain::{PublicDetails, countries};
use crate::i18n::texts;

/// A change a signer asked for, beside the entry as it is.
#[derive(Debug, Clone)]
pub struct ProposedChange {
    /// Organization or individual, now.
    pub kind_now: SignatureKind,
    /// The public part now.
    pub now: PublicDetails,
    /// Organization or individual, after the change.
    pub kind: SignatureKind,
    /// The public part after the change.
    pub proposed: PublicDetails,
    /// When the signer confirmed it; from then on it waits for the coordinators' decision.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// One public field of a change, labelled in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedField {
    /// The field's name, as the form calls it.
    pub label: &'static str,
    /// Its value now.
    pub now: Option<String>,
    /// Its value after the change.
    pub after: Option<String>,
}

impl ChangedField {
    /// Whether the change touches this field.
    pub fn changed(&self) -> bool {
        self.now != self.after
    }
}

impl ProposedChange {
    /// Every public field either version fills, in the form's order.
    pub fn fields(&self, language: Language) -> Vec<ChangedField> {
        let t = texts(language);
        let kind_word = |kind| match kind {
            SignatureKind::Organization => t.kind_organization,
            SignatureKind::Individual => t.kind_individual,
        };
        let name_label = match self.kind {
            SignatureKind::Organization => t.name_organization,
            SignatureKind::Individual => t.name_individual,
        };
        let country = |details: &PublicDetails| {
            details.country.as_deref().map(|code| {
                countries::name(code, language).map_or_else(|| code.to_owned(), str::to_owned)
            })
        };
        let (now, after) = (&self.now, &self.proposed);
        [
            (
                t.who_signs,
                Some(kind_word(self.kind_now).to_owned()),
                Some(kind_word(self.kind).to_owned()),
            ),
            (name_label, Some(now.name.clone()), Some(after.name.clone())),
            (
                t.affiliation,
                now.affiliation.clone(),
                after.affiliation.clone(),
            ),
            (t.org_type, now.org_type.clone(), after.org_type.clone()),
            (t.city, now.city.clone(), after.city.clone()),
            (t.region, now.region.clone(), after.region.clone()),
            (t.country, country(now), country(after)),
            (t.website, now.website.clone(), after.website.clone()),
        ]
        .into_iter()
        .enumerate()
        // Whether an organization or an individual signs is shown only when that changes.
        .filter(|(index, (_, now, after))| {
            (*index > 0 || now != after) && (now.is_some() || after.is_some())
        })
        .map(|(_, field)| field)
        .map(|(label, now, after)| ChangedField { label, now, after })
        .collect()
    }
}

/// The change waiting on a signature, if any: the one reading of pending changes, for the
/// email, the Confirm page, the API and the dashboard.
pub fn proposed(row: &signature::Model) -> Option<ProposedChange> {
    let pending: PendingChanges = serde_json::from_str(row.pending_changes.as_deref()?).ok()?;
    Some(ProposedChange {
        kind_now: row.kind,
        now: public_of(row),
        kind: pending.kind,
        proposed: pending.public,
        confirmed_at: row.changes_confirmed_at,
    })
}

/// Whether a change the signer confirmed waits for the coordinators.
pub fn awaiting_review(row: &signature::Model) -> bool {
    row.pending_changes.is_some() && row.changes_confirmed_at.is_some()
}

/// Which pending changes to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesFilter {
    /// Signatures with changes, confirmed by their signer or not.
    Any,
    /// Changes confirmed by their signer, waiting for the coordinators.
    AwaitingReview,
}

impl ChangesFilter {
    /// The signatures this filter lets through.
    pub fn condition(self) -> Condition {
        let pending = Condition::all().add(signature::Column::PendingChanges.is_not_null());
        match self {
            Self::Any => pending,
            Self::AwaitingReview => {
                pending.add(signature::Column::ChangesConfirmedAt.is_not_null())
            }
        }
    }
}

/// Keeps the public fields a signer re-submitted for a confirmed entry until they confirm
/// them; a new submission replaces an earlier one, which then needs confirming again.
pub fn propose(row: &mut signature::ActiveModel, kind: SignatureKind, public: &PublicDetails) {
    let pending = PendingChanges {
        kind,
        public: public.clone(),
    };
    row.pending_changes = Set(Some(
        serde_json::to_string(&pending).expect("pending changes always serialize"),
    ));
    row.changes_confirmed_at = Set(None);
}

/// The signer confirmed through the emailed link. The change applies at once, unless the entry
/// is public and the letter is moderated by hand (or the submission was flagged as abuse): then
/// it waits for the coordinators, and the entry stays public as it was.
pub fn confirm(
    letter: &letter::Model,
    before: &signature::Model,
    row: &mut signature::ActiveModel,
    now: DateTime<Utc>,
) {
    let Some(change) = proposed(before) else {
        return;
    };
    let reviewed = letter.moderation == Moderation::Manual || before.flags.contains("honeypot");
    if before.status == SignatureStatus::Approved && reviewed {
        row.changes_confirmed_at = Set(Some(now));
    } else {
        apply(row, &change);
    }
}

/// A coordinator's decision on a change the signer confirmed, when one waits: approving applies
/// it, rejecting drops it, and the entry stays approved either way. Returns the audit action,
/// or `None` when no change waits and the decision is on the signature itself.
pub fn decide(
    before: &signature::Model,
    row: &mut signature::ActiveModel,
    approve: bool,
) -> Option<&'static str> {
    if !awaiting_review(before) {
        return None;
    }
    let change = proposed(before)?;
    if approve {
        apply(row, &change);
        Some("signature.change_approved")
    } else {
        discard(row);
        Some("signature.change_rejected")
    }
}

/// Forgets any pending change (the contact who could confirm it was erased).
pub fn discard(row: &mut signature::ActiveModel) {
    row.pending_changes = Set(None);
    row.changes_confirmed_at = Set(None);
}

fn apply(row: &mut signature::ActiveModel, change: &ProposedChange) {
    write_public(row, change.kind, &change.proposed);
    discard(row);
}
