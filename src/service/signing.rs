//! Signing a letter: a new signature waiting for its contact person, or the same signer
//! signing again. Every submission gets the same answer, so the page never tells whether an
//! email had already signed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    Language, SignatureKind, SignatureSource, SignatureStatus, TokenPurpose, letter, signature,
    signature_token,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::json;
use url::Url;

use super::audit::{self, Actor, Event};
use super::emails::{self, VerificationEmail};
use super::keys::Keys;
use super::letters::{accepting_signatures, text_in};
use super::{changes, contact, outbox};
use crate::domain::{PublicDetails, SignatureDraft, Token, name_key};
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
}

/// Published letters by slug, looked up once per batch of submissions (a batch is one
/// transaction, so the letter cannot change under it).
pub type LetterCache = std::collections::HashMap<String, letter::Model>;

/// Records a submission in the caller's transaction: the signature, its links and the email.
pub async fn record(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    request: &SignRequest,
    letters: &mut LetterCache,
) -> AppResult<()> {
    let now = Utc::now();
    let letter = match letters.get(&request.slug) {
        Some(found) => found.clone(),
        None => {
            let found = super::letters::published(db, &request.slug).await?;
            letters.insert(request.slug.clone(), found.clone());
            found
        }
    };
    if !accepting_signatures(&letter, now) {
        return Err(AppError::conflict(
            "This letter is closed to new signatures.",
        ));
    }
    let draft = &request.draft;
    if draft.kind == SignatureKind::Individual && !letter.accept_individuals {
        return Err(AppError::invalid_field(
            "kind",
            "This letter is signed by organizations only.",
        ));
    }
    let language = request.language.unwrap_or(letter.language);
    let signed_text = text_in(&letter, language);
    let contact = draft
        .contact
        .as_ref()
        .ok_or_else(|| AppError::invalid_field("contact_email", "This field is required."))?;
    let email_key = ctx.keys.email_key(&contact.email);
    let existing = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::ContactEmailKey.eq(&email_key))
        .one(db)
        .await?;

    // The count of emails is written with the signature itself: one statement fewer per submission.
    let (saved, action, before, sending) = match existing {
        None => {
            let id = crate::db::reserve_ids::<signature::Entity>(db, 1).await?[0];
            let mut row = signature::ActiveModel {
                id: Set(id),
                letter_id: Set(letter.id),
                consent: Set(true),
                status: Set(SignatureStatus::PendingVerification),
                source: Set(SignatureSource::Form),
                language: Set(signed_text.language),
                letter_revision: Set(letter.revision),
                duplicate_of: Set(None),
                ip_hash: Set(request.network_hash.clone()),
                user_agent_hash: Set(request.agent_hash.clone()),
                flags: Set(flags_json(request.honeypot)),
                pending_changes: Set(None),
                emails_sent: Set(i32::from(!request.honeypot)),
                verification_note: Set(None),
                decision_reason: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                verified_at: Set(None),
                decided_at: Set(None),
                withdrawn_at: Set(None),
                contact_erased_at: Set(None),
                ..Default::default()
            };
            write_public(&mut row, draft.kind, &draft.public);
            contact::store(contact, &ctx.keys, &mut row)?;
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
            let before = audit_public(&current);
            let mut row = current.clone().into_active_model();
            match current.status {
                SignatureStatus::PendingVerification | SignatureStatus::Withdrawn => {
                    write_public(&mut row, draft.kind, &draft.public);
                    // A fresh submission, confirmed as a whole: an earlier change left
                    // unconfirmed must not ride along with its confirmation.
                    changes::discard(&mut row);
                    contact::store(contact, &ctx.keys, &mut row)?;
                    row.status = Set(SignatureStatus::PendingVerification);
                    row.withdrawn_at = Set(None);
                    row.language = Set(signed_text.language);
                    row.letter_revision = Set(letter.revision);
                }
                SignatureStatus::Verified
                | SignatureStatus::Approved
                | SignatureStatus::Rejected => {
                    changes::propose(&mut row, draft.kind, &draft.public);
                }
            }
            if request.honeypot {
                row.flags = Set(flags_json(true));
            }
            let sending = !request.honeypot && current.emails_sent < MAX_EMAILS_PER_SIGNATURE;
            if sending {
                row.emails_sent = Set(current.emails_sent + 1);
            }
            row.updated_at = Set(now);
            (
                row.update(db).await?,
                "signature.resubmitted",
                Some(before),
                sending,
            )
        }
    };

    if sending {
        send_links(db, ctx, &letter, &saved, language, now).await?;
    }
    audit::record(
        db,
        Event {
            actor: &Actor::Signer,
            action,
            letter_id: Some(letter.id),
            signature_id: Some(saved.id),
            before,
            after: Some(audit_public(&saved)),
        },
    )
    .await
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

/// Issues a confirmation and a withdrawal link and queues the email that carries them.
async fn send_links(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    saved: &signature::Model,
    language: Language,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(contact) = contact::load(&ctx.keys, saved)? else {
        return Ok(());
    };
    let verify = issue_token(db, saved.id, TokenPurpose::Verify, now + ctx.token_lifetime).await?;
    // Withdrawal stays possible until delivery, long after the confirmation link expires.
    let withdraw = issue_token(
        db,
        saved.id,
        TokenPurpose::Withdraw,
        now + chrono::Duration::days(3650),
    )
    .await?;
    let lang = crate::i18n::code(language);
    let verify_url = link(&ctx.base_url, "verify", &verify, lang);
    let withdraw_url = link(&ctx.base_url, "withdraw", &withdraw, lang);
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
    outbox::enqueue(
        db,
        &ctx.keys,
        Some(saved.id),
        "verification",
        &contact.email,
        email,
    )
    .await?;
    Ok(())
}

async fn issue_token(
    db: &impl ConnectionTrait,
    signature_id: i64,
    purpose: TokenPurpose,
    expires_at: DateTime<Utc>,
) -> AppResult<Token> {
    let token = Token::generate();
    signature_token::ActiveModel {
        signature_id: Set(signature_id),
        purpose: Set(purpose),
        token_hash: Set(token.hash().as_str().to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn link(base: &Url, page: &str, token: &Token, lang: &str) -> String {
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
