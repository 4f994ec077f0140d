//! The outbox worker and its transports: SMTP through lettre, or `.eml` files in a folder.
//!
//! Emails are claimed from the outbox table with a lease (`locked_until`), so several
//! instances on PostgreSQL never send one twice (`FOR UPDATE SKIP LOCKED`), and an instance
//! that dies mid-send leaves the email to be picked up again when the lease runs out.

mod transport;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::outbox;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use tokio::sync::Notify;

pub use transport::Transport;

use crate::service::contact;
use crate::service::keys::Keys;

/// How many emails one pass claims.
const CLAIM_BATCH: u64 = 20;
/// How long a claimed email is reserved for the instance sending it.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// After this many failed attempts an email is left for staff to look at.
pub const MAX_ATTEMPTS: i32 = 10;
/// How often the outbox is looked at when nothing wakes the worker (retries, other instances).
const POLL: Duration = Duration::from_secs(2);

/// Starts the worker; it runs until the process ends.
pub fn start(
    db: DatabaseConnection,
    transport: Arc<Transport>,
    keys: Arc<Keys>,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match deliver_due(&db, &transport, &keys).await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "the outbox could not be read")
                }
            }
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    })
}

/// Sends every email that is due now; returns how many were attempted.
pub async fn deliver_due(
    db: &DatabaseConnection,
    transport: &Transport,
    keys: &Keys,
) -> anyhow::Result<usize> {
    let claimed = claim(db).await?;
    for email in &claimed {
        let result = match contact::open_email(keys, email) {
            Ok((recipient, opened)) => transport.send(&opened, &recipient).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => mark_sent(db, email).await?,
            Err(err) => mark_failed(db, email, &err).await?,
        }
    }
    Ok(claimed.len())
}

async fn claim(db: &DatabaseConnection) -> anyhow::Result<Vec<outbox::Model>> {
    let now = Utc::now();
    let due = Query::select()
        .column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(outbox::Column::SentAt.is_null())
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
        .col_expr(outbox::Column::LockedUntil, Expr::value(now + LEASE))
        .filter(outbox::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    Ok(claimed)
}

async fn mark_sent(db: &DatabaseConnection, email: &outbox::Model) -> anyhow::Result<()> {
    // Once sent, the copy of the recipient and of the links is no longer needed.
    outbox::ActiveModel {
        id: Set(email.id),
        sent_at: Set(Some(Utc::now())),
        locked_until: Set(None),
        recipient: Set(String::new()),
        body_text: Set(String::new()),
        body_html: Set(String::new()),
        attempts: Set(email.attempts + 1),
        last_error: Set(None),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

async fn mark_failed(
    db: &DatabaseConnection,
    email: &outbox::Model,
    err: &anyhow::Error,
) -> anyhow::Result<()> {
    let attempts = email.attempts + 1;
    // 30 s, 1 min, 2 min, ... capped at an hour.
    let backoff = chrono::Duration::seconds(std::cmp::Ord::min(
        30_i64 << (attempts - 1).clamp(0, 7),
        3600,
    ));
    tracing::warn!(
        outbox_id = email.id,
        attempts,
        error = format!("{err:#}"),
        "an email could not be sent"
    );
    outbox::ActiveModel {
        id: Set(email.id),
        attempts: Set(attempts),
        next_attempt_at: Set(Utc::now() + backoff),
        locked_until: Set(None),
        last_error: Set(Some(format!("{err:#}"))),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
