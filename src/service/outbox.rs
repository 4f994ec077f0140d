//! Writing emails to the outbox, in the transaction of the change that causes them: a crash
//! either keeps both or neither. The mail worker sends them.

use chrono::Utc;
use entity::outbox;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use super::contact;
use super::emails::ComposedEmail;
use crate::domain::Email;
use crate::error::AppResult;

/// Queues one email.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    signature_id: Option<i64>,
    kind: &str,
    recipient: &Email,
    email: ComposedEmail,
) -> AppResult<i64> {
    let now = Utc::now();
    let row = outbox::ActiveModel {
        signature_id: Set(signature_id),
        kind: Set(kind.to_owned()),
        recipient: Set(contact::seal_recipient(recipient)),
        subject: Set(email.subject),
        body_text: Set(email.text),
        body_html: Set(email.html),
        attempts: Set(0),
        created_at: Set(now),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}
