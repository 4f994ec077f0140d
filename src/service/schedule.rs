//! Background jobs that run once per period across every instance sharing the database: each
//! has a row in `scheduled_jobs` saying when it is next due and which instance holds it while
//! it runs. Every instance runs each job's loop; each period only the first to take the row
//! runs the job, and never two at once.

use chrono::{DateTime, Utc};
use entity::scheduled_job;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::error::AppResult;

/// How long one run holds a job against other instances, at most: a process that dies while
/// running it leaves it to the others after this.
const RUN_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// A random id for this process's claims.
pub fn instance_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Takes the job `name` for `instance` if it is due at `now` and free, in one statement (so two
/// instances cannot both take it): moves its next run `every` on and counts the run.
pub async fn take(
    db: &DatabaseConnection,
    name: &str,
    instance: &str,
    now: DateTime<Utc>,
    every: std::time::Duration,
) -> AppResult<bool> {
    // The row exists from the first time any instance looks; the job is due at once then.
    scheduled_job::Entity::insert(scheduled_job::ActiveModel {
        name: Set(name.to_owned()),
        next_run_at: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        runs: Set(0),
    })
    .on_conflict(
        OnConflict::column(scheduled_job::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let taken = scheduled_job::Entity::update_many()
        .col_expr(scheduled_job::Column::NextRunAt, Expr::value(now + every))
        .col_expr(
            scheduled_job::Column::LockedUntil,
            Expr::value(Some(now + RUN_LEASE)),
        )
        .col_expr(
            scheduled_job::Column::LockedBy,
            Expr::value(Some(instance.to_owned())),
        )
        .col_expr(
            scheduled_job::Column::Runs,
            Expr::col(scheduled_job::Column::Runs).add(1),
        )
        .filter(scheduled_job::Column::Name.eq(name))
        .filter(scheduled_job::Column::NextRunAt.lte(now))
        .filter(
            Condition::any()
                .add(scheduled_job::Column::LockedUntil.is_null())
                .add(scheduled_job::Column::LockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Lets go of the job `name` after a run of `instance`: the next is due at its time.
pub async fn release(db: &DatabaseConnection, name: &str, instance: &str) -> AppResult<()> {
    scheduled_job::Entity::update_many()
        .col_expr(
            scheduled_job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(scheduled_job::Column::Name.eq(name))
        .filter(scheduled_job::Column::LockedBy.eq(instance))
        .exec(db)
        .await?;
    Ok(())
}
