//! Settings, assembled by the command line from flags, the environment and defaults.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// The database used when none is configured: a file next to where signon runs.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://signon.db?mode=rwc";
/// The address served when none is configured.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Everything `serve` needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH?mode=rwc` or `postgres://...`.
    pub database_url: String,
    /// Address and port to listen on; port 0 picks a free one.
    pub bind: String,
    /// The public address of this service, used in links inside emails; when unset, the
    /// address actually listened on.
    pub base_url: Option<Url>,
    /// Outgoing email.
    pub mail: MailSettings,
    /// How long a staff login lasts (an API token, or a dashboard session at most).
    pub session_lifetime: chrono::Duration,
    /// A dashboard session ends after this long without use.
    pub session_idle_timeout: chrono::Duration,
    /// Sign-in attempts allowed in a row on one account before they are slowed down.
    pub login_attempts_per_account: u32,
    /// Sign-in attempts allowed in a row from one network before they are slowed down.
    pub login_attempts_per_network: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest CSV import accepted, in bytes (100,000 rows fit).
    pub max_import_bytes: usize,
    /// The most rows one CSV import may have: what an import holds in memory is bounded by it.
    pub max_import_rows: usize,
    /// How long in-flight requests may take to finish after a stop signal.
    pub shutdown_grace: Duration,
    /// How long an emailed confirmation link works.
    pub token_lifetime: chrono::Duration,
    /// Public submissions allowed per client network and minute; 0 turns the limit off.
    pub sign_rate_per_minute: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers tell the client's address;
    /// from any other peer those headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where the keys come from.
    pub keys: KeySettings,
    /// How long an outbox email claimed for sending stays reserved for the instance sending it
    /// (renewed while it sends): emails claimed by an instance that died wait this long.
    pub outbox_lease: Duration,
    /// How often the retention job runs, once across every instance sharing the database.
    pub retention_every: Duration,
}

/// The keys, when given in the environment, and the key file that holds the others. Keys are
/// never kept in the database.
#[derive(Debug, Clone, Default)]
pub struct KeySettings {
    /// The key of keyed hashes (`SIGNON_SECRET_KEY`); when unset, the key file's.
    pub secret_key: Option<SecretString>,
    /// The data keys that encrypt contact data (`SIGNON_DATA_KEY`), comma-separated, the one
    /// that encrypts first; when unset, the key file's.
    pub data_key: Option<SecretString>,
    /// The key file; when unset, beside a SQLite database, or `./signon.key`.
    pub key_file: Option<PathBuf>,
}

/// Where emails go.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:port`; when unset, emails are written as files.
    pub smtp_url: Option<SecretString>,
    /// Where `.eml` files go when no SMTP server is set.
    pub dir: PathBuf,
    /// The From address.
    pub from: String,
}

impl Settings {
    /// The defaults of the contract for a database URL: bind 127.0.0.1:8080, mail to `./mail`.
    pub fn with_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: DEFAULT_BIND.into(),
            base_url: None,
            mail: MailSettings {
                smtp_url: None,
                dir: PathBuf::from("mail"),
                from: "signon <signon@localhost>".into(),
            },
            session_lifetime: chrono::Duration::days(30),
            session_idle_timeout: chrono::Duration::hours(8),
            login_attempts_per_account: 10,
            login_attempts_per_network: 30,
            max_body_bytes: 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            max_import_rows: 100_000,
            shutdown_grace: Duration::from_secs(30),
            token_lifetime: chrono::Duration::days(7),
            sign_rate_per_minute: 20,
            trusted_proxies: Vec::new(),
            keys: KeySettings::default(),
            outbox_lease: crate::mail::DEFAULT_LEASE,
            retention_every: crate::service::retention::EVERY,
        }
    }
}
