//! What the security review of issue 9 found: each test here failed before its fix.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Browser, TestApp, assert_error, organization, organization_form};

db_test!(a_contact_email_with_display_text_is_refused, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "bare-address").await;

    for address in [
        "Some words <victim@example.org>",
        "<victim@example.org>",
        "\"Victim\" <victim@example.org>",
    ] {
        let body = assert_error(
            app.sign("bare-address", &organization("Sin Fronteras", address))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            body["fields"]["contact_email"].is_string(),
            "{address:?}: contact_email marked in {body}"
        );

        let form = app
            .post_form(
                "/l/bare-address/sign",
                &organization_form("Sin Fronteras", address),
            )
            .await;
        assert_eq!(
            form.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{address:?}"
        );
        let page = form.text().await.unwrap();
        assert!(page.contains("id=\"contact_email-error\""), "{address:?}");
    }

    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was written");
    assert!(app.emails().is_empty(), "no email went out");
});

db_test!(
    only_owners_add_or_remove_co_leads_and_both_are_audited,
    |app| {
        let owner = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
        app.add_staff("ed@wola.org", "WOLA", Role::Editor).await;
        let editor = app.login("ed@wola.org").await;
        let amnesty = app
            .staff_token("bo@amnesty.org", "Amnesty", Role::Owner)
            .await;
        let id = app.open_letter(&owner, "co-leads").await;
        let coordinators = format!("/api/v1/letters/{id}/coordinators");

        let by_editor = app
            .post(
                &coordinators,
                Some(&editor),
                &json!({ "organization": "Amnesty" }),
            )
            .await;
        assert_error(by_editor, StatusCode::FORBIDDEN, "forbidden").await;
        let letter: Value = app
            .get(&format!("/api/v1/letters/{id}"), Some(&owner))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(letter["coordinators"].as_array().unwrap().len(), 1);
        let lead_id = letter["coordinators"][0]["organization_id"]
            .as_i64()
            .unwrap();

        let added = app
            .post(
                &coordinators,
                Some(&owner),
                &json!({ "organization": "Amnesty" }),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
        let added: Value = added.json().await.unwrap();
        let amnesty_id = added["coordinators"][1]["organization_id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            app.get(&format!("/api/v1/letters/{id}"), Some(&amnesty))
                .await
                .status(),
            StatusCode::OK
        );

        let delete = |path: String, token: String| {
            let app = &app;
            async move {
                app.request(reqwest::Method::DELETE, &path, Some(&token), None)
                    .await
            }
        };
        let by_editor = delete(format!("{coordinators}/{amnesty_id}"), editor.clone()).await;
        assert_error(by_editor, StatusCode::FORBIDDEN, "forbidden").await;
        let the_lead = delete(format!("{coordinators}/{lead_id}"), owner.clone()).await;
        assert_error(the_lead, StatusCode::CONFLICT, "conflict").await;
        let not_a_coordinator =
            delete(format!("{coordinators}/{}", lead_id + 1000), owner.clone()).await;
        assert_error(not_a_coordinator, StatusCode::NOT_FOUND, "not_found").await;

        let removed = delete(format!("{coordinators}/{amnesty_id}"), owner.clone()).await;
        assert_eq!(removed.status(), StatusCode::OK);
        let removed: Value = removed.json().await.unwrap();
        assert_eq!(removed["coordinators"].as_array().unwrap().len(), 1);
        assert_error(
            app.get(&format!("/api/v1/letters/{id}"), Some(&amnesty))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;

        let events: Value = app
            .get(&format!("/api/v1/letters/{id}/events"), Some(&owner))
            .await
            .json()
            .await
            .unwrap();
        let removal = &events["items"][0];
        assert_eq!(removal["action"], "letter.coordinator_removed");
        assert_eq!(removal["actor"], "ana@wola.org");
        assert_eq!(removal["before"]["organization"], "Amnesty");
        assert_eq!(events["items"][1]["action"], "letter.coordinator_added");
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;
        let history = browser
            .get(&format!("/admin/letters/{id}/audit"))
            .await
            .body;
        assert!(
            history.contains("Test Staff removed “Amnesty” from the co-leading organizations"),
            "the removal in words: {history}"
        );

        app.post(
            &coordinators,
            Some(&owner),
            &json!({ "organization": "Amnesty" }),
        )
        .await;
        for status in ["closed", "delivered"] {
            app.post(
                &format!("/api/v1/letters/{id}/status"),
                Some(&owner),
                &json!({ "status": status }),
            )
            .await;
        }
        let after_delivery = delete(format!("{coordinators}/{amnesty_id}"), owner.clone()).await;
        assert_error(after_delivery, StatusCode::CONFLICT, "conflict").await;
    }
);

/// Signs the letter `slug` as if through a proxy that passed on `header: value`.
async fn sign_forwarded(app: &TestApp, slug: &str, header: &str, value: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!(
            "{}/api/v1/public/letters/{slug}/signatures",
            app.address
        ))
        .header(header, value)
        .json(&organization(
            "Org",
            &format!("c{}@example.org", uuid::Uuid::new_v4().simple()),
        ))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_rate_limit() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.sign_rate_per_minute = 2;
        settings.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "proxied").await;
    let xff = "x-forwarded-for";

    for _ in 0..2 {
        assert_eq!(
            sign_forwarded(&app, "proxied", xff, "198.51.100.1").await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        sign_forwarded(&app, "proxied", xff, "198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        sign_forwarded(&app, "proxied", xff, "203.0.113.9, 198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "what the client wrote left of the proxy's entry changes nothing"
    );
    assert_eq!(
        sign_forwarded(&app, "proxied", xff, "198.51.100.2, 127.0.0.5").await,
        StatusCode::ACCEPTED,
        "another client has its own limit; trusted proxies in the chain are skipped"
    );
    let forwarded = "forwarded";
    for _ in 0..2 {
        assert_eq!(
            sign_forwarded(
                &app,
                "proxied",
                forwarded,
                "for=\"[2001:db8::1]:4711\";proto=https"
            )
            .await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        sign_forwarded(&app, "proxied", forwarded, "for=\"[2001:db8::2]\"").await,
        StatusCode::TOO_MANY_REQUESTS,
        "IPv6 clients are limited per /64"
    );
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.sign_rate_per_minute = 2;
        settings.trusted_proxies = vec!["192.0.2.0/24".parse().unwrap()];
    })
    .await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "direct").await;

    let statuses = [
        sign_forwarded(&app, "direct", "x-forwarded-for", "198.51.100.1").await,
        sign_forwarded(&app, "direct", "x-forwarded-for", "198.51.100.2").await,
        sign_forwarded(&app, "direct", "forwarded", "for=198.51.100.3").await,
    ];

    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "a client cannot pick a fresh limit by writing the header itself"
    );
}

/// Starts a chunked upload of `megabytes` MB to `path` without ever ending it, and returns the
/// first bytes the server answers, if it answers within ten seconds.
async fn answer_to_an_endless_upload(
    app: &TestApp,
    path: &str,
    megabytes: usize,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut read, mut write) = socket.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: signon\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
        for _ in 0..megabytes * 16 {
            if write.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        // The final empty chunk is never sent: a server that reads the whole body first
        // never answers.
        std::future::pending::<()>().await;
    });
    let mut answer = vec![0_u8; 4096];
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(10), read.read(&mut answer)).await;
    writer.abort();
    let n = read.ok()?.ok()?;
    Some(String::from_utf8_lossy(&answer[..n]).into_owned())
}

#[tokio::test]
async fn an_anonymous_upload_to_the_import_route_is_refused_without_being_read() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "uploads").await;

    let answer = answer_to_an_endless_upload(&app, &format!("/api/v1/letters/{id}/imports"), 5)
        .await
        .expect("the server answers while the upload is still going on");

    assert!(
        answer.starts_with("HTTP/1.1 401") || answer.starts_with("HTTP/1.1 413"),
        "{answer}"
    );
}

#[tokio::test]
async fn an_authenticated_import_of_five_megabytes_works_in_chunks() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "big-import").await;
    let mut file = String::from("name,country,filler\n");
    let filler = "f".repeat(5_000);
    for n in 0..1_000 {
        file.push_str(&format!("Organización {n},MX,{filler}\n"));
    }
    assert!(file.len() > 5_000_000);

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = file
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/letters/{id}/imports", app.address))
        .bearer_auth(&staff)
        .header("content-type", "text/csv")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["imported"], 1_000);
    assert_eq!(report["ignored_columns"], json!(["filler"]));
}

#[tokio::test]
async fn an_import_over_its_own_limit_is_a_413() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.max_import_bytes = 2 * 1024 * 1024;
    })
    .await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "too-big").await;
    let file = format!(
        "name,country,filler\nA,MX,{}\n",
        "n".repeat(3 * 1024 * 1024)
    );

    let response = app
        .send_raw(
            reqwest::Method::POST,
            &format!("/api/v1/letters/{id}/imports"),
            Some(&staff),
            "text/csv",
            file.into_bytes(),
        )
        .await;

    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

/// A CSV of `rows` distinct organizations.
fn csv_of(rows: usize) -> Vec<u8> {
    let mut file = String::from("name,country,email\n");
    for n in 0..rows {
        file.push_str(&format!(
            "Organización número {n},MX,contact{n}@example.org\n"
        ));
    }
    file.into_bytes()
}

#[tokio::test]
async fn an_import_over_the_row_cap_is_refused_naming_the_cap() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| settings.max_import_rows = 3).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "capped").await;
    let path = format!("/api/v1/letters/{id}/imports");

    for query in ["", "?dry_run=true"] {
        let refused = app
            .send_raw(
                reqwest::Method::POST,
                &format!("{path}{query}"),
                Some(&staff),
                "text/csv",
                csv_of(4),
            )
            .await;
        let body = assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let said = body["fields"]["file"].as_str().unwrap_or_default();
        assert!(said.contains("3 rows"), "the cap is named: {body}");
        assert!(body["message"].as_str().unwrap().contains("3 rows"));
    }
    let signatures = format!("/api/v1/letters/{id}/signatures");
    let list: Value = app
        .get(&signatures, Some(&staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was written");

    let accepted = app
        .send_raw(
            reqwest::Method::POST,
            &path,
            Some(&staff),
            "text/csv",
            csv_of(3),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);

    let file = app.mail_dir.with_file_name("four.csv");
    std::fs::write(&file, csv_of(4)).unwrap();
    let output = crate::child_server::signon()
        .args([
            "import",
            "capped",
            file.to_str().unwrap(),
            "--max-import-rows",
            "3",
        ])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("3 rows"));
}

/// Asks `/healthz` from a thread of its own until `stop` is set: how many answers came, and
/// the slowest one.
fn probe_health(
    address: String,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(u32, Duration)> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::new();
            let (mut answers, mut slowest) = (0, Duration::ZERO);
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                client
                    .get(format!("{address}/healthz"))
                    .send()
                    .await
                    .unwrap();
                slowest = slowest.max(asked.elapsed());
                answers += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (answers, slowest)
        })
    })
}

#[tokio::test]
async fn the_server_keeps_answering_while_an_import_is_parsed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "responsive").await;
    let path = format!("/api/v1/letters/{id}/imports?dry_run=true");
    let stop = Arc::new(AtomicBool::new(false));
    let probe = probe_health(app.address.clone(), stop.clone());

    let started = Instant::now();
    let response = app
        .send_raw(
            reqwest::Method::POST,
            &path,
            Some(&staff),
            "text/csv",
            csv_of(20_000),
        )
        .await;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (answers, slowest) = probe.join().unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        answers >= 5,
        "only {answers} health checks during the import ({took:?})"
    );
    assert!(
        slowest < took / 3,
        "a health check waited {slowest:?} while the import ({took:?}) was parsed"
    );
}
