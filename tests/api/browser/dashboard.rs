//! A coordinator runs a letter from the dashboard in a real browser.

use entity::Role;
use fantoccini::Client;

use super::{
    Screen, assert_accessible, fill, follow, press, screenshot, start_browser, wait_for_text,
    with_screenshot_on_failure,
};
use crate::helpers::{Backend, PASSWORD, TestApp};

/// Signs in at the dashboard through its form, and checks the sign-in page on the way.
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
    forgot_the_password(app, client).await;
}

/// Asks for a new password and opens the emailed link, checking both pages on the way.
async fn forgot_the_password(app: &TestApp, client: &Client) {
    let before = app.emails().len();
    follow(client, "Forgot your password?").await;
    wait_for_text(client, "We will email you a link").await;
    assert_accessible(client, "the forgot-password page").await;
    fill(client, "email", "ana@wola.org").await;
    press(client, "Send the link").await;
    wait_for_text(client, "If an account exists for this address").await;
    assert_accessible(client, "the link-sent page").await;
    let emails = app.wait_for_emails(before + 1).await;
    client
        .goto(&emails[before].link("admin/password"))
        .await
        .unwrap();
    wait_for_text(client, "Choose a new password").await;
    assert_accessible(client, "the page to choose a password").await;
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

/// What a coordinator reads and presses while writing, opening and closing a letter.
struct Words {
    lang: &'static str,
    write: &'static str,
    deadline: &'static str,
    preview: &'static str,
    previewed: &'static str,
    save: &'static str,
    saved: &'static str,
    open: &'static str,
    opened: &'static str,
    share: &'static str,
    qr: &'static str,
    overview: &'static str,
    close: &'static str,
    close_question: &'static str,
    close_yes: &'static str,
    closed: &'static str,
    deliver: &'static str,
    deliver_question: &'static str,
    deliver_yes: &'static str,
    delivered: &'static str,
    exports: &'static str,
    frozen: &'static str,
}

const ENGLISH: Words = Words {
    lang: "en",
    write: "Write a new letter",
    deadline: "Deadline (UTC)",
    preview: "Preview",
    previewed: "Preview (not saved yet)",
    save: "Save",
    saved: "saved as a draft",
    open: "Open for signatures",
    opened: "The letter is open",
    share: "Share",
    qr: "QR code for printed flyers",
    overview: "Overview",
    close: "Close the letter…",
    close_question: "Close this letter?",
    close_yes: "Yes, close it",
    closed: "The letter is closed",
    deliver: "Mark as delivered…",
    deliver_question: "Mark this letter as delivered?",
    deliver_yes: "Yes, mark as delivered",
    delivered: "The letter is delivered",
    exports: "Exports",
    frozen: "Copies frozen at delivery",
};

const SPANISH: Words = Words {
    lang: "es",
    write: "Escribir una carta nueva",
    deadline: "Fecha límite (UTC)",
    preview: "Vista previa",
    previewed: "Vista previa (aún no se guardó)",
    save: "Guardar",
    saved: "se guardó como borrador",
    open: "Abrir a firmas",
    opened: "La carta está abierta",
    share: "Compartir",
    qr: "Código QR para volantes impresos",
    overview: "Resumen",
    close: "Cerrar la carta…",
    close_question: "¿Cerrar esta carta?",
    close_yes: "Sí, cerrarla",
    closed: "La carta está cerrada",
    deliver: "Marcar como entregada…",
    deliver_question: "¿Marcar esta carta como entregada?",
    deliver_yes: "Sí, marcar como entregada",
    delivered: "La carta está entregada",
    exports: "Exportar",
    frozen: "Copias congeladas en la entrega",
};

/// Writes a letter with its Spanish text, previews and saves it, opens it, looks at its share
/// page, closes and delivers it through the confirmation pages, and downloads its frozen PDF;
/// axe-core checks every page on the way.
async fn write_open_close_and_deliver(app: &TestApp, client: &Client, words: &Words, slug: &str) {
    sign_in(app, client, "ana@wola.org").await;
    client
        .goto(&format!("{}/admin?lang={}", app.address, words.lang))
        .await
        .unwrap();
    follow(client, words.write).await;
    wait_for_text(client, words.deadline).await;
    assert_accessible(client, "the new letter form").await;
    fill(client, "title", "Letter on the MPP").await;
    fill(client, "slug", slug).await;
    fill(client, "body", "Dear President,\n\nWe **urge** you to act.").await;
    fill(client, "translation_title", "Carta sobre los PPM").await;
    fill(client, "translation_body", "Le **urgimos** a actuar.").await;
    press(client, words.preview).await;
    let text = wait_for_text(client, words.previewed).await;
    assert!(text.contains("We urge you to act."), "{text}");
    assert_accessible(client, "the letter form with its preview").await;
    press(client, words.save).await;
    wait_for_text(client, words.saved).await;
    assert_accessible(client, "the letter's overview").await;
    press(client, words.open).await;
    wait_for_text(client, words.opened).await;

    follow(client, words.share).await;
    wait_for_text(client, words.qr).await;
    assert_accessible(client, "the share page").await;
    screenshot(client, &format!("letter-share-{}", words.lang)).await;
    follow(client, words.overview).await;
    follow(client, words.close).await;
    wait_for_text(client, words.close_question).await;
    assert_accessible(client, "the confirmation to close").await;
    press(client, words.close_yes).await;
    wait_for_text(client, words.closed).await;

    follow(client, words.deliver).await;
    wait_for_text(client, words.deliver_question).await;
    assert_accessible(client, "the confirmation to deliver").await;
    press(client, words.deliver_yes).await;
    wait_for_text(client, words.delivered).await;
    follow(client, words.exports).await;
    wait_for_text(client, words.frozen).await;
    assert_accessible(client, "the exports of a delivered letter").await;
    download_the_pdf(app, client).await;
}

/// Fetches the page's PDF link as the signed-in browser would: the frozen PDF of the letter.
async fn download_the_pdf(app: &TestApp, client: &Client) {
    let link = client
        .find(fantoccini::Locator::Css("a[href$='.pdf']"))
        .await
        .expect("a PDF download link")
        .attr("href")
        .await
        .unwrap()
        .expect("the link has an address");
    let cookies = client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let url = if link.starts_with("http") {
        link
    } else {
        format!("{}{link}", app.address)
    };
    let response = reqwest::Client::new()
        .get(&url)
        .header("cookie", cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_writes_opens_closes_and_delivers_a_letter_in_english_and_spanish() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
    for (screen, words, name) in [
        (Screen::Phone, &ENGLISH, "letter-phone-en"),
        (Screen::Laptop, &SPANISH, "letter-laptop-es"),
    ] {
        let (_driver, client) = start_browser(screen).await;
        let scenario = write_open_close_and_deliver(&app, &client, words, name);
        with_screenshot_on_failure(&client, name, scenario).await;
        client.close().await.unwrap();
    }
}
