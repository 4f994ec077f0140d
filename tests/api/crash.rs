//! Crash safety and several instances, with the real `signon serve` binary as child processes:
//! killed with SIGKILL in the middle of a signing surge and started again on the same database,
//! or two of them on one PostgreSQL database at once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::Role;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use signon::domain::{Email, Password};
use signon::service::accounts::{self, NewStaff};

use crate::cli::{free_port, signon, wait_until_ready};
use crate::helpers::{Backend, EmptyDatabase, PASSWORD, organization};

/// A `signon serve` child process writing its log to a file.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    log: PathBuf,
}

impl Server {
    /// Starts `signon serve` on `database_url` with the given key file and mail folder, and
    /// waits until it answers.
    async fn start(
        database_url: &str,
        key_file: &Path,
        mail_dir: &Path,
        log: PathBuf,
        env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let out = std::fs::File::create(&log).unwrap();
        let mut command = signon();
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("SIGNON_KEY_FILE", key_file)
            .env("SIGNON_MAIL_DIR", mail_dir)
            .env("SIGNON_SIGN_RATE", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        let child = command.spawn().expect("signon serve starts");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_ready(&base).await;
        Self { child, base, log }
    }

    /// Ends the process at once, as a crash or `kill -9` would.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The lines of its log that contain `needle`.
    fn log_lines(&self, needle: &str) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An editor's token and an open letter `slug` (with the given retention period) on `base`.
pub(crate) async fn open_letter(
    db: &DatabaseConnection,
    base: &str,
    slug: &str,
    retention: i32,
) -> String {
    accounts::add_staff(
        db,
        NewStaff {
            email: Email::parse("coord@wola.org").unwrap(),
            name: "Coordinator".into(),
            organization: "WOLA".into(),
            role: Role::Editor,
            password: Password::parse(PASSWORD.into()).unwrap(),
        },
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "coord@wola.org", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let letter: Value = client
        .post(format!("{base}/api/v1/letters"))
        .bearer_auth(&token)
        .json(
            &json!({ "slug": slug, "title": "A letter", "body": "We ask you to act.",
                       "retention_days": retention }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opened = client
        .post(format!("{base}/api/v1/letters/{}/status", letter["id"]))
        .bearer_auth(&token)
        .json(&json!({ "status": "open" }))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    token
}

/// Signs `slug` as `name` through the public API of `base`; whether it was acknowledged.
async fn sign(client: &reqwest::Client, base: &str, slug: &str, name: &str, email: &str) -> bool {
    sign_answer(client, base, slug, name, email)
        .await
        .is_some_and(|status| status.is_success())
}

/// Signs `slug` as `name` through the public API of `base`; the answer's status, if any.
async fn sign_answer(
    client: &reqwest::Client,
    base: &str,
    slug: &str,
    name: &str,
    email: &str,
) -> Option<StatusCode> {
    client
        .post(format!("{base}/api/v1/public/letters/{slug}/signatures"))
        .json(&organization(name, email))
        .send()
        .await
        .ok()
        .map(|response| response.status())
}

/// The signature ids of the letter's signatures, by name.
async fn signatures_by_name(db: &DatabaseConnection) -> HashMap<String, i64> {
    entity::signature::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.name, row.id))
        .collect()
}

/// How many `.eml` files each signature has in `dirs`, and how many files there are in all.
fn emails_per_signature(dirs: &[&Path]) -> (HashMap<i64, usize>, Vec<String>) {
    let mut per_signature = HashMap::new();
    let mut names = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for name in entries.filter_map(|e| e.ok()) {
            let name = name.file_name().to_string_lossy().into_owned();
            if let Some(id) = name
                .strip_suffix(".eml")
                .and_then(|stem| stem.split("-signature-").nth(1))
                .and_then(|id| id.parse::<i64>().ok())
            {
                *per_signature.entry(id).or_default() += 1;
            }
            names.push(name);
        }
    }
    (per_signature, names)
}

/// Emails claimed for sending and not sent: what a killed process held.
pub(crate) async fn claimed_unsent(db: &DatabaseConnection) -> usize {
    entity::outbox::Entity::find()
        .filter(entity::outbox::Column::SentAt.is_null())
        .filter(entity::outbox::Column::ClaimedBy.is_not_null())
        .all(db)
        .await
        .unwrap()
        .len()
}

/// A database, a key file and a mail folder for child processes; the database's own
/// connection for the test.
pub(crate) struct Place {
    _database: EmptyDatabase,
    pub(crate) url: String,
    dir: tempfile::TempDir,
}

impl Place {
    pub(crate) async fn new(backend: Backend) -> Self {
        let database = EmptyDatabase::new(backend).await;
        Self {
            url: database.url.clone(),
            _database: database,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) async fn start(&self, mail: &str, log: &str, env: &[(&str, &str)]) -> Server {
        Server::start(
            &self.url,
            &self.path("signon.key"),
            &self.path(mail),
            self.path(log),
            env,
        )
        .await
    }
}

/// Signs from `clients` concurrent clients until `stop` is set or the server stops answering;
/// returns the names whose submissions were acknowledged.
fn surge(
    base: &str,
    clients: usize,
) -> (Arc<Mutex<Vec<String>>>, Vec<tokio::task::JoinHandle<()>>) {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let tasks = (0..clients)
        .map(|c| {
            let (client, base, acknowledged) =
                (client.clone(), base.to_owned(), acknowledged.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let name = format!("Surge {c}-{n}");
                    if !sign(
                        &client,
                        &base,
                        "surge",
                        &name,
                        &format!("s{c}n{n}@example.org"),
                    )
                    .await
                    {
                        return;
                    }
                    acknowledged.lock().unwrap().push(name);
                }
            })
        })
        .collect();
    (acknowledged, tasks)
}

async fn a_server_killed_mid_surge_loses_nothing_and_sends_every_email_within_a_minute(
    backend: Backend,
) {
    let place = Place::new(backend).await;
    // The default lease: the test shows that it meets the minute.
    let mut first = place.start("mail", "first.log", &[]).await;
    let db = signon::db::connect(&place.url).await.unwrap();
    open_letter(&db, &first.base, "surge", 90).await;

    let (acknowledged, clients) = surge(&first.base, 32);
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 600 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill();
    futures_util::future::join_all(clients).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    let held_by_the_dead = claimed_unsent(&db).await;
    let unsent_at_kill = unsent(&db).await;

    let restarted = Instant::now();
    let second = place.start("mail", "second.log", &[]).await;
    let stored = signatures_by_name(&db).await;
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|name| !stored.contains_key(*name))
        .collect();
    assert!(lost.is_empty(), "acknowledged signatures lost: {lost:?}");
    let wanted: HashSet<i64> = acknowledged.iter().map(|name| stored[name]).collect();
    let mail = place.path("mail");
    let out_after = loop {
        let (per_signature, _) = emails_per_signature(&[&mail]);
        if wanted.iter().all(|id| per_signature.contains_key(id)) {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(60),
            "{} of {} acknowledged signers still have no email a minute after the restart",
            wanted
                .iter()
                .filter(|id| !per_signature.contains_key(id))
                .count(),
            wanted.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The emails the killed process had claimed wait for its lease to end, then are sent (or
    // found already written) and recorded: the outbox empties within the minute too.
    while unsent(&db).await > 0 {
        assert!(
            restarted.elapsed() < Duration::from_secs(60),
            "the outbox still holds emails a minute after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let empty_after = restarted.elapsed();
    let (per_signature, _) = emails_per_signature(&[&mail]);
    let twice: Vec<(&i64, &usize)> = per_signature.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "signatures with other than one email: {twice:?}"
    );
    assert_eq!(
        per_signature.len(),
        stored.len(),
        "one email per stored signature"
    );
    let written_again = second.log_lines("email already written").len();
    println!(
        "crash ({backend:?}): {} acknowledged, {} found after the restart ({} stored); {unsent_at_kill} \
         emails unsent at the kill, {held_by_the_dead} of them claimed by the killed process; every \
         acknowledged signer's email out {:.1} s after the restart, the outbox empty after {:.1} s; \
         {written_again} found already written, none written twice",
        acknowledged.len(),
        wanted.len(),
        stored.len(),
        out_after.as_secs_f64(),
        empty_after.as_secs_f64(),
    );
}

backend_test!(a_server_killed_mid_surge_loses_nothing_and_sends_every_email_within_a_minute);

pub(crate) async fn unsent(db: &DatabaseConnection) -> usize {
    entity::outbox::Entity::find()
        .filter(entity::outbox::Column::SentAt.is_null())
        .all(db)
        .await
        .unwrap()
        .len()
}

/// All the audit events of a letter, through the API.
async fn events(base: &str, token: &str, letter_id: i64) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut all = Vec::new();
    loop {
        let page: Value = client
            .get(format!(
                "{base}/api/v1/letters/{letter_id}/events?limit=1000&offset={}",
                all.len()
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return all;
        }
        all.extend(items);
    }
}

#[tokio::test]
#[ignore = "PostgreSQL: set SIGNON_TEST_POSTGRES and run with --include-ignored"]
async fn two_instances_on_one_postgres_send_each_email_once_and_run_retention_once() {
    let place = Place::new(Backend::Postgres).await;
    let test_started = Instant::now();
    let every = [("SIGNON_RETENTION_EVERY_SECS", "2")];
    let mut first = place.start("mail-a", "a.log", &every).await;
    let mut second = place.start("mail-b", "b.log", &every).await;
    let db = signon::db::connect(&place.url).await.unwrap();
    let token = open_letter(&db, &first.base, "shared", 1).await;
    let letter_id = entity::letter::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id;

    // 400 signers through either instance, and 20 more who submit through both at once.
    let client = reqwest::Client::new();
    let bases = [first.base.as_str(), second.base.as_str()];
    let distinct = (0..400).map(|n| {
        let client = &client;
        let base = bases[n % 2];
        async move {
            sign_answer(
                client,
                base,
                "shared",
                &format!("Org {n}"),
                &format!("o{n}@example.org"),
            )
            .await
        }
    });
    let twice = (0..20).flat_map(|n| {
        bases.map(|base| {
            let client = &client;
            async move {
                sign_answer(
                    client,
                    base,
                    "shared",
                    &format!("Both {n}"),
                    &format!("b{n}@example.org"),
                )
                .await
            }
        })
    });
    let answers = futures_util::future::join_all(
        distinct
            .map(futures_util::future::Either::Left)
            .chain(twice.map(futures_util::future::Either::Right)),
    )
    .await;
    let refused: Vec<&Option<StatusCode>> = answers
        .iter()
        .filter(|status| !status.is_some_and(|s| s.is_success()))
        .collect();
    assert!(
        refused.is_empty(),
        "every submission is acknowledged: {refused:?}"
    );
    let started = Instant::now();
    while unsent(&db).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the outbox does not empty"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let stored = signatures_by_name(&db).await;
    let rows = entity::signature::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .len();
    assert_eq!(
        rows, 420,
        "one row per signer, however many instances they wrote to"
    );
    assert_eq!(stored.len(), 420);
    let outbox = entity::outbox::Entity::find().all(&db).await.unwrap();
    let (per_signature, files) =
        emails_per_signature(&[&place.path("mail-a"), &place.path("mail-b")]);
    let distinct_files: HashSet<&String> = files.iter().collect();
    assert_eq!(
        distinct_files.len(),
        files.len(),
        "no email written by both instances"
    );
    assert_eq!(
        files.len(),
        outbox.len(),
        "every email of the outbox written once"
    );
    assert_eq!(per_signature.len(), 420, "every signer has an email");
    let from_first = std::fs::read_dir(place.path("mail-a")).map_or(0, |d| d.count());

    // The letter ended long enough ago that the retention job erases every contact.
    let closed = client
        .post(format!("{}/api/v1/letters/{letter_id}/status", second.base))
        .bearer_auth(&token)
        .json(&json!({ "status": "closed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    db.execute_unprepared(&format!(
        "UPDATE letters SET closed_at = closed_at - INTERVAL '3 days' WHERE id = {letter_id}"
    ))
    .await
    .unwrap();
    let started = Instant::now();
    loop {
        let left = entity::signature::Entity::find()
            .filter(entity::signature::Column::ContactEmailKey.is_not_null())
            .all(&db)
            .await
            .unwrap()
            .len();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{left} contacts not erased"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more periods, in which either instance could run the job again.
    tokio::time::sleep(Duration::from_secs(5)).await;

    let mut erased: HashMap<i64, usize> = HashMap::new();
    for event in events(&first.base, &token, letter_id).await {
        if event["action"] == "signature.contact_erased" {
            *erased
                .entry(event["signature_id"].as_i64().unwrap())
                .or_default() += 1;
        }
    }
    assert_eq!(erased.len(), 420, "every contact erased");
    assert!(
        erased.values().all(|n| *n == 1),
        "each contact erased by one run of one instance"
    );
    // Stopped, so that no run starts between counting it here and in the logs.
    let elapsed = test_started.elapsed();
    first.kill();
    second.kill();
    let job = entity::scheduled_job::Entity::find_by_id("retention")
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let (runs_a, runs_b) = (
        first.log_lines("the retention job runs").len(),
        second.log_lines("the retention job runs").len(),
    );
    // A run taken in the instant before the kill may be counted without its log line.
    assert!(
        (job.runs as usize).abs_diff(runs_a + runs_b) <= 1,
        "every run was counted once: {} counted, {runs_a} + {runs_b} logged",
        job.runs
    );
    // Each run moves the next one at least a period on, whichever instance takes it.
    assert!(
        job.runs as f64 <= elapsed.as_secs_f64() / 2.0 + 1.0,
        "{} runs in {elapsed:?}: more than one per period",
        job.runs
    );
    println!(
        "two instances: 440 submissions, {rows} signers, {} emails ({from_first} by the first \
         instance), each once; the retention job ran {} times in {:.0} s at most every 2 s \
         ({runs_a} by the first, {runs_b} by the second), erasing each of {} contacts once",
        files.len(),
        job.runs,
        elapsed.as_secs_f64(),
        erased.len()
    );
}
