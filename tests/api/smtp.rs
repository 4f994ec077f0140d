//! Emails through a real SMTP conversation, with a small SMTP server started by the test.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::Role;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::child_server::{free_port, signon, wait_until_ready};
use crate::helpers::{Backend, SentEmail, TestApp, organization};

/// What the SMTP server received: envelope recipients and the message.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub message: SentEmail,
}

/// How the test server answers `RCPT TO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipients {
    Accepted,
    /// Refused permanently, with the address in the reply text as real servers often do.
    RefusedNamingTheAddress,
    /// The addresses holding this text refused permanently (550, no such mailbox); the others
    /// accepted.
    RefusedIf(&'static str),
    /// Every address refused for now (450, mailbox busy): worth trying again later.
    RefusedForNow,
}

impl Recipients {
    /// Whether `RCPT TO` of this address is refused with a 550.
    fn refuses(self, address: &str) -> bool {
        match self {
            Self::Accepted | Self::RefusedForNow => false,
            Self::RefusedNamingTheAddress => true,
            Self::RefusedIf(part) => address.contains(part),
        }
    }
}

/// Speaks just enough SMTP (no TLS, no auth) to accept messages on a random loopback port.
pub async fn start_smtp_server(policy: Recipients) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let store = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write
                    .write_all(b"220 test.invalid ESMTP\r\n")
                    .await
                    .unwrap();
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO")
                    {
                        b"250-test.invalid\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("MAIL FROM") {
                        recipients.clear();
                        b"250 OK\r\n"
                    } else if command.starts_with("RCPT TO") && policy == Recipients::RefusedForNow
                    {
                        b"450 4.2.1 Mailbox busy, try again later\r\n"
                    } else if command.starts_with("RCPT TO") && policy.refuses(&line) {
                        let refusal = format!(
                            "550 5.1.1 {}: Recipient address rejected: User unknown\r\n",
                            line[8..].trim_start_matches(':').trim()
                        );
                        if write.write_all(refusal.as_bytes()).await.is_err() {
                            return;
                        }
                        continue;
                    } else if command.starts_with("RCPT TO") {
                        recipients.push(
                            line[8..]
                                .trim()
                                .trim_matches(|c| c == '<' || c == '>' || c == ':')
                                .to_owned(),
                        );
                        b"250 OK\r\n"
                    } else if command == "DATA" {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            data.push_str("\r\n");
                        }
                        store.lock().unwrap().push(Received {
                            recipients: recipients.clone(),
                            message: SentEmail::parse(data.as_bytes()),
                        });
                        b"250 queued\r\n"
                    } else if command == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, inbox)
}

async fn emails_go_out_through_smtp(backend: Backend) {
    let (port, inbox) = start_smtp_server(Recipients::Accepted).await;
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        settings.mail.from = "Coalition letters <letters@wola.org>".into();
    })
    .await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "by-smtp").await;

    app.sign(
        "by-smtp",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;

    let mut received = None;
    for _ in 0..100 {
        if let Some(first) = inbox.lock().unwrap().first().cloned() {
            received = Some(first);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let received = received.expect("the SMTP server received the email");
    assert_eq!(received.recipients, ["ana@sinfronteras.org.mx"]);
    assert_eq!(received.message.to, "ana@sinfronteras.org.mx");
    assert!(received.message.subject.contains("A letter"));
    let token = received.message.token("verify");
    let confirmed = app
        .post(
            &format!("/api/v1/public/verifications/{token}"),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), reqwest::StatusCode::OK);
    assert!(app.emails().is_empty(), "no .eml files when SMTP is set");
}

backend_test!(emails_go_out_through_smtp);

async fn an_smtp_server_that_is_down_keeps_the_email(backend: Backend) {
    // Reserve a port, then leave it closed until the server comes up.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "retry").await;
    app.sign(
        "retry",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;

    // However slow the worker, the check waits for its first attempt to be recorded.
    let mut failed: Vec<(i32, Option<String>)> = Vec::new();
    for _ in 0..200 {
        use sea_orm::{EntityTrait, QuerySelect};
        failed = entity::outbox::Entity::find()
            .select_only()
            .column(entity::outbox::Column::Attempts)
            .column(entity::outbox::Column::LastError)
            .into_tuple()
            .all(&app.db)
            .await
            .unwrap();
        if failed.iter().any(|(attempts, _)| *attempts >= 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(failed.len(), 1, "the email waits in the outbox");
    assert!(
        failed[0].0 >= 1 && failed[0].1.is_some(),
        "the failure is recorded: {failed:?}"
    );
    let pending = {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        entity::outbox::Entity::find()
            .filter(entity::outbox::Column::SentAt.is_null())
            .count(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(pending, 1, "nothing is lost while the server is down");
}

#[tokio::test]
async fn an_smtp_server_that_is_down_keeps_the_email_in_the_outbox_on_sqlite() {
    an_smtp_server_that_is_down_keeps_the_email(Backend::Sqlite).await;
}

/// The outbox rows' failure texts, read straight from the SQLite file.
async fn outbox_errors(database_url: &str) -> Vec<String> {
    use sea_orm::{EntityTrait, QuerySelect};
    let Ok(db) = sea_orm::Database::connect(database_url).await else {
        return Vec::new();
    };
    let errors: Vec<Option<String>> = entity::outbox::Entity::find()
        .select_only()
        .column(entity::outbox::Column::LastError)
        .into_tuple()
        .all(&db)
        .await
        .unwrap_or_default();
    errors.into_iter().flatten().collect()
}

#[tokio::test]
async fn an_smtp_refusal_naming_the_recipient_keeps_the_address_out_of_log_and_outbox() {
    let (smtp_port, _inbox) = start_smtp_server(Recipients::RefusedNamingTheAddress).await;
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("signon.db").display()
    );
    let port = free_port();
    let server = signon()
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database_url)
        .env("SIGNON_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_ready(&base).await;

    let signed = reqwest::Client::new()
        .post(format!(
            "{base}/api/v1/public/letters/demo-letter/signatures"
        ))
        .json(&organization(
            "Sin Fronteras",
            "victim.person@sinfronteras.org.mx",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), reqwest::StatusCode::ACCEPTED);
    let mut errors = Vec::new();
    for _ in 0..100 {
        errors = outbox_errors(&database_url).await;
        if !errors.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let logs = String::from_utf8_lossy(&server.wait_with_output().unwrap().stderr).into_owned();

    assert_eq!(errors.len(), 1, "the refusal is recorded in the outbox");
    assert!(
        errors[0].contains("550"),
        "the reply code is kept: {errors:?}"
    );
    assert!(
        logs.contains("an email could not be sent") && logs.contains("550"),
        "the refusal is logged with its code: {logs}"
    );
    for text in [errors[0].as_str(), logs.as_str()] {
        for private in ["victim.person", "sinfronteras.org.mx", "User unknown"] {
            assert!(!text.contains(private), "{private:?} in {text}");
        }
    }
}
