//! The coordinators' daily digest. Staff who ask for it (off by default) get one email a day,
//! in the language the dashboard last showed them, about the letters they coordinate that
//! take or took signatures (open or closed): the signatures waiting for moderation that are new
//! since the last digest, and each letter's count by state. Nothing goes out when nothing
//! happened: no new signature to moderate and no count changed since the last digest.
//!
//! The job runs like the retention job, once per period across instances (see [`schedule`]);
//! each staff member's day is also stamped in the transaction that queues their digest, so two
//! instances, a retry or a restart never send a second one the same day. The injected clock
//! decides the day; what is new is judged by the database's own times.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Timelike, Utc};
use entity::{
    Language, LetterStatus, SignatureStatus, letter, membership, signature, staff_digest, user,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::accounts::Staff;
use super::digest_email::{self, DigestEmail, LetterSection, NewSignature};
use super::letters::{coordinated_by, counts_by_state, text_in};
use super::reminders::Clock;
use super::signing::SigningContext;
use super::{outbox, schedule};
use crate::domain::Email;
use crate::error::AppResult;

/// How often the job looks for digests due.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(900);

/// Digests go out from this hour of the UTC day on (early morning in the Americas, midday in
/// Europe), so that one covers a whole working day.
pub const SEND_FROM_HOUR_UTC: u32 = 12;

/// The job's row in `scheduled_jobs`.
const JOB: &str = "digest";

/// A staff member's digest settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    /// They get the daily digest.
    pub daily_digest: bool,
    /// The language of their emails: the dashboard's, as they last chose it.
    pub language: Language,
}

impl Preferences {
    /// A staff member's settings, as loaded with their session or token.
    pub fn of(staff: &Staff) -> Self {
        Self {
            daily_digest: staff.daily_digest,
            language: staff.language.unwrap_or(Language::En),
        }
    }
}

/// Changes the caller's own settings; what is `None` stays as it is. Returns the settings now
/// in force.
pub async fn set_preferences(
    db: &DatabaseConnection,
    staff: &Staff,
    daily_digest: Option<bool>,
    language: Option<Language>,
) -> AppResult<Preferences> {
    let mut row = user::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(staff.user_id),
        ..Default::default()
    };
    if let Some(wanted) = daily_digest {
        row.daily_digest = Set(wanted);
    }
    if let Some(language) = language {
        row.language = Set(Some(language));
    }
    if daily_digest.is_some() || language.is_some() {
        let txn = crate::db::begin_write(db).await?;
        sea_orm::ActiveModelTrait::update(row, &txn).await?;
        txn.commit().await?;
    }
    let saved = Preferences::of(staff);
    Ok(Preferences {
        daily_digest: daily_digest.unwrap_or(saved.daily_digest),
        language: language.unwrap_or(saved.language),
    })
}

/// Remembers the language a signed-in staff member chose in the dashboard, for their emails.
/// Nothing is written when it is the one they have, so browsing with `?lang=` does not write.
pub async fn remember_language(
    db: &DatabaseConnection,
    staff: &Staff,
    language: Language,
) -> AppResult<()> {
    if staff.language == Some(language) {
        return Ok(());
    }
    let user_id = staff.user_id;
    let _turn = crate::db::write_turn(db).await;
    user::Entity::update_many()
        .col_expr(user::Column::Language, Expr::value(Some(language)))
        .filter(user::Column::Id.eq(user_id))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::Language.is_null())
                .add(user::Column::Language.ne(language)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Queues the digests due at `now` (none before [`SEND_FROM_HOUR_UTC`]); returns how many.
pub async fn send_due(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    if now.hour() < SEND_FROM_HOUR_UTC {
        return Ok(0);
    }
    let day = now.date_naive().format("%Y-%m-%d").to_string();
    let subscribers = user::Entity::find()
        .filter(user::Column::DailyDigest.eq(true))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let mut sent = 0;
    for subscriber in subscribers {
        // One subscriber's failure (a stored address that no longer parses, say) must not
        // keep everyone after them from their digest, run after run.
        match digest_one(db, ctx, &subscriber, &day).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(
                user_id = subscriber.id,
                error = %error,
                "a staff member's digest could not be queued; the others go on"
            ),
        }
    }
    Ok(sent)
}

/// The counts by state of each letter, as a digest stores them: only letters with signatures.
type Snapshot = BTreeMap<i64, [u64; 5]>;

/// Considers one staff member's digest for `day`; true when one was queued.
async fn digest_one(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    subscriber: &user::Model,
    day: &str,
) -> AppResult<bool> {
    let state = staff_digest::Entity::find_by_id(subscriber.id)
        .one(db)
        .await?;
    if state.as_ref().is_some_and(|s| s.day == day) {
        return Ok(false);
    }
    let since = state.as_ref().and_then(|s| s.sent_at);
    let previous: Snapshot = state
        .as_ref()
        .and_then(|s| s.counts.as_deref())
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    let letters = letters_of(db, subscriber.id).await?;
    let counts = counts_of(db, &letters).await?;
    let fresh = to_moderate_since(db, &letters, since).await?;
    let snapshot: Snapshot = counts
        .iter()
        .filter(|(_, c)| c.iter().any(|n| *n > 0))
        .map(|(id, c)| (*id, *c))
        .collect();
    let happened = !fresh.is_empty() || snapshot != previous;
    let txn = crate::db::begin_write(db).await?;
    if !claim_day(&txn, subscriber.id, day, state.is_some()).await? {
        return Ok(false);
    }
    if happened {
        let email = compose(ctx, subscriber, &letters, &counts, &fresh, &previous);
        let recipient = Email::parse(&subscriber.email)
            .map_err(|err| anyhow::anyhow!("staff account {}: {err}", subscriber.id))?;
        outbox::enqueue(&txn, &ctx.keys, None, "digest", &recipient, email).await?;
        staff_digest::Entity::update_many()
            .col_expr(staff_digest::Column::SentAt, Expr::value(Some(Utc::now())))
            .col_expr(
                staff_digest::Column::Counts,
                Expr::value(Some(
                    serde_json::to_string(&snapshot).map_err(anyhow::Error::from)?,
                )),
            )
            .filter(staff_digest::Column::UserId.eq(subscriber.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(happened)
}

/// Stamps a staff member's digest day; false when it was stamped already (by another instance).
async fn claim_day(
    txn: &sea_orm::DatabaseTransaction,
    user_id: i64,
    day: &str,
    exists: bool,
) -> AppResult<bool> {
    if exists {
        let updated = staff_digest::Entity::update_many()
            .col_expr(staff_digest::Column::Day, Expr::value(day))
            .filter(staff_digest::Column::UserId.eq(user_id))
            .filter(staff_digest::Column::Day.ne(day))
            .exec(txn)
            .await?;
        return Ok(updated.rows_affected == 1);
    }
    let inserted = staff_digest::Entity::insert(staff_digest::ActiveModel {
        user_id: Set(user_id),
        day: Set(day.to_owned()),
        sent_at: Set(None),
        counts: Set(None),
    })
    .on_conflict(
        OnConflict::column(staff_digest::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(inserted == 1)
}

/// The open and closed letters a staff member coordinates through one of their organizations.
async fn letters_of(db: &DatabaseConnection, user_id: i64) -> AppResult<Vec<letter::Model>> {
    let organizations: Vec<i64> = membership::Entity::find()
        .select_only()
        .column(membership::Column::OrganizationId)
        .filter(membership::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(coordinated_by(organizations)
        .filter(letter::Column::Status.is_in([LetterStatus::Open, LetterStatus::Closed]))
        .order_by_asc(letter::Column::Id)
        .all(db)
        .await?)
}

/// The signatures of each letter by state: to confirm, to moderate, approved, rejected,
/// withdrawn.
async fn counts_of(
    db: &DatabaseConnection,
    letters: &[letter::Model],
) -> AppResult<HashMap<i64, [u64; 5]>> {
    let mut counts = counts_by_state(db, letters.iter().map(|l| l.id).collect()).await?;
    Ok(letters
        .iter()
        .map(|l| (l.id, counts.remove(&l.id).unwrap_or_default().by_state()))
        .collect())
}

/// The signatures waiting for moderation that were confirmed after `since` (every one waiting,
/// for a first digest), oldest first: their public name and country only.
async fn to_moderate_since(
    db: &DatabaseConnection,
    letters: &[letter::Model],
    since: Option<DateTime<Utc>>,
) -> AppResult<Vec<(i64, NewSignature)>> {
    let mut query = signature::Entity::find()
        .select_only()
        .column(signature::Column::LetterId)
        .column(signature::Column::Name)
        .column(signature::Column::Country)
        .filter(signature::Column::LetterId.is_in(letters.iter().map(|l| l.id)))
        .filter(signature::Column::Status.eq(SignatureStatus::Verified));
    if let Some(since) = since {
        query = query.filter(signature::Column::VerifiedAt.gt(since));
    }
    let rows: Vec<(i64, String, Option<String>)> = query
        .order_by_asc(signature::Column::VerifiedAt)
        .order_by_asc(signature::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(letter_id, name, country)| (letter_id, NewSignature { name, country }))
        .collect())
}

/// The digest of one staff member: a section for each letter that changed or has signatures
/// waiting for moderation.
fn compose(
    ctx: &SigningContext,
    subscriber: &user::Model,
    letters: &[letter::Model],
    counts: &HashMap<i64, [u64; 5]>,
    fresh: &[(i64, NewSignature)],
    previous: &Snapshot,
) -> super::emails::ComposedEmail {
    let language = subscriber.language.unwrap_or(Language::En);
    let base = ctx.base_url.as_str().trim_end_matches('/');
    let sections: Vec<LetterSection> = letters
        .iter()
        .filter_map(|letter| {
            let now = counts.get(&letter.id).copied().unwrap_or_default();
            let before = previous.get(&letter.id).copied().unwrap_or_default();
            let new: Vec<&NewSignature> = fresh
                .iter()
                .filter(|(id, _)| *id == letter.id)
                .map(|(_, s)| s)
                .collect();
            let shown = !new.is_empty() || now != before || now[1] > 0;
            shown.then(|| LetterSection {
                title: text_in(letter, language).title,
                closed: letter.status == LetterStatus::Closed,
                counts: now,
                new,
                queue_url: format!(
                    "{base}/admin/letters/{}/signatures?status=verified",
                    letter.id
                ),
            })
        })
        .collect();
    digest_email::digest(&DigestEmail {
        language,
        name: &subscriber.name,
        sections,
        settings_url: &format!("{base}/admin/account"),
    })
}

/// Runs the digest job every [`EVERY`], reading the time from `clock`: each period one
/// instance of those sharing the database runs it.
pub fn start(
    db: DatabaseConnection,
    ctx: SigningContext,
    clock: Clock,
) -> tokio::task::JoinHandle<()> {
    let instance = schedule::instance_id();
    tokio::spawn(async move {
        loop {
            match run_if_due(&db, &ctx, &instance, clock()).await {
                Ok(Some(0) | None) => {}
                Ok(Some(n)) => tracing::info!(digests = n, "daily digests queued"),
                Err(err) => tracing::warn!(
                    error = format!("{err:#}"),
                    "the digest job failed; it runs again later"
                ),
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}

/// Runs the job if it is due at `now` and no other instance holds it; how many digests it
/// queued, or `None` when it was not this instance's turn.
pub async fn run_if_due(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    instance: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<u64>> {
    if !schedule::take(db, JOB, instance, now, EVERY).await? {
        return Ok(None);
    }
    let sent = send_due(db, ctx, now).await;
    let released = schedule::release(db, JOB, instance).await;
    let sent = sent?;
    released?;
    Ok(Some(sent))
}
