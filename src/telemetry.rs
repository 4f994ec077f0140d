//! Logging: human-readable lines by default, JSON on request, to standard error.
//!
//! Nothing logged may contain a password, a token or a signer's contact data; the code that
//! logs passes ids, never those values.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// Installs the global logger. `SIGNON_LOG` (or `RUST_LOG`) filters, e.g. `debug` or `signon=debug`.
pub fn init(format: LogFormat) {
    let filter = std::env::var("SIGNON_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // A second init (tests start several apps in one process) keeps the first logger.
    drop(result);
}
