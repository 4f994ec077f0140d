//! Personal invitations and bounded reminders: the link signs in one step and only once, an
//! invitee can decline or unsubscribe, reminders go once on the right day (an injected time,
//! never a sleep), and every bulk email carries a working `List-Unsubscribe`.

use chrono::{Duration, SubsecRound, Utc};
use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use signon::service::reminders;
use signon::service::signing::SigningContext;

use crate::helpers::{Backend, SentEmail, TestApp, organization, organization_form};

/// An editor's token and an open letter, with a deadline `deadline_days` from now if given.
async fn open_letter(app: &TestApp, slug: &str, deadline_days: Option<i64>) -> (String, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let mut body = json!({ "slug": slug, "title": "A letter", "body": "We ask you to act." });
    if let Some(days) = deadline_days {
        body["deadline"] = json!((Utc::now().trunc_subsecs(0) + Duration::days(days)).to_rfc3339());
    }
    let id = app.create_letter(&token, &body).await["id"]
        .as_i64()
        .unwrap();
    let opened = app
        .post(
            &format!("/api/v1/letters/{id}/status"),
            Some(&token),
            &json!({ "status": "open" }),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::OK);
    (token, id)
}

fn invitee(organization: &str, email: &str, language: &str) -> Value {
    json!({
        "organization": organization,
        "contact_name": format!("Contact of {organization}"),
        "contact_email": email,
        "language": language,
    })
}

async fn invite(app: &TestApp, token: &str, letter: i64, invitees: Value) -> Value {
    let response = app
        .post(
            &format!("/api/v1/letters/{letter}/invitations"),
            Some(token),
            &json!({ "invitations": invitees }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
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

fn context(app: &TestApp) -> SigningContext {
    SigningContext {
        keys: app.keys.clone(),
        base_url: url::Url::parse(&app.address).unwrap(),
        token_lifetime: Duration::days(7),
    }
}

/// The email sent to an address, the latest first.
fn email_to<'a>(emails: &'a [SentEmail], to: &str) -> Vec<&'a SentEmail> {
    emails.iter().rev().filter(|e| e.to == to).collect()
}

/// Signs as the organization `name` through the invitation link emailed to `to`; the answer's
/// status.
async fn sign_through_link(
    app: &TestApp,
    emails: &[SentEmail],
    name: &str,
    to: &str,
) -> StatusCode {
    let link = email_to(emails, to)[0].token("i");
    app.post_form(&format!("/i/{link}"), &organization_form(name, to))
        .await
        .status()
}

db_test!(an_invitation_link_signs_in_one_step_and_only_once, |app| {
    let (token, letter) = open_letter(&app, "invited", None).await;
    let report = invite(
        &app,
        &token,
        letter,
        json!([
            invitee("Sin Fronteras", "ana@sinfronteras.org.mx", "en"),
            invitee("Sin Fronteras again", "ANA@sinfronteras.org.mx", "en"),
        ]),
    )
    .await;
    assert_eq!(report["invited"].as_array().unwrap().len(), 1);
    assert_eq!(report["already_invited"], json!(["Sin Fronteras again"]));
    let again = invite(
        &app,
        &token,
        letter,
        json!([invitee("Same", "ana@sinfronteras.org.mx", "en")]),
    )
    .await;
    assert_eq!(
        again["invited"],
        json!([]),
        "an address is never invited twice"
    );

    let emails = app.delivered_emails().await;
    assert_eq!(emails.len(), 1, "one personal email");
    let email = &emails[0];
    assert_eq!(email.to, "ana@sinfronteras.org.mx");
    assert!(
        email.subject.contains("Invitation to sign"),
        "{}",
        email.subject
    );
    assert_eq!(
        app.mail_files_holding("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        1
    );
    assert_eq!(app.mail_files_holding("List-Unsubscribe: <http"), 1);
    let link = email.token("i");

    let (status, page) = app.get_page(&format!("/i/{link}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"Sin Fronteras\""),
        "organization filled in"
    );
    assert!(
        page.contains("value=\"ana@sinfronteras.org.mx\" readonly"),
        "email fixed"
    );
    assert_eq!(list(&app, &token, letter, "opened").await["total"], 1);

    // The email field is the invited one whatever the form posts.
    let form = organization_form("Sin Fronteras", "someone.else@example.org");
    let signed = app.post_form(&format!("/i/{link}"), &form).await;
    assert_eq!(signed.status(), StatusCode::OK);
    assert!(
        signed
            .text()
            .await
            .unwrap()
            .contains("now appears among the signatories")
    );
    let second = app.post_form(&format!("/i/{link}"), &form).await;
    assert_eq!(second.status(), StatusCode::OK);
    assert!(
        second
            .text()
            .await
            .unwrap()
            .contains("nothing was signed twice")
    );

    let emails = app.delivered_emails().await;
    assert_eq!(
        emails.len(),
        2,
        "no confirmation email: the invitation and the acknowledgement"
    );
    assert!(
        !emails[1].text.contains("/verify/"),
        "the acknowledgement asks for no confirmation"
    );
    let signatures: Value = app
        .get(
            &format!("/api/v1/letters/{letter}/signatures"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signatures["total"], 1, "signed once");
    assert_eq!(signatures["items"][0]["status"], "approved");
    assert_eq!(
        signatures["items"][0]["contact_email"],
        "ana@sinfronteras.org.mx"
    );
    let signed_list = list(&app, &token, letter, "signed").await;
    assert_eq!(signed_list["total"], 1);
    assert_eq!(signed_list["items"][0]["state"], "signed");
    assert_eq!(list(&app, &token, letter, "unanswered").await["total"], 0);

    for path in [
        "/l/invited",
        "/l/invited/signatories",
        &format!("/i/{link}"),
    ] {
        let (_, public) = app.get_page(path, None).await;
        for private in ["ana@sinfronteras.org.mx", "Contact of Sin Fronteras"] {
            assert!(
                !public.contains(private) || path.starts_with("/i/") && private.starts_with("ana"),
                "{private} on {path}"
            );
        }
    }
    let (_, signatories) = app.get_page("/l/invited/signatories", None).await;
    assert!(signatories.contains("Sin Fronteras"));
});

db_test!(
    declined_and_unsubscribed_invitees_get_no_reminder_and_it_goes_once_on_its_day,
    |app| {
        let (token, letter) = open_letter(&app, "remind", Some(10)).await;
        let set = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/letters/{letter}/reminders"),
                Some(&token),
                Some(&json!({ "invitation_reminder_days_before_deadline": 3 })),
            )
            .await;
        assert_eq!(set.status(), StatusCode::OK);
        let shown: Value = app
            .get(&format!("/api/v1/letters/{letter}"), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(shown["invitation_reminder_days_before_deadline"], 3);
        assert_eq!(
            shown["confirmation_reminder_days"],
            Value::Null,
            "off by default"
        );
        invite(
            &app,
            &token,
            letter,
            json!([
                invitee("Declines", "no@declines.org", "en"),
                invitee("Unsubscribes", "stop@unsub.org", "en"),
                invitee("Silent", "quiet@silent.org", "en"),
            ]),
        )
        .await;
        let emails = app.delivered_emails().await;
        assert_eq!(emails.len(), 3);

        let decline = email_to(&emails, "no@declines.org")[0]
            .link("i")
            .replace("?lang", "/decline?lang");
        let decline_path = decline.trim_start_matches(&app.address).to_owned();
        let (status, asked) = app.get_page(&decline_path, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(asked.contains("Decline"));
        assert_eq!(
            list(&app, &token, letter, "declined").await["total"],
            0,
            "a GET changes nothing"
        );
        let declined = app.post_form(&decline_path, &[]).await;
        assert_eq!(declined.status(), StatusCode::OK);
        assert_eq!(list(&app, &token, letter, "declined").await["total"], 1);

        let unsubscribe = email_to(&emails, "stop@unsub.org")[0].link("unsubscribe");
        let unsubscribe_path = unsubscribe.trim_start_matches(&app.address).to_owned();
        let one_click = app
            .post_form(&unsubscribe_path, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert_eq!(one_click.status(), StatusCode::OK);

        let ctx = context(&app);
        let now = Utc::now();
        let early = reminders::send_due(&app.db, &ctx, now + Duration::days(6))
            .await
            .unwrap();
        assert_eq!(early.invitations, 0, "not before its day");
        let due = reminders::send_due(&app.db, &ctx, now + Duration::days(7) + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(due.invitations, 1, "only the silent invitee");
        let again = reminders::send_due(&app.db, &ctx, now + Duration::days(8))
            .await
            .unwrap();
        assert_eq!(again.invitations, 0, "once");

        let emails = app.delivered_emails().await;
        assert_eq!(emails.len(), 4);
        let reminder = email_to(&emails, "quiet@silent.org")[0];
        assert!(
            reminder.subject.starts_with("Reminder"),
            "{}",
            reminder.subject
        );
        assert_eq!(
            app.mail_files_holding("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            4
        );
        assert_eq!(email_to(&emails, "no@declines.org").len(), 1);
        assert_eq!(email_to(&emails, "stop@unsub.org").len(), 1);
        let silent = list(&app, &token, letter, "unanswered").await;
        assert_eq!(
            silent["total"], 2,
            "the unsubscribed and the silent have not answered"
        );
    }
);

db_test!(a_spanish_invitation_is_in_spanish, |app| {
    let (token, letter) = open_letter(&app, "carta", None).await;
    invite(
        &app,
        &token,
        letter,
        json!([invitee("Casa Refugio", "luz@casarefugio.mx", "es")]),
    )
    .await;
    let email = app.delivered_emails().await.remove(0);
    assert!(
        email.subject.starts_with("Invitación a firmar"),
        "{}",
        email.subject
    );
    assert!(email.text.contains("Hola, Contact of Casa Refugio:"));
    assert!(email.text.contains("Darse de baja") || email.html.contains("Darse de baja"));
    let (status, page) = app
        .get_page(&format!("/i/{}", email.token("i")), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("lang=\"es\""));
    assert!(page.contains("Su invitación confirma su correo"));
});

db_test!(
    an_unconfirmed_signer_gets_one_reminder_after_the_set_days,
    |app| {
        let (token, letter) = open_letter(&app, "confirm-please", None).await;
        let set = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/letters/{letter}/reminders"),
                Some(&token),
                Some(&json!({ "confirmation_reminder_days": 2 })),
            )
            .await;
        assert_eq!(set.status(), StatusCode::OK);
        let signed = app
            .sign(
                "confirm-please",
                &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
            )
            .await;
        assert_eq!(signed.status(), StatusCode::ACCEPTED);
        assert_eq!(app.delivered_emails().await.len(), 1);

        let ctx = context(&app);
        let now = Utc::now();
        assert_eq!(
            reminders::send_due(&app.db, &ctx, now + Duration::days(1))
                .await
                .unwrap()
                .signers,
            0
        );
        let due = now + Duration::days(2) + Duration::hours(1);
        assert_eq!(
            reminders::send_due(&app.db, &ctx, due)
                .await
                .unwrap()
                .signers,
            1
        );
        assert_eq!(
            reminders::send_due(&app.db, &ctx, due + Duration::days(3))
                .await
                .unwrap()
                .signers,
            0
        );

        let emails = app.delivered_emails().await;
        assert_eq!(emails.len(), 2, "one reminder");
        let reminder = &emails[1];
        assert!(
            reminder.subject.starts_with("Reminder: confirm"),
            "{}",
            reminder.subject
        );
        assert_eq!(
            app.mail_files_holding("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            1
        );
        let confirmed = app
            .post(
                &format!("/api/v1/public/verifications/{}", reminder.token("verify")),
                None,
                &json!({}),
            )
            .await;
        assert_eq!(
            confirmed.status(),
            StatusCode::OK,
            "the reminder's link confirms"
        );
        let unsubscribe = reminder.link("unsubscribe");
        let (status, _) = app
            .get_page(unsubscribe.trim_start_matches(&app.address), None)
            .await;
        assert_eq!(status, StatusCode::OK, "the unsubscribe page works");
    }
);

async fn an_invitation_goes_out_over_smtp_and_signs(backend: Backend) {
    let (port, inbox) = crate::smtp::start_smtp_server(crate::smtp::Recipients::Accepted).await;
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let (token, letter) = open_letter(&app, "by-smtp", None).await;
    invite(
        &app,
        &token,
        letter,
        json!([invitee("Sin Fronteras", "ana@sinfronteras.org.mx", "en")]),
    )
    .await;
    let mut received = None;
    for _ in 0..200 {
        if let Some(first) = inbox.lock().unwrap().first().cloned() {
            received = Some(first);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let received = received.expect("the SMTP server received the invitation");
    assert_eq!(received.recipients, ["ana@sinfronteras.org.mx"]);
    let link = received.message.token("i");
    let signed = app
        .post_form(
            &format!("/i/{link}"),
            &organization_form("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;
    assert_eq!(signed.status(), StatusCode::OK);
    assert_eq!(list(&app, &token, letter, "signed").await["total"], 1);
}

backend_test!(an_invitation_goes_out_over_smtp_and_signs);

db_test!(only_editors_invite_and_bad_entries_are_named, |app| {
    let (token, letter) = open_letter(&app, "rules", None).await;
    let bad = app
        .post(
            &format!("/api/v1/letters/{letter}/invitations"),
            Some(&token),
            &json!({ "invitations": [invitee("", "not-an-email", "fr")] }),
        )
        .await;
    let body =
        crate::helpers::assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            .await;
    for field in ["organization", "contact_email", "language"] {
        assert!(
            body["fields"][format!("invitations[0].{field}")].is_string(),
            "{body}"
        );
    }
    let viewer = app
        .staff_token("viewer@wola.org", "WOLA", Role::Viewer)
        .await;
    let refused = app
        .post(
            &format!("/api/v1/letters/{letter}/invitations"),
            Some(&viewer),
            &json!({ "invitations": [invitee("X", "x@x.org", "en")] }),
        )
        .await;
    crate::helpers::assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, _) = app.get_page("/i/not-a-real-token", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

db_test!(
    a_coordinator_invites_from_a_csv_and_sees_who_has_not_answered_in_the_dashboard,
    |app| {
        let (_, letter) = open_letter(&app, "dashboard", Some(20)).await;
        let browser = crate::helpers::Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let path = format!("/admin/letters/{letter}/invitations");
        let empty = browser.get(&path).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert!(empty.body.contains("Invite organizations"));

        let mut csv = String::from("organization,contact_name,contact_email,language\n");
        for n in 1..=20 {
            let language = if n % 2 == 0 { "es" } else { "en" };
            csv.push_str(&format!(
                "Org {n},Person {n},person{n}@org{n}.org,{language}\n"
            ));
        }
        let action = crate::admin_import::upload_action(&empty.body);
        let uploaded = browser
            .upload(&action, "file", "invitees.csv", csv.as_bytes())
            .await;
        assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
        let listed = browser.get(&path).await;
        assert!(
            listed.body.contains("Invitations sent: 20."),
            "{}",
            listed.body
        );
        assert!(listed.body.contains("person7@org7.org"));
        let emails = app.delivered_emails().await;
        assert_eq!(emails.len(), 20);
        assert_eq!(
            emails
                .iter()
                .filter(|e| e.subject.starts_with("Invitación"))
                .count(),
            10
        );

        // One signs through its link; one more is typed, and a bad line is refused with nothing sent.
        assert_eq!(
            sign_through_link(&app, &emails, "Org 3", "person3@org3.org").await,
            StatusCode::OK
        );
        let refused = browser
            .post(
                &path,
                &[(
                    "lines",
                    "Casa Refugio, Luz, luz@casarefugio.mx, es\nBroken line, nobody, not-an-email",
                )],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("line 2: contact_email"),
            "{}",
            refused.body
        );
        let typed = browser
            .post(
                &path,
                &[("lines", "Casa Refugio, Luz, luz@casarefugio.mx, es")],
            )
            .await;
        assert_eq!(typed.status, StatusCode::SEE_OTHER);

        let unanswered = browser.get(&format!("{path}?state=unanswered")).await;
        assert!(
            unanswered.body.contains("20 invitations"),
            "{}",
            unanswered.body
        );
        assert!(!unanswered.body.contains("person3@org3.org"));
        let signed_only = browser.get(&format!("{path}?state=signed")).await;
        assert!(signed_only.body.contains("person3@org3.org"));

        let saved = browser
            .post(
                &format!("{path}/reminders"),
                &[
                    ("invitation_reminder_days_before_deadline", "5"),
                    ("confirmation_reminder_days", ""),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let settings = browser.get(&path).await;
        assert!(
            settings
                .body
                .contains("name=\"invitation_reminder_days_before_deadline\" value=\"5\""),
            "{}",
            settings.body
        );
        let history = browser.get(&format!("/admin/letters/{letter}/audit")).await;
        assert!(history.body.contains("invited “Org 1”"), "{}", history.body);
        assert!(
            history
                .body
                .contains("“Org 3” signed through a personal invitation")
        );
        let spanish = browser.get(&format!("{path}?lang=es")).await;
        assert!(spanish.body.contains("Invitar organizaciones"));
    }
);

db_test!(
    erasing_a_contact_and_the_end_of_retention_forget_invitations,
    |app| {
        let (token, letter) = open_letter(&app, "forget", None).await;
        invite(
            &app,
            &token,
            letter,
            json!([
                invitee("Signs", "signs@org.org", "en"),
                invitee("Silent", "silent@org.org", "en"),
            ]),
        )
        .await;
        let emails = app.delivered_emails().await;
        assert_eq!(
            sign_through_link(&app, &emails, "Signs", "signs@org.org").await,
            StatusCode::OK
        );
        let signature = list(&app, &token, letter, "signed").await["items"][0]["signature_id"]
            .as_i64()
            .unwrap();
        assert!(app.mail_files_holding("signs@org.org") > 0);
        let erased = app
            .post(
                &format!("/api/v1/letters/{letter}/signatures/{signature}/erase"),
                Some(&token),
                &json!({}),
            )
            .await;
        assert_eq!(erased.status(), StatusCode::OK);
        let left = list(&app, &token, letter, "unanswered").await;
        assert_eq!(left["total"], 1);
        let all: Value = app
            .get(
                &format!("/api/v1/letters/{letter}/invitations"),
                Some(&token),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(all["total"], 1, "the erased contact's invitation is gone");
        assert_eq!(
            app.mail_files_holding("signs@org.org"),
            0,
            "no copy of an email to the erased contact is left"
        );
        assert!(app.mail_files_holding("silent@org.org") > 0);

        for status in ["closed", "delivered"] {
            let moved = app
                .post(
                    &format!("/api/v1/letters/{letter}/status"),
                    Some(&token),
                    &json!({ "status": status }),
                )
                .await;
            assert_eq!(moved.status(), StatusCode::OK);
        }
        let copies = signon::service::outbox::MailCopies::in_folder(app.mail_dir.clone());
        signon::service::retention::erase_expired(
            &app.db,
            &copies,
            Utc::now() + Duration::days(91),
        )
        .await
        .unwrap();
        let all: Value = app
            .get(
                &format!("/api/v1/letters/{letter}/invitations"),
                Some(&token),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(all["total"], 0, "retention forgets the rest");
        assert_eq!(
            app.mail_files_holding("silent@org.org"),
            0,
            "nor the copies of their invitations"
        );
    }
);

async fn an_invitation_the_outbox_gives_up_on_is_bounced(backend: Backend) {
    // Nothing listens on this port: every attempt fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(backend, |settings| {
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let (token, letter) = open_letter(&app, "bounces", None).await;
    invite(
        &app,
        &token,
        letter,
        json!([invitee("Gone", "gone@nowhere.org", "en")]),
    )
    .await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut failed = false;
    for _ in 0..200 {
        let rows = entity::outbox::Entity::find().all(&app.db).await.unwrap();
        if rows.iter().any(|r| r.attempts >= 1) {
            failed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(failed, "the first attempt failed");
    assert_eq!(
        list(&app, &token, letter, "bounced").await["total"],
        0,
        "a retry is still due"
    );
    // The worker's last retry failed too (the backoff makes the real wait hours long).
    entity::outbox::Entity::update_many()
        .col_expr(
            entity::outbox::Column::Attempts,
            sea_orm::sea_query::Expr::value(signon::mail::MAX_ATTEMPTS),
        )
        .filter(entity::outbox::Column::SentAt.is_null())
        .exec(&app.db)
        .await
        .unwrap();
    let bounced = list(&app, &token, letter, "bounced").await;
    assert_eq!(bounced["total"], 1);
    assert_eq!(bounced["items"][0]["state"], "bounced");
    assert_eq!(list(&app, &token, letter, "sent").await["total"], 0);
    assert_eq!(list(&app, &token, letter, "unanswered").await["total"], 1);
    assert_eq!(
        remind_now(&app, &token, letter).await,
        0,
        "a bounced address gets no reminder"
    );
}

backend_test!(an_invitation_the_outbox_gives_up_on_is_bounced);

async fn remind_request(app: &TestApp, token: &str, letter: i64) -> reqwest::Response {
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/letters/{letter}/invitations/reminders"),
        Some(token),
        None,
    )
    .await
}

/// Sends the invitees' reminder through the API; returns how many were queued.
async fn remind_now(app: &TestApp, token: &str, letter: i64) -> Value {
    let response = remind_request(app, token, letter).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["queued"].clone()
}

/// How many events of the letter's audit trail have this action.
async fn events_named(app: &TestApp, token: &str, letter: i64, action: &str) -> usize {
    let events: Value = app
        .get(&format!("/api/v1/letters/{letter}/events"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .count()
}

fn is_reminder(email: &SentEmail) -> bool {
    email.subject.starts_with("Reminder") || email.subject.starts_with("Recordatorio")
}

/// The silent two of [`five_invitees_three_answer`] got one reminder each, in their language
/// and with their personal link; those who answered got none.
async fn reminders_went_to_the_two_silent(app: &TestApp) {
    let emails = app.delivered_emails().await;
    let reminders: Vec<&SentEmail> = emails.iter().filter(|e| is_reminder(e)).collect();
    assert_eq!(reminders.len(), 2, "two reminders");
    let english = email_to(&emails, "quiet@silent.org");
    assert_eq!(english.len(), 2);
    assert!(english[0].subject.starts_with("Reminder: will Silent sign"));
    let spanish = email_to(&emails, "calla@callada.mx");
    assert_eq!(spanish.len(), 2);
    assert!(
        spanish[0]
            .subject
            .starts_with("Recordatorio: ¿firmará Callada"),
        "{}",
        spanish[0].subject
    );
    assert_eq!(
        spanish[0].token("i"),
        spanish[1].token("i"),
        "the same personal link"
    );
    for answered in ["yes@signs.org", "no@declines.org", "stop@unsub.org"] {
        let got = email_to(&emails, answered);
        assert!(!got.iter().any(|e| is_reminder(e)), "{answered}");
    }
}

/// Once the letter is closed, the reminder is refused with a conflict.
async fn a_closed_letter_sends_no_reminder(app: &TestApp, token: &str, letter: i64) {
    let closed = app
        .post(
            &format!("/api/v1/letters/{letter}/status"),
            Some(token),
            &json!({ "status": "closed" }),
        )
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let refused = remind_request(app, token, letter).await;
    crate::helpers::assert_error(refused, StatusCode::CONFLICT, "conflict").await;
}

/// Five invitees: one signs through its link, one declines, one unsubscribes, two stay silent
/// (one English, one Spanish). Returns the emails sent so far.
async fn five_invitees_three_answer(app: &TestApp, token: &str, letter: i64) -> Vec<SentEmail> {
    invite(
        app,
        token,
        letter,
        json!([
            invitee("Signs", "yes@signs.org", "es"),
            invitee("Declines", "no@declines.org", "en"),
            invitee("Unsubscribes", "stop@unsub.org", "en"),
            invitee("Silent", "quiet@silent.org", "en"),
            invitee("Callada", "calla@callada.mx", "es"),
        ]),
    )
    .await;
    let emails = app.delivered_emails().await;
    assert_eq!(
        sign_through_link(app, &emails, "Signs", "yes@signs.org").await,
        StatusCode::OK
    );
    let decline = email_to(&emails, "no@declines.org")[0]
        .link("i")
        .replace("?lang", "/decline?lang");
    let declined = app
        .post_form(decline.trim_start_matches(&app.address), &[])
        .await;
    assert_eq!(declined.status(), StatusCode::OK);
    let unsubscribe = email_to(&emails, "stop@unsub.org")[0].link("unsubscribe");
    let stopped = app
        .post_form(
            unsubscribe.trim_start_matches(&app.address),
            &[("List-Unsubscribe", "One-Click")],
        )
        .await;
    assert_eq!(stopped.status(), StatusCode::OK);
    emails
}

db_test!(
    the_reminder_sent_by_hand_goes_once_to_each_invitee_who_has_not_answered_in_their_language,
    |app| {
        let (token, letter) = open_letter(&app, "remind-now", Some(10)).await;
        let set = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/letters/{letter}/reminders"),
                Some(&token),
                Some(&json!({ "invitation_reminder_days_before_deadline": 3 })),
            )
            .await;
        assert_eq!(set.status(), StatusCode::OK);
        five_invitees_three_answer(&app, &token, letter).await;
        let viewer = app
            .staff_token("viewer@wola.org", "WOLA", Role::Viewer)
            .await;
        let refused = remind_request(&app, &viewer, letter).await;
        crate::helpers::assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;

        assert_eq!(remind_now(&app, &token, letter).await, 2);
        reminders_went_to_the_two_silent(&app).await;
        let silent = list(&app, &token, letter, "unanswered").await;
        let reminded = silent["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["reminded_at"].is_string())
            .count();
        assert_eq!(reminded, 2);

        assert_eq!(remind_now(&app, &token, letter).await, 0, "never twice");
        let due = Utc::now() + Duration::days(7) + Duration::hours(1);
        let later = reminders::send_due(&app.db, &context(&app), due)
            .await
            .unwrap();
        assert_eq!(later.invitations, 0, "the automatic one is the same one");
        reminders_went_to_the_two_silent(&app).await;
        let recorded = events_named(&app, &token, letter, "letter.invitees_reminded").await;
        assert_eq!(recorded, 1, "one audit event for the press that sent");
    }
);

db_test!(
    a_coordinator_presses_remind_and_confirms_on_the_invitations_tab,
    |app| {
        let (token, letter) = open_letter(&app, "remind-button", None).await;
        five_invitees_three_answer(&app, &token, letter).await;
        let before = app.delivered_emails().await.len();
        let browser = crate::helpers::Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let path = format!("/admin/letters/{letter}/invitations");
        let tab = browser.get(&path).await;
        assert!(
            tab.body
                .contains("Remind the 2 invitees who have not answered…"),
            "{}",
            tab.body
        );
        let asked = browser.get(&format!("{path}/remind?lang=es")).await;
        assert_eq!(asked.status, StatusCode::OK);
        assert!(
            asked
                .body
                .contains("¿Enviar un recordatorio a 2 organizaciones invitadas?"),
            "{}",
            asked.body
        );
        let english = browser.get(&format!("{path}/remind?lang=en")).await;
        assert!(english.body.contains("Send a reminder to 2 invitees?"));
        let unconfirmed = browser.post(&format!("{path}/remind"), &[]).await;
        assert_eq!(unconfirmed.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.delivered_emails().await.len(),
            before,
            "nothing without a yes"
        );
        let sent = browser
            .post(&format!("{path}/remind"), &[("confirmed", "yes")])
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        let after = browser.get(&path).await;
        assert!(after.body.contains("Reminders sent: 2."), "{}", after.body);
        assert!(after.body.contains("Nobody is left to remind"));
        reminders_went_to_the_two_silent(&app).await;
        let history = browser.get(&format!("/admin/letters/{letter}/audit")).await;
        assert!(
            history
                .body
                .contains("sent a reminder to 2 invitees who had not answered"),
            "{}",
            history.body
        );
        a_closed_letter_sends_no_reminder(&app, &token, letter).await;
    }
);
