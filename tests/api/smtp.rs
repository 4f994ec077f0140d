//! Emails through a real SMTP conversation, with a small SMTP server started by the test.

use std::sync::{Arc, Mutex};

use entity::Role;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{Backend, SentEmail, TestApp, organization};

/// What the SMTP server received: envelope recipients and the message.
#[derive(Debug, Clone)]
struct Received {
    recipients: Vec<String>,
    message: SentEmail,
}

/// Speaks just enough SMTP (no TLS, no auth) to accept messages on a random loopback port.
async fn start_smtp_server() -> (u16, Arc<Mutex<Vec<Received>>>) {
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
    let (port, inbox) = start_smtp_server().await;
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
