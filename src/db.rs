//! Opening the database and starting write transactions, the same way on SQLite and PostgreSQL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

mod name_keys;
mod sqlite_memory;

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

/// The file of a SQLite database URL (`sqlite://PATH?...`); `None` for other databases and
/// for SQLite in memory.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|_| !url.contains("mode=memory"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.contains(":memory:"))
        .map(PathBuf::from)
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
            sqlite_memory::use_mimalloc();
            options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged signature survives a power cut, not just a crash.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // sqlx passes rows from SQLite's thread to ours through a queue of this
                    // many; at its default of 50, on a long read the two threads took turns row
                    // by row (staff CSV of 100,000, read in pages of 1,000: 1.0-1.2 s, against
                    // 0.75-0.96 s with the page fitting in the queue).
                    .row_buffer_size(1000)
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

/// Applies every pending migration, then recomputes the stored values that the app derives
/// under rules a migration cannot call (name keys).
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("cannot apply the database migrations")?;
    name_keys::refresh(db)
        .await
        .context("cannot bring the stored name keys up to date")?;
    Ok(())
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

/// Starts a transaction that will change a letter or its signatures, holding the letter's lock:
/// the one rule that keeps concurrent read-then-write requests on one letter (approve against
/// withdraw, close against deliver, an import against a delivery) from acting on a state
/// another has just changed. On SQLite the write lock of [`begin_write`] already serializes
/// them; on PostgreSQL the letter's row is locked `FOR NO KEY UPDATE` until the end, so the
/// next such transaction reads only what this one committed. That lock leaves inserts that
/// merely refer to the letter (signing) unblocked. A letter that does not exist locks nothing.
pub async fn begin_letter_write(
    db: &DatabaseConnection,
    letter_id: i64,
) -> Result<DatabaseTransaction, DbErr> {
    use sea_orm::{QuerySelect, sea_query::LockType};
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        entity::letter::Entity::find_by_id(letter_id)
            .select_only()
            .column(entity::letter::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .into_tuple::<i64>()
            .one(&txn)
            .await?;
    }
    Ok(txn)
}

/// Starts a transaction that adds signatures to the published letters of `slugs` (a batch of
/// the signature writer), and returns those letters as read under their locks: the form of
/// [`begin_letter_write`] for many letters known by slug, read and locked in one statement.
/// On PostgreSQL each row is locked `FOR SHARE`, in the order of the ids so that two batches
/// never wait on each other: concurrent signing batches go on together, while a transaction
/// of [`begin_letter_write`] (closing or delivering the letter) waits for the batches in
/// flight, and a batch that starts after it reads the letter as that one left it. So a
/// signature never lands on a letter at the moment it is delivered.
pub async fn begin_signing_write(
    db: &DatabaseConnection,
    slugs: impl IntoIterator<Item = String>,
) -> Result<(DatabaseTransaction, Vec<entity::letter::Model>), DbErr> {
    use entity::letter;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::LockType};
    let txn = begin_write(db).await?;
    let mut query = letter::Entity::find()
        .filter(letter::Column::Slug.is_in(slugs))
        .filter(letter::Column::Status.ne(entity::LetterStatus::Draft))
        .order_by_asc(letter::Column::Id);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Share);
    }
    let letters = query.all(&txn).await?;
    Ok((txn, letters))
}

/// Keeps every other transaction from writing signatures until this one ends: for a bulk
/// insert that has just checked the letter for duplicates (an import), so that no signer signs
/// in between and no two transactions wait on each other's new rows. On SQLite the write lock
/// of [`begin_write`] already does it; on PostgreSQL it locks the table `SHARE ROW EXCLUSIVE`
/// (reads go on). Take it after [`begin_letter_write`]'s lock, the order every writer follows.
pub async fn exclude_signature_writers(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE signatures IN SHARE ROW EXCLUSIVE MODE")
            .await?;
    }
    Ok(())
}

/// One turn at a SQLite file's write lock among this process's background writers (the
/// signature writer, the mail worker), handed out in the order asked for: SQLite's own busy
/// handler retries after sleeps, so a writer that commits back to back under a signing surge
/// would otherwise keep the lock from the others for seconds. Hold it across one write
/// transaction or statement. `None` on PostgreSQL, whose writers do not share one lock.
pub async fn write_turn(db: &DatabaseConnection) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    type Turns = Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>;
    static TURNS: LazyLock<Turns> = LazyLock::new(Turns::default);
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let turn = TURNS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(file)
        .or_default()
        .clone();
    Some(turn.lock_owned().await)
}

/// Writes a consistent copy of a SQLite database to `file` (which must not exist), even while
/// other connections write: `VACUUM INTO` reads one snapshot, WAL included. The copy is
/// created private (mode 0600), as it holds everything but the keys. Returns its size.
pub async fn backup_sqlite(db: &DatabaseConnection, file: &Path) -> anyhow::Result<u64> {
    let cannot = || format!("cannot write {}", file.display());
    // Creating the file first refuses an existing one without a race; VACUUM INTO accepts an
    // empty file.
    let created = create_private_file(file).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!(
                "{} already exists; signon backup never overwrites a file",
                file.display()
            )
        }
        _ => anyhow::Error::new(err).context(cannot()),
    })?;
    drop(created);
    let path = file
        .to_str()
        .context("the backup's path is not valid UTF-8")?;
    let copied = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [path.into()],
        ))
        .await;
    if let Err(err) = copied {
        let _ = std::fs::remove_file(file);
        return Err(anyhow::Error::new(err).context(cannot()));
    }
    Ok(std::fs::metadata(file).with_context(cannot)?.len())
}

/// Creates a new file that only its owner can read (the key file, backups); fails if it exists.
#[cfg(unix)]
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates a new file; fails if it exists.
#[cfg(not(unix))]
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Rewrites a SQLite file so that nothing overwritten or deleted survives in its free pages or
/// its WAL: after a key rotation no old ciphertext remains, after encrypting data stored in
/// clear no clear text. (PostgreSQL keeps old row versions until its own VACUUM reuses their
/// space; `pg_dump` copies only live rows.)
pub async fn compact(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("VACUUM").await?;
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}

/// Brings PostgreSQL's statistics of `E`'s table up to date after a write of many rows at once.
/// The planner picks indexes by them, and autovacuum refreshes them only a minute or more
/// later: just after an import of 10,000 signatures, a signing surge looked each signer up by
/// letter and email through the index on the letter alone, reading the whole letter for every
/// batch (1.3 ms each, as long as the batch's commit), instead of through the unique index on
/// both. SQLite keeps no statistics unless asked, so there is nothing to refresh there.
pub async fn refresh_statistics<E: EntityTrait>(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let table = E::default().table_name().to_owned();
    db.execute_unprepared(&format!("ANALYZE \"{table}\""))
        .await
        .map(|_| ())
}

/// Ids for `count` rows about to be inserted into `E`'s table (whose key is `id`), known before
/// the insert so that values sealed for those rows can name them (see `service::contact`).
/// Call it inside the transaction that inserts the rows: on SQLite, that transaction's write
/// lock keeps the ids from being handed out twice, and AUTOINCREMENT's high-water mark is
/// respected, so the id of a deleted row is never reused; on PostgreSQL they come from the
/// table's sequence.
pub async fn reserve_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    count: usize,
) -> Result<Vec<i64>, DbErr> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let table = E::default().table_name().to_owned();
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Postgres => {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
                    [
                        table.into(),
                        i64::try_from(count).unwrap_or(i64::MAX).into(),
                    ],
                ))
                .await?;
            rows.iter().map(|row| row.try_get_by_index(0)).collect()
        }
        _ => {
            let last: i64 = db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT MAX(COALESCE((SELECT MAX(\"id\") FROM \"{table}\"), 0), \
                         COALESCE((SELECT \"seq\" FROM sqlite_sequence WHERE \"name\" = '{table}'), 0))"
                    ),
                ))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound("the highest id".into()))?
                .try_get_by_index(0)?;
            Ok((1..=count as i64).map(|n| last + n).collect())
        }
    }
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
