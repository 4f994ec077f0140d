//! Load benchmark of the write path: public submissions per second through the real HTTP
//! server, on a SQLite file (or PostgreSQL with `SIGNON_BENCH_DATABASE_URL`), each answered
//! only once durably committed by the group-commit writer.
//!
//! `cargo bench --bench signing` (options: `SIGNON_BENCH_CLIENTS`, default 64;
//! `SIGNON_BENCH_REQUESTS`, default 20000). Requests go to 127.0.0.1 only and stop by themselves.

use std::time::{Duration, Instant};

use entity::Role;
use serde_json::json;
use signon::app::Application;
use signon::config::Settings;
use signon::domain::{Email, Password};
use signon::service::accounts::{self, NewStaff};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let clients = env_number("SIGNON_BENCH_CLIENTS", 64);
    let requests = env_number("SIGNON_BENCH_REQUESTS", 20_000);
    let dir = tempfile::tempdir().unwrap();
    let database_url = std::env::var("SIGNON_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let mut settings = Settings::with_database(database_url.clone());
    settings.bind = "127.0.0.1:0".into();
    settings.sign_rate_per_minute = 0;
    settings.mail.dir = dir.path().join("mail");
    settings.keys.key_file = Some(dir.path().join("signon.key"));
    let app = Application::build(settings)
        .await
        .expect("the service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    tokio::spawn(app.run_until(std::future::pending()));

    accounts::add_staff(
        &db,
        NewStaff {
            email: Email::parse("bench@example.org").unwrap(),
            name: "Bench".into(),
            organization: "Bench".into(),
            role: Role::Owner,
            password: Password::parse("a long bench password".into()).unwrap(),
        },
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "bench@example.org", "password": "a long bench password" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let letter: serde_json::Value = client
        .post(format!("{base}/api/v1/letters"))
        .bearer_auth(&token)
        .json(&json!({ "slug": "bench", "title": "Bench", "body": "Text" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .post(format!("{base}/api/v1/letters/{}/status", letter["id"]))
        .bearer_auth(&token)
        .json(&json!({ "status": "open" }))
        .send()
        .await
        .unwrap();

    let started = Instant::now();
    let per_client = requests / clients;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let url = format!("{base}/api/v1/public/letters/bench/signatures");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let body = json!({
                    "name": format!("Organization {c}-{n}"),
                    "country": "MX",
                    "contact_name": "Contact",
                    "contact_email": format!("c{c}n{n}@example.org"),
                    "consent": true
                });
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .json(&body)
                    .send()
                    .await
                    .expect("the server answers");
                assert_eq!(response.status(), 202);
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(requests);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "signing: {} durable signatures in {:.2} s = {:.0}/s with {clients} clients; latency p50 {:.1} ms, p99 {:.1} ms ({})",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        if database_url.starts_with("sqlite") {
            "SQLite, synchronous=FULL"
        } else {
            "PostgreSQL"
        },
    );
}
