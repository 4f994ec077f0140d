//! The audit trail: who did what to which letter or signature, when, with before and after.

use chrono::Utc;
use entity::audit_event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::Value;

use super::accounts::Staff;
use crate::error::AppResult;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A logged-in staff member.
    Staff {
        /// The user.
        user_id: i64,
        /// Their login email, kept readable in the trail.
        email: String,
    },
    /// A signer, through the public pages or emailed links.
    Signer,
    /// signon itself (a deadline, a retention job) or the command line.
    System,
}

impl From<&Staff> for Actor {
    fn from(staff: &Staff) -> Self {
        Self::Staff {
            user_id: staff.user_id,
            email: staff.email.clone(),
        }
    }
}

/// What happened, to be recorded in the caller's transaction.
pub struct Event<'a> {
    /// Who.
    pub actor: &'a Actor,
    /// A short verb phrase such as `letter.status_changed`.
    pub action: &'a str,
    /// The letter concerned.
    pub letter_id: Option<i64>,
    /// The signature concerned.
    pub signature_id: Option<i64>,
    /// The state before (no contact data).
    pub before: Option<Value>,
    /// The state after (no contact data).
    pub after: Option<Value>,
}

/// Writes one event.
pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> AppResult<()> {
    row(event).insert(db).await?;
    Ok(())
}

/// Writes several events with one statement.
pub async fn record_many(db: &impl ConnectionTrait, events: Vec<Event<'_>>) -> AppResult<()> {
    audit_event::Entity::insert_many(events.into_iter().map(row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn row(event: Event<'_>) -> audit_event::ActiveModel {
    let (actor_user_id, actor) = match event.actor {
        Actor::Staff { user_id, email } => (Some(*user_id), email.clone()),
        Actor::Signer => (None, "signer".to_owned()),
        Actor::System => (None, "system".to_owned()),
    };
    audit_event::ActiveModel {
        letter_id: Set(event.letter_id),
        signature_id: Set(event.signature_id),
        actor_user_id: Set(actor_user_id),
        actor: Set(actor),
        action: Set(event.action.to_owned()),
        before: Set(event.before.map(|v| v.to_string())),
        after: Set(event.after.map(|v| v.to_string())),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
}

/// A letter's audit trail, newest first, with the total count.
pub async fn list_for_letter(
    db: &impl ConnectionTrait,
    letter_id: i64,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<audit_event::Model>, u64)> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let query = audit_event::Entity::find().filter(audit_event::Column::LetterId.eq(letter_id));
    let total = query.clone().count(db).await?;
    let events = query
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((events, total))
}

/// The names of the staff members who acted in these events, by user id, for a trail that
/// reads "Ana Pérez approved ..." rather than an address. Deleted accounts are left out.
pub async fn actor_names(
    db: &impl ConnectionTrait,
    events: &[audit_event::Model],
) -> AppResult<std::collections::HashMap<i64, String>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let mut ids: Vec<i64> = events.iter().filter_map(|e| e.actor_user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let names: Vec<(i64, String)> = entity::user::Entity::find()
        .select_only()
        .column(entity::user::Column::Id)
        .column(entity::user::Column::Name)
        .filter(entity::user::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(names.into_iter().collect())
}
