//! Personal invitations: coordinators invite organizations by email, each gets one email with a
//! personal link. The link proves the address, so signing through it needs no confirmation
//! email; it also lets the invitee decline, and ask for no more email about the letter.
//!
//! A link's token is a keyed hash of the invitation's id (see [`Keys::row_token`]): the server
//! can put the same link in the reminder without storing it; the database keeps only its SHA-256.

use chrono::{DateTime, Utc};
use entity::{
    Language, LetterStatus, Role, SignatureStatus, invitation, letter, outbox, signature,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::accounts::Staff;
use super::audit::{self, Actor, Event};
use super::contact::{self, Invitee};
use super::invitation_emails::{self, InvitationEmail};
use super::keys::Keys;
use super::letters::{self, text_in};
use super::signing::{SignRequest, SigningContext};
use super::writer::SignatureWriter;
use super::{access, outbox as outbox_service};
use crate::domain::{
    Email, FieldErrors, Intake, MAX_NAME_CHARS, SignatureInput, TokenHash, bounded_text,
};
use crate::error::{AppError, AppResult};
use crate::i18n;

/// At most this many invitees in one request or file.
pub const MAX_PER_BATCH: usize = 2000;

/// One invitee as a coordinator typed it, parsed.
#[derive(Debug, Clone)]
pub struct NewInvitee {
    /// The invited organization.
    pub organization: String,
    /// Its contact person.
    pub invitee: Invitee,
    /// The language of the email; the letter's when not given.
    pub language: Option<Language>,
}

/// Parses one invitee; the field errors are named as the API's fields.
pub fn parse_invitee(
    organization: &str,
    contact_name: &str,
    contact_email: &str,
    language: Option<&str>,
) -> Result<NewInvitee, FieldErrors> {
    let mut errors = FieldErrors::default();
    let organization = errors.check("organization", bounded_text(organization, MAX_NAME_CHARS));
    let name = errors.check("contact_name", bounded_text(contact_name, MAX_NAME_CHARS));
    let email = errors.check("contact_email", Email::parse(contact_email));
    let language = match language.map(str::trim).filter(|l| !l.is_empty()) {
        None => Some(None),
        Some(code) => {
            let parsed = i18n::parse_code(&code.to_ascii_lowercase());
            if parsed.is_none() {
                errors.add("language", "Use en or es.");
            }
            parsed.map(Some)
        }
    };
    match (organization, name, email, language) {
        (Some(organization), Some(name), Some(email), Some(language)) if errors.is_empty() => {
            Ok(NewInvitee {
                organization,
                invitee: Invitee { name, email },
                language,
            })
        }
        _ => Err(errors),
    }
}

/// The column a header names, if any: the API's field names or usual spreadsheet headings.
fn column_of(header: &str) -> Option<usize> {
    let header = header.trim().to_lowercase().replace(['_', '-'], " ");
    match header.as_str() {
        "organization" | "organisation" | "organization name" | "name" | "organización"
        | "organizacion" | "nombre" => Some(0),
        "contact name" | "contact" | "contact person" | "nombre de contacto" | "contacto" => {
            Some(1)
        }
        "contact email"
        | "email"
        | "e mail"
        | "email address"
        | "correo"
        | "correo electrónico"
        | "correo electronico" => Some(2),
        "language" | "idioma" | "lang" => Some(3),
        _ => None,
    }
}

/// Parses invitees typed or pasted one per line, or a CSV file: comma-separated organization,
/// contact name, email and language (optional), or any order when a header row names the
/// columns. Errors are keyed `line N: field`.
pub fn parse_table(text: &str) -> Result<Vec<NewInvitee>, FieldErrors> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut order = [0, 1, 2, 3];
    let mut invitees = Vec::new();
    let mut errors = FieldErrors::default();
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let Ok(record) = record else {
            errors.add(&format!("line {line}"), "This line cannot be read as CSV.");
            continue;
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let named: Vec<Option<usize>> = record.iter().map(column_of).collect();
        if line == 1 && named.iter().filter(|c| c.is_some()).count() >= 2 {
            order = [usize::MAX; 4];
            for (position, column) in named.iter().enumerate() {
                if let Some(column) = column {
                    order[*column] = position;
                }
            }
            continue;
        }
        let cell = |column: usize| record.get(order[column]).unwrap_or_default();
        match parse_invitee(cell(0), cell(1), cell(2), Some(cell(3))) {
            Ok(invitee) => invitees.push(invitee),
            Err(found) => {
                for (field, message) in found.into_map() {
                    errors.add(&format!("line {line}: {field}"), message);
                }
            }
        }
    }
    if invitees.len() > MAX_PER_BATCH {
        errors.add(
            "invitations",
            format!("At most {MAX_PER_BATCH} invitees at a time."),
        );
    }
    if invitees.is_empty() && errors.is_empty() {
        errors.add("invitations", "There is nobody to invite.");
    }
    if errors.is_empty() {
        Ok(invitees)
    } else {
        Err(errors)
    }
}

/// What an invitation request did.
#[derive(Debug, Clone, Default)]
pub struct InviteReport {
    /// The invitations created, each with its email queued.
    pub invited: Vec<i64>,
    /// The organizations skipped because their address was invited already.
    pub already_invited: Vec<String>,
}

/// The addresses of an invitation's links.
pub(crate) struct Links {
    pub sign: String,
    pub decline: String,
    pub unsubscribe: String,
}

/// The personal token of an invitation.
fn invitation_token(keys: &Keys, id: i64) -> String {
    keys.row_token("invitation", id)
}

/// The token of the unsubscribe address of an invitation (`i`) or a signature (`s`): the row's
/// kind and id, and a keyed hash that proves the server issued it.
pub(crate) fn unsubscribe_token(keys: &Keys, kind: char, id: i64) -> String {
    let mac = keys.row_token(&format!("unsubscribe {kind}"), id);
    format!("{kind}{id}-{}", &mac[..32])
}

pub(crate) fn base(ctx: &SigningContext) -> &str {
    ctx.base_url.as_str().trim_end_matches('/')
}

fn links(ctx: &SigningContext, id: i64, language: Language) -> Links {
    let token = invitation_token(&ctx.keys, id);
    let lang = i18n::code(language);
    let base = base(ctx);
    Links {
        sign: format!("{base}/i/{token}?lang={lang}"),
        decline: format!("{base}/i/{token}/decline?lang={lang}"),
        unsubscribe: format!(
            "{base}/unsubscribe/{}?lang={lang}",
            unsubscribe_token(&ctx.keys, 'i', id)
        ),
    }
}

/// Queues the invitation email (or its reminder) of a stored invitation.
pub(crate) async fn queue_email(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    coordinators: &str,
    row: &invitation::Model,
    reminder: bool,
) -> AppResult<i64> {
    let invitee = contact::load_invitee(&ctx.keys, row)?;
    let links = links(ctx, row.id, row.language);
    let text = text_in(letter, row.language);
    let deadline = letter.deadline.map(|d| {
        format!(
            "{}, {} UTC",
            i18n::long_date(d.date_naive(), row.language),
            d.format("%H:%M")
        )
    });
    let email = invitation_emails::invitation(&InvitationEmail {
        language: row.language,
        letter_title: &text.title,
        coordinators,
        organization: &row.organization,
        contact_name: &invitee.name,
        deadline: deadline.as_deref(),
        sign_url: &links.sign,
        decline_url: &links.decline,
        unsubscribe_url: &links.unsubscribe,
        reminder,
    });
    let kind = if reminder {
        "invitation_reminder"
    } else {
        "invitation"
    };
    outbox_service::enqueue(db, &ctx.keys, None, kind, &invitee.email, email).await
}

/// The coordinating organizations of a letter, as the emails name them.
pub(crate) async fn coordinator_names(
    db: &DatabaseConnection,
    letter: &letter::Model,
) -> AppResult<String> {
    let view = letters::details(db, letter.clone()).await?;
    Ok(view
        .coordinators
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", "))
}

/// Invites organizations to sign an open letter (editors and owners): one invitation and one
/// email each, in one transaction. An address already invited to the letter is skipped.
#[tracing::instrument(skip(db, ctx, staff, invitees), fields(count = invitees.len()))]
pub async fn invite(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    staff: &Staff,
    letter_id: i64,
    invitees: Vec<NewInvitee>,
) -> AppResult<InviteReport> {
    let checked = access::letter_for(db, staff, letter_id, Role::Editor).await?;
    let coordinators = coordinator_names(db, &checked).await?;
    // Under the letter's lock, so that a delivery cannot slip in between the check and the emails.
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let letter = letter::Entity::find_by_id(letter_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no letter with id {letter_id}.")))?;
    if letter.status != LetterStatus::Open {
        return Err(AppError::conflict(
            "Invitations go out for an open letter only: open it first.",
        ));
    }
    let mut seen: std::collections::HashSet<String> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::ContactEmailKey)
        .filter(invitation::Column::LetterId.eq(letter.id))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let mut report = InviteReport::default();
    let fresh: Vec<NewInvitee> = invitees
        .into_iter()
        .filter(|new| {
            let first = seen.insert(ctx.keys.email_key(&new.invitee.email));
            if !first {
                report.already_invited.push(new.organization.clone());
            }
            first
        })
        .collect();
    let ids = crate::db::reserve_ids::<invitation::Entity>(&txn, fresh.len()).await?;
    let actor = Actor::from(staff);
    for (new, id) in fresh.iter().zip(ids) {
        let row = insert(&txn, ctx, &letter, &coordinators, staff, new, id).await?;
        audit::record(
            &txn,
            Event {
                actor: &actor,
                action: "invitation.sent",
                letter_id: Some(letter.id),
                signature_id: None,
                before: None,
                after: Some(json!({ "invitation": row.id, "organization": row.organization, "language": row.language })),
            },
        )
        .await?;
        report.invited.push(row.id);
    }
    txn.commit().await?;
    Ok(report)
}

async fn insert(
    txn: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    coordinators: &str,
    staff: &Staff,
    new: &NewInvitee,
    id: i64,
) -> AppResult<invitation::Model> {
    let now = Utc::now();
    let mut row = invitation::ActiveModel {
        id: Set(id),
        letter_id: Set(letter.id),
        organization: Set(new.organization.clone()),
        language: Set(new.language.unwrap_or(letter.language)),
        token_hash: Set(TokenHash::of(&invitation_token(&ctx.keys, id))
            .as_str()
            .to_owned()),
        signature_id: Set(None),
        outbox_id: Set(None),
        created_by: Set(Some(staff.user_id)),
        sent_at: Set(now),
        opened_at: Set(None),
        signed_at: Set(None),
        declined_at: Set(None),
        unsubscribed_at: Set(None),
        reminded_at: Set(None),
        reminder_outbox_id: Set(None),
        ..Default::default()
    };
    contact::store_invitee(&new.invitee, &ctx.keys, &mut row)?;
    let stored = row.insert(txn).await.map_err(|err| match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::taken(
            "contact_email",
            "This address was invited to the letter at the same moment; try again.",
        ),
        _ => err.into(),
    })?;
    let outbox_id = queue_email(txn, ctx, letter, coordinators, &stored, false).await?;
    let mut row: invitation::ActiveModel = stored.into();
    row.outbox_id = Set(Some(outbox_id));
    Ok(row.update(txn).await?)
}

/// Where an invitation stands, the most telling first: signed, declined, bounced, opened, sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    /// The email went (or is going) out.
    Sent,
    /// The invitee opened the link.
    Opened,
    /// The invitee signed through the link (or signed the letter otherwise).
    Signed,
    /// The invitee declined.
    Declined,
    /// The email could not be delivered: the receiving server refused it for good, or the
    /// outbox gave up retrying it.
    Bounced,
}

impl InvitationState {
    /// The state's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Opened => "opened",
            Self::Signed => "signed",
            Self::Declined => "declined",
            Self::Bounced => "bounced",
        }
    }
}

/// Which invitations to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// In this state.
    Is(InvitationState),
    /// Neither signed nor declined: who has not answered.
    Unanswered,
}

impl StateFilter {
    /// Parses the API's and the dashboard's `state` parameter.
    pub fn parse(value: &str) -> Option<Self> {
        use InvitationState as S;
        Some(match value {
            "sent" => Self::Is(S::Sent),
            "opened" => Self::Is(S::Opened),
            "signed" => Self::Is(S::Signed),
            "declined" => Self::Is(S::Declined),
            "bounced" => Self::Is(S::Bounced),
            "unanswered" => Self::Unanswered,
            _ => return None,
        })
    }

    fn condition(self) -> Condition {
        use invitation::Column as C;
        let given_up = Query::select()
            .column(outbox::Column::Id)
            .from(outbox::Entity)
            .cond_where(given_up())
            .to_owned();
        let bounced = Condition::any()
            .add(C::OutboxId.in_subquery(given_up.clone()))
            .add(C::ReminderOutboxId.in_subquery(given_up.clone()));
        let delivered = Condition::all()
            .add(
                Condition::any()
                    .add(C::OutboxId.is_null())
                    .add(C::OutboxId.not_in_subquery(given_up.clone())),
            )
            .add(
                Condition::any()
                    .add(C::ReminderOutboxId.is_null())
                    .add(C::ReminderOutboxId.not_in_subquery(given_up)),
            );
        let unanswered = Condition::all()
            .add(C::SignedAt.is_null())
            .add(C::DeclinedAt.is_null());
        match self {
            Self::Unanswered => unanswered,
            Self::Is(InvitationState::Signed) => Condition::all().add(C::SignedAt.is_not_null()),
            Self::Is(InvitationState::Declined) => Condition::all()
                .add(C::SignedAt.is_null())
                .add(C::DeclinedAt.is_not_null()),
            Self::Is(InvitationState::Bounced) => unanswered.add(bounced),
            Self::Is(InvitationState::Opened) => {
                unanswered.add(C::OpenedAt.is_not_null()).add(delivered)
            }
            Self::Is(InvitationState::Sent) => unanswered.add(C::OpenedAt.is_null()).add(delivered),
        }
    }
}

/// The outbox emails given up on: refused for good by the receiving server, or failed as
/// often as the outbox tries. An invitation whose email (or reminder) is one of them bounced.
fn given_up() -> Condition {
    Condition::all().add(outbox::Column::SentAt.is_null()).add(
        Condition::any()
            .add(outbox::Column::FailedAt.is_not_null())
            .add(outbox::Column::Attempts.gte(crate::mail::MAX_ATTEMPTS)),
    )
}

/// An invitation as coordinators see it.
#[derive(Debug, Clone)]
pub struct InvitationView {
    /// The stored row (its sealed columns are not for display).
    pub row: invitation::Model,
    /// The contact, for editors and owners; `None` for viewers.
    pub invitee: Option<Invitee>,
    /// Where it stands.
    pub state: InvitationState,
}

/// A page of a letter's invitations, newest first, and how many match in all.
pub async fn list(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    filter: Option<StateFilter>,
    (limit, offset): (u64, u64),
) -> AppResult<(Vec<InvitationView>, u64)> {
    let (letter, role) = access::letter_and_role(db, staff, letter_id, Role::Viewer).await?;
    let mut query = invitation::Entity::find().filter(invitation::Column::LetterId.eq(letter.id));
    if let Some(filter) = filter {
        query = query.filter(filter.condition());
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(invitation::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    let outbox_ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.outbox_id, r.reminder_outbox_id])
        .flatten()
        .collect();
    let given_up: std::collections::HashSet<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Id.is_in(outbox_ids))
        .filter(given_up())
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let sees_contacts = access::may_see_contacts(role);
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let bounced = [row.outbox_id, row.reminder_outbox_id]
            .into_iter()
            .flatten()
            .any(|id| given_up.contains(&id));
        views.push(InvitationView {
            invitee: sees_contacts
                .then(|| contact::load_invitee(keys, &row))
                .transpose()?,
            state: state_of(&row, bounced),
            row,
        });
    }
    Ok((views, total))
}

fn state_of(row: &invitation::Model, bounced: bool) -> InvitationState {
    if row.signed_at.is_some() {
        InvitationState::Signed
    } else if row.declined_at.is_some() {
        InvitationState::Declined
    } else if bounced {
        InvitationState::Bounced
    } else if row.opened_at.is_some() {
        InvitationState::Opened
    } else {
        InvitationState::Sent
    }
}

/// What the invitee's page shows.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The invitation.
    pub row: invitation::Model,
    /// Its contact, to fill in the form.
    pub invitee: Invitee,
    /// The letter.
    pub letter: letter::Model,
}

async fn find(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<invitation::Model>> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(TokenHash::of(token).as_str()))
        .one(db)
        .await?)
}

async fn resolve(db: &DatabaseConnection, keys: &Keys, token: &str) -> AppResult<Option<Opened>> {
    let Some(row) = find(db, token).await? else {
        return Ok(None);
    };
    let letter = letter::Entity::find_by_id(row.letter_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("invitation {} has no letter", row.id))?;
    let invitee = contact::load_invitee(keys, &row)?;
    Ok(Some(Opened {
        row,
        invitee,
        letter,
    }))
}

/// The invitation behind a link, marked opened the first time; `None` for an unknown link.
/// (Opening is recorded for the coordinators only: it changes nothing for the invitee.)
pub async fn open(db: &DatabaseConnection, keys: &Keys, token: &str) -> AppResult<Option<Opened>> {
    let Some(mut opened) = resolve(db, keys, token).await? else {
        return Ok(None);
    };
    if opened.row.opened_at.is_none() {
        let now = Utc::now();
        invitation::Entity::update_many()
            .col_expr(invitation::Column::OpenedAt, Expr::value(now))
            .filter(invitation::Column::Id.eq(opened.row.id))
            .filter(invitation::Column::OpenedAt.is_null())
            .exec(db)
            .await?;
        opened.row.opened_at = Some(now);
    }
    Ok(Some(opened))
}

/// What signing through an invitation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOutcome {
    /// Signed and confirmed now; `public` when it is listed at once (automatic moderation).
    Signed {
        /// Listed at once.
        public: bool,
    },
    /// This invitation (or this address) signed already: nothing was signed again.
    AlreadySigned,
    /// The letter no longer takes signatures.
    Closed,
}

/// One submission through an invitation's page.
pub struct InvitedSubmission {
    /// The form's fields; the contact email is replaced by the invited address.
    pub input: SignatureInput,
    /// The page's language.
    pub language: Language,
    /// Keyed hash of the client's network.
    pub network_hash: Option<String>,
    /// Keyed hash of the client's user agent.
    pub agent_hash: Option<String>,
    /// The hidden field people never fill was filled.
    pub honeypot: bool,
}

/// Signs through an invitation, with the contact confirmed at once (the link proved the
/// address), through the same writer as the public form. Field errors come back as `Err`.
pub async fn sign(
    db: &DatabaseConnection,
    keys: &Keys,
    writer: &SignatureWriter,
    token: &str,
    mut submission: InvitedSubmission,
) -> AppResult<Option<Result<SignOutcome, FieldErrors>>> {
    let Some(opened) = resolve(db, keys, token).await? else {
        return Ok(None);
    };
    let letter = &opened.letter;
    if opened.row.signed_at.is_some() {
        return Ok(Some(Ok(SignOutcome::AlreadySigned)));
    }
    if !letters::accepting_signatures(letter, Utc::now()) {
        return Ok(Some(Ok(SignOutcome::Closed)));
    }
    submission.input.contact.contact_email = Some(opened.invitee.email.as_str().to_owned());
    let draft = match submission.input.parse(Intake::Public) {
        Ok(draft) => draft,
        Err(errors) => return Ok(Some(Err(errors))),
    };
    let email_key = keys.email_key(&opened.invitee.email);
    let existing = signature_of(db, letter.id, &email_key).await?;
    let confirmed_already = existing.as_ref().is_some_and(|s| {
        !matches!(
            s.status,
            SignatureStatus::PendingVerification | SignatureStatus::Withdrawn
        )
    });
    if !confirmed_already {
        let outcome = writer
            .sign(SignRequest {
                slug: letter.slug.clone(),
                draft,
                language: Some(submission.language),
                network_hash: submission.network_hash,
                agent_hash: submission.agent_hash,
                honeypot: submission.honeypot,
                contact_verified: true,
                // The personal link already says who brought the signer: the invitation.
                partner_id: None,
            })
            .await;
        match outcome {
            Ok(()) => {}
            Err(AppError::Invalid { fields, .. }) => return Ok(Some(Err(fields))),
            Err(AppError::Conflict { field: None, .. }) => {
                return Ok(Some(Ok(SignOutcome::Closed)));
            }
            Err(err) => return Err(err),
        }
    }
    let signed = signature_of(db, letter.id, &email_key)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("the signature of invitation {} is missing", opened.row.id)
        })?;
    mark_signed(db, &opened.row, &signed).await?;
    Ok(Some(Ok(if confirmed_already {
        SignOutcome::AlreadySigned
    } else {
        SignOutcome::Signed {
            public: signed.status == SignatureStatus::Approved,
        }
    })))
}

async fn signature_of(
    db: &impl ConnectionTrait,
    letter_id: i64,
    email_key: &str,
) -> AppResult<Option<signature::Model>> {
    Ok(signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::ContactEmailKey.eq(email_key))
        .one(db)
        .await?)
}

async fn mark_signed(
    db: &DatabaseConnection,
    row: &invitation::Model,
    signed: &signature::Model,
) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let updated = invitation::Entity::update_many()
        .col_expr(invitation::Column::SignedAt, Expr::value(Utc::now()))
        .col_expr(invitation::Column::SignatureId, Expr::value(signed.id))
        .filter(invitation::Column::Id.eq(row.id))
        .filter(invitation::Column::SignedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 1 {
        audit::record(
            &txn,
            Event {
                actor: &Actor::Signer,
                action: "invitation.signed",
                letter_id: Some(row.letter_id),
                signature_id: Some(signed.id),
                before: None,
                after: Some(json!({ "invitation": row.id, "organization": row.organization })),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What a decline or unsubscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Recorded now.
    Done,
    /// It was recorded before; nothing changed.
    Already,
}

/// Declines an invitation; `None` for an unknown link.
pub async fn decline(db: &DatabaseConnection, token: &str) -> AppResult<Option<Answer>> {
    let Some(row) = find(db, token).await? else {
        return Ok(None);
    };
    let txn = crate::db::begin_write(db).await?;
    let updated = invitation::Entity::update_many()
        .col_expr(invitation::Column::DeclinedAt, Expr::value(Utc::now()))
        .filter(invitation::Column::Id.eq(row.id))
        .filter(invitation::Column::DeclinedAt.is_null())
        .filter(invitation::Column::SignedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(Some(Answer::Already));
    }
    audit::record(
        &txn,
        Event {
            actor: &Actor::Signer,
            action: "invitation.declined",
            letter_id: Some(row.letter_id),
            signature_id: None,
            before: None,
            after: Some(json!({ "invitation": row.id, "organization": row.organization })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(Answer::Done))
}

/// The invitation behind a decline link, without changing it.
pub async fn inspect(
    db: &DatabaseConnection,
    keys: &Keys,
    token: &str,
) -> AppResult<Option<Opened>> {
    resolve(db, keys, token).await
}

/// Records that an invitee or signer wants no more email about a letter; `None` for a link the
/// server did not issue. Every invitation of the same address to the letter is stopped too.
pub async fn unsubscribe(
    db: &DatabaseConnection,
    keys: &Keys,
    token: &str,
) -> AppResult<Option<Answer>> {
    let Some((letter_id, email_key, signature_id)) = unsubscribe_target(db, keys, token).await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let invitations = invitation::Entity::update_many()
        .col_expr(invitation::Column::UnsubscribedAt, Expr::value(now))
        .filter(invitation::Column::LetterId.eq(letter_id))
        .filter(invitation::Column::ContactEmailKey.eq(email_key.as_str()))
        .filter(invitation::Column::UnsubscribedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let signers = match signature_id {
        Some(id) => super::reminders::stop_for_signature(&txn, id, now).await?,
        None => 0,
    };
    txn.commit().await?;
    Ok(Some(if invitations + signers > 0 {
        Answer::Done
    } else {
        Answer::Already
    }))
}

/// The letter and address an unsubscribe token stands for (and the signature, for a
/// signer's), if the server issued it.
pub async fn unsubscribe_target(
    db: &DatabaseConnection,
    keys: &Keys,
    token: &str,
) -> AppResult<Option<(i64, String, Option<i64>)>> {
    let mut chars = token.chars();
    let kind = chars.next();
    let Some((id, _)) = chars.as_str().split_once('-') else {
        return Ok(None);
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    let Some(kind) = kind.filter(|k| matches!(k, 'i' | 's')) else {
        return Ok(None);
    };
    // Digests compared, so the comparison's timing says nothing about the expected token.
    if TokenHash::of(token) != TokenHash::of(&unsubscribe_token(keys, kind, id)) {
        return Ok(None);
    }
    if kind == 'i' {
        return Ok(invitation::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|row| (row.letter_id, row.contact_email_key, None)));
    }
    Ok(signature::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|row| Some((row.letter_id, row.contact_email_key?, Some(row.id)))))
}

/// Whether an address asked for no more email about a letter through an invitation.
pub(crate) async fn unsubscribed(
    db: &impl ConnectionTrait,
    letter_id: i64,
    email_key: &str,
) -> AppResult<bool> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::LetterId.eq(letter_id))
        .filter(invitation::Column::ContactEmailKey.eq(email_key))
        .filter(invitation::Column::UnsubscribedAt.is_not_null())
        .count(db)
        .await?
        > 0)
}

/// When the reminder of a letter's invitations is due, if the letter asks for one.
pub fn invitation_reminder_due(letter: &letter::Model) -> Option<DateTime<Utc>> {
    let days = letter.invitation_reminder_days_before_deadline?;
    Some(letter.deadline? - chrono::Duration::days(i64::from(days)))
}

/// Deletes invitations of a letter, and their emails not sent yet: every one, or the one of an
/// address. Erasing a contact, and the end of a letter's retention period, forget them too.
/// Returns the outbox ids of their emails (invitations and reminders), whose copies the caller
/// removes once the transaction is sure to commit.
pub async fn forget(
    db: &impl ConnectionTrait,
    letter_id: i64,
    email_key: Option<&str>,
) -> AppResult<Vec<i64>> {
    let mut chosen = invitation::Entity::find().filter(invitation::Column::LetterId.eq(letter_id));
    if let Some(key) = email_key {
        chosen = chosen.filter(invitation::Column::ContactEmailKey.eq(key));
    }
    let rows = chosen.all(db).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let emails: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.outbox_id, r.reminder_outbox_id])
        .flatten()
        .collect();
    outbox::Entity::delete_many()
        .filter(outbox::Column::Id.is_in(emails.iter().copied()))
        .filter(outbox::Column::SentAt.is_null())
        .exec(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    invitation::Entity::delete_many()
        .filter(invitation::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(emails)
}
