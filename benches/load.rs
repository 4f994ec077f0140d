//! The load benchmark a user can run: `cargo bench --bench load`.
//!
//! It seeds a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database
//! on the server of `SIGNON_BENCH_POSTGRES`, dropped afterwards) with an open letter and its
//! approved signatories, starts the release `signon serve` built with this benchmark as a child
//! process, and drives each scenario in turn for a fixed time with N concurrent connections:
//! `/healthz` (the ceiling), the letter page, the list page, the list API and durable signing
//! through the JSON API. It prints rates, p50/p99 latencies, failures, the ratio to `/healthz`
//! and the server's memory (resident before and after signing, and its peak).
//!
//! Options: `SIGNON_BENCH_SECONDS` (per scenario, default 10), `SIGNON_BENCH_CONNECTIONS`
//! (default 32), `SIGNON_BENCH_SIGNATORIES` (approved signatories seeded, default 10000),
//! `SIGNON_BENCH_ONLY` (comma-separated scenario names, e.g. `healthz,signing`),
//! `SIGNON_BENCH_SERVER` (another `signon` binary to measure instead of this build's, e.g. a copy
//! of an earlier build, to compare two builds in turn under the same conditions).
//! Requests go to 127.0.0.1 only, and every loop stops by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use signon::config::KeySettings;
use signon::service::signing::SigningContext;
use signon::service::{import, key_store, letters};

#[path = "support/server.rs"]
mod server;

/// The seeded letter (see `signon::demo`).
const SLUG: &str = signon::demo::DEMO_SLUG;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One scenario: what each request is.
#[derive(Clone, Copy)]
enum Load {
    Get(&'static str),
    Sign,
}

struct Scenario {
    name: &'static str,
    load: Load,
}

/// What one scenario measured.
struct Measured {
    name: &'static str,
    ok: usize,
    failed: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// A database URL that is empty, and what to drop afterwards (PostgreSQL).
async fn fresh_database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    let Ok(server) = std::env::var("SIGNON_BENCH_POSTGRES") else {
        let file = dir.join("bench.db");
        return (format!("sqlite://{}?mode=rwc", file.display()), None);
    };
    let name = format!("signon_bench_{}", std::process::id());
    let admin = Database::connect(&server)
        .await
        .expect("the PostgreSQL server of SIGNON_BENCH_POSTGRES answers");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("a benchmark database can be created");
    let mut url = url::Url::parse(&server).expect("SIGNON_BENCH_POSTGRES is a URL");
    url.set_path(&format!("/{name}"));
    (url.to_string(), Some((server, name)))
}

/// The demo letter and coordinator, then `count` more approved signatories through the import.
async fn seed(url: &str, key_file: &std::path::Path, count: u64) -> u64 {
    let db = signon::db::connect(url).await.expect("the database opens");
    signon::db::migrate(&db).await.expect("migrations apply");
    let settings = KeySettings {
        secret_key: None,
        data_key: None,
        key_file: Some(key_file.to_owned()),
    };
    let keys = key_store::load(&db, url, &settings)
        .await
        .expect("keys load");
    // The demo only opens its letter, which emails nobody: any address does for links.
    let ctx = SigningContext {
        keys: Arc::new(keys.clone()),
        base_url: "http://127.0.0.1/".parse().expect("a valid literal URL"),
        token_lifetime: chrono::Duration::days(7),
    };
    let demo = signon::demo::seed(&db, &ctx)
        .await
        .expect("the demo letter is created")
        .expect("the database was empty");
    let letter = letters::find_by_slug(&db, SLUG).await.unwrap();
    let mut csv = String::from("kind,name,affiliation,org_type,city,country\n");
    for n in 0..count {
        csv.push_str(&format!(
            "organization,Bench Organization {n:06},Network {},Shelter,Oaxaca,MX\n",
            n % 97
        ));
    }
    let options = import::ImportOptions {
        dry_run: false,
        max_rows: usize::MAX,
    };
    let report = import::import(
        &db,
        &keys,
        None,
        &letter,
        csv.into_bytes(),
        options,
        import::no_progress(),
    )
    .await
    .expect("the signatories import");
    db.close().await.unwrap();
    (demo.signatories + report.imported()) as u64
}

/// A `/proc/PID/status` field of the server, in MiB.
fn memory(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The server's resident memory a quarter of the way through a scenario of `duration`: what
/// it holds once caches, pools and buffers are warm, against which growth per request shows.
async fn after_warm_up(pid: u32, duration: Duration) -> f64 {
    tokio::time::sleep(duration / 4).await;
    memory(pid, "VmRSS")
}

/// Runs one scenario with `connections` clients until `duration` has passed.
async fn drive(base: &str, scenario: &Scenario, connections: u64, duration: Duration) -> Measured {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections as usize)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let started = Instant::now();
    let deadline = started + duration;
    let counter = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, counter, load) = (client.clone(), counter.clone(), scenario.load);
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut failed) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let request = match load {
                    Load::Get(path) => client.get(format!("{base}{path}")),
                    Load::Sign => {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        client
                            .post(format!("{base}/api/v1/public/letters/{SLUG}/signatures"))
                            .json(&serde_json::json!({
                                "name": format!("Signing Organization {n}"),
                                "country": "MX",
                                "contact_name": "Contact Person",
                                "contact_email": format!("signer{n}@example.org"),
                                "consent": true
                            }))
                    }
                };
                let sent = Instant::now();
                let answered = match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await.is_ok()
                    }
                    _ => false,
                };
                if answered {
                    latencies.push(sent.elapsed());
                } else {
                    failed += 1;
                }
            }
            (latencies, failed)
        }));
    }
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for task in tasks {
        let (mine, my_failed) = task.await.unwrap();
        latencies.extend(mine);
        failed += my_failed;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Measured {
        name: scenario.name,
        ok: latencies.len(),
        failed,
        elapsed,
        p50: percentile(0.50),
        p99: percentile(0.99),
    }
}

fn print_table(results: &[Measured]) {
    let ceiling = results
        .iter()
        .find(|m| m.name == "healthz")
        .map(Measured::rate);
    println!(
        "\n| scenario | requests | rate (req/s) | p50 (ms) | p99 (ms) | failed | vs /healthz |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for m in results {
        let ratio = ceiling.map_or("-".to_owned(), |c| format!("{:.1}%", 100.0 * m.rate() / c));
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} | {ratio} |",
            m.name,
            m.ok,
            m.rate(),
            m.p50.as_secs_f64() * 1000.0,
            m.p99.as_secs_f64() * 1000.0,
            m.failed,
        );
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds = env_number("SIGNON_BENCH_SECONDS", 10);
    let connections = env_number("SIGNON_BENCH_CONNECTIONS", 32);
    let signatories = env_number("SIGNON_BENCH_SIGNATORIES", 10_000);
    let only = std::env::var("SIGNON_BENCH_ONLY").ok();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("signon.key");
    let (url, drop_after) = fresh_database(dir.path()).await;
    let engine = if drop_after.is_some() {
        "PostgreSQL"
    } else {
        "SQLite (synchronous=FULL)"
    };
    let seeded = seed(&url, &key_file, signatories).await;
    let server = server::ChildServer::start(
        &url,
        &key_file,
        &dir.path().join("mail"),
        dir.path().join("server.log"),
        &[],
    )
    .await;
    let (base, pid) = (server.base.clone(), server.pid());
    println!(
        "signon load benchmark: {engine}, {seeded} approved signatories, {connections} connections, {seconds} s per scenario"
    );
    let scenarios = scenarios();
    let mut results = Vec::new();
    let mut signing_memory = None;
    for scenario in &scenarios {
        let wanted = only
            .as_deref()
            .is_none_or(|o| o.split(',').any(|n| n.trim() == scenario.name));
        if !wanted {
            continue;
        }
        let duration = Duration::from_secs(seconds);
        let sampling = matches!(scenario.load, Load::Sign).then(|| {
            let before = memory(pid, "VmRSS");
            (before, tokio::spawn(after_warm_up(pid, duration)))
        });
        let measured = drive(&base, scenario, connections, duration).await;
        if let Some((before, warmed_up)) = sampling {
            let warmed_up = warmed_up.await.unwrap_or(f64::NAN);
            signing_memory = Some((before, warmed_up, memory(pid, "VmRSS"), measured.ok));
        }
        eprintln!("{}: {:.0} req/s", measured.name, measured.rate());
        results.push(measured);
    }
    print_table(&results);
    if let Some(signing) = signing_memory {
        print_memory(pid, signing);
    }
    drop(server);
    if let Some((server_url, name)) = drop_after
        && let Ok(admin) = Database::connect(&server_url).await
    {
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        let _ = admin.execute_unprepared(&drop).await;
    }
}

/// The server's memory around the signing scenario: resident before it, after its warm-up and
/// at its end, and the signatures it took.
fn print_memory(pid: u32, (before, warmed_up, after, signed): (f64, f64, f64, usize)) {
    println!(
        "\nserver memory while signing {signed} signatures: {before:.1} MiB resident before, \
         {warmed_up:.1} MiB after the first quarter (warm-up), {after:.1} MiB at the end \
         ({:+.1} MiB after warm-up), peak {:.1} MiB",
        after - warmed_up,
        memory(pid, "VmHWM")
    );
}

/// The scenarios in the order they run: the ceiling first, signing last (it grows the list).
fn scenarios() -> [Scenario; 5] {
    let letter_page = format!("/l/{SLUG}");
    let list_page = format!("/l/{SLUG}/signatories");
    let list_api = format!("/api/v1/public/letters/{SLUG}/signatories");
    [
        Scenario {
            name: "healthz",
            load: Load::Get("/healthz"),
        },
        Scenario {
            name: "letter page",
            load: Load::Get(leak(letter_page)),
        },
        Scenario {
            name: "list page",
            load: Load::Get(leak(list_page)),
        },
        Scenario {
            name: "list API",
            load: Load::Get(leak(list_api)),
        },
        Scenario {
            name: "signing",
            load: Load::Sign,
        },
    ]
}

/// A path that lives as long as the benchmark.
fn leak(path: String) -> &'static str {
    Box::leak(path.into_boxed_str())
}
