//! The emailed links: confirming the contact person, and withdrawing a signature.
//! Looking at a link changes nothing (mail scanners follow links); only acting on it does.

use chrono::Utc;
use entity::{
    Language, Moderation, SignatureStatus, TokenPurpose, letter, signature, signature_token,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};

use super::audit::{self, Actor, Event};
use super::changes::{self, ProposedChange};
use super::letters::text_in;
use super::public_view;
use super::signing::audit_public;
use crate::domain::{DELIVERED_IS_FINAL, TokenHash, check_changeable};
use crate::error::{AppError, AppResult};

/// Why a link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// No such link.
    Unknown,
    /// It worked once already.
    Used,
    /// It is past its expiry.
    Expired,
    /// The letter was delivered; signatures no longer change.
    Delivered,
    /// The signature was withdrawn in the meantime.
    Withdrawn,
}

impl LinkProblem {
    /// The service error for API answers: 404 for an unknown link, 410 for the others.
    pub fn into_error(self) -> AppError {
        match self {
            Self::Unknown => AppError::not_found("This link is not valid."),
            Self::Used => AppError::Gone("This link was already used.".into()),
            Self::Expired => {
                AppError::Gone("This link has expired; sign again to receive a new one.".into())
            }
            Self::Delivered => AppError::Gone(DELIVERED_IS_FINAL.into()),
            Self::Withdrawn => {
                AppError::Gone("This signature was withdrawn; sign again to add it back.".into())
            }
        }
    }
}

/// What a link is about, for the page that shows it.
#[derive(Debug, Clone)]
pub struct LinkTarget {
    /// The signatory's public name.
    pub signatory: String,
    /// The letter's title, in the language asked for when the letter has it.
    pub letter_title: String,
    /// The letter's slug.
    pub letter_slug: String,
    /// Whether the signature is public now.
    pub approved: bool,
    /// The letter's moderation.
    pub moderation: Moderation,
    /// The signer's change to the entry that the link confirms (or confirmed), beside the
    /// entry as it was.
    pub change: Option<ProposedChange>,
    /// The confirmed change waits for the coordinators; the entry stays as it was meanwhile.
    pub change_awaiting_review: bool,
}

struct Resolved {
    token: signature_token::Model,
    signature: signature::Model,
    letter: letter::Model,
}

async fn resolve(
    db: &impl ConnectionTrait,
    presented: &str,
    purpose: TokenPurpose,
) -> AppResult<Result<Resolved, LinkProblem>> {
    let hash = TokenHash::of(presented);
    let Some((token, Some(signature))) = signature_token::Entity::find()
        .filter(signature_token::Column::TokenHash.eq(hash.as_str()))
        .filter(signature_token::Column::Purpose.eq(purpose))
        .find_also_related(signature::Entity)
        .one(db)
        .await?
    else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let letter = letter::Entity::find_by_id(signature.letter_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("signature {} has no letter", signature.id))?;
    let problem = if check_changeable(letter.status).is_err() {
        Some(LinkProblem::Delivered)
    } else if token.used_at.is_some() {
        Some(LinkProblem::Used)
    } else if token.expires_at <= Utc::now() {
        Some(LinkProblem::Expired)
    } else if signature.status == SignatureStatus::Withdrawn {
        Some(LinkProblem::Withdrawn)
    } else {
        None
    };
    Ok(match problem {
        Some(problem) => Err(problem),
        None => Ok(Resolved {
            token,
            signature,
            letter,
        }),
    })
}

fn target(resolved: &Resolved, signature: &signature::Model, language: Language) -> LinkTarget {
    LinkTarget {
        signatory: signature.name.clone(),
        letter_title: text_in(&resolved.letter, language).title,
        letter_slug: resolved.letter.slug.clone(),
        approved: signature.status == SignatureStatus::Approved,
        moderation: resolved.letter.moderation,
        change: changes::proposed(&resolved.signature),
        change_awaiting_review: changes::awaiting_review(signature),
    }
}

/// What a link would act on, without acting.
pub async fn inspect(
    db: &DatabaseConnection,
    presented: &str,
    purpose: TokenPurpose,
    language: Language,
) -> AppResult<Result<LinkTarget, LinkProblem>> {
    Ok(resolve(db, presented, purpose)
        .await?
        .map(|resolved| target(&resolved, &resolved.signature, language)))
}

/// Confirms the contact person: the signature becomes verified, and approved at once when the
/// letter's moderation is automatic. Changes re-submitted after an earlier confirmation apply
/// now, or wait for the coordinators (see [`changes::confirm`]).
pub async fn confirm(
    db: &DatabaseConnection,
    presented: &str,
    language: Language,
) -> AppResult<Result<LinkTarget, LinkProblem>> {
    follow(
        db,
        presented,
        TokenPurpose::Verify,
        language,
        "signature.verified",
        |resolved, row, now| {
            let before = &resolved.signature;
            if before.status == SignatureStatus::PendingVerification {
                row.status = Set(SignatureStatus::Verified);
                row.verified_at = Set(Some(now));
                let flagged = before.flags.contains("honeypot");
                if resolved.letter.moderation == Moderation::Auto && !flagged {
                    row.status = Set(SignatureStatus::Approved);
                    row.decided_at = Set(Some(now));
                }
            }
            changes::confirm(&resolved.letter, before, row, now);
        },
    )
    .await
}

/// Withdraws a signature: it leaves the public list and every export.
pub async fn withdraw(
    db: &DatabaseConnection,
    presented: &str,
    language: Language,
) -> AppResult<Result<LinkTarget, LinkProblem>> {
    follow(
        db,
        presented,
        TokenPurpose::Withdraw,
        language,
        "signature.withdrawn",
        |_, row, now| {
            row.status = Set(SignatureStatus::Withdrawn);
            row.withdrawn_at = Set(Some(now));
        },
    )
    .await
}

/// Uses a link once, in one transaction: checks it, marks it used, changes the signature and
/// records the change in the audit trail.
async fn follow(
    db: &DatabaseConnection,
    presented: &str,
    purpose: TokenPurpose,
    language: Language,
    action: &str,
    change: impl FnOnce(&Resolved, &mut signature::ActiveModel, chrono::DateTime<Utc>),
) -> AppResult<Result<LinkTarget, LinkProblem>> {
    // The letter's lock needs its id, which only the link tells; what the link acts on is
    // read again under that lock.
    let letter_id = match resolve(db, presented, purpose).await? {
        Ok(resolved) => resolved.letter.id,
        Err(problem) => return Ok(Err(problem)),
    };
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let resolved = match resolve(&txn, presented, purpose).await? {
        Ok(resolved) => resolved,
        Err(problem) => return Ok(Err(problem)),
    };
    if !use_token(&txn, &resolved.token).await? {
        return Ok(Err(LinkProblem::Used));
    }
    let now = Utc::now();
    let mut row = resolved.signature.clone().into_active_model();
    change(&resolved, &mut row, now);
    row.updated_at = Set(now);
    let after = row.update(&txn).await?;
    public_view::touch_if_listed(&txn, &resolved.signature, &after).await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::Signer,
            action,
            letter_id: Some(resolved.letter.id),
            signature_id: Some(after.id),
            before: Some(audit_public(&resolved.signature)),
            after: Some(audit_public(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(target(&resolved, &after, language)))
}

/// Marks a link used; false when a concurrent request used it first.
async fn use_token(db: &impl ConnectionTrait, token: &signature_token::Model) -> AppResult<bool> {
    let result = signature_token::Entity::update_many()
        .col_expr(
            signature_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(signature_token::Column::Id.eq(token.id))
        .filter(signature_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
