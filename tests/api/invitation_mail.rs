//! What happens to the email around an invitation: a receiving server that refuses the address
//! for good (an SMTP 550) bounces the invitation at once, and a signer who signed through an
//! invitation (no confirmation email) is sent a way to withdraw.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Browser, SentEmail, TestApp, organization_form};
use crate::smtp::{Recipients, start_smtp_server};

/// An editor's token and an open letter of WOLA.
async fn open_letter(app: &TestApp, slug: &str) -> (String, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&token, slug).await;
    (token, id)
}

async fn invite(app: &TestApp, token: &str, letter: i64, invitees: &[(&str, &str, &str)]) {
    let invitations: Vec<Value> = invitees
        .iter()
        .map(|(organization, email, language)| {
            json!({ "organization": organization, "contact_name": format!("Contact of {organization}"),
                    "contact_email": email, "language": language })
        })
        .collect();
    let response = app
        .post(
            &format!("/api/v1/letters/{letter}/invitations"),
            Some(token),
            &json!({ "invitations": invitations }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn list(app: &TestApp, token: &str, letter: i64, state: &str) -> Value {
    let response = app
        .get(
            &format!("/api/v1/letters/{letter}/invitations?state={state}"),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn a_mailbox_the_server_refuses_for_good_bounces_the_invitation_at_once(backend: Backend) {
    let (port, inbox) = start_smtp_server(Recipients::RefusedIf("gone@")).await;
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let (token, letter) = open_letter(&app, "bounces-at-once").await;
    invite(
        &app,
        &token,
        letter,
        &[
            ("Gone Collective", "gone@nowhere.org", "en"),
            ("Sin Fronteras", "ana@sinfronteras.org.mx", "en"),
        ],
    )
    .await;

    // However slow the worker, the check waits for both attempts to be recorded.
    let mut bounced = Value::Null;
    for _ in 0..200 {
        bounced = list(&app, &token, letter, "bounced").await;
        if bounced["total"] == 1 && !inbox.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        bounced["total"], 1,
        "the refused invitation bounced: {bounced}"
    );
    assert_eq!(bounced["items"][0]["organization"], "Gone Collective");
    assert_eq!(bounced["items"][0]["state"], "bounced");
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "the other invitation went out");
    assert_eq!(received[0].recipients, ["ana@sinfronteras.org.mx"]);
    assert_eq!(list(&app, &token, letter, "sent").await["total"], 1);

    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let refused = entity::outbox::Entity::find()
        .filter(entity::outbox::Column::SentAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].attempts, 1, "tried once");
    assert!(refused[0].failed_at.is_some(), "and never again");
    assert!(
        refused[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("permanent") && e.contains("550")),
        "{:?}",
        refused[0].last_error
    );

    let browser = Browser::new(&app);
    browser.sign_in("coord@wola.org").await;
    let page = browser
        .get(&format!(
            "/admin/letters/{letter}/invitations?state=bounced"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Gone Collective"), "{}", page.body);
    assert!(
        !page.body.contains(">Sin Fronteras<"),
        "only the bounced one"
    );
}

backend_test!(a_mailbox_the_server_refuses_for_good_bounces_the_invitation_at_once);

async fn a_mailbox_refused_for_now_is_tried_again_and_not_bounced(backend: Backend) {
    let (port, inbox) = start_smtp_server(Recipients::RefusedForNow).await;
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let (token, letter) = open_letter(&app, "busy-mailbox").await;
    invite(
        &app,
        &token,
        letter,
        &[("Busy Network", "busy@full.org", "en")],
    )
    .await;

    use sea_orm::EntityTrait;
    let mut tried = Vec::new();
    for _ in 0..200 {
        tried = entity::outbox::Entity::find().all(&app.db).await.unwrap();
        if tried.iter().any(|r| r.attempts >= 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(tried.len(), 1);
    let email = &tried[0];
    assert_eq!(email.attempts, 1, "the first attempt was refused");
    assert!(email.failed_at.is_none(), "a 450 is not a refusal for good");
    assert!(email.sent_at.is_none());
    assert!(
        email.next_attempt_at > chrono::Utc::now(),
        "it is tried again later"
    );
    assert!(
        email
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("temporary") && e.contains("450")),
        "{:?}",
        email.last_error
    );
    assert!(inbox.lock().unwrap().is_empty());
    assert_eq!(list(&app, &token, letter, "bounced").await["total"], 0);
    assert_eq!(list(&app, &token, letter, "sent").await["total"], 1);
}

backend_test!(a_mailbox_refused_for_now_is_tried_again_and_not_bounced);

/// The invitation email sent to `to`.
fn invitation_to<'a>(emails: &'a [SentEmail], to: &str) -> &'a SentEmail {
    emails
        .iter()
        .find(|e| e.to == to && e.text.contains("/i/"))
        .unwrap_or_else(|| panic!("no invitation to {to}"))
}

db_test!(
    a_signer_through_an_invitation_gets_a_link_that_withdraws,
    |app| {
        let (token, letter) = open_letter(&app, "acknowledged").await;
        invite(
            &app,
            &token,
            letter,
            &[
                ("Sin Fronteras", "ana@sinfronteras.org.mx", "en"),
                ("Casa Refugio", "luz@casarefugio.mx", "es"),
            ],
        )
        .await;
        let invitations = app.delivered_emails().await;
        for (name, email) in [
            ("Sin Fronteras", "ana@sinfronteras.org.mx"),
            ("Casa Refugio", "luz@casarefugio.mx"),
        ] {
            let link = invitation_to(&invitations, email).token("i");
            let signed = app
                .post_form(&format!("/i/{link}"), &organization_form(name, email))
                .await;
            assert_eq!(signed.status(), StatusCode::OK);
        }

        let emails = app.delivered_emails().await;
        assert_eq!(emails.len(), 4, "two invitations, two acknowledgements");
        let english = &emails[2];
        assert_eq!(english.to, "ana@sinfronteras.org.mx");
        assert_eq!(english.subject, "Signature received: A letter");
        assert!(english.text.contains("Sin Fronteras signed the letter"));
        assert!(!english.text.contains("/verify/"), "nothing to confirm");
        let spanish = &emails[3];
        assert_eq!(spanish.to, "luz@casarefugio.mx");
        assert_eq!(spanish.subject, "Firma recibida: A letter");
        assert!(spanish.text.contains("Para retirar la firma"));
        assert!(spanish.link("withdraw").ends_with("?lang=es"));

        let (status, page) = app
            .get_page(&format!("/withdraw/{}", english.token("withdraw")), None)
            .await;
        assert_eq!(status, StatusCode::OK, "a GET only asks");
        assert!(page.contains("Sin Fronteras"));
        let withdrawn = app
            .post(
                &format!("/api/v1/public/withdrawals/{}", english.token("withdraw")),
                None,
                &json!({}),
            )
            .await;
        assert_eq!(withdrawn.status(), StatusCode::OK);
        let signatures: Value = app
            .get(
                &format!("/api/v1/letters/{letter}/signatures?status=withdrawn"),
                Some(&token),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(signatures["total"], 1);
        assert_eq!(signatures["items"][0]["name"], "Sin Fronteras");
        let (_, list) = app.get_page("/l/acknowledged/signatories", None).await;
        assert!(!list.contains("Sin Fronteras"), "no longer listed");
        assert!(list.contains("Casa Refugio"));
    }
);
