//! A coordinator runs a letter from the dashboard in a real browser.

use entity::Role;
use fantoccini::Client;

use super::{
    Screen, assert_accessible, fill, press, screenshot, start_browser, wait_for_text,
    with_screenshot_on_failure,
};
use crate::helpers::{Backend, PASSWORD, TestApp};

pub(super) async fn sign_in(app: &TestApp, client: &Client, email: &str) {
    client
        .goto(&format!("{}/admin", app.address))
        .await
        .unwrap();
    wait_for_text(client, "Sign in").await;
    assert_accessible(client, "the sign-in page").await;
    fill(client, "email", email).await;
    fill(client, "password", PASSWORD).await;
    press(client, "Sign in").await;
    wait_for_text(client, "Your letters").await;
}

async fn sign_in_and_out(app: &TestApp, client: &Client, shot: &str) {
    sign_in(app, client, "ana@wola.org").await;
    assert_accessible(client, "the letters page").await;
    screenshot(client, shot).await;
    press(client, "Sign out").await;
    wait_for_text(client, "You are signed out.").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_signs_in_on_a_phone_and_a_laptop() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.add_staff("ana@wola.org", "WOLA", Role::Owner).await;
    for (screen, name) in [
        (Screen::Phone, "dashboard-phone"),
        (Screen::Laptop, "dashboard-laptop"),
    ] {
        let (_driver, client) = start_browser(screen).await;
        with_screenshot_on_failure(&client, name, sign_in_and_out(&app, &client, name)).await;
        client.close().await.unwrap();
    }
}
