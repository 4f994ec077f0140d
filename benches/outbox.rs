//! How fast the outbox drains while signing fills it: public submissions through the real HTTP
//! server on a SQLite file (or PostgreSQL with `SIGNON_BENCH_DATABASE_URL`), each queueing a
//! verification email that the service's own worker writes as an `.eml` file; timed until the
//! outbox holds no unsent email.
//!
//! `cargo bench --bench outbox` (options: `SIGNON_BENCH_EMAILS`, default 10000;
//! `SIGNON_BENCH_CLIENTS`, default 64). Requests go to 127.0.0.1 only and stop by themselves.

use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use signon::app::Application;
use signon::config::Settings;

#[path = "support/server.rs"]
mod server;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn unsent(db: &DatabaseConnection) -> u64 {
    entity::outbox::Entity::find()
        .filter(entity::outbox::Column::SentAt.is_null())
        .count(db)
        .await
        .unwrap()
}

/// Signs `total` times from `clients` concurrent clients; returns when all are acknowledged.
async fn sign(client: &reqwest::Client, base: &str, clients: usize, total: usize) {
    let per_client = total / clients;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let client = client.clone();
            let url = format!("{base}/api/v1/public/letters/bench/signatures");
            tokio::spawn(async move {
                for n in 0..per_client {
                    let body = json!({
                        "name": format!("Organization {c}-{n}"),
                        "country": "MX",
                        "contact_name": "Contact",
                        "contact_email": format!("c{c}n{n}@example.org"),
                        "consent": true
                    });
                    let response = client.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(response.status(), 202);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let clients = env_number("SIGNON_BENCH_CLIENTS", 64);
    let total = env_number("SIGNON_BENCH_EMAILS", 10_000) / clients * clients;
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
    let client = reqwest::Client::new();
    let letter = json!({ "slug": "bench", "title": "Bench", "body": "Text" });
    server::open_letter(&db, &base, &letter).await;

    let started = Instant::now();
    sign(&client, &base, clients, total).await;
    let signed = started.elapsed();
    let left_when_signed = unsent(&db).await;
    while unsent(&db).await > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = started.elapsed();
    let files = std::fs::read_dir(dir.path().join("mail"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    println!(
        "outbox: {total} signatures in {:.2} s = {:.0}/s ({clients} clients); {} emails left unsent \
         when signing ended; outbox empty {:.2} s after the start, {:.2} s after signing ended: \
         {:.0} emails/s overall; {files} .eml files ({})",
        signed.as_secs_f64(),
        total as f64 / signed.as_secs_f64(),
        left_when_signed,
        drained.as_secs_f64(),
        (drained - signed).as_secs_f64(),
        total as f64 / drained.as_secs_f64(),
        if database_url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
    );
}
