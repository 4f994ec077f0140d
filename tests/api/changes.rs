//! A signer changing an entry they already confirmed: the email and the Confirm page show the
//! entry as it is and as it would be; under manual moderation a confirmed change waits for
//! the coordinators while the entry stays public as it was.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{SentEmail, TestApp, organization, organization_form};

const CONTACT: &str = "ana@sinfronteras.org.mx";

/// A letter with an approved entry "Sin Fronteras" (city Ciudad de México); its id and a
/// coordinator's token.
async fn letter_with_approved_entry(app: &TestApp, moderation: &str) -> (String, i64) {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "changes").await;
    let set = app
        .patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "moderation": moderation }),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    app.sign_and_confirm("changes", &organization("Sin Fronteras", CONTACT))
        .await;
    if moderation == "manual" {
        let sid = staff_list(app, &staff, id, "").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        decide(app, &staff, id, sid, "approve").await;
    }
    assert_eq!(public_names(app).await, ["Sin Fronteras"]);
    (staff, id)
}

async fn public_names(app: &TestApp) -> Vec<String> {
    let list: Value = app
        .get("/api/v1/public/letters/changes/signatories", None)
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn staff_list(app: &TestApp, staff: &str, id: i64, query: &str) -> Value {
    let response = app
        .get(
            &format!("/api/v1/letters/{id}/signatures{query}"),
            Some(staff),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn decide(app: &TestApp, staff: &str, id: i64, sid: i64, decision: &str) -> Value {
    let response = app
        .post(
            &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
            Some(staff),
            &json!({ "decision": decision, "reason": "checked with the signer" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Re-submits the public form for the contact with a new name, and returns the email it causes.
async fn resubmit(app: &TestApp, name: &str, lang: &str) -> SentEmail {
    let before = app.delivered_emails().await.len();
    let mut changed = organization(name, CONTACT);
    changed["city"] = json!("Tijuana");
    let response = app
        .post(
            &format!("/api/v1/public/letters/changes/signatures?lang={lang}"),
            None,
            &changed,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.delivered_emails().await.remove(before)
}

db_test!(
    a_change_to_a_confirmed_entry_is_shown_old_and_new_in_the_email_and_on_the_confirm_page,
    |app| {
        letter_with_approved_entry(&app, "auto").await;

        let email = resubmit(&app, "Hijacked Name", "es").await;

        assert!(
            email.subject.contains("Confirme un cambio"),
            "{}",
            email.subject
        );
        for body in [&email.text, &email.html] {
            for shown in [
                "Figura ahora",
                "Tras el cambio",
                "Sin Fronteras",
                "Hijacked Name",
                "Ciudad de México",
                "Tijuana",
            ] {
                assert!(body.contains(shown), "{shown} is not in the email: {body}");
            }
        }
        let token = email.token("verify");
        for (lang, words) in [
            (
                "en",
                ["Confirm the change", "Listed now", "After the change"],
            ),
            (
                "es",
                ["Confirmar el cambio", "Figura ahora", "Tras el cambio"],
            ),
        ] {
            let (status, page) = app
                .get_page(&format!("/verify/{token}?lang={lang}"), None)
                .await;
            assert_eq!(status, StatusCode::OK);
            for shown in words.iter().chain(&[
                "Sin Fronteras",
                "Hijacked Name",
                "Ciudad de México",
                "Tijuana",
            ]) {
                assert!(page.contains(shown), "{shown} is not on the {lang} page");
            }
        }
        assert_eq!(
            public_names(&app).await,
            ["Sin Fronteras"],
            "looking at the link changes nothing"
        );

        let confirmed = app
            .post_form(&format!("/verify/{token}?lang=en"), &[])
            .await;

        assert_eq!(confirmed.status(), StatusCode::OK);
        let page = confirmed.text().await.unwrap();
        assert!(
            page.contains("the letter now lists Hijacked Name"),
            "{page}"
        );
        assert_eq!(
            public_names(&app).await,
            ["Hijacked Name"],
            "under automatic moderation a confirmed change applies at once"
        );
    }
);

db_test!(
    under_manual_moderation_a_confirmed_change_waits_for_staff_while_the_entry_stays_as_it_was,
    |app| {
        let (staff, id) = letter_with_approved_entry(&app, "manual").await;
        app.sign_and_confirm(
            "changes",
            &organization("Casa del Migrante", "casa@example.org"),
        )
        .await;
        let casa = staff_list(&app, &staff, id, "?q=Casa").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        decide(&app, &staff, id, casa, "approve").await;

        let email = resubmit(&app, "Hijacked Name", "en").await;
        let answer = app
            .post(
                &format!("/api/v1/public/verifications/{}", email.token("verify")),
                None,
                &json!({}),
            )
            .await;

        assert_eq!(answer.status(), StatusCode::OK);
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["status"], "approved");
        assert_eq!(answer["signatory"], "Sin Fronteras");
        assert_eq!(answer["change_awaiting_review"], true);
        assert_eq!(
            public_names(&app).await,
            ["Casa del Migrante", "Sin Fronteras"],
            "the entry stays public as it was"
        );
        let waiting = staff_list(&app, &staff, id, "?changes=confirmed").await;
        assert_eq!(waiting["total"], 1, "{waiting}");
        let entry = &waiting["items"][0];
        assert_eq!(entry["name"], "Sin Fronteras");
        assert_eq!(entry["status"], "approved");
        assert_eq!(entry["changes_pending"], true);
        assert_eq!(entry["pending_changes"]["name"], "Hijacked Name");
        assert_eq!(entry["pending_changes"]["city"], "Tijuana");
        assert!(entry["pending_changes"]["confirmed_at"].is_string());
        let sid = entry["id"].as_i64().unwrap();

        let rejected = decide(&app, &staff, id, sid, "reject").await;

        assert_eq!(rejected["status"], "approved", "the entry itself stays");
        assert_eq!(rejected["name"], "Sin Fronteras");
        assert_eq!(rejected["pending_changes"], Value::Null);
        assert_eq!(
            public_names(&app).await,
            ["Casa del Migrante", "Sin Fronteras"]
        );
        assert_eq!(
            staff_list(&app, &staff, id, "?changes=confirmed").await["total"],
            0
        );

        let email = resubmit(&app, "Sin Fronteras A.C.", "en").await;
        let unconfirmed = staff_list(&app, &staff, id, "?changes=any").await;
        assert_eq!(unconfirmed["total"], 1);
        assert_eq!(
            unconfirmed["items"][0]["pending_changes"]["confirmed_at"],
            Value::Null,
            "staff see the text before the signer confirms it"
        );
        app.post(
            &format!("/api/v1/public/verifications/{}", email.token("verify")),
            None,
            &json!({}),
        )
        .await;
        assert_eq!(
            public_names(&app).await,
            ["Casa del Migrante", "Sin Fronteras"]
        );
        let approved = decide(&app, &staff, id, sid, "approve").await;

        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["name"], "Sin Fronteras A.C.");
        assert_eq!(approved["city"], "Tijuana");
        assert_eq!(approved["pending_changes"], Value::Null);
        assert_eq!(
            public_names(&app).await,
            ["Casa del Migrante", "Sin Fronteras A.C."]
        );
        let events: Value = app
            .get(&format!("/api/v1/letters/{id}/events"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for action in ["signature.change_rejected", "signature.change_approved"] {
            assert!(actions.contains(&action), "{action} is not in {actions:?}");
        }
    }
);

db_test!(
    under_manual_moderation_the_confirm_page_says_the_change_waits_for_review,
    |app| {
        letter_with_approved_entry(&app, "manual").await;
        let before = app.delivered_emails().await.len();
        let sent = app
            .post_form(
                "/l/changes/sign?lang=es",
                &organization_form("Hijacked Name", CONTACT),
            )
            .await;
        assert_eq!(sent.status(), StatusCode::OK);
        let email = app.delivered_emails().await.remove(before);
        let path = format!("/verify/{}?lang=es", email.token("verify"));
        let (_, question) = app.get_page(&path, None).await;
        assert!(question.contains("Hijacked Name") && question.contains("Sin Fronteras"));

        let done = app.post_form(&path, &[]).await;

        assert_eq!(done.status(), StatusCode::OK);
        let page = done.text().await.unwrap();
        assert!(
            page.contains("las organizaciones coordinadoras lo revisarán"),
            "{page}"
        );
        let (_, signatories) = app.get_page("/l/changes/signatories", None).await;
        assert!(signatories.contains("Sin Fronteras"));
        assert!(!signatories.contains("Hijacked Name"));
    }
);

db_test!(
    signing_again_after_withdrawing_drops_a_change_never_confirmed,
    |app| {
        letter_with_approved_entry(&app, "auto").await;
        let unconfirmed = resubmit(&app, "Hijacked Name", "en").await;
        let withdrawn = app
            .post(
                &format!(
                    "/api/v1/public/withdrawals/{}",
                    unconfirmed.token("withdraw")
                ),
                None,
                &json!({}),
            )
            .await;
        assert_eq!(withdrawn.status(), StatusCode::OK);

        app.sign_and_confirm("changes", &organization("Sin Fronteras", CONTACT))
            .await;

        assert_eq!(
            public_names(&app).await,
            ["Sin Fronteras"],
            "the new submission replaces the change left unconfirmed"
        );
    }
);
