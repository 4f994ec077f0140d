//! Stored name keys brought up to the rules of [`name_key`]: the key is computed by the app when
//! a signature is written, and a change of the rules leaves the keys stored before it as the
//! old rules gave them, so duplicates would go unflagged. A migration cannot do this: it would
//! need the app's normalizer (the migration crate is below the app) or a frozen copy of it, and
//! a copy would drift. So it is a step after the migrations, resumable and run once per version
//! of the rules: the version done is recorded in `server_secrets`.

use anyhow::Context;
use chrono::Utc;
use entity::{server_secret, signature};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::{NAME_KEY_RULES, name_key};

/// The `server_secrets` row holding the version of the rules the stored keys follow.
const RULES_DONE: &str = "name_key_rules";
/// Rows read and written per transaction, so that signing is never held up for long.
const BATCH: u64 = 500;

/// Recomputes every stored key that the current rules would not give, unless that was done for
/// this version of the rules; returns how many keys changed. A run that stops halfway has
/// committed its batches and records nothing, so the next start goes over the rows again.
pub(super) async fn refresh(db: &DatabaseConnection) -> anyhow::Result<u64> {
    if rules_done(db).await? >= NAME_KEY_RULES {
        return Ok(0);
    }
    let (mut after, mut changed) = (0, 0);
    while let Some((last, batch_changed)) = refresh_batch(db, after).await? {
        after = last;
        changed += batch_changed;
    }
    record_rules_done(db).await?;
    if changed > 0 {
        tracing::info!(
            rows = changed,
            "stored name keys recomputed under new rules"
        );
    }
    Ok(changed)
}

/// The batch of signatures after id `after`: the last id read and how many keys changed, or
/// `None` past the last signature. The rows are locked while read, so that a rename in
/// between cannot be given the key of the name before it.
async fn refresh_batch(db: &DatabaseConnection, after: i64) -> anyhow::Result<Option<(i64, u64)>> {
    use signature::Column as C;
    let txn = super::begin_write(db).await?;
    let rows: Vec<(i64, String, String)> = signature::Entity::find()
        .select_only()
        .columns([C::Id, C::Name, C::NameKey])
        .filter(C::Id.gt(after))
        .order_by_asc(C::Id)
        .limit(BATCH)
        .lock_exclusive()
        .into_tuple()
        .all(&txn)
        .await?;
    let Some(&(last, _, _)) = rows.last() else {
        return Ok(None);
    };
    let mut changed = 0;
    for (id, name, stored) in rows {
        let key = name_key(&name);
        if key != stored {
            signature::Entity::update_many()
                .col_expr(C::NameKey, Expr::value(key))
                .filter(C::Id.eq(id))
                .exec(&txn)
                .await?;
            changed += 1;
        }
    }
    txn.commit().await?;
    Ok(Some((last, changed)))
}

/// The version of the rules the stored keys follow; 0 before this step first ran.
async fn rules_done(db: &DatabaseConnection) -> anyhow::Result<u32> {
    let row = server_secret::Entity::find_by_id(RULES_DONE)
        .one(db)
        .await?;
    Ok(row.and_then(|row| row.value.parse().ok()).unwrap_or(0))
}

async fn record_rules_done(db: &DatabaseConnection) -> anyhow::Result<()> {
    server_secret::Entity::insert(server_secret::ActiveModel {
        name: Set(RULES_DONE.to_owned()),
        value: Set(NAME_KEY_RULES.to_string()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(server_secret::Column::Name)
            .update_columns([
                server_secret::Column::Value,
                server_secret::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await
    .context("cannot record the version of the name key rules")?;
    Ok(())
}
