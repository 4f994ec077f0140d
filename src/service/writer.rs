//! The one place signatures are written. Submissions queue here and are written in batches,
//! one transaction (one disk sync) per batch: group commit. The new signers of a batch are
//! written together, a few multi-row statements for the whole batch; the rest (a signer signing
//! again, a refused submission) each in a savepoint of its own, so that one bad submission does
//! not undo the others. What needs no database (hashing the email, drawing the links' tokens)
//! is done before a submission queues, on its request's task. A batch reads the letters it
//! signs under their locks ([`crate::db::begin_signing_write`]), so that closing or delivering a
//! letter and a batch signing it take turns.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

use super::keys::Keys;
use super::signing::{self, LetterCache, Prepared, SignRequest, SigningContext};
use crate::error::{AppError, AppResult};

/// How many submissions one transaction takes at most.
const MAX_BATCH: usize = 256;
/// Concurrent writers on PostgreSQL.
const POSTGRES_WRITERS: usize = 8;

struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<AppResult<()>>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct SignatureWriter {
    sender: mpsc::Sender<Job>,
    keys: Arc<Keys>,
}

impl SignatureWriter {
    /// Starts the writer task. `committed` is notified after each batch, to wake the mail worker.
    pub fn start(db: DatabaseConnection, ctx: SigningContext, committed: Arc<Notify>) -> Self {
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        let receiver = Arc::new(Mutex::new(receiver));
        // SQLite has one write lock: one writer batches best. PostgreSQL commits concurrent
        // transactions, and each statement is a network round trip: several writers overlap them.
        let writers = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_WRITERS,
            _ => 1,
        };
        for _ in 0..writers {
            tokio::spawn(run(
                db.clone(),
                ctx.clone(),
                receiver.clone(),
                committed.clone(),
            ));
        }
        Self {
            sender,
            keys: ctx.keys,
        }
    }

    /// Records a submission; returns once it is durably committed.
    pub async fn sign(&self, request: SignRequest) -> AppResult<()> {
        let prepared = Prepared::new(&self.keys, request);
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job { prepared, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the signature writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the signature writer dropped a submission"))?
    }
}

async fn run(
    db: DatabaseConnection,
    ctx: SigningContext,
    receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
    committed: Arc<Notify>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // The lock is held only while taking a batch, so writers take turns at the queue.
        if receiver.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        let jobs = std::mem::take(&mut batch);
        // Nothing of a failed batch was committed, so it can run again as it is: on PostgreSQL
        // concurrent writers may deadlock on the unique index, and one of them is told to retry.
        // On SQLite, the mail worker waits its turn at the write lock behind whole batches.
        let turn = crate::db::write_turn(&db).await;
        let written = match write_batch(&db, &ctx, &jobs).await {
            Ok(outcomes) => Ok(outcomes),
            Err(first) => {
                tracing::warn!(
                    error = format!("{first:#}"),
                    jobs = jobs.len(),
                    "retrying a batch of signatures"
                );
                write_batch(&db, &ctx, &jobs).await
            }
        };
        drop(turn);
        match written {
            Ok(outcomes) => {
                committed.notify_one();
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(err) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    jobs = jobs.len(),
                    "a batch of signatures failed to commit"
                );
                for job in jobs {
                    let _ = job.reply.send(Err(AppError::Internal(anyhow::anyhow!(
                        "the batch failed to commit"
                    ))));
                }
            }
        }
    }
}

/// Writes a batch; the outer error means nothing was committed.
async fn write_batch(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    jobs: &[Job],
) -> anyhow::Result<Vec<AppResult<()>>> {
    let slugs: std::collections::HashSet<String> = jobs
        .iter()
        .map(|job| super::letters::slug_key(&job.prepared.request.slug))
        .collect();
    let (txn, locked) = crate::db::begin_signing_write(db, slugs).await?;
    let mut letters: LetterCache = locked
        .into_iter()
        .map(|letter| (letter.slug.clone(), letter))
        .collect();
    let prepared: Vec<&Prepared> = jobs.iter().map(|job| &job.prepared).collect();
    let recorded = new_signers(&txn, ctx, &prepared, &mut letters).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (prepared, recorded) in prepared.into_iter().zip(recorded) {
        let outcome = match recorded {
            Some(outcome) => outcome,
            None => one_by_one(&txn, ctx, prepared, &mut letters).await?,
        };
        outcomes.push(outcome);
    }
    txn.commit().await?;
    Ok(outcomes)
}

/// The batch's new signers at once, in a savepoint. Should that fail (on PostgreSQL another
/// writer may have inserted one of them a moment ago), none of it stays and every job is left
/// to [`one_by_one`].
async fn new_signers(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &SigningContext,
    jobs: &[&Prepared],
    letters: &mut LetterCache,
) -> anyhow::Result<Vec<Option<AppResult<()>>>> {
    let savepoint = txn.begin().await?;
    match signing::record_new(&savepoint, ctx, jobs, letters).await {
        Ok(outcomes) => {
            savepoint.commit().await?;
            Ok(outcomes)
        }
        Err(_) => {
            tracing::debug!(
                jobs = jobs.len(),
                "writing a batch's new signers one by one"
            );
            savepoint.rollback().await?;
            Ok(jobs.iter().map(|_| None).collect())
        }
    }
}

/// One submission in a savepoint of its own.
async fn one_by_one(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &SigningContext,
    prepared: &Prepared,
    letters: &mut LetterCache,
) -> anyhow::Result<AppResult<()>> {
    let outcome = in_savepoint(txn, ctx, prepared, letters).await?;
    if matches!(&outcome, Err(AppError::Conflict { field: Some(field), .. }) if field == "contact_email")
    {
        // The same signer was inserted concurrently elsewhere: this time it is found.
        return in_savepoint(txn, ctx, prepared, letters).await;
    }
    Ok(outcome)
}

async fn in_savepoint(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &SigningContext,
    prepared: &Prepared,
    letters: &mut LetterCache,
) -> anyhow::Result<AppResult<()>> {
    let savepoint = txn.begin().await?;
    match signing::record(&savepoint, ctx, prepared, letters).await {
        Ok(()) => {
            savepoint.commit().await?;
            Ok(Ok(()))
        }
        Err(err) => {
            savepoint.rollback().await?;
            Ok(Err(err))
        }
    }
}
