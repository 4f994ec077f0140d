//! Opening the database and starting write transactions, the same way on SQLite and PostgreSQL.

use std::time::Duration;

use anyhow::{Context, bail};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An embedded file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Engine {
    /// Reads the engine off a URL's scheme, refusing the ones signon does not support.
    pub fn of(url: &str) -> anyhow::Result<Self> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => bail!(
                "unsupported database URL (expected sqlite://PATH?mode=rwc or postgres://...)"
            ),
        }
    }
}

/// Connects to the database, with SQLite set up for durability and concurrent readers.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let engine = Engine::of(url)?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        // Statement logs would carry personal data in bound values.
        .sqlx_logging(false);
    match engine {
        Engine::Sqlite => {
            options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged signature survives a power cut, not just a crash.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        }
        Engine::Postgres => {
            options.max_connections(16);
        }
    }
    Database::connect(options)
        .await
        .map_err(describe_connect_error)
        .context("cannot open the database")
}

fn describe_connect_error(err: DbErr) -> anyhow::Error {
    // sqlx's messages name the cause ("Connection refused", "unable to open database file");
    // the URL itself is left out since it may hold a password.
    anyhow::anyhow!("{err}")
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("cannot apply the database migrations")
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of failing
/// when one of them upgrades from reading to writing.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_read_off_the_scheme() {
        assert_eq!(
            Engine::of("sqlite://signon.db?mode=rwc").unwrap(),
            Engine::Sqlite
        );
        assert_eq!(Engine::of("postgres://u@h/db").unwrap(), Engine::Postgres);
        assert_eq!(Engine::of("postgresql://u@h/db").unwrap(), Engine::Postgres);
        assert!(Engine::of("mysql://u@h/db").is_err());
        assert!(Engine::of("signon.db").is_err());
    }
}
