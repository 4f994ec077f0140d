//! The command line: parse, configure, dispatch. Any failure is one line on stderr and exit code 2.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use entity::{Language, Role};
use secrecy::SecretString;
use url::Url;

use crate::app::Application;
use crate::config::{DEFAULT_BIND, DEFAULT_DATABASE_URL, KeySettings, Settings};
use crate::domain::{Email, Password, bounded_text};
use crate::error::AppError;
use crate::service::accounts::{self, NewStaff};
use crate::service::audit::Actor;
use crate::service::exports::{self, ExportBody, ExportKind};
use crate::service::import::{self, ImportOptions, Outcome};
use crate::service::outbox::MailCopies;
use crate::service::{key_file, key_store};
use crate::service::{letters, signatures};
use crate::telemetry::{self, LogFormat};
use crate::{api, db};

/// signon runs coalition sign-on letters: coordinators write a letter and open it for
/// endorsements, groups sign through a public form and confirm by email, staff moderate and
/// export the final letter with its signatories.
#[derive(Parser, Debug)]
#[command(name = "signon", version, about, long_about = None)]
pub struct Cli {
    /// The database: sqlite://PATH?mode=rwc (a file, created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    database_url: String,

    /// How log lines are written to standard error.
    #[arg(
        long,
        env = "SIGNON_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,

    /// The key of the keyed hashes used to look up contact emails; every command that touches
    /// signatures must use the same one [default: the key file's].
    #[arg(long, env = "SIGNON_SECRET_KEY", global = true, hide_env_values = true)]
    secret_key: Option<String>,

    /// The most rows one CSV import may have, through the API or `signon import`; a larger file
    /// is refused whole, naming this limit.
    #[arg(long, env = "SIGNON_MAX_IMPORT_ROWS", default_value_t = 100_000, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    max_import_rows: u32,

    /// The key that encrypts contact data: 32 random bytes as 64 hex digits or base64
    /// (`openssl rand -hex 32`). During a rotation, NEW,OLD [default: the key file's].
    #[arg(long, env = "SIGNON_DATA_KEY", global = true, hide_env_values = true)]
    data_key: Option<String>,

    /// The file holding the keys not given above, created (mode 0600) on first run. Back it up
    /// apart from the database [default: beside a SQLite database, e.g. signon.key, else ./signon.key].
    #[arg(long, env = "SIGNON_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply pending database migrations, then serve the web pages and the API.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Export a letter: the PDF to deliver, or the CSV list of signatories. The same bytes as
    /// the HTTP export; a delivered letter gives its frozen copy.
    Export {
        /// The letter's slug.
        slug: String,
        /// pdf or csv.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// For CSV: public (approved signatories, public fields) or staff (everything, with contact data).
        #[arg(long, value_enum, default_value = "public")]
        scope: ExportScope,
        /// The language of the export, when the letter has a translation [default: the letter's].
        #[arg(long, value_enum)]
        lang: Option<LanguageArg>,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Import signatures from a CSV file with a header row, and print what happened to each row.
    /// Rows enter as approved (staff vouch for them) unless a status column says otherwise;
    /// duplicates are skipped; if any row is invalid, nothing is written.
    Import {
        /// The letter's slug.
        slug: String,
        /// The CSV file.
        file: PathBuf,
        /// Report what would happen, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Erase one signer's contact data (right to erasure), keeping the public part of their
    /// signature. Audited.
    Erase {
        /// The letter's slug.
        slug: String,
        /// The contact email of the signature.
        #[arg(long)]
        email: String,
        /// The folder of .eml files of the service, whose copies of the emails sent to this
        /// contact are removed too.
        #[arg(long, env = "SIGNON_MAIL_DIR", default_value = "mail")]
        mail_dir: PathBuf,
    },
    /// Re-encrypt every stored contact under a new data key, then retire the old key. Stop
    /// `signon serve` first. Resumable: if it stops halfway, run it again.
    RotateKey,
    /// Write a consistent copy of the SQLite database to FILE, even while `signon serve` runs.
    /// To restore, put the copy back in place of the database, with its key file beside it.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: PathBuf,
    },
    /// Print the OpenAPI document of the JSON API (JSON, or YAML with --yaml).
    Openapi {
        /// Print YAML instead of JSON.
        #[arg(long)]
        yaml: bool,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, env = "SIGNON_BIND", default_value = DEFAULT_BIND)]
    bind: String,

    /// The public address of this service, used in links inside emails [default: http://BIND/].
    #[arg(long, env = "SIGNON_BASE_URL")]
    base_url: Option<Url>,

    /// Send email through this SMTP server, e.g. smtp://user:pass@host:587. Without it, emails
    /// are written as .eml files to the mail directory.
    #[arg(long, env = "SIGNON_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,

    /// Where .eml files are written when no SMTP server is set.
    #[arg(long, env = "SIGNON_MAIL_DIR", default_value = "mail")]
    mail_dir: PathBuf,

    /// The From address of outgoing email.
    #[arg(
        long,
        env = "SIGNON_MAIL_FROM",
        default_value = "signon <signon@localhost>"
    )]
    mail_from: String,

    /// Public sign-on submissions allowed per client network and minute; 0 turns the limit off.
    #[arg(long, env = "SIGNON_SIGN_RATE", default_value_t = 20)]
    sign_rate: u32,

    /// Reverse proxies in front of signon, as comma-separated networks (10.0.0.0/8,::1/128) or
    /// addresses. Only for requests from these peers is the client address read from the
    /// Forwarded or X-Forwarded-For header; without it, every client behind a proxy shares
    /// one rate limit.
    #[arg(long, env = "SIGNON_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    trusted_proxies: Vec<ipnet::IpNet>,

    /// Days an emailed confirmation link works.
    #[arg(long, env = "SIGNON_TOKEN_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=90))]
    token_days: u16,

    /// Seconds an outbox email claimed for sending stays reserved for this instance; the
    /// instance renews it while it sends, so this bounds how long emails claimed by a process
    /// that died wait before another one sends them.
    #[arg(long, env = "SIGNON_OUTBOX_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u16).range(3..=3600))]
    outbox_lease_secs: u16,

    /// Seconds between runs of the retention job (which erases contact data past its retention
    /// period); one instance runs it per period, however many share the database.
    #[arg(long, env = "SIGNON_RETENTION_EVERY_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u32).range(1..=86400))]
    retention_every_secs: u32,

    /// On an empty database, also create a demo coordinator (its login is printed once) and an
    /// open sample letter with a few hundred fictional signatories.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a staff account in an organization (the organization is created if missing)
    /// and print the new user's id. The password is read from standard input.
    Add {
        /// The login email.
        #[arg(long)]
        email: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// The organization's name.
        #[arg(long)]
        org: String,
        /// owner manages members; editor writes letters, moderates and exports; viewer reads and exports.
        #[arg(long, value_enum, default_value = "editor")]
        role: RoleArg,
        /// Read the password from standard input (required, so it stays out of shell history).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Pdf,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportScope {
    Public,
    Staff,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LanguageArg {
    En,
    Es,
}

impl From<LanguageArg> for entity::Language {
    fn from(language: LanguageArg) -> Self {
        match language {
            LanguageArg::En => entity::Language::En,
            LanguageArg::Es => entity::Language::Es,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Owner,
    Editor,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Owner => Role::Owner,
            RoleArg::Editor => Role::Editor,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(anyhow::Error::new(err).context("cannot start the async runtime")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(err),
    }
}

fn fail(err: anyhow::Error) -> ExitCode {
    eprintln!("signon: error: {err:#}");
    ExitCode::from(2)
}

impl Cli {
    fn key_settings(&self) -> KeySettings {
        KeySettings {
            secret_key: self.secret_key.clone().map(SecretString::from),
            data_key: self.data_key.clone().map(SecretString::from),
            key_file: self.key_file.clone(),
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let key_settings = cli.key_settings();
    match cli.command {
        Command::Openapi { yaml: true } => {
            print!("{}", api::spec::openapi_yaml());
            Ok(())
        }
        Command::Openapi { yaml: false } => {
            println!("{}", api::spec::openapi_json());
            Ok(())
        }
        Command::Migrate => migrate(&cli.database_url).await,
        Command::User(UserCommand::Add {
            email,
            name,
            org,
            role,
            password_stdin,
        }) => {
            let new = parse_new_staff(&email, &name, &org, role.into(), password_stdin)?;
            add_staff(&cli.database_url, new).await
        }
        Command::Export {
            slug,
            format,
            scope,
            lang,
            output,
        } => {
            let kind = export_kind(format, scope);
            let language = lang.map(Into::into);
            export(
                &cli.database_url,
                &key_settings,
                &slug,
                kind,
                language,
                output,
            )
            .await
        }
        Command::Import {
            slug,
            file,
            dry_run,
        } => {
            let max_rows = cli.max_import_rows as usize;
            import_file(
                &cli.database_url,
                &key_settings,
                &slug,
                &file,
                dry_run,
                max_rows,
            )
            .await
        }
        Command::Erase {
            slug,
            email,
            mail_dir,
        } => erase(&cli.database_url, &key_settings, &slug, &email, mail_dir).await,
        Command::RotateKey => rotate_key(&cli.database_url, &key_settings).await,
        Command::Backup { file } => backup(&cli.database_url, &key_settings, &file).await,
        Command::Serve(args) => {
            let mut settings = Settings::with_database(cli.database_url);
            settings.keys = key_settings;
            settings.max_import_rows = cli.max_import_rows as usize;
            serve(settings, args).await
        }
    }
}

/// `signon migrate`: the database brought up to date, and nothing else.
async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let db = db::connect(database_url).await?;
    db::migrate(&db).await?;
    eprintln!("signon: the database is up to date");
    Ok(())
}

/// Which export the format and scope flags ask for; a PDF is public whatever the scope.
fn export_kind(format: ExportFormat, scope: ExportScope) -> ExportKind {
    match (format, scope) {
        (ExportFormat::Pdf, _) => ExportKind::Pdf,
        (ExportFormat::Csv, ExportScope::Public) => ExportKind::PublicCsv,
        (ExportFormat::Csv, ExportScope::Staff) => ExportKind::StaffCsv,
    }
}

/// `signon user add`: prints the new account's id.
async fn add_staff(database_url: &str, new: NewStaff) -> anyhow::Result<()> {
    let db = db::connect(database_url).await?;
    db::migrate(&db).await?;
    let id = accounts::add_staff(&db, new).await.map_err(describe)?;
    println!("{id}");
    Ok(())
}

/// `signon export`: the same bytes as the HTTP export, written as they are made.
async fn export(
    database_url: &str,
    key_settings: &KeySettings,
    slug: &str,
    kind: ExportKind,
    language: Option<Language>,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let db = db::connect(database_url).await?;
    db::migrate(&db).await?;
    // Only the staff table holds contact data, so only it needs the keys.
    let keys = match kind {
        ExportKind::StaffCsv => Some(key_store::load(&db, database_url, key_settings).await?),
        _ => None,
    };
    let file = exports::by_slug(&db, keys.as_ref(), slug, kind, language)
        .await
        .map_err(describe)?;
    let (length, sha256) = write_export(output.as_deref(), file.body).await?;
    let frozen = if file.frozen {
        " (the delivered copy)"
    } else {
        ""
    };
    eprintln!("signon: {length} bytes, sha256 {sha256}{frozen}");
    Ok(())
}

/// `signon erase`: one signer's contact data, erased as on request through the API.
async fn erase(
    database_url: &str,
    key_settings: &KeySettings,
    slug: &str,
    email: &str,
    mail_dir: PathBuf,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let db = db::connect(database_url).await?;
    db::migrate(&db).await?;
    let keys = key_store::load(&db, database_url, key_settings).await?;
    let letter = letters::find_by_slug(&db, slug).await.map_err(describe)?;
    let Some(found) = signatures::find_by_contact_email(&db, &keys, letter.id, &email)
        .await
        .map_err(describe)?
    else {
        bail!("no signature on this letter has that contact email");
    };
    let copies = MailCopies::in_folder(mail_dir);
    signatures::erase_contact(&db, &copies, &Actor::System, letter.id, found.id)
        .await
        .map_err(describe)?;
    eprintln!(
        "signon: erased the contact data of signature {} ({}); its public part stays",
        found.id, found.name
    );
    Ok(())
}

fn parse_new_staff(
    email: &str,
    name: &str,
    org: &str,
    role: Role,
    password_stdin: bool,
) -> anyhow::Result<NewStaff> {
    if !password_stdin {
        bail!(
            "give the password on standard input with --password-stdin, e.g. `echo \"$PASSWORD\" | signon user add ... --password-stdin`"
        );
    }
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let name = bounded_text(name, 300).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let organization = bounded_text(org, 300).map_err(|e| anyhow::anyhow!("--org: {e}"))?;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.strip_suffix('\n').unwrap_or(&input);
    let password = password.strip_suffix('\r').unwrap_or(password).to_owned();
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    Ok(NewStaff {
        email,
        name,
        organization,
        role,
        password,
    })
}

async fn import_file(
    database_url: &str,
    key_settings: &KeySettings,
    slug: &str,
    path: &std::path::Path,
    dry_run: bool,
    max_rows: usize,
) -> anyhow::Result<()> {
    use std::io::Write;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let db = db::connect(database_url).await?;
    db::migrate(&db).await?;
    let keys = key_store::load(&db, database_url, key_settings).await?;
    let letter = letters::find_by_slug(&db, slug).await.map_err(describe)?;
    let lines = bytes
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1) as u64;
    let bar = indicatif::ProgressBar::new(lines).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} rows ({eta})")
            .expect("a valid progress template"),
    );
    bar.set_message(if dry_run { "checking" } else { "importing" });
    let progress = bar.clone();
    let options = ImportOptions { dry_run, max_rows };
    let report = import::import(
        &db,
        &keys,
        None,
        &letter,
        bytes,
        options,
        std::sync::Arc::new(move |done| progress.set_position(done)),
    )
    .await
    .map_err(describe)?;
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    for row in &report.rows {
        writeln!(
            out,
            "line {}: {} ({})",
            row.line,
            row_outcome(&row.outcome, dry_run),
            row.name
        )?;
        for warning in &row.warnings {
            writeln!(out, "line {}: warning: {warning}", row.line)?;
        }
    }
    out.flush()?;
    eprintln!(
        "signon: {} rows: {} {}, {} duplicates, {} invalid",
        report.rows.len(),
        report.imported(),
        if report.committed {
            "imported"
        } else {
            "importable"
        },
        report.duplicates(),
        report.invalid()
    );
    if !dry_run && !report.committed {
        bail!(
            "{} rows are invalid, so nothing was imported",
            report.invalid()
        );
    }
    Ok(())
}

/// What the import did, or would do, with one row, as the report line says it.
fn row_outcome(outcome: &Outcome, dry_run: bool) -> String {
    match outcome {
        Outcome::Imported if dry_run => "would be imported".to_owned(),
        Outcome::Imported => "imported".to_owned(),
        Outcome::Duplicate {
            of_signature: Some(id),
            ..
        } => format!("duplicate of signature {id}"),
        Outcome::Duplicate {
            of_line: Some(line),
            ..
        } => format!("duplicate of line {line}"),
        Outcome::Duplicate { .. } => "duplicate".to_owned(),
        Outcome::Invalid(errors) => {
            let problems: Vec<String> = errors
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect();
            format!("invalid: {}", problems.join("; "))
        }
    }
}

/// Writes an export to `path` (through a partial file renamed when complete, so a failed
/// export leaves no half-written file) or to standard output, as its pieces are made; returns
/// its length and SHA-256.
async fn write_export(
    path: Option<&std::path::Path>,
    body: ExportBody,
) -> anyhow::Result<(u64, String)> {
    use futures_util::StreamExt;
    use sha2::Digest;
    use std::io::Write;
    let partial = path.map(|path| path.with_extension("partial"));
    let mut out: Box<dyn Write> = match &partial {
        Some(partial) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(partial)
                .with_context(|| format!("cannot write {}", partial.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut digest = sha2::Sha256::new();
    let mut length = 0;
    let mut write = |bytes: &[u8]| -> anyhow::Result<()> {
        digest.update(bytes);
        length += bytes.len() as u64;
        out.write_all(bytes).context("cannot write the export")
    };
    let written = match body {
        ExportBody::Whole { content, .. } => write(&content),
        ExportBody::Streamed(mut stream) => {
            async {
                while let Some(bytes) = stream.next().await {
                    write(&bytes.map_err(describe)?)?;
                }
                Ok(())
            }
            .await
        }
    };
    let finished = written.and_then(|()| out.flush().context("cannot write the export"));
    drop(out);
    if let (Some(partial), Err(_)) = (&partial, &finished) {
        let _ = std::fs::remove_file(partial);
    }
    finished?;
    if let (Some(partial), Some(path)) = (&partial, path) {
        std::fs::rename(partial, path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok((length, hex::encode(digest.finalize())))
}

fn describe(err: AppError) -> anyhow::Error {
    match err {
        AppError::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}

async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let demo = args.demo;
    settings.bind = args.bind;
    settings.base_url = args.base_url;
    settings.mail.smtp_url = args.smtp_url.map(SecretString::from);
    settings.mail.dir = args.mail_dir;
    settings.mail.from = args.mail_from;
    settings.sign_rate_per_minute = args.sign_rate;
    settings.trusted_proxies = args.trusted_proxies;
    settings.token_lifetime = chrono::Duration::days(i64::from(args.token_days));
    settings.outbox_lease = Duration::from_secs(u64::from(args.outbox_lease_secs));
    settings.retention_every = Duration::from_secs(u64::from(args.retention_every_secs));
    let app = Application::build(settings).await?;
    if demo {
        print_demo(&app).await?;
    }
    app.run_until(stop_signal())
        .await
        .context("the server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// A network in CIDR notation, or one address standing for itself.
fn parse_network(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not a network such as 10.0.0.0/8 or an address"))
}

/// Re-encrypts the contact data under a new data key, with progress on standard error.
async fn rotate_key(database_url: &str, key_settings: &KeySettings) -> anyhow::Result<()> {
    let db = db::connect(database_url).await?;
    db::migrate(&db).await?;
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} re-encrypting: {pos} rows")
            .expect("a valid progress template"),
    );
    let rotation = key_store::rotate(&db, database_url, key_settings, &|done| {
        bar.set_position(done)
    })
    .await?;
    bar.finish_and_clear();
    let retired = if rotation.retired.is_empty() {
        String::new()
    } else if rotation.removed_from_key_file {
        format!(
            "; data key {} retired and removed from the key file",
            rotation.retired.join(", ")
        )
    } else {
        format!(
            "; remove data key {} (every key after the first) from SIGNON_DATA_KEY",
            rotation.retired.join(", ")
        )
    };
    eprintln!(
        "signon: {} rows re-encrypted; all contact data is under data key {}{retired}",
        rotation.resealed, rotation.to
    );
    Ok(())
}

/// Copies a SQLite database, consistently even while it is in use.
async fn backup(
    database_url: &str,
    key_settings: &KeySettings,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    if db::Engine::of(database_url)? == db::Engine::Postgres {
        bail!(
            "`signon backup` copies SQLite databases; back up PostgreSQL with pg_dump (e.g. `pg_dump -Fc -f signon.dump DBNAME`) and keep the key file with the dump"
        );
    }
    let database = db::sqlite_path(database_url)
        .filter(|path| path.exists())
        .context("there is no SQLite database file at the --database-url given")?;
    let db = db::connect(database_url).await?;
    let bytes = db::backup_sqlite(&db, file).await?;
    let key_file = key_settings
        .key_file
        .clone()
        .unwrap_or_else(|| key_file::default_path(database_url));
    eprintln!(
        "signon: wrote {} ({bytes} bytes), a consistent copy of {}; back up the key file {} too, stored apart from it: without it the contact data in the copy cannot be read",
        file.display(),
        database.display(),
        key_file.display()
    );
    Ok(())
}

/// Seeds the demo data on an empty database and prints the demo login once.
async fn print_demo(app: &Application) -> anyhow::Result<()> {
    let state = app.state();
    let base = state.base_url.as_str().trim_end_matches('/').to_owned();
    match crate::demo::seed(&state.db, &state.signing_context())
        .await
        .map_err(describe)?
    {
        Some(login) => println!(
            "Demo data created.\n  Sample letter:    {base}/l/{slug} ({n} signatories)\n  Dashboard:        {base}/admin\n  Demo coordinator: {email}, password {password} (shown only this once)\n  API docs:         {base}/api/docs",
            slug = crate::demo::DEMO_SLUG,
            n = login.signatories,
            email = login.email,
            password = login.password,
        ),
        None => {
            eprintln!("signon: the database already has staff accounts; no demo data was added")
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM, so that a supervisor's stop lets requests finish.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stop signal received; finishing requests in flight");
}
