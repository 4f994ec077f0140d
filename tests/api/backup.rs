//! Online backup: `signon backup` copies a SQLite database while people sign, and the copy,
//! restored with its key file into a fresh server, holds every signature acknowledged before
//! the backup began.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use entity::Role;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use signon::app::Application;
use signon::config::Settings;

use crate::child_server::signon;
use crate::helpers::{Backend, PASSWORD, TestApp, organization};

/// Concurrent signers, each signing with fresh addresses until told to stop.
const SIGNERS: usize = 8;

/// Signs continuously until `stop`; every acknowledged signature's address and when its answer
/// came.
async fn sign_until(
    app: Arc<TestApp>,
    signer: usize,
    stop: Arc<AtomicBool>,
) -> Vec<(Instant, String)> {
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let email = format!("signer{signer}-{n}@example.org");
        let submission = organization(&format!("Organization {signer}-{n}"), &email);
        let status = app.sign("live-backup", &submission).await.status();
        assert!(!status.is_server_error(), "signing failed with {status}");
        if status == StatusCode::ACCEPTED {
            acknowledged.push((Instant::now(), email));
        }
        n += 1;
    }
    acknowledged
}

/// Runs `signon backup FILE` on the app's database as a separate process, as an operator does.
async fn backup(app: &TestApp, file: &Path) {
    let mut command = signon();
    command
        .arg("backup")
        .arg(file)
        .args(["--database-url", &app.database_url])
        .arg("--key-file")
        .arg(&app.key_file);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "signon backup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every contact email on the letter, as an editor of the restored server reads them.
async fn contact_emails(address: &str, letter_id: i64) -> BTreeSet<String> {
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({ "email": "coord@wola.org", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"]
        .as_str()
        .expect("the restored account logs in");
    let mut emails = BTreeSet::new();
    loop {
        let page: Value = client
            .get(format!(
                "{address}/api/v1/letters/{letter_id}/signatures?limit=1000&offset={}",
                emails.len()
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            return emails;
        }
        for item in items {
            emails.insert(item["contact_email"].as_str().unwrap().to_owned());
        }
    }
}

#[tokio::test]
async fn a_backup_taken_while_people_sign_holds_every_signature_acknowledged_before_it() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter_id = app.open_letter(&staff, "live-backup").await;
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let signers: Vec<_> = (0..SIGNERS)
        .map(|signer| tokio::spawn(sign_until(app.clone(), signer, stop.clone())))
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let began = Instant::now();
    let workdir = tempfile::tempdir().unwrap();
    let copy = workdir.path().join("backup.db");
    backup(&app, &copy).await;
    // Signing goes on after the copy too: the copy must still open whole.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for signer in signers {
        acknowledged.extend(signer.await.unwrap());
    }
    let before: BTreeSet<String> = acknowledged
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, email)| email.clone())
        .collect();
    assert!(before.len() >= 20, "only {} signed before", before.len());
    assert!(
        acknowledged.len() > before.len(),
        "nobody signed during the backup"
    );

    // Restore as the README says: the copy in place of the database, its key file beside it.
    let restored_dir = tempfile::tempdir().unwrap();
    let restored = restored_dir.path().join("signon.db");
    std::fs::copy(&copy, &restored).unwrap();
    std::fs::copy(&app.key_file, restored_dir.path().join("signon.key")).unwrap();
    let url = format!("sqlite://{}?mode=rwc", restored.display());

    let check = Database::connect(&url).await.unwrap();
    let integrity: String = check
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(check);

    let mut settings = Settings::with_database(url);
    settings.bind = "127.0.0.1:0".into();
    settings.mail.dir = restored_dir.path().join("mail");
    let server = Application::build(settings)
        .await
        .expect("the restored copy serves");
    let address = format!("http://127.0.0.1:{}", server.port());
    let serving = tokio::spawn(async move { server.run_until(std::future::pending()).await });

    let found = contact_emails(&address, letter_id).await;
    let missing: Vec<&String> = before.difference(&found).collect();
    eprintln!(
        "online backup: {} signatures acknowledged before the backup began, {} of them found in the restored copy ({} acknowledged in all, {} in the copy)",
        before.len(),
        before.len() - missing.len(),
        acknowledged.len(),
        found.len()
    );
    assert!(missing.is_empty(), "lost in the backup: {missing:?}");
    serving.abort();
}
