//! Contact data is kept only as long as a letter needs it. `retention_days` after a letter
//! ends (delivered; or closed, or left open past its deadline, and never delivered), the
//! contacts of its signatures are erased; the same period after a signer withdraws, theirs.
//! The public part of each signature (and the frozen exports) stays.

use chrono::{DateTime, Utc};
use entity::{LetterStatus, SignatureStatus, letter, signature};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::audit::Actor;
use super::outbox::MailCopies;
use super::schedule;
use super::signatures::erase_contact;
use crate::error::AppResult;

/// How often the retention job looks for contact data past its time, unless the settings say.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Erases the contact data of every signature past its retention period at `now`; returns how
/// many signatures were erased.
pub async fn erase_expired(
    db: &DatabaseConnection,
    copies: &MailCopies,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let letters = letter::Entity::find().all(db).await?;
    let mut erased = 0;
    for letter in letters {
        let cutoff = now - chrono::Duration::days(i64::from(letter.retention_days));
        let mut expired = signature::Entity::find()
            .select_only()
            .column(signature::Column::Id)
            .filter(signature::Column::LetterId.eq(letter.id))
            .filter(
                Condition::any()
                    .add(signature::Column::ContactEmailKey.is_not_null())
                    .add(signature::Column::IpHash.is_not_null())
                    .add(signature::Column::UserAgentHash.is_not_null()),
            );
        let letter_expired = ended_at(&letter).is_some_and(|ended| ended <= cutoff);
        if !letter_expired {
            expired = expired
                .filter(signature::Column::Status.eq(SignatureStatus::Withdrawn))
                .filter(signature::Column::WithdrawnAt.lte(cutoff));
        }
        if letter_expired {
            let emails = super::invitations::forget(db, letter.id, None).await?;
            copies.remove(None, &emails).await.map_err(|err| {
                anyhow::anyhow!("cannot remove the copies of invitation emails: {err}")
            })?;
        }
        let expired: Vec<i64> = expired.into_tuple().all(db).await?;
        for signature_id in expired {
            erase_contact(db, copies, &Actor::System, letter.id, signature_id).await?;
            erased += 1;
        }
    }
    Ok(erased)
}

/// When a letter stopped needing its signers' contacts, if it did.
fn ended_at(letter: &letter::Model) -> Option<DateTime<Utc>> {
    match letter.status {
        LetterStatus::Delivered => letter.delivered_at,
        LetterStatus::Closed => letter.closed_at,
        // The form closed by itself at the deadline; nobody reopened, closed or delivered it.
        LetterStatus::Open => letter.deadline,
        LetterStatus::Draft => None,
    }
}

/// The job's row in `scheduled_jobs`.
const JOB: &str = "retention";

/// Runs the retention job now and then every `every`, until the process ends. Every instance
/// sharing the database runs this loop, but each period only one runs the job (see
/// [`schedule`]).
pub fn start(
    db: DatabaseConnection,
    copies: MailCopies,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    let instance = schedule::instance_id();
    tokio::spawn(async move {
        loop {
            match run_if_due(&db, &copies, &instance, every).await {
                Ok(Some(0) | None) => {}
                Ok(Some(n)) => tracing::info!(
                    signatures = n,
                    "contact data past its retention period erased"
                ),
                Err(err) => tracing::warn!(
                    error = format!("{err:#}"),
                    "the retention job failed; it runs again later"
                ),
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// Runs the job if it is due and no other instance holds it; how many signatures it erased, or
/// `None` when it was not this instance's turn.
async fn run_if_due(
    db: &DatabaseConnection,
    copies: &MailCopies,
    instance: &str,
    every: std::time::Duration,
) -> AppResult<Option<u64>> {
    if !schedule::take(db, JOB, instance, Utc::now(), every).await? {
        return Ok(None);
    }
    tracing::info!(job = JOB, "the retention job runs");
    let erased = erase_expired(db, copies, Utc::now()).await;
    let released = schedule::release(db, JOB, instance).await;
    let erased = erased?;
    released?;
    Ok(Some(erased))
}
