//! A letter's signatures for staff: the moderation queue, decisions, edits, merges, additions.

use chrono::{DateTime, Utc};
use entity::{Language, SignatureKind, SignatureSource, SignatureStatus};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, NewType, Object, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::ApiError;
use super::pagination::page;
use super::public::SubmissionDto;
use super::strict::Strict;
use crate::domain::{
    ContactFields, FieldErrors, Intake, PublicFields, bounded_text, optional_text,
};
use crate::error::AppError;
use crate::service::changes::{self, ChangesFilter, ProposedChange};
use crate::service::signatures::{
    self, Decision, SignatureEdit, SignatureFilter, StaffSignature, Subject,
};
use crate::service::signing::public_of;
use crate::state::AppState;

/// What staff see to judge a signature.
#[derive(Object)]
#[oai(rename = "VerificationSignals")]
struct SignalsDto {
    /// The contact's email domain is the organization's website domain.
    email_matches_website: bool,
    /// The contact uses a free-mail address.
    free_mail: bool,
    /// Other signatures, on any letter, with the same contact email.
    same_contact_elsewhere: u64,
    /// Other signatures on this letter from the same network.
    same_network: u64,
    /// Flags raised on submission (`honeypot`: a field people never fill was filled).
    flags: Vec<String>,
}

/// A signature as staff see it. The contact fields (`contact_name`, `contact_title`,
/// `contact_email`, `contact_phone`, `comment`) are there for editors and owners only; a
/// viewer's answer leaves them out.
#[derive(Object)]
#[oai(rename = "Signature")]
struct SignatureDto {
    id: i64,
    status: SignatureStatus,
    source: SignatureSource,
    kind: SignatureKind,
    #[oai(flatten)]
    public: PublicFields,
    // Leaving them out for a viewer, rather than sending nulls, keeps "erased" and "not yours
    // to see" apart.
    #[oai(flatten)]
    contact: Option<ContactFields>,
    /// The signer agreed to be listed.
    consent: bool,
    /// The language of the version signed.
    language: Language,
    /// The letter's text revision when it was signed.
    letter_revision: i32,
    /// Listed first, among the letter's lead signatories.
    lead: bool,
    /// How the contact was verified by other means, or who added it.
    #[oai(nullable)]
    verification_note: Option<String>,
    /// Why it was approved or rejected.
    #[oai(nullable)]
    decision_reason: Option<String>,
    /// The signature this one was merged into.
    #[oai(nullable)]
    merged_into: Option<i64>,
    /// Other signatures on the letter that may be the same signatory (same normalized name and country).
    duplicate_of: Vec<i64>,
    /// The signer re-submitted changes (see `pending_changes`).
    changes_pending: bool,
    // Described on its type: a described reference is written as `allOf`, which some client
    // generators reject.
    #[oai(nullable)]
    pending_changes: Option<PendingChangesDto>,
    /// How many confirmation emails were sent.
    emails_sent: i32,
    signals: SignalsDto,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[oai(nullable)]
    verified_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    decided_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    withdrawn_at: Option<DateTime<Utc>>,
    /// When the contact data was erased.
    #[oai(nullable)]
    contact_erased_at: Option<DateTime<Utc>>,
}

impl From<StaffSignature> for SignatureDto {
    fn from(s: StaffSignature) -> Self {
        let StaffSignature {
            row,
            contact,
            contacts_visible,
            lead,
            signals,
            duplicate_candidates,
        } = s;
        let pending_changes = changes::proposed(&row).map(PendingChangesDto::from);
        Self {
            id: row.id,
            status: row.status,
            source: row.source,
            kind: row.kind,
            public: public_of(&row),
            contact: contacts_visible.then(|| {
                contact
                    .as_ref()
                    .map(ContactFields::from)
                    .unwrap_or_default()
            }),
            consent: row.consent,
            language: row.language,
            letter_revision: row.letter_revision,
            lead,
            verification_note: row.verification_note,
            decision_reason: row.decision_reason,
            merged_into: row.duplicate_of,
            duplicate_of: duplicate_candidates,
            changes_pending: row.pending_changes.is_some(),
            pending_changes,
            emails_sent: row.emails_sent,
            signals: SignalsDto {
                email_matches_website: signals.email_matches_website,
                free_mail: signals.free_mail,
                same_contact_elsewhere: signals.same_contact_elsewhere,
                same_network: signals.same_network,
                flags: signals.flags,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
            verified_at: row.verified_at,
            decided_at: row.decided_at,
            withdrawn_at: row.withdrawn_at,
            contact_erased_at: row.contact_erased_at,
        }
    }
}

/// The public fields as the signer re-submitted them for their confirmed entry. They wait for
/// the signer's confirmation by email; once confirmed (`confirmed_at`), a change to an approved
/// entry under manual moderation waits for a decision: approve applies it, reject drops it,
/// and the entry stays public as it is meanwhile.
#[derive(Object)]
#[oai(rename = "PendingChanges")]
struct PendingChangesDto {
    kind: SignatureKind,
    #[oai(flatten)]
    public: PublicFields,
    /// When the signer confirmed them; empty while they wait for the signer.
    #[oai(nullable)]
    confirmed_at: Option<DateTime<Utc>>,
}

impl From<ProposedChange> for PendingChangesDto {
    fn from(change: ProposedChange) -> Self {
        Self {
            kind: change.kind,
            public: change.proposed,
            confirmed_at: change.confirmed_at,
        }
    }
}

/// One page of signatures.
#[derive(Object)]
struct SignatureList {
    /// The signatures of this page, newest first.
    items: Vec<SignatureDto>,
    /// How many match in all.
    total: u64,
}

// A field of a change: left out, it stays as it is; `null` clears it. A type of its own only so
// that the field groups flattened into a change get a schema name apart from a submission's
// (poem-openapi names `MaybeUndefined<String>` as it names `Option<String>`). A plain comment,
// since a doc comment here would become each field's schema title.
#[derive(NewType)]
#[oai(
    rename = "clearable_string",
    from_parameter = false,
    from_multipart = false,
    to_header = false
)]
struct Clearable(MaybeUndefined<String>);

/// Changes to a signature; fields left out stay as they are, `null` clears an optional one.
#[derive(Object)]
#[oai(rename = "SignatureChanges")]
struct SignatureChangesDto {
    kind: Option<SignatureKind>,
    #[oai(flatten)]
    public: PublicFields<Option<String>, Clearable>,
    #[oai(flatten)]
    contact: ContactFields<Clearable>,
    /// Marks the contact verified by other means, saying how ("called the office on 3 May").
    verification_note: Option<String>,
    /// List it first among the lead signatories, or not.
    lead: Option<bool>,
}

/// Which signer changes to list.
#[derive(Enum, Clone, Copy)]
#[oai(rename_all = "lowercase")]
enum ChangesFilterDto {
    /// Signatures with changes from their signer, confirmed or not.
    Any,
    /// Changes their signer confirmed, waiting for a decision.
    Confirmed,
}

/// approve or reject.
#[derive(Enum, Clone, Copy)]
#[oai(rename_all = "lowercase")]
enum DecisionDto {
    /// Put it on the public list.
    Approve,
    /// Keep it off the list.
    Reject,
}

/// A coordinator's decision.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct DecisionRequest {
    decision: DecisionDto,
    /// Why; kept in the audit trail, never public.
    reason: Option<String>,
}

/// Which signature a duplicate merges into.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct MergeRequest {
    /// The signature that stays.
    into: i64,
}

#[derive(ApiResponse)]
enum SignatureListResponse {
    /// The signatures.
    #[oai(status = 200)]
    Ok(Json<SignatureList>),
}

#[derive(ApiResponse)]
enum SignatureResponse {
    /// The signature.
    #[oai(status = 200)]
    Ok(Json<SignatureDto>),
}

#[derive(ApiResponse)]
enum AddSignatureResponse {
    /// Added, approved, with source `staff`.
    #[oai(status = 201)]
    Created(Json<SignatureDto>),
}

/// `None` leaves a field as it is, `Some(None)` clears it.
fn nullable(_field: &str, Clearable(value): Clearable) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

fn parse_changes(dto: SignatureChangesDto) -> Result<SignatureEdit, AppError> {
    let mut errors = FieldErrors::default();
    let public = dto.public.map(|name| name, nullable).parse(&mut errors);
    let contact = dto.contact.map(nullable).parse(&mut errors);
    let verification_note = dto
        .verification_note
        .and_then(|n| errors.check("verification_note", bounded_text(&n, 1000)));
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    Ok(SignatureEdit {
        kind: dto.kind,
        public,
        contact,
        verification_note,
        lead: dto.lead,
    })
}

pub struct SignaturesApi;

#[OpenApi(tag = "ApiTags::Signatures")]
impl SignaturesApi {
    /// List a letter's signatures
    ///
    /// The moderation queue: filter by `status`, search names, places and types with `q`
    /// (editors and owners may also give a contact email to find its signature). Contact
    /// fields are personal data: editors and owners see them, viewers get each signature
    /// without them, as the staff CSV export needs an editor too. The changes signers
    /// confirmed to approved entries, waiting for a decision, are found with `changes=confirmed`.
    #[oai(
        path = "/letters/:id/signatures",
        method = "get",
        operation_id = "list_signatures"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// Only signatures in this state.
        status: Query<Option<SignatureStatus>>,
        /// Text to search for.
        q: Query<Option<String>>,
        /// Only signatures with changes from their signer: `any`, or `confirmed` (waiting for a decision).
        changes: Query<Option<ChangesFilterDto>>,
        /// Page size, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u64>>,
        /// How many items to skip, up to 1,000,000,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<SignatureListResponse, ApiError> {
        let (limit, offset) = page(limit.0, offset.0);
        let filter = SignatureFilter {
            status: status.0,
            query: q.0,
            changes: changes.0.map(|filter| match filter {
                ChangesFilterDto::Any => ChangesFilter::Any,
                ChangesFilterDto::Confirmed => ChangesFilter::AwaitingReview,
            }),
        };
        let (items, total) =
            signatures::list(&state.db, &state.keys, &auth.0, id.0, filter, limit, offset).await?;
        Ok(SignatureListResponse::Ok(Json(SignatureList {
            items: items.into_iter().map(SignatureDto::from).collect(),
            total,
        })))
    }

    /// Add a signature
    ///
    /// A signature staff vouch for (a phone call, a paper list): approved at once, source `staff`.
    /// The contact email is optional here.
    #[oai(
        path = "/letters/:id/signatures",
        method = "post",
        operation_id = "add_signature"
    )]
    async fn add(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<Strict<SubmissionDto>>,
    ) -> Result<AddSignatureResponse, ApiError> {
        let draft = body
            .0
            .0
            .into_input()
            .parse(Intake::Vouched)
            .map_err(AppError::invalid)?;
        let added = signatures::add(&state.db, &state.keys, &auth.0, id.0, draft).await?;
        Ok(AddSignatureResponse::Created(Json(added.into())))
    }

    /// Read a signature
    ///
    /// With its contact fields for editors and owners; without them for viewers.
    #[oai(
        path = "/letters/:id/signatures/:sid",
        method = "get",
        operation_id = "get_signature"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        sid: Path<i64>,
    ) -> Result<SignatureResponse, ApiError> {
        let found = signatures::get(&state.db, &state.keys, &auth.0, id.0, sid.0).await?;
        Ok(SignatureResponse::Ok(Json(found.into())))
    }

    /// Edit a signature
    ///
    /// Fix the public part, update the contact, record a verification by other means
    /// (`verification_note`), or make it a lead signatory (`lead`).
    #[oai(
        path = "/letters/:id/signatures/:sid",
        method = "patch",
        operation_id = "update_signature"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        sid: Path<i64>,
        body: Json<Strict<SignatureChangesDto>>,
    ) -> Result<SignatureResponse, ApiError> {
        let changes = parse_changes(body.0.0)?;
        let edited =
            signatures::edit(&state.db, &state.keys, &auth.0, id.0, sid.0, changes).await?;
        Ok(SignatureResponse::Ok(Json(edited.into())))
    }

    /// Approve or reject a signature
    ///
    /// On an approved signature whose signer confirmed changes (`pending_changes.confirmed_at`),
    /// the decision is on the changes: approve applies them, reject drops them, and the
    /// signature stays approved either way.
    #[oai(
        path = "/letters/:id/signatures/:sid/decision",
        method = "post",
        operation_id = "decide_signature"
    )]
    async fn decide(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        sid: Path<i64>,
        body: Json<DecisionRequest>,
    ) -> Result<SignatureResponse, ApiError> {
        let decision = match body.0.decision {
            DecisionDto::Approve => Decision::Approve,
            DecisionDto::Reject => Decision::Reject,
        };
        let reason = match body.0.reason.as_deref() {
            Some(text) => optional_text(Some(text), 1000, true)
                .map_err(|e| AppError::invalid_field("reason", e))?,
            None => None,
        };
        let decided = signatures::decide(
            &state.db,
            &state.keys,
            &auth.0,
            id.0,
            sid.0,
            decision,
            Subject::Signature,
            reason,
        )
        .await?;
        Ok(SignatureResponse::Ok(Json(decided.into())))
    }

    /// Merge a duplicate
    ///
    /// Merges this signature into `into`: it leaves the list, and the one kept gains its
    /// missing details. Both keep their audit trail.
    #[oai(
        path = "/letters/:id/signatures/:sid/merge",
        method = "post",
        operation_id = "merge_signature"
    )]
    async fn merge(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        sid: Path<i64>,
        body: Json<MergeRequest>,
    ) -> Result<SignatureResponse, ApiError> {
        let kept =
            signatures::merge(&state.db, &state.keys, &auth.0, id.0, sid.0, body.0.into).await?;
        Ok(SignatureResponse::Ok(Json(kept.into())))
    }

    /// Erase a signer's contact data
    ///
    /// The right to erasure: the contact's name, title, email, phone and comment are erased for
    /// good; the public part of the signature stays on the letter. Audited.
    #[oai(
        path = "/letters/:id/signatures/:sid/erase",
        method = "post",
        operation_id = "erase_signature_contact"
    )]
    async fn erase(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        sid: Path<i64>,
    ) -> Result<SignatureResponse, ApiError> {
        let erased = signatures::erase_for_staff(
            &state.db,
            &state.mail_copies(),
            &state.keys,
            &auth.0,
            id.0,
            sid.0,
        )
        .await?;
        Ok(SignatureResponse::Ok(Json(erased.into())))
    }
}
