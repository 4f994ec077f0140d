//! The sign-on form in a real headless Chromium, driven through WebDriver (chromedriver).

use entity::Role;
use fantoccini::{Client, Locator};
use serde_json::json;

use super::{
    Screen, assert_accessible, fill, start_browser, submit, wait_for_text,
    with_screenshot_on_failure,
};
use crate::helpers::{Backend, TestApp};

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
    let (_driver, client) = start_browser(Screen::Phone).await;
    with_screenshot_on_failure(
        &client,
        "public-form",
        sign_in_both_languages(&app, &client),
    )
    .await;
    client.close().await.unwrap();
}

async fn sign_in_both_languages(app: &TestApp, client: &Client) {
    let client = client.clone();
    sign_in_english_after_a_mistake(app, &client).await;
    sign_in_spanish_through_the_switch(app, &client).await;
    confirm_and_open_the_withdrawal_in_spanish(app, &client).await;
}

/// English, first with a mistake: the form comes back with the fields marked and kept.
async fn sign_in_english_after_a_mistake(app: &TestApp, client: &Client) {
    client
        .goto(&format!("{}/l/browser", app.address))
        .await
        .unwrap();
    wait_for_text(client, "Sign this letter").await;
    assert_accessible(client, "the letter page").await;
    fill(client, "name", "Sin Fronteras I.A.P.").await;
    fill(client, "contact_name", "Ana Pérez").await;
    fill(client, "contact_email", "ana@").await;
    submit(client).await;
    let text = wait_for_text(client, "Please correct the marked fields.").await;
    assert_accessible(client, "the form with errors").await;
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

    fill(client, "contact_email", "ana@sinfronteras.org.mx").await;
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
    submit(client).await;
    wait_for_text(client, "Check your email").await;
    assert_accessible(client, "the check-your-email page").await;
}

/// Spanish, through the language switch.
async fn sign_in_spanish_through_the_switch(app: &TestApp, client: &Client) {
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
    let text = wait_for_text(client, "Firmar la carta").await;
    assert!(text.contains("Carta sobre los PPM"), "{text}");
    fill(client, "name", "Colectivo Ñañú").await;
    fill(client, "contact_name", "José Núñez").await;
    fill(client, "contact_email", "jose@example.org").await;
    client
        .find(Locator::Id("consent"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(client).await;
    wait_for_text(client, "Revise su correo").await;
}

/// The link in the Spanish email, followed in the browser; then the withdrawal link, which
/// asks first (the page is checked, the button left alone).
async fn confirm_and_open_the_withdrawal_in_spanish(app: &TestApp, client: &Client) {
    let emails = app.wait_for_emails(2).await;
    let spanish = emails.iter().find(|e| e.to == "jose@example.org").unwrap();
    client.goto(&spanish.link("verify")).await.unwrap();
    wait_for_text(client, "Confirme que Colectivo Ñañú firma").await;
    assert_accessible(client, "the confirmation page").await;
    submit(client).await;
    wait_for_text(client, "está confirmada").await;
    assert_accessible(client, "the confirmed page").await;
    client
        .goto(&format!("{}/l/browser/signatories?lang=es", app.address))
        .await
        .unwrap();
    wait_for_text(client, "Colectivo Ñañú").await;
    assert_accessible(client, "the signatories page").await;

    // The withdrawal link asks first; the page is checked, the button left alone.
    client.goto(&spanish.link("withdraw")).await.unwrap();
    wait_for_text(client, "Retirar la firma").await;
    assert_accessible(client, "the withdrawal page").await;
}
