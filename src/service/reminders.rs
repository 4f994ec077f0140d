//! Reminders, bounded: one to invitees who have not answered, a set number of days before the
//! deadline; one to signers who have not confirmed, a set number of days after signing. Both
//! are letter settings, off by default. Whoever got one is stamped in the transaction that
//! queues it, so nobody gets a second, whatever the number of instances or restarts. Coordinators
//! may also send the invitees' reminder at once, by hand: the same one, counted the same way.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    LetterStatus, Role, SignatureStatus, invitation, letter, signature, signature_reminder,
};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use serde_json::json;

use super::accounts::Staff;
use super::audit::{self, Actor, Event};
use super::invitation_emails::{self, ConfirmationReminderEmail};
use super::invitations::{self, base, coordinator_names, unsubscribe_token};
use super::letters::{accepting_signatures, text_in};
use super::signing::{self, SigningContext};
use super::{access, contact, outbox};
use crate::error::{AppError, AppResult};

/// How often the reminder job looks for reminders due.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(900);

/// The longest reminder setting, in days.
pub const MAX_DAYS: i32 = 365;

/// Where the job reads the time: the system clock in service, a fixed time in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How many reminders one pass queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// To invitees who had not answered.
    pub invitations: u64,
    /// To signers who had not confirmed.
    pub signers: u64,
}

/// A letter's two reminder settings, in days; `None` is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Days before the deadline for the invitees' reminder.
    pub invitation_reminder_days_before_deadline: Option<i32>,
    /// Days after signing for the unconfirmed signers' reminder.
    pub confirmation_reminder_days: Option<i32>,
}

impl ReminderSettings {
    /// Checks each setting is between 1 and [`MAX_DAYS`]; the errors name the fields.
    pub fn parse(invitation: Option<i64>, confirmation: Option<i64>) -> AppResult<Self> {
        let mut errors = crate::domain::FieldErrors::default();
        let mut check = |field: &str, days: Option<i64>| match days {
            Some(days) if !(1..=i64::from(MAX_DAYS)).contains(&days) => {
                errors.add(field, format!("Use a number of days from 1 to {MAX_DAYS}."));
                None
            }
            days => days.map(|d| d as i32),
        };
        let settings = Self {
            invitation_reminder_days_before_deadline: check(
                "invitation_reminder_days_before_deadline",
                invitation,
            ),
            confirmation_reminder_days: check("confirmation_reminder_days", confirmation),
        };
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(AppError::invalid(errors))
        }
    }
}

/// Changes a letter's reminder settings (editors and owners).
pub async fn configure(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    settings: ReminderSettings,
) -> AppResult<letter::Model> {
    let letter = access::letter_for(db, staff, letter_id, Role::Editor).await?;
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let updated = sea_orm::ActiveModelTrait::update(
        letter::ActiveModel {
            id: Set(letter.id),
            invitation_reminder_days_before_deadline: Set(
                settings.invitation_reminder_days_before_deadline
            ),
            confirmation_reminder_days: Set(settings.confirmation_reminder_days),
            updated_at: Set(Utc::now()),
            ..Default::default()
        },
        &txn,
    )
    .await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "letter.reminders_changed",
            letter_id: Some(letter.id),
            signature_id: None,
            before: Some(json!({
                "invitation_reminder_days_before_deadline": letter.invitation_reminder_days_before_deadline,
                "confirmation_reminder_days": letter.confirmation_reminder_days,
            })),
            after: Some(json!({
                "invitation_reminder_days_before_deadline": updated.invitation_reminder_days_before_deadline,
                "confirmation_reminder_days": updated.confirmation_reminder_days,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Queues every reminder due at `now`.
pub async fn send_due(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    now: DateTime<Utc>,
) -> AppResult<Sent> {
    let letters = letter::Entity::find()
        .filter(letter::Column::Status.eq(LetterStatus::Open))
        .filter(
            sea_orm::Condition::any()
                .add(letter::Column::InvitationReminderDaysBeforeDeadline.is_not_null())
                .add(letter::Column::ConfirmationReminderDays.is_not_null()),
        )
        .all(db)
        .await?;
    let mut sent = Sent::default();
    for letter in letters.iter().filter(|l| accepting_signatures(l, now)) {
        if invitations::invitation_reminder_due(letter).is_some_and(|due| due <= now) {
            sent.invitations += match remind_invitees(db, ctx, letter, &Actor::System, now).await {
                // Closed or delivered since the letters were read: nothing is due any more.
                Err(AppError::Conflict { .. }) => 0,
                other => other?,
            };
        }
        if let Some(days) = letter.confirmation_reminder_days {
            let cutoff = now - chrono::Duration::days(i64::from(days));
            sent.signers += remind_signers(db, ctx, letter, cutoff, now).await?;
        }
    }
    Ok(sent)
}

/// The invitations of a letter that its one reminder is for: neither signed (through the link
/// or the public form) nor declined, not stopped by their invitee, not bounced, not reminded yet.
/// The automatic job and the coordinators' button both go through it.
fn awaiting_reminder(letter_id: i64) -> sea_orm::Select<invitation::Entity> {
    use invitation::Column as C;
    // Someone who signed by the public form has answered too.
    let signed = Query::select()
        .column(signature::Column::ContactEmailKey)
        .from(signature::Entity)
        .and_where(signature::Column::LetterId.eq(letter_id))
        .and_where(signature::Column::Status.ne(SignatureStatus::Withdrawn))
        .and_where(signature::Column::ContactEmailKey.is_not_null())
        .to_owned();
    invitation::Entity::find()
        .filter(C::LetterId.eq(letter_id))
        .filter(C::SignedAt.is_null())
        .filter(C::DeclinedAt.is_null())
        .filter(C::UnsubscribedAt.is_null())
        .filter(C::RemindedAt.is_null())
        .filter(invitations::delivered())
        .filter(C::ContactEmailKey.not_in_subquery(signed))
}

/// How many invitees the reminder of a letter would go to now. The caller has loaded the
/// letter for an editor or owner (see [`access::letter_for`]).
pub async fn awaiting_count(db: &DatabaseConnection, letter: &letter::Model) -> AppResult<u64> {
    Ok(awaiting_reminder(letter.id).count(db).await?)
}

/// Sends the one reminder to every invitee of a letter who has not answered, now (editors and
/// owners); returns how many were queued. Nobody gets a second: whoever had one, by hand or on
/// schedule, is left out.
#[tracing::instrument(skip(db, ctx, staff))]
pub async fn remind_now(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    staff: &Staff,
    letter_id: i64,
) -> AppResult<u64> {
    let letter = access::letter_for(db, staff, letter_id, Role::Editor).await?;
    remind_invitees(db, ctx, &letter, &Actor::from(staff), Utc::now()).await
}

/// Queues the reminders of a letter's invitees in one transaction under the letter's lock,
/// stamping each, with one audit event; refuses a letter that no longer takes signatures.
async fn remind_invitees(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    letter: &letter::Model,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    use invitation::Column as C;
    let coordinators = coordinator_names(db, letter).await?;
    let txn = crate::db::begin_letter_write(db, letter.id).await?;
    let letter = letter::Entity::find_by_id(letter.id)
        .one(&txn)
        .await?
        .filter(|l| accepting_signatures(l, now))
        .ok_or_else(|| {
            AppError::conflict("Reminders go out while the letter takes signatures only.")
        })?;
    let waiting = awaiting_reminder(letter.id).all(&txn).await?;
    let mut sent = 0;
    for row in waiting {
        // Stamped first, each only if still unstamped: an answer that lands meanwhile wins.
        let claimed = invitation::Entity::update_many()
            .col_expr(C::RemindedAt, Expr::value(now))
            .filter(C::Id.eq(row.id))
            .filter(C::RemindedAt.is_null())
            .filter(C::SignedAt.is_null())
            .filter(C::DeclinedAt.is_null())
            .filter(C::UnsubscribedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let outbox_id =
                invitations::queue_email(&txn, ctx, &letter, &coordinators, &row, true).await?;
            invitation::Entity::update_many()
                .col_expr(C::ReminderOutboxId, Expr::value(outbox_id))
                .filter(C::Id.eq(row.id))
                .exec(&txn)
                .await?;
            sent += 1;
        }
    }
    if sent > 0 {
        audit::record(
            &txn,
            Event {
                actor,
                action: "letter.invitees_reminded",
                letter_id: Some(letter.id),
                signature_id: None,
                before: None,
                after: Some(json!({ "count": sent })),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(sent)
}

async fn remind_signers(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    letter: &letter::Model,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    use signature::Column as C;
    let reminded = Query::select()
        .column(signature_reminder::Column::SignatureId)
        .from(signature_reminder::Entity)
        .to_owned();
    let waiting = signature::Entity::find()
        .filter(C::LetterId.eq(letter.id))
        .filter(C::Status.eq(SignatureStatus::PendingVerification))
        .filter(C::CreatedAt.lte(cutoff))
        .filter(C::ContactEmailKey.is_not_null())
        .filter(C::Flags.not_like("%honeypot%"))
        .filter(C::Id.not_in_subquery(reminded))
        .all(db)
        .await?;
    let mut sent = 0;
    for row in waiting {
        let txn = crate::db::begin_write(db).await?;
        let stopped = match &row.contact_email_key {
            Some(key) => invitations::unsubscribed(&txn, letter.id, key).await?,
            None => true,
        };
        if claim(&txn, row.id, now, stopped).await? && !stopped {
            queue_confirmation_reminder(&txn, ctx, letter, &row, now).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// Stamps a signature's one reminder (sent, or stopped by the signer); false when it was
/// stamped already.
async fn claim(
    db: &impl ConnectionTrait,
    signature_id: i64,
    now: DateTime<Utc>,
    stopped: bool,
) -> AppResult<bool> {
    let inserted = signature_reminder::Entity::insert(signature_reminder::ActiveModel {
        signature_id: Set(signature_id),
        sent_at: Set((!stopped).then_some(now)),
        unsubscribed_at: Set(stopped.then_some(now)),
    })
    .on_conflict(
        OnConflict::column(signature_reminder::Column::SignatureId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

async fn queue_confirmation_reminder(
    db: &impl ConnectionTrait,
    ctx: &SigningContext,
    letter: &letter::Model,
    row: &signature::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(contact) = contact::load(&ctx.keys, row)? else {
        return Ok(());
    };
    let verify = signing::issue_verify_token(db, ctx, row.id, now).await?;
    let lang = crate::i18n::code(row.language);
    let verify_url = signing::link(&ctx.base_url, "verify", &verify, lang);
    let unsubscribe_url = format!(
        "{}/unsubscribe/{}?lang={lang}",
        base(ctx),
        unsubscribe_token(&ctx.keys, 's', row.id)
    );
    let email = invitation_emails::confirmation_reminder(&ConfirmationReminderEmail {
        language: row.language,
        letter_title: &text_in(letter, row.language).title,
        signatory: &row.name,
        contact_name: &contact.name,
        verify_url: &verify_url,
        valid_days: ctx.token_lifetime.num_days(),
        unsubscribe_url: &unsubscribe_url,
    });
    outbox::enqueue(
        db,
        &ctx.keys,
        Some(row.id),
        "confirmation_reminder",
        &contact.email,
        email,
    )
    .await?;
    Ok(())
}

/// Stops the reminder of one signature (its signer unsubscribed); returns 1 when that changed
/// anything.
pub(crate) async fn stop_for_signature(
    db: &impl ConnectionTrait,
    signature_id: i64,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    if claim(db, signature_id, now, true).await? {
        return Ok(1);
    }
    Ok(signature_reminder::Entity::update_many()
        .col_expr(signature_reminder::Column::UnsubscribedAt, Expr::value(now))
        .filter(signature_reminder::Column::SignatureId.eq(signature_id))
        .filter(signature_reminder::Column::UnsubscribedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Runs the reminder job now and then every [`EVERY`], reading the time from `clock`.
pub fn start(
    db: DatabaseConnection,
    ctx: SigningContext,
    clock: Clock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match send_due(&db, &ctx, clock()).await {
                Ok(sent) if sent != Sent::default() => tracing::info!(
                    invitations = sent.invitations,
                    signers = sent.signers,
                    "reminders queued"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(
                    error = format!("{err:#}"),
                    "the reminder job failed; it runs again later"
                ),
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}
