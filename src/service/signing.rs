//! Signing a letter: a new signature waiting for its contact person, or the same signer
//! signing again. Every submission gets the same answer, so the page never tells whether an
//! email had already signed.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    Language, SignatureKind, SignatureSource, SignatureStatus, TokenPurpose, letter, signature,
    signature_token,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, TryIntoModel,
};
use serde_json::json;
use url::Url;

use super::audit::{self, Actor, Event};
use super::emails::{self, ComposedEmail, VerificationEmail};
use super::keys::Keys;
use super::letters::{accepting_signatures, text_in};
use super::{changes, contact, outbox};
use crate::domain::{Contact, PublicDetails, SignatureDraft, Token, name_key};
use crate::error::{AppError, AppResult};

/// At most this many confirmation emails go to one signature's contact, however often it signs.
pub const MAX_EMAILS_PER_SIGNATURE: i32 = 5;

/// What the signing use case needs besides the database.
#[derive(Clone)]
pub struct SigningContext {
    /// Keyed hashes of emails.
    pub keys: Arc<Keys>,
    /// The public address links in emails start with.
    pub base_url: Url,
    /// How long a confirmation link works.
    pub token_lifetime: chrono::Duration,
}

/// One submission of the public form or API.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The letter's slug.
    pub slug: String,
    /// The parsed submission.
    pub draft: SignatureDraft,
    /// The reader's language: the email's language and, when the letter has it, the version
    /// signed; unknown means the letter's own language.
    pub language: Option<Language>,
    /// Keyed hash of the client's network.
    pub network_hash: Option<String>,
    /// Keyed hash of the client's user agent.
    pub agent_hash: Option<String>,
    /// The hidden field a person never fills was filled.
    pub honeypot: bool,
    /// The contact's email is proven already (the signer followed a personal invitation sent
    /// to it): the signature is confirmed at once and no confirmation email goes out.
    pub contact_verified: bool,
    /// The partner whose link brought the signer (see `service::partners::resolve`).
    pub partner_id: Option<i64>,
}

/// Published letters by slug (as [`super::letters::slug_key`] writes it), read once per batch of submissions
/// under their locks (see [`crate::db::begin_signing_write`]): a batch is one transaction, so a
/// letter cannot change under it.
pub type LetterCache = std::collections::HashMap<String, letter::Model>;

/// A submission with the work that needs neither the database nor the writer done beforehand,
/// on the request's own task: the keyed hash of the email and the tokens of the two links.
pub struct Prepared {
    /// The submission.
    pub request: SignRequest,
    /// Keyed hash of the contact email; `None` without a contact, which is refused.
    email_key: Option<String>,
    /// The confirmation link's token, used if this submission sends an email.
    verify: Token,
    /// The withdrawal link's token, likewise.
    withdraw: Token,
}

impl Prepared {
    /// Hashes and draws what `request` needs.
    pub fn new(keys: &Keys, request: SignRequest) -> Self {
        let email_key = request
            .draft
            .contact
            .as_ref()
            .map(|contact| keys.email_key(&contact.email));
        Self {
            request,
            email_key,
            verify: Token::generate(),
            withdraw: Token::generate(),
        }
    }
}

/// The published letter of `slug`, looked up once per batch.
async fn letter_for(
    db: &impl ConnectionTrait,
    slug: &str,
    letters: &mut LetterCache,
) -> AppResult<letter::Model> {
    let key = super::letters::slug_key(slug);
    if let Some(found) = letters.get(&key) {
        return Ok(found.clone());
    }
    let found = super::letters::published(db, &key).await?;
    letters.insert(key, found.clone());
    Ok(found)
}

/// Whether `letter` takes this submission; its contact if so.
fn admit<'a>(
    letter: &letter::Model,
    draft: &'a SignatureDraft,
    now: DateTime<Utc>,
) -> AppResult<&'a Contact> {
    if !accepting_signatures(letter, now) {
        return Err(AppError::conflict(
            "This letter is closed to new signatures.",
        ));
    }
    if draft.kind == SignatureKind::Individual && !letter.accept_individuals {
        return Err(AppError::invalid_field(
            "kind",
            "This letter is signed by organizations only.",
        ));
    }
    draft
        .contact
        .as_ref()
        .ok_or_else(|| AppError::invalid_field("contact_email", "This field is required."))
}

/// A new signature row, contact sealed for `id`.
fn new_row(
    ctx: &SigningContext,
    letter: &letter::Model,
    request: &SignRequest,
    contact: &Contact,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<signature::ActiveModel> {
    let language = request.language.unwrap_or(letter.language);
    let mut row = signature::ActiveModel {
        id: Set(id),
        letter_id: Set(letter.id),
        consent: Set(true),
        status: Set(SignatureStatus::PendingVerification),
        source: Set(SignatureSource::Form),
        language: Set(text_in(letter, language).language),
        letter_revision: Set(letter.revision),
        duplicate_of: Set(None),
        ip_hash: Set(request.network_hash.clone()),
        user_agent_hash: Set(request.agent_hash.clone()),
        flags: Set(flags_json(request.honeypot)),
        pending_changes: Set(None),
        changes_confirmed_at: Set(None),
        emails_sent: Set(i32::from(!request.honeypot)),
        verification_note: Set(None),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        verified_at: Set(None),
        decided_at: Set(None),
        withdrawn_at: Set(None),
        contact_erased_at: Set(None),
        partner_id: Set(request.partner_id),
        ..Default::default()
    };
    write_public(&mut row, request.draft.kind, &request.draft.public);
    contact::store(contact, &ctx.keys, &mut row)?;
    Ok(row)
}

/// Records a submission in the caller's transaction: the signature, its links and the email.
pub async fn record(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    prepared: &Prepared,
    letters: &mut LetterCache,
) -> AppResult<()> {
    let now = Utc::now();
    let request = &prepared.request;
    let letter = letter_for(db, &request.slug, letters).await?;
    let contact = admit(&letter, &request.draft, now)?;
    let language = request.language.unwrap_or(letter.language);
    let email_key = prepared
        .email_key
        .clone()
        .unwrap_or_else(|| ctx.keys.email_key(&contact.email));
    let existing = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::ContactEmailKey.eq(&email_key))
        .one(db)
        .await?;

    // The count of emails is written with the signature itself: one statement fewer per submission.
    let (saved, action, before, sending) = match existing {
        None => {
            let id = crate::db::reserve_ids::<signature::Entity>(db, 1).await?[0];
            let row = new_row(ctx, &letter, request, contact, id, now)?;
            let saved = row.insert(db).await.map_err(|err| match err.sql_err() {
                // Another instance inserted the same signer a moment ago; the writer retries
                // this submission, which then finds that row.
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    AppError::taken("contact_email", "signed concurrently")
                }
                _ => err.into(),
            })?;
            (saved, "signature.submitted", None, !request.honeypot)
        }
        Some(current) => {
            let (saved, before, sending) =
                resubmit(db, ctx, &letter, request, contact, current, now).await?;
            (saved, "signature.resubmitted", Some(before), sending)
        }
    };

    if request.contact_verified {
        // No confirmation email: the acknowledgement, counted in its place, carries the way
        // to withdraw.
        let acknowledging = sending && saved.status == SignatureStatus::PendingVerification;
        let saved = confirm_at_once(db, &letter, saved, sending && !acknowledging, now).await?;
        if acknowledging {
            acknowledge(db, ctx, &letter, &saved, language, prepared, now).await?;
        }
        return audit::record(db, submitted_event(&letter, &saved, action, before)).await;
    }
    if sending {
        send_links(db, ctx, &letter, &saved, language, prepared, now).await?;
    }
    audit::record(db, submitted_event(&letter, &saved, action, before)).await
}

static SIGNER: Actor = Actor::Signer;

/// The audit event of a submission.
fn submitted_event<'a>(
    letter: &letter::Model,
    saved: &signature::Model,
    action: &'a str,
    before: Option<serde_json::Value>,
) -> Event<'a> {
    Event {
        actor: &SIGNER,
        action,
        letter_id: Some(letter.id),
        signature_id: Some(saved.id),
        before,
        after: Some(audit_public(saved)),
    }
}

/// The same signer signing again: a pending or withdrawn signature takes the new submission, a
/// confirmed one keeps it as a change to confirm. Returns the row, its audited state before,
/// and whether an email goes out.
async fn resubmit(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    request: &SignRequest,
    contact: &Contact,
    current: signature::Model,
    now: DateTime<Utc>,
) -> AppResult<(signature::Model, serde_json::Value, bool)> {
    let draft = &request.draft;
    let before = audit_public(&current);
    let mut row = current.clone().into_active_model();
    match current.status {
        SignatureStatus::PendingVerification | SignatureStatus::Withdrawn => {
            write_public(&mut row, draft.kind, &draft.public);
            // A fresh submission, confirmed as a whole: an earlier change left
            // unconfirmed must not ride along with its confirmation.
            changes::discard(&mut row);
            contact::store(contact, &ctx.keys, &mut row)?;
            let language = request.language.unwrap_or(letter.language);
            row.status = Set(SignatureStatus::PendingVerification);
            row.withdrawn_at = Set(None);
            row.language = Set(text_in(letter, language).language);
            row.letter_revision = Set(letter.revision);
        }
        SignatureStatus::Verified | SignatureStatus::Approved | SignatureStatus::Rejected => {
            changes::propose(&mut row, draft.kind, &draft.public);
        }
    }
    if request.honeypot {
        row.flags = Set(flags_json(true));
    }
    // The first partner to bring a signer keeps the credit.
    if current.partner_id.is_none() && request.partner_id.is_some() {
        row.partner_id = Set(request.partner_id);
    }
    let sending = !request.honeypot && current.emails_sent < MAX_EMAILS_PER_SIGNATURE;
    if sending {
        row.emails_sent = Set(current.emails_sent + 1);
    }
    row.updated_at = Set(now);
    Ok((row.update(db).await?, before, sending))
}

/// A new signer of a batch: admitted by its letter, the first of its email in the batch, and
/// not in the database yet.
struct Fresh<'a> {
    /// Its place in the batch.
    job: usize,
    prepared: &'a Prepared,
    letter: letter::Model,
    contact: &'a Contact,
}

/// Records the new signers of a batch in a handful of statements whatever their number: one
/// look-up of the signers already there, then one multi-row insert each for the signatures,
/// their links, their emails and the audit trail. Returns each job's outcome, or `None` for the
/// jobs left to [`record`] (a signer already there or met earlier in the batch, a submission
/// refused): the caller records those afterwards, in order, and they find the rows written
/// here, just as if every job had been recorded one by one.
pub async fn record_new(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    jobs: &[&Prepared],
    letters: &mut LetterCache,
) -> AppResult<Vec<Option<AppResult<()>>>> {
    let now = Utc::now();
    let fresh = new_signers(db, jobs, letters, now).await?;
    let mut outcomes: Vec<Option<AppResult<()>>> = jobs.iter().map(|_| None).collect();
    if fresh.is_empty() {
        return Ok(outcomes);
    }
    let ids = crate::db::reserve_ids::<signature::Entity>(db, fresh.len()).await?;
    let mut rows = Vec::with_capacity(fresh.len());
    let (mut tokens, mut emails) = (Vec::new(), Vec::new());
    let mut events = Vec::with_capacity(fresh.len());
    for (new, id) in fresh.iter().zip(ids) {
        let request = &new.prepared.request;
        let row = new_row(ctx, &new.letter, request, new.contact, id, now)?;
        let saved = row.clone().try_into_model()?;
        if !request.honeypot {
            let language = request.language.unwrap_or(new.letter.language);
            let (links, email) = links_email(
                ctx,
                &new.letter,
                &saved,
                new.contact,
                language,
                new.prepared,
                now,
            );
            tokens.extend(links);
            emails.push(outbox::Queued {
                signature_id: Some(id),
                kind: KIND,
                recipient: &new.contact.email,
                email,
            });
        }
        events.push(submitted_event(
            &new.letter,
            &saved,
            "signature.submitted",
            None,
        ));
        rows.push(row);
    }
    signature::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    signature_token::Entity::insert_many(tokens)
        .exec_without_returning(db)
        .await?;
    outbox::enqueue_many(db, &ctx.keys, emails).await?;
    audit::record_many(db, events).await?;
    for new in &fresh {
        outcomes[new.job] = Some(Ok(()));
    }
    Ok(outcomes)
}

/// The jobs of a batch that are new signers (see [`Fresh`]), found with one query.
async fn new_signers<'a>(
    db: &impl ConnectionTrait,
    jobs: &[&'a Prepared],
    letters: &mut LetterCache,
    now: DateTime<Utc>,
) -> AppResult<Vec<Fresh<'a>>> {
    let mut fresh = Vec::new();
    let mut seen = HashSet::new();
    for (job, prepared) in jobs.iter().copied().enumerate() {
        let request = &prepared.request;
        // A signer whose contact is proven already is confirmed by `record`, one at a time.
        if request.contact_verified {
            continue;
        }
        // Whatever is refused here is refused again, with its answer, by `record`.
        let Ok(letter) = letter_for(db, &request.slug, letters).await else {
            continue;
        };
        let (Ok(contact), Some(key)) = (
            admit(&letter, &request.draft, now),
            prepared.email_key.as_deref(),
        ) else {
            continue;
        };
        if seen.insert((letter.id, key)) {
            fresh.push(Fresh {
                job,
                prepared,
                letter,
                contact,
            });
        }
    }
    if fresh.is_empty() {
        return Ok(fresh);
    }
    let letter_ids: HashSet<i64> = fresh.iter().map(|new| new.letter.id).collect();
    let found: HashSet<(i64, String)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::LetterId)
        .column(signature::Column::ContactEmailKey)
        .filter(signature::Column::LetterId.is_in(letter_ids))
        .filter(signature::Column::ContactEmailKey.is_in(seen.iter().map(|(_, key)| *key)))
        .into_tuple::<(i64, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(letter_id, key)| Some((letter_id, key?)))
        .collect();
    fresh.retain(|new| {
        let key = new.prepared.email_key.clone().unwrap_or_default();
        !found.contains(&(new.letter.id, key))
    });
    Ok(fresh)
}

/// Public fields re-submitted for a confirmed signature, as stored (read them through
/// [`changes::proposed`]).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PendingChanges {
    /// Organization or individual.
    pub kind: SignatureKind,
    /// The new public part.
    pub public: PublicDetails,
}

/// Confirms a signature whose contact is proven already: verified, and approved when the
/// letter's moderation is automatic; the confirmation email counted for it was not sent.
async fn confirm_at_once(
    db: &impl ConnectionTrait,
    letter: &letter::Model,
    saved: signature::Model,
    counted_email: bool,
    now: DateTime<Utc>,
) -> AppResult<signature::Model> {
    if saved.status != SignatureStatus::PendingVerification {
        return Ok(saved);
    }
    let mut row = saved.clone().into_active_model();
    row.emails_sent = Set(saved.emails_sent - i32::from(counted_email));
    row.status = Set(SignatureStatus::Verified);
    row.verified_at = Set(Some(now));
    let approved =
        letter.moderation == entity::Moderation::Auto && !saved.flags.contains("honeypot");
    if approved {
        row.status = Set(SignatureStatus::Approved);
        row.decided_at = Set(Some(now));
        // The signer joins the public list at once: the public pages must show it.
        super::public_view::touch(db, letter.id).await?;
    }
    Ok(row.update(db).await?)
}

/// Stores a new confirmation link of a signature (a reminder's); returns the token to send.
pub(crate) async fn issue_verify_token(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    signature_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Token> {
    let token = Token::generate();
    signature_token::ActiveModel {
        signature_id: Set(signature_id),
        purpose: Set(TokenPurpose::Verify),
        token_hash: Set(token.hash().as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(now + ctx.token_lifetime),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Issues a confirmation and a withdrawal link and queues the email that carries them.
async fn send_links(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    saved: &signature::Model,
    language: Language,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(contact) = contact::load(&ctx.keys, saved)? else {
        return Ok(());
    };
    let (tokens, email) = links_email(ctx, letter, saved, &contact, language, prepared, now);
    signature_token::Entity::insert_many(tokens)
        .exec_without_returning(db)
        .await?;
    outbox::enqueue(db, &ctx.keys, Some(saved.id), KIND, &contact.email, email).await?;
    Ok(())
}

/// Issues a withdrawal link for a signature confirmed through a personal invitation and
/// queues the acknowledgement that carries it.
async fn acknowledge(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    saved: &signature::Model,
    language: Language,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(contact) = contact::load(&ctx.keys, saved)? else {
        return Ok(());
    };
    signature_token::ActiveModel {
        signature_id: Set(saved.id),
        purpose: Set(TokenPurpose::Withdraw),
        token_hash: Set(prepared.withdraw.hash().as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(now + WITHDRAWAL_LIFETIME),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let lang = crate::i18n::code(language);
    let withdraw_url = link(&ctx.base_url, "withdraw", &prepared.withdraw, lang);
    let email = emails::signed_through_invitation(&emails::SignedEmail {
        language,
        letter_title: &text_in(letter, language).title,
        signatory: &saved.name,
        contact_name: &contact.name,
        withdraw_url: &withdraw_url,
    });
    let kind = "signed_acknowledgement";
    outbox::enqueue(db, &ctx.keys, Some(saved.id), kind, &contact.email, email).await?;
    Ok(())
}

/// How long a withdrawal link works: until delivery, long after a confirmation link expires.
const WITHDRAWAL_LIFETIME: chrono::Duration = chrono::Duration::days(3650);

/// The outbox kind of the confirmation email.
const KIND: &str = "verification";

/// The rows of a signature's confirmation and withdrawal links, and the email that carries them.
fn links_email(
    ctx: &SigningContext,
    letter: &letter::Model,
    saved: &signature::Model,
    contact: &Contact,
    language: Language,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> ([signature_token::ActiveModel; 2], ComposedEmail) {
    let token = |purpose, token: &Token, expires_at| signature_token::ActiveModel {
        signature_id: Set(saved.id),
        purpose: Set(purpose),
        token_hash: Set(token.hash().as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    };
    let tokens = [
        token(
            TokenPurpose::Verify,
            &prepared.verify,
            now + ctx.token_lifetime,
        ),
        token(
            TokenPurpose::Withdraw,
            &prepared.withdraw,
            now + WITHDRAWAL_LIFETIME,
        ),
    ];
    let lang = crate::i18n::code(language);
    let verify_url = link(&ctx.base_url, "verify", &prepared.verify, lang);
    let withdraw_url = link(&ctx.base_url, "withdraw", &prepared.withdraw, lang);
    let text = text_in(letter, language);
    let email = emails::verification(&VerificationEmail {
        language,
        letter_title: &text.title,
        signatory: &saved.name,
        change: changes::proposed(saved).as_ref(),
        contact_name: &contact.name,
        verify_url: &verify_url,
        withdraw_url: &withdraw_url,
        valid_days: ctx.token_lifetime.num_days(),
    });
    (tokens, email)
}

/// The address of an emailed link: `{base}/{page}/{token}?lang={lang}`.
pub(crate) fn link(base: &Url, page: &str, token: &Token, lang: &str) -> String {
    let base = base.as_str().trim_end_matches('/');
    format!("{base}/{page}/{}?lang={lang}", token.expose())
}

fn flags_json(honeypot: bool) -> String {
    if honeypot {
        json!(["honeypot"]).to_string()
    } else {
        json!([]).to_string()
    }
}

/// Writes the public part of a signature and its duplicate-detection key.
pub fn write_public(row: &mut signature::ActiveModel, kind: SignatureKind, public: &PublicDetails) {
    row.kind = Set(kind);
    row.name = Set(public.name.clone());
    row.name_key = Set(name_key(&public.name));
    row.affiliation = Set(public.affiliation.clone());
    row.org_type = Set(public.org_type.clone());
    row.city = Set(public.city.clone());
    row.region = Set(public.region.clone());
    row.country = Set(public.country.clone());
    row.website = Set(public.website.clone());
}

/// The public part of a stored signature.
pub fn public_of(row: &signature::Model) -> PublicDetails {
    PublicDetails {
        name: row.name.clone(),
        affiliation: row.affiliation.clone(),
        org_type: row.org_type.clone(),
        city: row.city.clone(),
        region: row.region.clone(),
        country: row.country.clone(),
        website: row.website.clone(),
    }
}

/// What the audit trail keeps of a signature: its public part and state, never contact data.
pub fn audit_public(row: &signature::Model) -> serde_json::Value {
    let mut audited = serde_json::Map::new();
    audited.insert("kind".into(), json!(row.kind));
    if let serde_json::Value::Object(public) = json!(public_of(row)) {
        audited.extend(public);
    }
    audited.insert("status".into(), json!(row.status));
    serde_json::Value::Object(audited)
}
