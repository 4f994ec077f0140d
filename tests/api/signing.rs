//! Signing through the public API: confirmation by email, the same signer signing again,
//! withdrawal, deadlines, and what never leaks.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_error, organization};

/// The private values of `organization()`, which must never appear on anything public.
const PRIVATE: [&str; 4] = [
    "ana@sinfronteras.org.mx",
    "Ana Pérez Contacto",
    "+52 55 5514 1521",
    "Private note for the coordinators",
];

async fn public_names(app: &TestApp, slug: &str) -> Vec<String> {
    let list: Value = app
        .get(&format!("/api/v1/public/letters/{slug}/signatories"), None)
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

db_test!(a_signature_is_public_once_its_contact_confirms, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "mpp").await;

    let response = app
        .sign(
            "mpp",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "pending_verification" })
    );
    assert!(
        public_names(&app, "mpp").await.is_empty(),
        "not public before confirmation"
    );
    let email = app.wait_for_emails(1).await.remove(0);
    assert_eq!(email.to, "ana@sinfronteras.org.mx");
    assert!(email.subject.contains("A letter"), "{}", email.subject);
    assert!(email.text.contains("Sin Fronteras"));
    assert!(!email.html.is_empty());
    let confirmed = app
        .post(
            &format!("/api/v1/public/verifications/{}", email.token("verify")),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(
        confirmed.json::<Value>().await.unwrap()["status"],
        "approved"
    );
    assert_eq!(public_names(&app, "mpp").await, ["Sin Fronteras"]);
    let letter: Value = app
        .get("/api/v1/public/letters/mpp", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(letter["approved_count"], 1);
});

db_test!(
    with_manual_moderation_a_confirmed_signature_waits_for_a_coordinator,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "moderated").await;
        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "moderation": "manual" }),
        )
        .await;
        app.sign(
            "moderated",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;
        let token = app.wait_for_emails(1).await[0].token("verify");

        let confirmed: Value = app
            .post(
                &format!("/api/v1/public/verifications/{token}"),
                None,
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();

        assert_eq!(confirmed["status"], "verified");
        assert!(public_names(&app, "moderated").await.is_empty());
        let queue: Value = app
            .get(
                &format!("/api/v1/letters/{id}/signatures?status=verified"),
                Some(&staff),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(queue["total"], 1);
        let sid = queue["items"][0]["id"].as_i64().unwrap();
        let approved = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
                Some(&staff),
                &json!({ "decision": "approve", "reason": "Known partner" }),
            )
            .await;
        assert_eq!(approved.status(), StatusCode::OK);
        assert_eq!(public_names(&app, "moderated").await, ["Sin Fronteras"]);
    }
);

db_test!(a_used_verification_token_is_refused_with_410, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "once").await;
    app.sign(
        "once",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let token = app.wait_for_emails(1).await[0].token("verify");
    let path = format!("/api/v1/public/verifications/{token}");
    assert_eq!(
        app.post(&path, None, &json!({})).await.status(),
        StatusCode::OK
    );

    assert_error(
        app.post(&path, None, &json!({})).await,
        StatusCode::GONE,
        "gone",
    )
    .await;
    assert_error(
        app.post(
            "/api/v1/public/verifications/not-a-real-token",
            None,
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
});

async fn an_expired_verification_token_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.token_lifetime = chrono::Duration::seconds(1);
    })
    .await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "expiring").await;
    app.sign(
        "expiring",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let token = app.wait_for_emails(1).await[0].token("verify");

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let body = assert_error(
        app.post(
            &format!("/api/v1/public/verifications/{token}"),
            None,
            &json!({}),
        )
        .await,
        StatusCode::GONE,
        "gone",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("expired"));
    assert!(public_names(&app, "expiring").await.is_empty());
}

backend_test!(an_expired_verification_token_is_refused);

db_test!(
    signing_again_with_the_same_email_updates_the_signature_and_resends_the_link,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "again").await;

        let first = app
            .sign(
                "again",
                &organization("Sin Fronteras", "Ana.Perez@gmail.com"),
            )
            .await;
        let second = app
            .sign(
                "again",
                &organization("Sin Fronteras IAP", "anaperez+mpp@GMAIL.com"),
            )
            .await;

        assert_eq!(first.status(), second.status());
        assert_eq!(
            first.text().await.unwrap(),
            second.text().await.unwrap(),
            "the answer does not tell"
        );
        let emails = app.wait_for_emails(2).await;
        assert_eq!(emails.len(), 2);
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1, "one signer, one signature");
        assert_eq!(list["items"][0]["name"], "Sin Fronteras IAP");
        assert_eq!(list["items"][0]["emails_sent"], 2);
    }
);

db_test!(at_most_five_emails_go_to_one_signature, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "capped").await;

    for _ in 0..8 {
        assert_eq!(
            app.sign(
                "capped",
                &organization("Sin Fronteras", "ana@sinfronteras.org.mx")
            )
            .await
            .status(),
            StatusCode::ACCEPTED
        );
    }

    assert_eq!(app.outbox_len().await, 5);
    assert_eq!(app.delivered_emails().await.len(), 5);
});

db_test!(
    fifty_concurrent_submissions_with_one_email_leave_one_signature,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "rush").await;

        let submissions = (0..50).map(|n| {
            let app = &app;
            async move {
                app.sign(
                    "rush",
                    &organization(&format!("Sin Fronteras {n}"), "ana@sinfronteras.org.mx"),
                )
                .await
                .status()
            }
        });
        let statuses = futures_util::future::join_all(submissions).await;

        assert!(
            statuses.iter().all(|s| *s == StatusCode::ACCEPTED),
            "{statuses:?}"
        );
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1);
    }
);

db_test!(a_withdrawn_signature_leaves_the_public_list, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "withdrawable").await;
    app.sign(
        "withdrawable",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let email = app.wait_for_emails(1).await.remove(0);
    app.post(
        &format!("/api/v1/public/verifications/{}", email.token("verify")),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(public_names(&app, "withdrawable").await.len(), 1);

    let withdrawn = app
        .post(
            &format!("/api/v1/public/withdrawals/{}", email.token("withdraw")),
            None,
            &json!({}),
        )
        .await;

    assert_eq!(withdrawn.status(), StatusCode::OK);
    assert_eq!(
        withdrawn.json::<Value>().await.unwrap()["status"],
        "withdrawn"
    );
    assert!(public_names(&app, "withdrawable").await.is_empty());
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["status"], "withdrawn");
});

db_test!(nothing_changes_once_the_letter_is_delivered, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "final").await;
    app.sign(
        "final",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let email = app.wait_for_emails(1).await.remove(0);
    app.post(
        &format!("/api/v1/public/verifications/{}", email.token("verify")),
        None,
        &json!({}),
    )
    .await;
    for status in ["closed", "delivered"] {
        app.post(
            &format!("/api/v1/letters/{id}/status"),
            Some(&staff),
            &json!({ "status": status }),
        )
        .await;
    }

    let late = app
        .post(
            &format!("/api/v1/public/withdrawals/{}", email.token("withdraw")),
            None,
            &json!({}),
        )
        .await;

    let body = assert_error(late, StatusCode::GONE, "gone").await;
    assert!(body["message"].as_str().unwrap().contains("delivered"));
    assert_eq!(public_names(&app, "final").await, ["Sin Fronteras"]);
    let closed = app
        .sign("final", &organization("Late Org", "late@example.org"))
        .await;
    assert_error(closed, StatusCode::CONFLICT, "conflict").await;
});

db_test!(after_the_deadline_the_letter_takes_no_signatures, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "deadline").await;
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1200)).to_rfc3339();
    let patched = app
        .patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "deadline": soon }),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        app.sign("deadline", &organization("Early", "early@example.org"))
            .await
            .status(),
        StatusCode::ACCEPTED
    );

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let late = app
        .sign("deadline", &organization("Late", "late@example.org"))
        .await;
    let body = assert_error(late, StatusCode::CONFLICT, "conflict").await;
    assert!(body["message"].as_str().unwrap().contains("closed"));
    let letter: Value = app
        .get("/api/v1/public/letters/deadline", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(letter["status"], "open");
    assert_eq!(letter["accepting_signatures"], false);
});

db_test!(
    drafts_closed_letters_and_individuals_where_not_allowed_are_refused,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        app.create_letter(
            &staff,
            &json!({ "slug": "draft-only", "title": "T", "body": "B" }),
        )
        .await;
        let id = app.open_letter(&staff, "orgs-only").await;

        assert_error(
            app.sign("draft-only", &organization("X", "x@example.org"))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let individual = json!({ "kind": "individual", "name": "María José Ortega", "contact_email": "mj@example.org", "consent": true });
        let body = assert_error(
            app.sign("orgs-only", &individual).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["kind"].is_string());

        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "accept_individuals": true }),
        )
        .await;
        assert_eq!(
            app.sign("orgs-only", &individual).await.status(),
            StatusCode::ACCEPTED
        );
        app.post(
            &format!("/api/v1/letters/{id}/status"),
            Some(&staff),
            &json!({ "status": "closed" }),
        )
        .await;
        assert_error(
            app.sign("orgs-only", &organization("X", "x@example.org"))
                .await,
            StatusCode::CONFLICT,
            "conflict",
        )
        .await;
    }
);

db_test!(
    invalid_and_junk_submissions_get_a_4xx_and_write_nothing,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "strict-form").await;

        let invalid = app
        .sign(
            "strict-form",
            &json!({ "name": "", "country": "ZZ", "website": "not a url", "contact_email": "nope", "consent": false }),
        )
        .await;
        let body = assert_error(
            invalid,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        for field in [
            "name",
            "country",
            "website",
            "contact_email",
            "contact_name",
            "consent",
        ] {
            assert!(
                body["fields"][field].is_string(),
                "{field} marked in {body}"
            );
        }
        let path = "/api/v1/public/letters/strict-form/signatures";
        for junk in [
            &b"{\"name\": "[..],
            b"[1,2,3]",
            b"{\"consent\": \"yes please\"}",
            b"\xff\xfe",
        ] {
            let response = app
                .send_raw(
                    reqwest::Method::POST,
                    path,
                    None,
                    "application/json",
                    junk.to_vec(),
                )
                .await;
            assert_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        }
        let mut huge = organization("Big", "big@example.org");
        huge["comment"] = json!("x".repeat(2 * 1024 * 1024));
        assert_error(
            app.sign("strict-form", &huge).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        )
        .await;
        let mut long = organization(&"N".repeat(301), "long@example.org");
        long["city"] = json!("c".repeat(201));
        let body = assert_error(
            app.sign("strict-form", &long).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["name"].is_string() && body["fields"]["city"].is_string());

        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0);
        assert_eq!(app.outbox_len().await, 0);
        assert!(app.delivered_emails().await.is_empty());
    }
);

db_test!(public_answers_never_contain_contact_data, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "private").await;
    app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&staff),
        &json!({ "lead_signatories": ["Sin Fronteras"] }),
    )
    .await;
    app.sign(
        "private",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let token = app.wait_for_emails(1).await[0].token("verify");
    let confirmed = app
        .post(
            &format!("/api/v1/public/verifications/{token}"),
            None,
            &json!({}),
        )
        .await
        .text()
        .await
        .unwrap();

    let mut public = vec![confirmed];
    for path in [
        "/api/v1/public/letters/private",
        "/api/v1/public/letters/private/signatories",
    ] {
        public.push(app.get(path, None).await.text().await.unwrap());
    }

    for body in &public {
        for private in PRIVATE {
            assert!(!body.contains(private), "{private:?} leaked in {body}");
        }
    }
    let staff_view = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
        .await
        .text()
        .await
        .unwrap();
    for private in PRIVATE {
        assert!(staff_view.contains(private), "staff see {private:?}");
    }
});

async fn public_submissions_are_rate_limited_per_network(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.sign_rate_per_minute = 3).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "limited").await;

    for n in 0..3 {
        let response = app
            .sign(
                "limited",
                &organization("Org", &format!("c{n}@example.org")),
            )
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let refused = app
        .sign("limited", &organization("Org", "c4@example.org"))
        .await;

    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn public_submissions_are_rate_limited_per_network_on_sqlite() {
    public_submissions_are_rate_limited_per_network(Backend::Sqlite).await;
}

db_test!(
    a_bilingual_letter_sends_the_email_in_the_signers_language,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "bilingual").await;
        app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&staff),
        &json!({ "translations": { "es": { "title": "Una carta urgente", "body": "Les pedimos actuar." } } }),
    )
    .await;

        app.post(
            "/api/v1/public/letters/bilingual/signatures?lang=es",
            None,
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;

        let email = app.wait_for_emails(1).await.remove(0);
        assert!(
            email.subject.contains("Una carta urgente"),
            "{}",
            email.subject
        );
        assert!(email.text.contains("Para confirmar la firma"));
        assert!(email.link("verify").ends_with("lang=es"));
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"][0]["language"], "es");
    }
);

db_test!(
    a_surge_of_new_signers_repeats_and_refusals_is_recorded_as_if_one_by_one,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "surge").await;
        let individual = json!({ "kind": "individual", "name": "María José Ortega", "contact_email": "mj@example.org", "consent": true });

        // Twelve signers submit three times each, all at once, among refused individuals:
        // the writer takes them in a few batches, new signers and repeats mixed.
        let submissions = (0..36).map(|n| {
            let app = &app;
            let fields = organization(
                &format!("Organización {}", n % 12),
                &format!("signer{}@example.org", n % 12),
            );
            async move { app.sign("surge", &fields).await.status() }
        });
        let refusals = (0..4).map(|_| {
            let app = &app;
            let individual = individual.clone();
            async move { app.sign("surge", &individual).await.status() }
        });
        let (accepted, refused) = tokio::join!(
            futures_util::future::join_all(submissions),
            futures_util::future::join_all(refusals)
        );

        assert!(
            accepted.iter().all(|s| *s == StatusCode::ACCEPTED),
            "{accepted:?}"
        );
        assert!(
            refused
                .iter()
                .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
            "{refused:?}"
        );
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 12, "one signature per email");
        let emails = app.wait_for_emails(36).await;
        for n in 0..12 {
            let to = format!("signer{n}@example.org");
            assert_eq!(emails.iter().filter(|e| e.to == to).count(), 3, "{to}");
        }
        let events: Value = app
            .get(
                &format!("/api/v1/letters/{id}/events?limit=100"),
                Some(&staff),
            )
            .await
            .json()
            .await
            .unwrap();
        let count = |action: &str| {
            events["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == action)
                .count()
        };
        assert_eq!(count("signature.submitted"), 12);
        assert_eq!(count("signature.resubmitted"), 24);
        assert!(
            !events.to_string().contains("@example.org"),
            "no contact data in the audit trail"
        );
    }
);
