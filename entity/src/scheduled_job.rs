//! Background jobs that run once across every instance sharing the database: when each is next
//! due, and which instance holds it while it runs.

use sea_orm::entity::prelude::*;

/// One job, by name.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// No instance starts the job before this.
    pub next_run_at: DateTimeUtc,
    /// While set and in the future, an instance is running the job.
    pub locked_until: Option<DateTimeUtc>,
    /// The instance running it (a random id per process).
    pub locked_by: Option<String>,
    /// How many times it was started, by any instance.
    pub runs: i64,
}

impl ActiveModelBehavior for ActiveModel {}
