//! The outbox worker and its transports: SMTP through lettre, or `.eml` files in a folder.
//!
//! A worker claims due emails in batches: it writes a short lease (`locked_until`) and its own
//! instance id (`claimed_by`) on them in one statement, and renews the lease while it is still
//! sending. Another worker (another instance on PostgreSQL, where the claim skips rows being
//! claimed with `FOR UPDATE SKIP LOCKED`) takes an email only once its lease has run out, so two
//! live workers never send one email, while the emails of a process that died go out as soon as
//! its lease ends (seconds, not minutes). A worker stops starting sends once its lease could
//! have run out, should renewing it fail.

mod transport;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{letter, letter_snapshot, outbox};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use tokio::sync::Notify;

pub use transport::{Attachment, SendError, Transport};

use crate::service::contact;
use crate::service::keys::Keys;

/// How long a claim lasts unless renewed, when the settings do not say.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// How many emails one claim takes at most: one statement claims them and one marks them sent.
/// Sent but not yet marked when a process is killed, they are sent again by the next claim, so
/// this also bounds the emails a crash can send twice.
const CLAIM_BATCH: u64 = 128;
/// After this many failed attempts an email is left for staff to look at.
pub const MAX_ATTEMPTS: i32 = 10;
/// How often the outbox is looked at when nothing wakes the worker (retries, other instances,
/// leases of a process that died).
const POLL: Duration = Duration::from_secs(2);
/// After a commit wakes the worker, how long it lets more emails arrive: a surge of signing is
/// then sent in a few large batches rather than many small ones, each of which would take
/// SQLite's write lock from the signature writer twice.
const GATHER: Duration = Duration::from_millis(50);

/// One worker: an instance id that marks its claims, and how long they last unless renewed.
#[derive(Debug, Clone)]
pub struct Worker {
    id: String,
    lease: Duration,
}

/// What became of one claimed email.
enum Outcome {
    Sent,
    Failed(SendError),
    /// Not attempted: the lease could have run out, so another worker may be sending it.
    Left,
}

/// Starts the worker; it runs until the process ends. `wake` is notified when emails are queued.
pub fn start(
    db: DatabaseConnection,
    transport: Arc<Transport>,
    keys: Arc<Keys>,
    wake: Arc<Notify>,
    lease: Duration,
) -> tokio::task::JoinHandle<()> {
    let worker = Worker::new(lease);
    tokio::spawn(async move {
        loop {
            match worker.deliver_due(&db, &transport, &keys).await {
                // A full batch: more are probably waiting.
                Ok(claimed) if claimed as u64 >= CLAIM_BATCH => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "the outbox could not be read")
                }
            }
            if tokio::time::timeout(POLL, wake.notified()).await.is_ok() {
                tokio::time::sleep(GATHER).await;
            }
        }
    })
}

/// Sends every email that is due now, as a worker of its own with the default lease; returns
/// how many were claimed.
pub async fn deliver_due(
    db: &DatabaseConnection,
    transport: &Transport,
    keys: &Keys,
) -> anyhow::Result<usize> {
    Worker::new(DEFAULT_LEASE)
        .deliver_due(db, transport, keys)
        .await
}

impl Worker {
    /// A worker with a new random instance id.
    pub fn new(lease: Duration) -> Self {
        Self {
            id: uuid::Uuid::new_v4().simple().to_string(),
            lease,
        }
    }

    /// Claims one batch of due emails, sends them while renewing the claim, and records the
    /// outcomes (all the sent ones in one statement); returns how many were claimed.
    pub async fn deliver_due(
        &self,
        db: &DatabaseConnection,
        transport: &Transport,
        keys: &Keys,
    ) -> anyhow::Result<usize> {
        let claimed_at = Instant::now();
        let claimed = self.claim(db).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = claimed.iter().map(|email| email.id).collect();
        let attachments = attachments(db, &claimed).await?;
        let held = Mutex::new(claimed_at + self.safe_hold());
        let sending = send_all(&claimed, transport, keys, &attachments, &held);
        let outcomes = self.renewing(db, &ids, &held, sending).await;
        let mut sent = Vec::with_capacity(outcomes.len());
        let mut failed = Vec::new();
        for (email, outcome) in outcomes {
            match outcome {
                Outcome::Sent => sent.push(email.id),
                Outcome::Failed(err) => failed.push((email, err)),
                Outcome::Left => {}
            }
        }
        // The sent ones first: recorded late, they would be sent again.
        mark_sent(db, &sent).await?;
        for (email, err) in failed {
            mark_failed(db, email, &err).await?;
        }
        Ok(claimed.len())
    }

    /// How long after a claim or renewal began this worker still starts sends: two thirds of
    /// the lease, leaving the rest for a send under way and for clocks that differ.
    fn safe_hold(&self) -> Duration {
        self.lease * 2 / 3
    }

    async fn claim(&self, db: &DatabaseConnection) -> anyhow::Result<Vec<outbox::Model>> {
        let _turn = crate::db::write_turn(db).await;
        let now = Utc::now();
        let due = Query::select()
            .column(outbox::Column::Id)
            .from(outbox::Entity)
            .and_where(outbox::Column::SentAt.is_null())
            .and_where(outbox::Column::FailedAt.is_null())
            .and_where(outbox::Column::Attempts.lt(MAX_ATTEMPTS))
            .and_where(outbox::Column::NextAttemptAt.lte(now))
            .and_where(
                outbox::Column::LockedUntil
                    .is_null()
                    .or(outbox::Column::LockedUntil.lt(now)),
            )
            .order_by(outbox::Column::Id, sea_orm::Order::Asc)
            .limit(CLAIM_BATCH)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(now + self.lease))
            .col_expr(outbox::Column::ClaimedBy, Expr::value(self.id.clone()))
            .filter(outbox::Column::Id.in_subquery(due))
            .exec_with_returning(db)
            .await?;
        Ok(claimed)
    }

    /// Runs `work` (the sends), renewing the lease on `ids` every third of it meanwhile; each
    /// renewal that keeps every email moves the deadline in `held` on.
    async fn renewing<T>(
        &self,
        db: &DatabaseConnection,
        ids: &[i64],
        held: &Mutex<Instant>,
        work: impl Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return done,
                () = tokio::time::sleep(self.lease / 3) => {
                    let started = Instant::now();
                    match self.renew(db, ids).await {
                        Ok(true) => {
                            *held.lock().unwrap_or_else(|e| e.into_inner()) =
                                started + self.safe_hold();
                        }
                        // Some emails were taken over or removed: let the lease run out.
                        Ok(false) => {}
                        Err(err) => tracing::warn!(
                            error = format!("{err:#}"),
                            "the lease on outbox emails could not be renewed"
                        ),
                    }
                }
            }
        }
    }

    /// Extends the lease on the emails this worker still holds; true when it held them all.
    async fn renew(&self, db: &DatabaseConnection, ids: &[i64]) -> anyhow::Result<bool> {
        let _turn = crate::db::write_turn(db).await;
        let until = Utc::now() + self.lease;
        let renewed = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(until))
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .filter(outbox::Column::ClaimedBy.eq(self.id.clone()))
            .filter(outbox::Column::SentAt.is_null())
            .exec(db)
            .await?;
        Ok(renewed.rows_affected == ids.len() as u64)
    }
}

/// Sends a claimed batch, as many at once as the transport takes, each only while the lease
/// in `held` surely lasts.
async fn send_all<'a>(
    claimed: &'a [outbox::Model],
    transport: &Transport,
    keys: &Keys,
    attachments: &HashMap<i64, Attachment>,
    held: &Mutex<Instant>,
) -> Vec<(&'a outbox::Model, Outcome)> {
    // Built before streaming: a closure over borrowed emails inside the stream would make the
    // worker's future too general for `tokio::spawn`.
    let sends: Vec<_> = claimed
        .iter()
        .map(|email| send_one(email, transport, keys, attachments, held))
        .collect();
    futures_util::stream::iter(sends)
        .buffer_unordered(transport.parallelism())
        .collect()
        .await
}

async fn send_one<'a>(
    email: &'a outbox::Model,
    transport: &Transport,
    keys: &Keys,
    attachments: &HashMap<i64, Attachment>,
    held: &Mutex<Instant>,
) -> (&'a outbox::Model, Outcome) {
    if Instant::now() >= *held.lock().unwrap_or_else(|e| e.into_inner()) {
        return (email, Outcome::Left);
    }
    let attachment = match email.attachment_snapshot_id {
        Some(id) => match attachments.get(&id) {
            Some(file) => Some(file),
            None => {
                let err = anyhow::anyhow!("the frozen export {id} to attach is not there");
                return (email, Outcome::Failed(err.into()));
            }
        },
        None => None,
    };
    let result = match contact::open_email(keys, email) {
        Ok((recipients, opened)) => transport.send(&opened, &recipients, attachment).await,
        Err(err) => Err(err.into()),
    };
    match result {
        Ok(()) => (email, Outcome::Sent),
        Err(err) => (email, Outcome::Failed(err)),
    }
}

/// The frozen exports the claimed emails attach, each read once however many emails name it.
async fn attachments(
    db: &DatabaseConnection,
    claimed: &[outbox::Model],
) -> anyhow::Result<HashMap<i64, Attachment>> {
    let ids: HashSet<i64> = claimed
        .iter()
        .filter_map(|email| email.attachment_snapshot_id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = letter_snapshot::Entity::find()
        .filter(letter_snapshot::Column::Id.is_in(ids))
        .find_also_related(letter::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(snapshot, letter)| {
            let slug = letter
                .map(|l| l.slug)
                .unwrap_or_else(|| "letter".to_owned());
            let (extension, content_type) = match snapshot.format.as_str() {
                "pdf" => ("pdf", "application/pdf"),
                _ => ("csv", "text/csv; charset=utf-8"),
            };
            let file = Attachment {
                file_name: format!("{slug}-{}.{extension}", snapshot.language),
                content_type,
                content: snapshot.content,
            };
            (snapshot.id, file)
        })
        .collect())
}

/// Records emails as sent, in one statement; the copy of each recipient and of the links is no
/// longer needed.
async fn mark_sent(db: &DatabaseConnection, ids: &[i64]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let _turn = crate::db::write_turn(db).await;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::SentAt, Expr::value(Some(Utc::now())))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(outbox::Column::Recipient, Expr::value(""))
        .col_expr(outbox::Column::BodyText, Expr::value(""))
        .col_expr(outbox::Column::BodyHtml, Expr::value(""))
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(outbox::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed attempt: tried again after a backoff, or never again when the receiving
/// server refused the email for good (an invitation sent by it then shows as bounced).
async fn mark_failed(
    db: &DatabaseConnection,
    email: &outbox::Model,
    failure: &SendError,
) -> anyhow::Result<()> {
    let err = &failure.error;
    let attempts = email.attempts + 1;
    // 30 s, 1 min, 2 min, ... capped at an hour.
    let backoff = chrono::Duration::seconds(std::cmp::Ord::min(
        30_i64 << (attempts - 1).clamp(0, 7),
        3600,
    ));
    tracing::warn!(
        outbox_id = email.id,
        attempts,
        permanent = failure.permanent,
        error = format!("{err:#}"),
        "an email could not be sent"
    );
    let _turn = crate::db::write_turn(db).await;
    outbox::ActiveModel {
        id: Set(email.id),
        attempts: Set(attempts),
        next_attempt_at: Set(Utc::now() + backoff),
        locked_until: Set(None),
        claimed_by: Set(None),
        last_error: Set(Some(format!("{err:#}"))),
        failed_at: Set(failure.permanent.then(Utc::now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
