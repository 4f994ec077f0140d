//! Letters for staff: create, read, list, edit, move through their life, add co-leads, audit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{Language, LetterStatus, ListOrder, Moderation, Paper, audit_event};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::ApiError;
use super::pagination::page;
use super::strict::Strict;
use crate::domain::Translations;
use crate::error::AppError;
use crate::service::delivery::DeliveryFields;
use crate::service::letters::{self, Counts, LetterFields, LetterView, TranslationFields};
use crate::state::AppState;

/// A letter's text in a second language.
#[derive(Object, Clone)]
#[oai(rename = "LetterTranslation", deny_unknown_fields)]
pub struct TranslationDto {
    /// The translated title.
    pub title: String,
    /// The translated body, Markdown.
    #[oai(default)]
    pub body: String,
    /// The translated addressee block.
    #[oai(default)]
    pub addressees: String,
}

/// A new letter: its lead organization and its settings. Every field may be left out but
/// `slug` and `title`, and takes its default.
#[derive(Object)]
#[oai(rename = "LetterInput")]
pub struct LetterInput {
    /// The lead organization; may be left out when you belong to one organization only.
    organization_id: Option<i64>,
    #[oai(flatten)]
    settings: LetterChanges,
}

/// The settings of a letter, as sent to edit one: fields left out stay as they are. The lead
/// organization is chosen when the letter is created; add co-leads instead.
#[derive(Object)]
#[oai(rename = "LetterChanges")]
pub struct LetterChanges {
    /// The public address, `/l/{slug}`: lowercase letters, digits and hyphens. Fixed once the letter opens.
    slug: Option<String>,
    /// The title, up to 300 characters.
    title: Option<String>,
    /// The text, Markdown (paragraphs, emphasis, lists, links).
    body: Option<String>,
    /// Who the letter is addressed to, one per line.
    addressees: Option<String>,
    /// The language the letter is written in (default `en`).
    language: Option<Language>,
    /// When the sign-on form closes by itself (RFC 3339); `null` removes it.
    deadline: MaybeUndefined<DateTime<Utc>>,
    /// `auto` (default): approved once the contact confirms; `manual`: a coordinator approves.
    moderation: Option<Moderation>,
    /// Whether individuals may sign, besides organizations (default false).
    accept_individuals: Option<bool>,
    /// The order of the signatory list (default `alphabetical`).
    order: Option<ListOrder>,
    /// The paper of the PDF: `letter` (default, for US addressees) or `a4`.
    paper: Option<Paper>,
    /// Names listed first, in this order.
    lead_signatories: Option<Vec<String>>,
    /// Days contact data is kept, 0 to 3650 (default 90): counted from delivery or, for a
    /// letter never delivered, from its closing (or its deadline, if left open); and from a
    /// signer's withdrawal for that signer.
    retention_days: Option<i64>,
    /// The letter in other languages, by language code: `{"es": {"title", "body", "addressees"}}`.
    /// Replaces the whole set.
    translations: Option<BTreeMap<String, TranslationDto>>,
    /// The addressees' email addresses (at most 50; the same one twice counts once). When the
    /// letter is delivered, one email goes to all of them with the frozen PDF attached; an
    /// empty list sends none. Never shown on public pages.
    addressee_emails: Option<Vec<String>>,
    /// The coordinators' note above the letter in the addressees' email, up to 5,000
    /// characters; blank for none.
    cover_note: Option<String>,
    /// The origins (`https://host[:port]`, at most 20) whose pages may show the letter's form
    /// in a frame, at `/l/{slug}/embed`; empty (the default): only signon's own pages. Replaces
    /// the whole list.
    embed_origins: Option<Vec<String>>,
}

/// How many signatures are in each state.
#[derive(Object)]
#[oai(rename = "SignatureCounts")]
pub struct CountsDto {
    /// Waiting for the contact person to confirm.
    pending_verification: u64,
    /// Confirmed, waiting for moderation.
    verified: u64,
    /// On the public list.
    approved: u64,
    /// Refused by a coordinator.
    rejected: u64,
    /// Withdrawn by the signer.
    withdrawn: u64,
    /// Approved, with changes their signer confirmed waiting for a decision (also counted
    /// in `approved`).
    changes_to_review: u64,
    /// All of them.
    total: u64,
}

impl From<&Counts> for CountsDto {
    fn from(c: &Counts) -> Self {
        Self {
            pending_verification: c.pending_verification,
            verified: c.verified,
            approved: c.approved,
            rejected: c.rejected,
            withdrawn: c.withdrawn,
            changes_to_review: c.changes_to_review,
            total: c.total(),
        }
    }
}

/// A coordinating organization.
#[derive(Object)]
#[oai(rename = "Coordinator")]
pub struct CoordinatorDto {
    /// The organization's id.
    organization_id: i64,
    /// Its name.
    name: String,
    /// Whether it is the lead organization; the others co-lead.
    lead: bool,
}

/// A letter as staff see it.
#[derive(Object)]
#[oai(rename = "Letter")]
pub struct LetterDto {
    /// Its id.
    id: i64,
    /// The public address, `/l/{slug}`.
    slug: String,
    /// The title.
    title: String,
    /// The text, Markdown.
    body: String,
    /// Who it is addressed to.
    addressees: String,
    /// The language it is written in.
    language: Language,
    /// When the sign-on form closes by itself.
    #[oai(nullable)]
    deadline: Option<DateTime<Utc>>,
    /// Automatic or manual approval of verified signatures.
    moderation: Moderation,
    /// Whether individuals may sign.
    accept_individuals: bool,
    /// The order of the signatory list.
    order: ListOrder,
    /// The paper of the PDF.
    paper: Paper,
    /// Names listed first.
    lead_signatories: Vec<String>,
    /// Days contact data is kept after the letter is delivered, or closed (or past its
    /// deadline) and never delivered, and after a signer withdraws.
    retention_days: i32,
    /// One reminder to invitees who have not answered, this many days before the deadline;
    /// `null` is off. Set with `PUT /letters/{id}/reminders`.
    #[oai(nullable)]
    invitation_reminder_days_before_deadline: Option<i32>,
    /// One reminder to signers who have not confirmed, this many days after signing; `null` is
    /// off. Set with `PUT /letters/{id}/reminders`.
    #[oai(nullable)]
    confirmation_reminder_days: Option<i32>,
    /// The letter in other languages.
    translations: BTreeMap<String, TranslationDto>,
    /// The addressees' email addresses, which delivery emails the frozen PDF to.
    addressee_emails: Vec<String>,
    /// The coordinators' note above the letter in the addressees' email; empty for none.
    cover_note: String,
    /// The origins whose pages may show the letter's form in a frame (`/l/{slug}/embed`).
    embed_origins: Vec<String>,
    /// Where it is in its life.
    status: LetterStatus,
    /// Goes up when the text changes; each signature records the revision it signed.
    revision: i32,
    /// Whether the public form takes signatures right now.
    accepting_signatures: bool,
    /// Signatures by state.
    counts: CountsDto,
    /// The lead organization first, then the co-leads.
    coordinators: Vec<CoordinatorDto>,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// When it last changed.
    updated_at: DateTime<Utc>,
    /// When it was delivered.
    #[oai(nullable)]
    delivered_at: Option<DateTime<Utc>>,
}

impl From<LetterView> for LetterDto {
    fn from(view: LetterView) -> Self {
        let accepting_signatures = view.accepting_signatures(Utc::now());
        let lead_signatories = view.lead_signatories().names().to_vec();
        let translations = translations_dto(&view.translations());
        let addressee_emails = crate::service::delivery::addressee_emails(&view.letter)
            .emails()
            .iter()
            .map(|email| email.as_str().to_owned())
            .collect();
        let embed_origins = view.embed_origins().origins().to_vec();
        let LetterView {
            letter,
            coordinators,
            counts,
        } = view;
        Self {
            id: letter.id,
            slug: letter.slug,
            title: letter.title,
            body: letter.body,
            addressees: letter.addressees,
            language: letter.language,
            deadline: letter.deadline,
            moderation: letter.moderation,
            accept_individuals: letter.accept_individuals,
            order: letter.list_order,
            paper: letter.paper,
            lead_signatories,
            retention_days: letter.retention_days,
            invitation_reminder_days_before_deadline: letter
                .invitation_reminder_days_before_deadline,
            confirmation_reminder_days: letter.confirmation_reminder_days,
            translations,
            addressee_emails,
            cover_note: letter.cover_note,
            embed_origins,
            status: letter.status,
            revision: letter.revision,
            accepting_signatures,
            counts: CountsDto::from(&counts),
            coordinators: coordinators
                .into_iter()
                .map(|c| CoordinatorDto {
                    organization_id: c.organization_id,
                    name: c.name,
                    lead: c.is_lead,
                })
                .collect(),
            created_at: letter.created_at,
            updated_at: letter.updated_at,
            delivered_at: letter.delivered_at,
        }
    }
}

/// The translations of a letter keyed by language code, as the API shows them.
pub fn translations_dto(translations: &Translations) -> BTreeMap<String, TranslationDto> {
    translations
        .entries()
        .iter()
        .map(|(language, t)| {
            (
                crate::i18n::code(*language).to_owned(),
                TranslationDto {
                    title: t.title.clone(),
                    body: t.body.clone(),
                    addressees: t.addressees.clone(),
                },
            )
        })
        .collect()
}

impl From<LetterChanges> for LetterFields {
    fn from(input: LetterChanges) -> Self {
        Self {
            slug: input.slug,
            title: input.title,
            body: input.body,
            addressees: input.addressees,
            language: input.language,
            deadline: match input.deadline {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(deadline) => Some(Some(deadline)),
            },
            moderation: input.moderation,
            accept_individuals: input.accept_individuals,
            list_order: input.order,
            paper: input.paper,
            lead_signatories: input.lead_signatories,
            retention_days: input.retention_days,
            translations: input.translations.map(|entries| {
                entries
                    .into_iter()
                    .map(|(code, t)| {
                        let fields = TranslationFields {
                            title: t.title,
                            body: t.body,
                            addressees: t.addressees,
                        };
                        (code, fields)
                    })
                    .collect()
            }),
            delivery: DeliveryFields {
                addressee_emails: input.addressee_emails,
                cover_note: input.cover_note,
            },
            embed_origins: input.embed_origins,
        }
    }
}

/// A requested status change.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct StatusChange {
    /// The new status: `open` publishes the letter, `closed` stops signatures, `delivered` is final.
    status: LetterStatus,
}

/// An organization to add as a co-lead.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct CoordinatorRequest {
    /// The organization's name, exactly as its account has it.
    organization: String,
}

/// One page of letters.
#[derive(Object)]
pub struct LetterList {
    /// The letters of this page.
    items: Vec<LetterDto>,
    /// How many letters there are in all.
    total: u64,
}

/// One recorded action.
#[derive(Object)]
#[oai(rename = "AuditEvent")]
pub struct EventDto {
    /// Its id; later events have larger ids.
    id: i64,
    /// Who: a staff email, `signer` or `system`.
    actor: String,
    /// What, such as `letter.status_changed`.
    action: String,
    /// The signature concerned, if any.
    #[oai(nullable)]
    signature_id: Option<i64>,
    /// The state before.
    #[oai(nullable)]
    before: Option<serde_json::Value>,
    /// The state after.
    #[oai(nullable)]
    after: Option<serde_json::Value>,
    /// When.
    created_at: DateTime<Utc>,
}

impl From<audit_event::Model> for EventDto {
    fn from(event: audit_event::Model) -> Self {
        let parse = |stored: Option<String>| stored.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            id: event.id,
            actor: event.actor,
            action: event.action,
            signature_id: event.signature_id,
            before: parse(event.before),
            after: parse(event.after),
            created_at: event.created_at,
        }
    }
}

/// One page of the audit trail.
#[derive(Object)]
pub struct EventList {
    /// The events of this page, newest first.
    items: Vec<EventDto>,
    /// How many events there are in all.
    total: u64,
}

#[derive(ApiResponse)]
enum CreateLetterResponse {
    /// The letter was created as a draft.
    #[oai(status = 201)]
    Created(Json<LetterDto>),
}

#[derive(ApiResponse)]
enum LetterResponse {
    /// The letter.
    #[oai(status = 200)]
    Ok(Json<LetterDto>),
}

#[derive(ApiResponse)]
enum LetterListResponse {
    /// The caller's letters, most recently changed first.
    #[oai(status = 200)]
    Ok(Json<LetterList>),
}

#[derive(ApiResponse)]
enum AddCoordinatorResponse {
    /// The organization now co-leads the letter.
    #[oai(status = 201)]
    Created(Json<LetterDto>),
}

#[derive(ApiResponse)]
enum RemoveCoordinatorResponse {
    /// The organization no longer co-leads the letter.
    #[oai(status = 200)]
    Ok(Json<LetterDto>),
}

#[derive(ApiResponse)]
enum EventListResponse {
    /// The letter's audit trail.
    #[oai(status = 200)]
    Ok(Json<EventList>),
}

pub struct LettersApi;

#[OpenApi(tag = "ApiTags::Letters")]
impl LettersApi {
    /// List your letters
    ///
    /// Letters coordinated by any of your organizations.
    #[oai(path = "/letters", method = "get", operation_id = "list_letters")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        /// Page size, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u64>>,
        /// How many items to skip, up to 1,000,000,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<LetterListResponse, ApiError> {
        let (limit, offset) = page(limit.0, offset.0);
        let (letters, total) = letters::list(&state.db, &auth.0, limit, offset).await?;
        Ok(LetterListResponse::Ok(Json(LetterList {
            items: letters.into_iter().map(LetterDto::from).collect(),
            total,
        })))
    }

    /// Create a letter
    ///
    /// Creates a draft led by your organization. `slug` and `title` are required.
    #[oai(path = "/letters", method = "post", operation_id = "create_letter")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        body: Json<Strict<LetterInput>>,
    ) -> Result<CreateLetterResponse, ApiError> {
        let Strict(input) = body.0;
        let new = LetterFields::from(input.settings)
            .parse_new(input.organization_id)
            .map_err(AppError::invalid)?;
        let view = letters::create(&state.db, &auth.0, new).await?;
        Ok(CreateLetterResponse::Created(Json(view.into())))
    }

    /// Read a letter
    #[oai(path = "/letters/:id", method = "get", operation_id = "get_letter")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> Result<LetterResponse, ApiError> {
        let view = letters::get(&state.db, &auth.0, id.0).await?;
        Ok(LetterResponse::Ok(Json(view.into())))
    }

    /// Edit a letter
    ///
    /// Changes the fields sent and leaves the others. A delivered letter no longer changes,
    /// and the slug is fixed once the letter has opened.
    #[oai(
        path = "/letters/:id",
        method = "patch",
        operation_id = "update_letter"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<Strict<LetterChanges>>,
    ) -> Result<LetterResponse, ApiError> {
        let changes = LetterFields::from(body.0.0)
            .parse()
            .map_err(AppError::invalid)?;
        let view = letters::update(&state.db, &auth.0, id.0, changes).await?;
        Ok(LetterResponse::Ok(Json(view.into())))
    }

    /// Change a letter's status
    ///
    /// draft → open → closed → delivered; a closed letter may reopen; nothing leaves delivered.
    /// Asking for the current status changes nothing.
    #[oai(
        path = "/letters/:id/status",
        method = "post",
        operation_id = "set_letter_status"
    )]
    async fn set_status(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<StatusChange>,
    ) -> Result<LetterResponse, ApiError> {
        let view = letters::set_status(
            &state.db,
            &state.signing_context(),
            &auth.0,
            id.0,
            body.0.status,
        )
        .await?;
        Ok(LetterResponse::Ok(Json(view.into())))
    }

    /// Add a co-leading organization
    ///
    /// Its members get the same access to this letter as the lead organization's, contacts
    /// included, so this needs an owner.
    #[oai(
        path = "/letters/:id/coordinators",
        method = "post",
        operation_id = "add_coordinator"
    )]
    async fn add_coordinator(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<CoordinatorRequest>,
    ) -> Result<AddCoordinatorResponse, ApiError> {
        let view =
            letters::add_coordinator(&state.db, &auth.0, id.0, body.0.organization.trim()).await?;
        Ok(AddCoordinatorResponse::Created(Json(view.into())))
    }

    /// Remove a co-leading organization
    ///
    /// Its members lose access to this letter. Needs an owner; the lead organization cannot be
    /// removed, and a delivered letter no longer changes.
    #[oai(
        path = "/letters/:id/coordinators/:organization_id",
        method = "delete",
        operation_id = "remove_coordinator"
    )]
    async fn remove_coordinator(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        organization_id: Path<i64>,
    ) -> Result<RemoveCoordinatorResponse, ApiError> {
        let view = letters::remove_coordinator(&state.db, &auth.0, id.0, organization_id.0).await?;
        Ok(RemoveCoordinatorResponse::Ok(Json(view.into())))
    }

    /// A letter's audit trail
    ///
    /// Who did what to the letter and its signatures, newest first.
    #[oai(
        path = "/letters/:id/events",
        method = "get",
        operation_id = "list_letter_events"
    )]
    async fn events(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// Page size, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u64>>,
        /// How many items to skip, up to 1,000,000,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<EventListResponse, ApiError> {
        let (limit, offset) = page(limit.0, offset.0);
        let (events, total) = letters::events(&state.db, &auth.0, id.0, limit, offset).await?;
        Ok(EventListResponse::Ok(Json(EventList {
            items: events.into_iter().map(EventDto::from).collect(),
            total,
        })))
    }
}
