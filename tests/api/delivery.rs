//! The emails of a delivery: the frozen PDF to the letter's addressees, and a notice to each
//! approved signatory, each sent once whatever is retried; the public frozen PDF they link to;
//! the settings in the API and the dashboard.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, Browser, SentEmail, TestApp, assert_error, organization};
use crate::smtp::{Recipients, start_smtp_server};

pub const MINISTER: &str = "ministra@gobernacion.gob.mx";
pub const SECRETARY: &str = "secretary@example.org";

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A letter under manual moderation, in English with a Spanish translation, that emails its
/// addressees when delivered (unless `addresses` is empty); open. Returns the editor's token
/// and the letter's id.
pub async fn open_letter(app: &TestApp, slug: &str, addresses: &[&str]) -> (String, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter = app
        .create_letter(
            &token,
            &json!({
                "slug": slug,
                "title": "Letter on asylum at the border",
                "body": "Dear Minister,\n\nWe urge you to act.",
                "addressees": "Minister of the Interior",
                "moderation": "manual",
                "addressee_emails": addresses,
                "cover_note": "Dear Minister,\n\nPlease find our letter attached.",
                "translations": { "es": { "title": "Carta sobre el asilo en la frontera", "body": "Estimada Secretaria:" } }
            }),
        )
        .await;
    let id = letter["id"].as_i64().unwrap();
    set_status(app, &token, id, "open").await;
    (token, id)
}

async fn set_status(app: &TestApp, token: &str, id: i64, status: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/letters/{id}/status"),
        Some(token),
        &json!({ "status": status }),
    )
    .await
}

/// Signs through the public API in `lang`; the confirmation email.
async fn sign(app: &TestApp, slug: &str, name: &str, email: &str, lang: &str) -> SentEmail {
    let before = app.delivered_emails().await.len();
    let response = app
        .post(
            &format!("/api/v1/public/letters/{slug}/signatures?lang={lang}"),
            None,
            &organization(name, email),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.delivered_emails().await.remove(before)
}

async fn follow(app: &TestApp, email: &SentEmail, page: &str, api: &str) {
    let response = app
        .post(
            &format!("/api/v1/public/{api}/{}", email.token(page)),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn signature_id(app: &TestApp, token: &str, id: i64, name: &str) -> i64 {
    let list: Value = app
        .get(
            &format!(
                "/api/v1/letters/{id}/signatures?q={}",
                name.replace(' ', "%20")
            ),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_i64().unwrap()
}

async fn decide(app: &TestApp, token: &str, id: i64, name: &str, decision: &str) {
    let sid = signature_id(app, token, id, name).await;
    let response = app
        .post(
            &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
            Some(token),
            &json!({ "decision": decision, "reason": "Not an organization" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Signatures in every state: approved in English and in Spanish, pending, rejected,
/// withdrawn, and approved with its contact erased.
async fn signatures_in_every_state(app: &TestApp, token: &str, id: i64, slug: &str) {
    for (name, email, lang) in [
        ("Sin Fronteras", "ana@sinfronteras.org.mx", "en"),
        ("Casa del Migrante", "luis@casadelmigrante.org", "es"),
        ("Rejected Org", "rejected@example.org", "en"),
        ("Withdrawn Org", "withdrawn@example.org", "en"),
        ("Erased Org", "erased@example.org", "es"),
    ] {
        let confirmation = sign(app, slug, name, email, lang).await;
        follow(app, &confirmation, "verify", "verifications").await;
        if name == "Withdrawn Org" {
            follow(app, &confirmation, "withdraw", "withdrawals").await;
        }
    }
    sign(app, slug, "Pending Org", "pending@example.org", "en").await;
    for name in ["Sin Fronteras", "Casa del Migrante", "Erased Org"] {
        decide(app, token, id, name, "approve").await;
    }
    decide(app, token, id, "Rejected Org", "reject").await;
    let erased = signature_id(app, token, id, "Erased Org").await;
    let response = app
        .post(
            &format!("/api/v1/letters/{id}/signatures/{erased}/erase"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Closes and delivers the letter through the API.
async fn deliver(app: &TestApp, token: &str, id: i64) {
    assert_eq!(
        set_status(app, token, id, "closed").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        set_status(app, token, id, "delivered").await.status(),
        StatusCode::OK
    );
}

/// The frozen PDF in the letter's own language, as staff download it.
async fn frozen_pdf(app: &TestApp, token: &str, id: i64) -> Vec<u8> {
    let response = app
        .get(&format!("/api/v1/letters/{id}/export.pdf"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

/// The emails sent since the first `skip`, newest last.
async fn emails_after(app: &TestApp, skip: usize) -> Vec<SentEmail> {
    app.delivered_emails().await.split_off(skip)
}

async fn delivery_events(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let events: Value = app
        .get(&format!("/api/v1/letters/{id}/events"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "letter.delivery_emails_queued")
        .cloned()
        .collect()
}

/// The PDF a notice links to is public, the frozen one, and cacheable by its digest.
async fn assert_the_public_pdf_is(app: &TestApp, link: &str, frozen: &[u8]) {
    let public = app.get(&link.replace(&app.address, ""), None).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(public.headers()["content-type"], "application/pdf");
    let etag = public.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256(frozen)));
    assert_eq!(public.bytes().await.unwrap().to_vec(), frozen);
    let again = reqwest::Client::new()
        .get(link)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

/// Delivering again, or trying to leave delivered, queues nothing more.
async fn assert_delivering_again_sends_nothing(app: &TestApp, token: &str, id: i64) {
    let emails = app.outbox_len().await;
    let files = app.delivered_emails().await.len();
    assert_eq!(
        set_status(app, token, id, "delivered").await.status(),
        StatusCode::OK
    );
    assert_error(
        set_status(app, token, id, "closed").await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(app.outbox_len().await, emails);
    assert_eq!(app.delivered_emails().await.len(), files);
    assert_eq!(delivery_events(app, token, id).await.len(), 1);
}

db_test!(
    delivering_emails_the_frozen_pdf_to_the_addressees_and_tells_each_approved_signatory_once,
    |app| {
        let (token, id) = open_letter(&app, "border", &[MINISTER, SECRETARY]).await;
        signatures_in_every_state(&app, &token, id, "border").await;
        let before = app.delivered_emails().await.len();

        deliver(&app, &token, id).await;
        let sent = emails_after(&app, before).await;

        let to_addressees: Vec<&SentEmail> =
            sent.iter().filter(|e| !e.attachments.is_empty()).collect();
        assert_eq!(to_addressees.len(), 1, "one email to the addressees");
        let letter = to_addressees[0];
        assert_eq!(letter.to_all, [MINISTER, SECRETARY]);
        assert_eq!(letter.subject, "Letter on asylum at the border");
        assert!(
            letter
                .text
                .replace("\r\n", "\n")
                .starts_with("Dear Minister,\n\nPlease find our letter attached."),
            "{}",
            letter.text
        );
        assert!(letter.text.contains("On behalf of WOLA"));
        let (file_name, attached) = &letter.attachments[0];
        assert_eq!(file_name, "border-en.pdf");
        let frozen = frozen_pdf(&app, &token, id).await;
        assert_eq!(
            sha256(attached),
            sha256(&frozen),
            "the frozen PDF, byte for byte"
        );

        let notices: Vec<&SentEmail> = sent.iter().filter(|e| e.attachments.is_empty()).collect();
        let mut recipients: Vec<&str> = notices.iter().map(|e| e.to.as_str()).collect();
        recipients.sort_unstable();
        assert_eq!(
            recipients,
            ["ana@sinfronteras.org.mx", "luis@casadelmigrante.org"],
            "approved signatories only, erased contacts skipped"
        );
        let english = notices
            .iter()
            .find(|e| e.to == "ana@sinfronteras.org.mx")
            .unwrap();
        assert_eq!(
            english.subject,
            "The letter \"Letter on asylum at the border\" was delivered"
        );
        assert!(english.text.contains("signed by Sin Fronteras"));
        let spanish = notices
            .iter()
            .find(|e| e.to == "luis@casadelmigrante.org")
            .unwrap();
        assert_eq!(
            spanish.subject,
            "La carta «Carta sobre el asilo en la frontera» fue entregada"
        );
        assert!(spanish.text.contains("Gracias por firmar"));
        assert!(spanish.link("l").ends_with("/l/border/letter.pdf?lang=es"));

        assert_the_public_pdf_is(&app, &english.link("l"), &frozen).await;

        let events = delivery_events(&app, &token, id).await;
        assert_eq!(events.len(), 1, "one audit event");
        assert_eq!(events[0]["after"]["addressee_emails"], 1);
        assert_eq!(events[0]["after"]["addresses"], 2);
        assert_eq!(events[0]["after"]["notices"], 2);

        assert_delivering_again_sends_nothing(&app, &token, id).await;
    }
);

db_test!(without_addresses_delivery_sends_only_the_notices, |app| {
    let (token, id) = open_letter(&app, "quiet", &[]).await;
    let confirmation = sign(
        &app,
        "quiet",
        "Sin Fronteras",
        "ana@sinfronteras.org.mx",
        "en",
    )
    .await;
    follow(&app, &confirmation, "verify", "verifications").await;
    decide(&app, &token, id, "Sin Fronteras", "approve").await;
    let before = app.delivered_emails().await.len();

    deliver(&app, &token, id).await;

    let sent = emails_after(&app, before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "ana@sinfronteras.org.mx");
    assert!(sent[0].attachments.is_empty());
    let events = delivery_events(&app, &token, id).await;
    assert_eq!(events[0]["after"]["addressee_emails"], 0);
    assert_eq!(events[0]["after"]["notices"], 1);
});

db_test!(
    the_public_pdf_exists_only_once_a_letter_is_delivered_and_the_letter_page_links_it,
    |app| {
        let (token, id) = open_letter(&app, "later", &[MINISTER]).await;
        assert_eq!(
            app.get("/l/later/letter.pdf", None).await.status(),
            StatusCode::NOT_FOUND
        );
        let (_, page) = app.get_page("/l/later", None).await;
        assert!(!page.contains("letter.pdf"));

        deliver(&app, &token, id).await;

        let (status, page) = app.get_page("/l/later?lang=es", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("href=\"/l/later/letter.pdf?lang=es\""),
            "{page}"
        );
        assert!(page.contains("La carta tal como se entregó"));
        assert!(
            !page.contains(MINISTER),
            "addressee emails are never public"
        );
        let spanish = app.get("/l/later/letter.pdf?lang=es", None).await;
        assert_eq!(spanish.status(), StatusCode::OK);
        let english = app.get("/l/later/letter.pdf", None).await;
        assert_ne!(
            spanish.headers()["etag"],
            english.headers()["etag"],
            "one frozen PDF per language"
        );
        assert_eq!(
            app.get("/l/no-such-letter/letter.pdf", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }
);

db_test!(
    the_addressee_emails_and_cover_note_are_letter_settings_checked_like_any_field,
    |app| {
        let (token, id) =
            open_letter(&app, "settings", &[MINISTER, "Ministra@Gobernacion.gob.mx"]).await;
        let letter: Value = app
            .get(&format!("/api/v1/letters/{id}"), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            letter["addressee_emails"],
            json!([MINISTER]),
            "the same address once"
        );
        assert_eq!(
            letter["cover_note"],
            "Dear Minister,\n\nPlease find our letter attached."
        );

        let refused = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "addressee_emails": [MINISTER, "not an address"], "cover_note": "a\u{0}b" }),
            )
            .await;
        let body = assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["addressee_emails"].is_string(), "{body}");
        assert!(body["fields"]["cover_note"].is_string(), "{body}");
        let many: Vec<String> = (0..51).map(|n| format!("a{n}@example.org")).collect();
        let refused = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "addressee_emails": many }),
            )
            .await;
        assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;

        let cleared = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "addressee_emails": [], "cover_note": "" }),
            )
            .await;
        assert_eq!(cleared.status(), StatusCode::OK);
        let cleared: Value = cleared.json().await.unwrap();
        assert_eq!(cleared["addressee_emails"], json!([]));
        assert_eq!(cleared["cover_note"], "");
    }
);

/// Saves the letter form with addressee addresses: refused with a bad one, kept with good ones.
async fn save_delivery_settings(app: &TestApp, browser: &Browser, token: &str, id: i64) {
    let edit_path = format!("/admin/letters/{id}/edit");
    let fields = |addresses: &'static str| {
        vec![
            ("slug", "dash"),
            ("title", "Letter on asylum at the border"),
            ("body", "Dear Minister,\n\nWe urge you to act."),
            ("addressees", "Minister of the Interior"),
            ("language", "en"),
            ("moderation", "manual"),
            ("list_order", "alphabetical"),
            ("paper", "letter"),
            ("retention_days", "90"),
            ("translation_title", "Carta sobre el asilo en la frontera"),
            ("translation_body", "Estimada Secretaria:"),
            ("addressee_emails", addresses),
            ("cover_note", "With our regards."),
            ("action", "save"),
        ]
    };
    let refused = browser
        .post(
            &edit_path,
            &fields("ministra@gobernacion.gob.mx\nnot an address"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"addressee_emails-error\""));
    assert!(
        refused.body.contains("not an address"),
        "the value typed is kept"
    );

    let saved = browser
        .post(
            &edit_path,
            &fields("ministra@gobernacion.gob.mx\n\n secretary@example.org \n"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let letter: Value = app
        .get(&format!("/api/v1/letters/{id}"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(letter["addressee_emails"], json!([MINISTER, SECRETARY]));
    assert_eq!(letter["cover_note"], "With our regards.");
}

db_test!(
    the_dashboard_edits_the_delivery_settings_and_says_what_delivering_will_send,
    |app| {
        let (token, id) = open_letter(&app, "dash", &[]).await;
        let confirmation = sign(
            &app,
            "dash",
            "Sin Fronteras",
            "ana@sinfronteras.org.mx",
            "en",
        )
        .await;
        follow(&app, &confirmation, "verify", "verifications").await;
        decide(&app, &token, id, "Sin Fronteras", "approve").await;
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let edit_path = format!("/admin/letters/{id}/edit");

        let form = browser.get(&edit_path).await;
        assert!(form.body.contains("name=\"addressee_emails\""));
        assert!(form.body.contains("Addressees' email addresses"));
        let form_es = browser.get(&format!("{edit_path}?lang=es")).await;
        assert!(form_es.body.contains("Correos de los destinatarios"));
        assert!(form_es.body.contains("Nota de presentación"));
        browser.get(&format!("{edit_path}?lang=en")).await;

        save_delivery_settings(&app, &browser, &token, id).await;

        set_status(&app, &token, id, "closed").await;
        let confirm = browser
            .get(&format!("/admin/letters/{id}/status?to=delivered"))
            .await;
        assert!(
            confirm.body.contains(
                "emails the PDF to 2 addressee addresses, and tells 1 approved signatories"
            ),
            "{}",
            confirm.body
        );
        let confirm_es = browser
            .get(&format!("/admin/letters/{id}/status?to=delivered&lang=es"))
            .await;
        assert!(confirm_es.body.contains("a 2 direcciones de destinatarios"));
        let before = app.delivered_emails().await.len();
        let delivered = browser
            .post(
                &format!("/admin/letters/{id}/status"),
                &[("to", "delivered"), ("confirmed", "yes")],
            )
            .await;
        assert_eq!(delivered.status, StatusCode::SEE_OTHER);
        assert_eq!(emails_after(&app, before).await.len(), 2);

        let history = browser
            .get(&format!("/admin/letters/{id}/audit?lang=en"))
            .await;
        assert!(
            history
                .body
                .contains("Delivery emails queued: 1 to the addressees, 1 notices to signatories"),
            "{}",
            history.body
        );
        let history_es = browser
            .get(&format!("/admin/letters/{id}/audit?lang=es"))
            .await;
        assert!(
            history_es
                .body
                .contains("Correos de la entrega en cola: 1 a los destinatarios")
        );
    }
);

db_test!(
    erasing_a_signer_removes_its_unsent_delivery_notice_and_its_copy,
    |app| {
        let (token, id) = open_letter(&app, "erase", &[]).await;
        let confirmation = sign(
            &app,
            "erase",
            "Sin Fronteras",
            "ana@sinfronteras.org.mx",
            "en",
        )
        .await;
        follow(&app, &confirmation, "verify", "verifications").await;
        decide(&app, &token, id, "Sin Fronteras", "approve").await;
        deliver(&app, &token, id).await;
        app.delivered_emails().await;
        assert_eq!(app.mail_files_holding("was delivered"), 1);

        let sid = signature_id(&app, &token, id, "Sin Fronteras").await;
        let erased = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/erase"),
                Some(&token),
                &json!({}),
            )
            .await;
        assert_eq!(erased.status(), StatusCode::OK);
        assert_eq!(app.mail_files_holding("was delivered"), 0);
        assert_eq!(app.mail_files_holding("ana@sinfronteras.org.mx"), 0);
    }
);

async fn delivery_emails_go_out_over_smtp_with_the_pdf_attached(backend: Backend) {
    let (port, inbox) = start_smtp_server(Recipients::Accepted).await;
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        settings.mail.from = "Coalition letters <letters@wola.org>".into();
    })
    .await;
    let (token, id) = open_letter(&app, "smtp", &[MINISTER, SECRETARY]).await;
    for (name, email) in [
        ("Sin Fronteras", "ana@sinfronteras.org.mx"),
        ("Fundar", "lu@fundar.org.mx"),
    ] {
        let added = app
            .post(
                &format!("/api/v1/letters/{id}/signatures"),
                Some(&token),
                &json!({ "name": name, "country": "MX", "contact_name": "Contact", "contact_email": email }),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }

    deliver(&app, &token, id).await;

    for _ in 0..200 {
        if inbox.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Anything sent twice would arrive meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 3, "one to the addressees, two notices");
    let letter = received
        .iter()
        .find(|r| !r.message.attachments.is_empty())
        .expect("the email to the addressees");
    assert_eq!(letter.recipients, [MINISTER, SECRETARY]);
    let frozen = frozen_pdf(&app, &token, id).await;
    assert_eq!(sha256(&letter.message.attachments[0].1), sha256(&frozen));
    let mut notified: Vec<&str> = received
        .iter()
        .filter(|r| r.message.attachments.is_empty())
        .map(|r| r.recipients[0].as_str())
        .collect();
    notified.sort_unstable();
    assert_eq!(notified, ["ana@sinfronteras.org.mx", "lu@fundar.org.mx"]);
    assert!(app.emails().is_empty(), "no .eml files when SMTP is set");
}

backend_test!(delivery_emails_go_out_over_smtp_with_the_pdf_attached);

/// An SMTP server that takes connections and never answers: a send through it hangs, as a
/// process killed mid-send leaves its emails.
async fn silent_smtp_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

/// Where the second process sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Smtp,
    Files,
}

/// Through the API of `base`: the letter (id 1) gets two addressee addresses and three
/// signatories, then is closed and delivered.
async fn deliver_with_three_signatories(base: &str, token: &str) {
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Value| {
        client
            .request(method, format!("{base}/api/v1/letters/1{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let patched = call(
        reqwest::Method::PATCH,
        "",
        json!({ "addressee_emails": [MINISTER, SECRETARY] }),
    )
    .await
    .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    for n in 0..3 {
        let added = call(
            reqwest::Method::POST,
            "/signatures",
            json!({ "name": format!("Org {n}"), "country": "MX", "contact_name": "Contact",
                    "contact_email": format!("c{n}@example.org") }),
        )
        .await
        .unwrap();
        assert_eq!(added.status(), StatusCode::CREATED);
    }
    for status in ["closed", "delivered"] {
        let changed = call(
            reqwest::Method::POST,
            "/status",
            json!({ "status": status }),
        )
        .await
        .unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
    }
}

/// The `.eml` files in a folder, parsed.
fn mail_files(dir: &std::path::Path) -> Vec<SentEmail> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .map(|p| SentEmail::parse(&std::fs::read(p).unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `signon serve` processes: the first queues the delivery emails and is killed while
/// its sends hang; the second, started on the same database, sends each of them once.
async fn restart_between_sending(backend: Backend, then: Then) {
    use crate::crash::{Place, claimed_unsent, open_letter, unsent};
    use std::time::Duration;
    let place = Place::new(backend).await;
    let silent = format!("smtp://127.0.0.1:{}", silent_smtp_server().await);
    let lease = ("SIGNON_OUTBOX_LEASE_SECS", "3");
    let mut first = place
        .start("mail", "first.log", &[("SIGNON_SMTP_URL", &silent), lease])
        .await;
    let db = signon::db::connect(&place.url).await.unwrap();
    let token = open_letter(&db, &first.base, "restart", 90).await;
    deliver_with_three_signatories(&first.base, &token).await;
    // The first process's worker takes the emails and hangs sending them; then it dies.
    for _ in 0..100 {
        if claimed_unsent(&db).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        claimed_unsent(&db).await > 0,
        "the first process was sending"
    );
    first.kill();
    assert_eq!(unsent(&db).await, 4, "nothing was sent before the kill");

    let (port, inbox) = start_smtp_server(Recipients::Accepted).await;
    let accepting = format!("smtp://127.0.0.1:{port}");
    let env: Vec<(&str, &str)> = match then {
        Then::Smtp => vec![("SIGNON_SMTP_URL", &accepting), lease],
        Then::Files => vec![lease],
    };
    let _second = place.start("mail", "second.log", &env).await;
    let sent = || -> Vec<SentEmail> {
        match then {
            Then::Smtp => inbox
                .lock()
                .unwrap()
                .iter()
                .map(|r| r.message.clone())
                .collect(),
            Then::Files => mail_files(&place.path("mail")),
        }
    };
    for _ in 0..300 {
        if sent().len() >= 4 && unsent(&db).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anything sent twice would arrive meanwhile.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = sent();
    assert_eq!(unsent(&db).await, 0);
    let mut recipients: Vec<String> = sent.iter().map(|e| e.to_all.join(",")).collect();
    recipients.sort_unstable();
    let addressees = format!("{MINISTER},{SECRETARY}");
    let expected = [
        "c0@example.org",
        "c1@example.org",
        "c2@example.org",
        &addressees,
    ];
    assert_eq!(recipients, expected, "every email exactly once");
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let frozen = entity::letter_snapshot::Entity::find()
        .filter(entity::letter_snapshot::Column::Format.eq("pdf"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let letter = sent.iter().find(|e| !e.attachments.is_empty()).unwrap();
    assert_eq!(sha256(&letter.attachments[0].1), frozen.sha256);
}

async fn a_restart_between_sending_sends_each_delivery_email_once_over_smtp(backend: Backend) {
    restart_between_sending(backend, Then::Smtp).await
}

async fn a_restart_between_sending_writes_each_delivery_email_once_as_a_file(backend: Backend) {
    restart_between_sending(backend, Then::Files).await
}

backend_test!(a_restart_between_sending_sends_each_delivery_email_once_over_smtp);
backend_test!(a_restart_between_sending_writes_each_delivery_email_once_as_a_file);
