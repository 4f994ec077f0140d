//! The moderation queue in a real browser: a signature that arrived through the public API is
//! ticked and approved with "Approve selected", on a phone and a laptop, in English and Spanish.

use fantoccini::{Client, Locator};

use super::dashboard::sign_in;
use super::{
    Screen, assert_accessible, press, screenshot, start_browser, wait_for_text,
    with_screenshot_on_failure,
};
use crate::admin_signatures::{moderated_letter, signature_named, signed_and_confirmed};
use crate::helpers::{Backend, TestApp};

async fn approve_from_the_queue(app: &TestApp, client: &Client, slug: &str, shot: &str) {
    let (token, id) = moderated_letter(app, slug).await;
    signed_and_confirmed(app, slug, "Sin Fronteras", "ana@sinfronteras.org.mx").await;
    let sid = signature_named(app, &token, id, "Sin Fronteras").await["id"]
        .as_i64()
        .unwrap();
    sign_in(app, client, "coord@wola.org").await;
    let queue = format!("{}/admin/letters/{id}/signatures", app.address);

    client.goto(&queue).await.unwrap();
    wait_for_text(client, "To moderate (1)").await;
    assert_accessible(client, "the moderation queue").await;
    screenshot(client, shot).await;
    client
        .find(Locator::Id(&format!("select-{sid}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    press(client, "Approve selected").await;
    wait_for_text(client, "1 signature(s) approved.").await;

    client
        .goto(&format!("{queue}?status=all&lang=es"))
        .await
        .unwrap();
    wait_for_text(client, "Aprobadas (1)").await;
    assert_accessible(client, "the moderation queue in Spanish").await;
    client
        .goto(&format!(
            "{}/admin/letters/{id}/signatures/new",
            app.address
        ))
        .await
        .unwrap();
    wait_for_text(client, "Agregar una firma a mano").await;
    assert_accessible(client, "the form to add a signature by hand").await;
    client
        .goto(&format!("{queue}/{sid}/edit?lang=en"))
        .await
        .unwrap();
    wait_for_text(client, "Edit the signature").await;
    assert_accessible(client, "the form to edit a signature").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_is_approved_from_the_queue_on_a_phone_and_a_laptop() {
    for (screen, slug, name) in [
        (Screen::Phone, "queue-phone", "moderation-phone"),
        (Screen::Laptop, "queue-laptop", "moderation-laptop"),
    ] {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let (_driver, client) = start_browser(screen).await;
        with_screenshot_on_failure(
            &client,
            name,
            approve_from_the_queue(&app, &client, slug, name),
        )
        .await;
        client.close().await.unwrap();
    }
}
