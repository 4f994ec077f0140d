//! Crash safety and several instances, with the real `signon serve` binary as child processes:
//! killed with SIGKILL in the middle of a signing surge and started again on the same database,
//! or two of them on one PostgreSQL database at once.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::child_server::{self, ChildServer};
use crate::helpers::{Backend, EmptyDatabase, organization};

/// An editor's token and an open letter `slug` (with the given retention period) on `base`.
pub(crate) async fn open_letter(
    db: &DatabaseConnection,
    base: &str,
    slug: &str,
    retention: i32,
) -> String {
    let letter = json!({ "slug": slug, "title": "A letter", "body": "We ask you to act.",
                         "retention_days": retention });
    child_server::open_letter(db, base, &letter).await
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

    pub(crate) async fn start(&self, mail: &str, log: &str, env: &[(&str, &str)]) -> ChildServer {
        ChildServer::start(
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

/// Signs 400 signers through either of `bases`, and 20 more through both at once; asserts that
/// every submission was acknowledged.
async fn sign_through_both(bases: [&str; 2]) {
    let client = reqwest::Client::new();
    let distinct = (0..400).map(|n| {
        let client = &client;
        let base = bases[n % 2];
        async move {
            let (name, email) = (format!("Org {n}"), format!("o{n}@example.org"));
            sign_answer(client, base, "shared", &name, &email).await
        }
    });
    let twice = (0..20).flat_map(|n| {
        bases.map(|base| {
            let client = &client;
            async move {
                let (name, email) = (format!("Both {n}"), format!("b{n}@example.org"));
                sign_answer(client, base, "shared", &name, &email).await
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
}

/// Waits up to a minute for `done` to hold, checking every `every`; panics with `what` after.
async fn within_a_minute<F: Future<Output = bool>>(
    every: Duration,
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < Duration::from_secs(60), "{what}");
        tokio::time::sleep(every).await;
    }
}

/// Asserts one row per signer and one email per outbox row, written by one instance only;
/// returns how many emails there are and how many the first instance wrote.
async fn one_email_each(db: &DatabaseConnection, place: &Place) -> (usize, usize) {
    let rows = entity::signature::Entity::find()
        .all(db)
        .await
        .unwrap()
        .len();
    assert_eq!(
        rows, 420,
        "one row per signer, however many instances they wrote to"
    );
    assert_eq!(signatures_by_name(db).await.len(), 420);
    let outbox = entity::outbox::Entity::find().all(db).await.unwrap();
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
    (files.len(), from_first)
}

/// Closes the letter through `base`, backdates its closing past the retention period, and
/// waits for the retention job to erase every contact.
async fn close_and_wait_for_erasure(
    db: &DatabaseConnection,
    base: &str,
    token: &str,
    letter_id: i64,
) {
    let closed = reqwest::Client::new()
        .post(format!("{base}/api/v1/letters/{letter_id}/status"))
        .bearer_auth(token)
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
    within_a_minute(
        Duration::from_millis(200),
        "contacts not erased",
        || async {
            entity::signature::Entity::find()
                .filter(entity::signature::Column::ContactEmailKey.is_not_null())
                .all(db)
                .await
                .unwrap()
                .is_empty()
        },
    )
    .await;
}

/// Asserts that the audit trail erases each of the 420 contacts once; returns how many.
async fn each_contact_erased_once(base: &str, token: &str, letter_id: i64) -> usize {
    let mut erased: HashMap<i64, usize> = HashMap::new();
    for event in events(base, token, letter_id).await {
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
    erased.len()
}

/// Asserts that the retention job's runs, as counted in the database, are those the two
/// stopped instances logged, at most one per period of 2 s; returns the runs of each.
async fn retention_ran_once_per_period(
    db: &DatabaseConnection,
    servers: [&ChildServer; 2],
    elapsed: Duration,
) -> (i64, usize, usize) {
    let job = entity::scheduled_job::Entity::find_by_id("retention")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let [runs_a, runs_b] = servers.map(|server| server.log_lines("the retention job runs").len());
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
    (job.runs, runs_a, runs_b)
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

    sign_through_both([first.base.as_str(), second.base.as_str()]).await;
    within_a_minute(
        Duration::from_millis(100),
        "the outbox does not empty",
        || async { unsent(&db).await == 0 },
    )
    .await;
    let (emails, from_first) = one_email_each(&db, &place).await;

    // The letter ended long enough ago that the retention job erases every contact.
    close_and_wait_for_erasure(&db, &second.base, &token, letter_id).await;
    // A few more periods, in which either instance could run the job again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let erased = each_contact_erased_once(&first.base, &token, letter_id).await;

    // Stopped, so that no run starts between counting it here and in the logs.
    let elapsed = test_started.elapsed();
    first.kill();
    second.kill();
    let (runs, runs_a, runs_b) =
        retention_ran_once_per_period(&db, [&first, &second], elapsed).await;
    println!(
        "two instances: 440 submissions, 420 signers, {emails} emails ({from_first} by the first \
         instance), each once; the retention job ran {runs} times in {:.0} s at most every 2 s \
         ({runs_a} by the first, {runs_b} by the second), erasing each of {erased} contacts once",
        elapsed.as_secs_f64(),
    );
}
