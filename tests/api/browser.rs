//! The sign-on form in a real headless Chromium, driven through WebDriver (chromedriver).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use entity::Role;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// A chromedriver on a free port, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn start_browser() -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver is installed (apt-get install chromium chromium-driver; .ci/run does it)",
        );
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
    };
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=420,1400",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }),
    );
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(client) = ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start a browser session");
}

async fn fill(client: &Client, field: &str, text: &str) {
    let input = client.find(Locator::Id(field)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Waits until the page (perhaps still loading after a click) shows `expected`; returns its text.
async fn wait_for_text(client: &Client, expected: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(body) = client.find(Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            if text.contains(expected) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {expected:?}; it shows: {last}");
}

async fn submit(client: &Client) {
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_uses_the_form_in_a_real_browser_in_english_and_spanish() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter = app
        .create_letter(
            &staff,
            &json!({
                "slug": "browser",
                "title": "Letter on the Migrant Protection Protocols",
                "body": "Dear **President**,",
                "translations": { "es": { "title": "Carta sobre los PPM", "body": "Estimado **Presidente**:" } }
            }),
        )
        .await;
    app.post(
        &format!("/api/v1/letters/{}/status", letter["id"]),
        Some(&staff),
        &json!({ "status": "open" }),
    )
    .await;
    let (_driver, client) = start_browser().await;

    // English, first with a mistake.
    client
        .goto(&format!("{}/l/browser", app.address))
        .await
        .unwrap();
    wait_for_text(&client, "Sign this letter").await;
    fill(&client, "name", "Sin Fronteras I.A.P.").await;
    fill(&client, "contact_name", "Ana Pérez").await;
    fill(&client, "contact_email", "ana@").await;
    submit(&client).await;
    let text = wait_for_text(&client, "Please correct the marked fields.").await;
    assert!(text.contains("Enter an email address"), "{text}");
    assert!(text.contains("Tick the box"), "{text}");
    let kept = client
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Sin Fronteras I.A.P."));

    fill(&client, "contact_email", "ana@sinfronteras.org.mx").await;
    client
        .find(Locator::Id("country"))
        .await
        .unwrap()
        .select_by_value("MX")
        .await
        .unwrap();
    client
        .find(Locator::Id("consent"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&client).await;
    wait_for_text(&client, "Check your email").await;

    // Spanish, through the language switch.
    client
        .goto(&format!("{}/l/browser", app.address))
        .await
        .unwrap();
    client
        .find(Locator::LinkText("Español"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_for_text(&client, "Firmar la carta").await;
    assert!(text.contains("Carta sobre los PPM"), "{text}");
    fill(&client, "name", "Colectivo Ñañú").await;
    fill(&client, "contact_name", "José Núñez").await;
    fill(&client, "contact_email", "jose@example.org").await;
    client
        .find(Locator::Id("consent"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&client).await;
    wait_for_text(&client, "Revise su correo").await;

    // The link in the email, followed in the browser.
    let emails = app.wait_for_emails(2).await;
    let spanish = emails.iter().find(|e| e.to == "jose@example.org").unwrap();
    client.goto(&spanish.link("verify")).await.unwrap();
    wait_for_text(&client, "Confirme que Colectivo Ñañú firma").await;
    submit(&client).await;
    wait_for_text(&client, "está confirmada").await;
    client
        .goto(&format!("{}/l/browser/signatories?lang=es", app.address))
        .await
        .unwrap();
    wait_for_text(&client, "Colectivo Ñañú").await;

    client.close().await.unwrap();
}
