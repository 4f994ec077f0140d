//! Contact data is kept only as long as a letter needs it: `retention_days` after delivery, the
//! contacts of its signatures are erased, leaving the public part (and the frozen exports) as
//! delivered.

use chrono::{DateTime, Utc};
use entity::{LetterStatus, letter, signature};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::audit::Actor;
use super::signatures::erase_contact;
use crate::error::AppResult;

/// How often the retention job looks for contact data past its time.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Erases the contact data of every signature on letters delivered more than their retention
/// period before `now`; returns how many signatures were erased.
pub async fn erase_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<u64> {
    let delivered = letter::Entity::find()
        .filter(letter::Column::Status.eq(LetterStatus::Delivered))
        .all(db)
        .await?;
    let mut erased = 0;
    for letter in delivered {
        let Some(delivered_at) = letter.delivered_at else {
            continue;
        };
        if delivered_at + chrono::Duration::days(i64::from(letter.retention_days)) > now {
            continue;
        }
        let pending: Vec<i64> = signature::Entity::find()
            .select_only()
            .column(signature::Column::Id)
            .filter(signature::Column::LetterId.eq(letter.id))
            .filter(signature::Column::ContactErasedAt.is_null())
            // Contact details are only ever stored with an email.
            .filter(signature::Column::ContactEmail.is_not_null())
            .into_tuple()
            .all(db)
            .await?;
        for signature_id in pending {
            erase_contact(db, &Actor::System, letter.id, signature_id).await?;
            erased += 1;
        }
    }
    Ok(erased)
}

/// Runs the retention job now and then every hour, until the process ends.
pub fn start(db: DatabaseConnection) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match erase_expired(&db, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    signatures = n,
                    "contact data past its retention period erased"
                ),
                Err(err) => tracing::warn!(
                    error = format!("{err:#}"),
                    "the retention job failed; it runs again later"
                ),
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}
