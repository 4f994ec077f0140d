//! Personal invitations to sign a letter, the letter's reminder settings, and the invitees'
//! reminder sent by hand (staff).

use chrono::{DateTime, Utc};
use entity::Language;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::ApiError;
use super::pagination::page;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::service::invitations::{
    self, InvitationState, InvitationView, MAX_PER_BATCH, NewInvitee, StateFilter,
};
use crate::service::reminders::{self, ReminderSettings};
use crate::state::AppState;

/// One organization to invite.
#[derive(Object)]
#[oai(rename = "NewInvitation", deny_unknown_fields)]
struct NewInvitationDto {
    /// The organization's name, as it would sign.
    organization: String,
    /// The person the email is addressed to.
    contact_name: String,
    /// Their email: the invitation goes there, and signing through it confirms it.
    contact_email: String,
    /// The language of the email and the page: `en` or `es` (default: the letter's).
    language: Option<String>,
}

/// Organizations to invite.
#[derive(Object)]
#[oai(rename = "NewInvitations", deny_unknown_fields)]
struct NewInvitationsDto {
    /// One entry per organization (at most 2000).
    invitations: Vec<NewInvitationDto>,
}

/// What an invitation request did.
#[derive(Object)]
#[oai(rename = "InvitationReport")]
struct ReportDto {
    /// The ids of the invitations created, each with its email queued.
    invited: Vec<i64>,
    /// The organizations skipped because their address was invited to this letter already.
    already_invited: Vec<String>,
}

/// Where an invitation stands.
#[derive(Enum, Clone, Copy)]
#[oai(rename = "InvitationState", rename_all = "lowercase")]
enum StateDto {
    /// The email went (or is going) out.
    Sent,
    /// The invitee opened the link.
    Opened,
    /// The invitee signed.
    Signed,
    /// The invitee declined.
    Declined,
    /// The email could not be delivered.
    Bounced,
}

/// A filter of invitations: a state, or `unanswered` (neither signed nor declined).
#[derive(Enum, Clone, Copy)]
#[oai(rename = "InvitationFilter", rename_all = "lowercase")]
enum FilterDto {
    /// Sent, not opened.
    Sent,
    /// Opened, not answered.
    Opened,
    /// Signed.
    Signed,
    /// Declined.
    Declined,
    /// Not delivered.
    Bounced,
    /// Neither signed nor declined.
    Unanswered,
}

/// An invitation. `contact_name` and `contact_email` are there for editors and owners only.
#[derive(Object)]
#[oai(rename = "Invitation")]
struct InvitationDto {
    id: i64,
    /// The invited organization.
    organization: String,
    /// The contact person (editors and owners).
    #[oai(nullable)]
    contact_name: Option<String>,
    /// Their email (editors and owners).
    #[oai(nullable)]
    contact_email: Option<String>,
    /// The language of the emails.
    language: Language,
    // Described on its type: a described reference is written as `allOf`.
    state: StateDto,
    /// The invitee asked for no more email about this letter.
    unsubscribed: bool,
    /// The signature made through the invitation.
    #[oai(nullable)]
    signature_id: Option<i64>,
    sent_at: DateTime<Utc>,
    #[oai(nullable)]
    opened_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    signed_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    declined_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    unsubscribed_at: Option<DateTime<Utc>>,
    /// When the one reminder went out.
    #[oai(nullable)]
    reminded_at: Option<DateTime<Utc>>,
}

impl From<InvitationView> for InvitationDto {
    fn from(view: InvitationView) -> Self {
        let InvitationView {
            row,
            invitee,
            state,
        } = view;
        Self {
            id: row.id,
            organization: row.organization,
            contact_name: invitee.as_ref().map(|i| i.name.clone()),
            contact_email: invitee.map(|i| i.email.as_str().to_owned()),
            language: row.language,
            state: match state {
                InvitationState::Sent => StateDto::Sent,
                InvitationState::Opened => StateDto::Opened,
                InvitationState::Signed => StateDto::Signed,
                InvitationState::Declined => StateDto::Declined,
                InvitationState::Bounced => StateDto::Bounced,
            },
            unsubscribed: row.unsubscribed_at.is_some(),
            signature_id: row.signature_id,
            sent_at: row.sent_at,
            opened_at: row.opened_at,
            signed_at: row.signed_at,
            declined_at: row.declined_at,
            unsubscribed_at: row.unsubscribed_at,
            reminded_at: row.reminded_at,
        }
    }
}

/// One page of invitations.
#[derive(Object)]
#[oai(rename = "InvitationList")]
struct InvitationList {
    /// The invitations of this page, newest first.
    items: Vec<InvitationDto>,
    /// How many match in all.
    total: u64,
}

/// A letter's reminder settings; `null` (or absent) turns one off.
#[derive(Object)]
#[oai(rename = "ReminderSettings", deny_unknown_fields)]
struct RemindersDto {
    /// One reminder to invitees who have not answered, this many days before the deadline (1 to 365).
    invitation_reminder_days_before_deadline: Option<i64>,
    /// One reminder to signers who have not confirmed their email, this many days after signing (1 to 365).
    confirmation_reminder_days: Option<i64>,
}

#[derive(ApiResponse)]
enum InviteResponse {
    /// The invitations created and the addresses skipped.
    #[oai(status = 201)]
    Created(Json<ReportDto>),
}

#[derive(ApiResponse)]
enum ListResponse {
    /// A page of invitations.
    #[oai(status = 200)]
    Ok(Json<InvitationList>),
}

/// What sending the invitees' reminder did.
#[derive(Object)]
#[oai(rename = "InvitationRemindersSent")]
struct RemindersSentDto {
    /// How many reminder emails were queued: one per invitee who had not answered and had not
    /// been reminded yet (0 when there is nobody left to remind).
    queued: u64,
}

#[derive(ApiResponse)]
enum RemindNowResponse {
    /// The reminders queued.
    #[oai(status = 200)]
    Ok(Json<RemindersSentDto>),
}

#[derive(ApiResponse)]
enum RemindersResponse {
    /// The settings now in force.
    #[oai(status = 200)]
    Ok(Json<RemindersDto>),
}

pub struct InvitationsApi;

#[OpenApi(tag = "ApiTags::Letters")]
impl InvitationsApi {
    /// Invite organizations to sign
    ///
    /// Editors and owners of an open letter. Each invitee gets one personal email in its
    /// language, through the outbox; its link opens the form filled in, and signing through it
    /// needs no confirmation email. An address already invited to this letter is skipped and
    /// named in `already_invited`. Invalid entries: 422 naming `invitations[N].field`, and
    /// nobody is invited.
    #[oai(
        path = "/letters/:id/invitations",
        method = "post",
        operation_id = "create_invitations"
    )]
    async fn invite(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewInvitationsDto>,
    ) -> Result<InviteResponse, ApiError> {
        let invitees = parse(&body.0.invitations)?;
        let report =
            invitations::invite(&state.db, &state.signing_context(), &auth.0, id.0, invitees)
                .await?;
        Ok(InviteResponse::Created(Json(ReportDto {
            invited: report.invited,
            already_invited: report.already_invited,
        })))
    }

    /// List a letter's invitations
    ///
    /// Newest first; `state` filters by state, or `unanswered` for those neither signed nor
    /// declined. Contact names and emails are shown to editors and owners only.
    #[oai(
        path = "/letters/:id/invitations",
        method = "get",
        operation_id = "list_invitations"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// Only invitations in this state (`unanswered`: neither signed nor declined).
        #[oai(name = "state")]
        filter: Query<Option<FilterDto>>,
        /// Page size, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u64>>,
        /// How many items to skip, up to 1,000,000,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<ListResponse, ApiError> {
        let filter = filter.0.map(|f| match f {
            FilterDto::Sent => StateFilter::Is(InvitationState::Sent),
            FilterDto::Opened => StateFilter::Is(InvitationState::Opened),
            FilterDto::Signed => StateFilter::Is(InvitationState::Signed),
            FilterDto::Declined => StateFilter::Is(InvitationState::Declined),
            FilterDto::Bounced => StateFilter::Is(InvitationState::Bounced),
            FilterDto::Unanswered => StateFilter::Unanswered,
        });
        let (items, total) = invitations::list(
            &state.db,
            &state.keys,
            &auth.0,
            id.0,
            filter,
            page(limit.0, offset.0),
        )
        .await?;
        Ok(ListResponse::Ok(Json(InvitationList {
            items: items.into_iter().map(InvitationDto::from).collect(),
            total,
        })))
    }

    /// Remind the invitees who have not answered
    ///
    /// Editors and owners of an open letter, before its deadline. Queues one reminder email,
    /// in the invitee's language and through the outbox, to every invitee who has neither
    /// signed nor declined, has not asked for no more email, whose invitation did not bounce
    /// and who has not had a reminder yet (sent by hand or automatically): nobody gets more
    /// than one, so a second call queues none. Answers how many were queued; a letter that no
    /// longer takes signatures: 409.
    #[oai(
        path = "/letters/:id/invitations/reminders",
        method = "post",
        operation_id = "send_invitation_reminders"
    )]
    async fn remind_now(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> Result<RemindNowResponse, ApiError> {
        let queued =
            reminders::remind_now(&state.db, &state.signing_context(), &auth.0, id.0).await?;
        Ok(RemindNowResponse::Ok(Json(RemindersSentDto { queued })))
    }

    /// Set a letter's reminders
    ///
    /// Editors and owners. Both reminders are off by default; nobody gets more than one of each.
    #[oai(
        path = "/letters/:id/reminders",
        method = "put",
        operation_id = "set_reminders"
    )]
    async fn set_reminders(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<RemindersDto>,
    ) -> Result<RemindersResponse, ApiError> {
        let settings = ReminderSettings::parse(
            body.0.invitation_reminder_days_before_deadline,
            body.0.confirmation_reminder_days,
        )?;
        let letter = reminders::configure(&state.db, &auth.0, id.0, settings).await?;
        Ok(RemindersResponse::Ok(Json(RemindersDto {
            invitation_reminder_days_before_deadline: letter
                .invitation_reminder_days_before_deadline
                .map(i64::from),
            confirmation_reminder_days: letter.confirmation_reminder_days.map(i64::from),
        })))
    }
}

/// Parses every entry, collecting every error, named by its place in the list.
fn parse(entries: &[NewInvitationDto]) -> Result<Vec<NewInvitee>, AppError> {
    if entries.len() > MAX_PER_BATCH {
        return Err(AppError::invalid_field(
            "invitations",
            format!("At most {MAX_PER_BATCH} invitees at a time."),
        ));
    }
    if entries.is_empty() {
        return Err(AppError::invalid_field(
            "invitations",
            "There is nobody to invite.",
        ));
    }
    let mut errors = FieldErrors::default();
    let mut parsed = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        match invitations::parse_invitee(
            &entry.organization,
            &entry.contact_name,
            &entry.contact_email,
            entry.language.as_deref(),
        ) {
            Ok(invitee) => parsed.push(invitee),
            Err(found) => {
                for (field, message) in found.into_map() {
                    errors.add(&format!("invitations[{index}].{field}"), message);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(AppError::invalid(errors))
    }
}
