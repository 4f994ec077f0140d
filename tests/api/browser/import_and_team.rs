//! A coordinator imports a spreadsheet, finds the downloads and the history, and invites a
//! colleague, in a real browser: in English on a laptop, in Spanish on a phone.

use entity::Role;
use fantoccini::{Client, Locator};

use super::dashboard::sign_in;
use super::{
    Screen, assert_accessible, fill, press, start_browser, submit, wait_for_text,
    with_screenshot_on_failure,
};
use crate::helpers::{Backend, TestApp};

/// What the pages say in one language.
struct Words {
    lang: &'static str,
    confirm: &'static str,
    imported: &'static str,
    pdf: &'static str,
    history: &'static str,
    invite: &'static str,
    invited: &'static str,
}

const ENGLISH: Words = Words {
    lang: "en",
    confirm: "Import these 2 rows",
    imported: "Imported 2 signatures",
    pdf: "PDF in English",
    history: "imported 2 signatures from a file",
    invite: "Send the invitation",
    invited: "we emailed",
};

const SPANISH: Words = Words {
    lang: "es",
    confirm: "Importar estas 2 filas",
    imported: "Se importaron 2 firmas",
    pdf: "PDF en inglés",
    history: "importó 2 firmas desde un archivo",
    invite: "Enviar la invitación",
    invited: "le enviamos",
};

async fn import_export_and_invite(app: &TestApp, client: &Client, letter_id: i64, words: &Words) {
    sign_in(app, client, "ana@wola.org").await;
    let page = |path: &str| format!("{}{path}?lang={}", app.address, words.lang);

    client
        .goto(&page(&format!("/admin/letters/{letter_id}/import")))
        .await
        .unwrap();
    assert_accessible(client, "the import form").await;
    let csv = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        csv.path(),
        "Organization name,Country,Email address\n\
         Casa del Migrante,Mexico,casa@example.org\n\
         Red Jesuita con Migrantes,MX,red@jesuitas.org\n\
         Casa del Migrante,MX,casa@example.org\n",
    )
    .unwrap();
    client
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&csv.path().display().to_string())
        .await
        .unwrap();
    submit(client).await;
    wait_for_text(client, words.confirm).await;
    assert_accessible(client, "the import preview").await;
    press(client, words.confirm).await;
    wait_for_text(client, words.imported).await;

    client
        .goto(&page(&format!("/admin/letters/{letter_id}/exports")))
        .await
        .unwrap();
    wait_for_text(client, words.pdf).await;
    assert_accessible(client, "the exports page").await;
    client
        .goto(&page(&format!("/admin/letters/{letter_id}/audit")))
        .await
        .unwrap();
    wait_for_text(client, words.history).await;
    assert_accessible(client, "the history").await;

    client.goto(&page("/admin/members")).await.unwrap();
    wait_for_text(client, words.invite).await;
    assert_accessible(client, "the members page").await;
    fill(client, "invite-name", "Beto Ruiz").await;
    fill(
        client,
        "invite-email",
        &format!("beto-{}@wola.org", words.lang),
    )
    .await;
    press(client, words.invite).await;
    wait_for_text(client, words.invited).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_imports_exports_and_invites_in_a_real_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    for (screen, words, name) in [
        (Screen::Laptop, &ENGLISH, "import-team-laptop"),
        (Screen::Phone, &SPANISH, "import-team-phone"),
    ] {
        let letter_id = app.open_letter(&token, name).await;
        let (_driver, client) = start_browser(screen).await;
        with_screenshot_on_failure(
            &client,
            name,
            import_export_and_invite(&app, &client, letter_id, words),
        )
        .await;
        client.close().await.unwrap();
    }
}
