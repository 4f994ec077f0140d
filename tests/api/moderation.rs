//! Staff moderation: the queue with its signals, search, decisions, edits, duplicates and merges.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, organization};

async fn signed_and_confirmed(app: &TestApp, slug: &str, name: &str, email: &str) {
    let before = app.delivered_emails().await.len();
    app.sign(slug, &organization(name, email)).await;
    let emails = app.wait_for_emails(before + 1).await;
    let token = emails[before].token("verify");
    app.post(
        &format!("/api/v1/public/verifications/{token}"),
        None,
        &json!({}),
    )
    .await;
}

async fn signatures(app: &TestApp, staff: &str, id: i64, query: &str) -> Value {
    app.get(
        &format!("/api/v1/letters/{id}/signatures{query}"),
        Some(staff),
    )
    .await
    .json()
    .await
    .unwrap()
}

db_test!(staff_see_verification_signals, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "signals").await;
    let other = app.open_letter(&staff, "other").await;
    let mut matching = organization("Sin Fronteras", "ana@sinfronteras.org.mx");
    matching["website"] = json!("https://www.sinfronteras.org.mx");
    app.sign("signals", &matching).await;
    let mut free = organization("Casa del Migrante", "casa.migrante@gmail.com");
    free["website"] = json!("https://casadelmigrante.org");
    app.sign("signals", &free).await;
    app.sign(
        "other",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;

    let list = signatures(&app, &staff, id, "").await;

    let by_name = |name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let sin = by_name("Sin Fronteras");
    assert_eq!(sin["signals"]["email_matches_website"], true);
    assert_eq!(sin["signals"]["free_mail"], false);
    assert_eq!(
        sin["signals"]["same_contact_elsewhere"], 1,
        "the same contact signed letter {other}"
    );
    let casa = by_name("Casa del Migrante");
    assert_eq!(casa["signals"]["email_matches_website"], false);
    assert_eq!(casa["signals"]["free_mail"], true);
    assert_eq!(
        casa["signals"]["same_network"], 1,
        "both came from the test's address"
    );
});

db_test!(a_viewer_sees_signatures_without_their_contact_data, |app| {
    let editor = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let viewer = app.staff_token("vic@wola.org", "WOLA", Role::Viewer).await;
    let id = app.open_letter(&editor, "contacts").await;
    app.sign(
        "contacts",
        &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let contact_fields = [
        "contact_name",
        "contact_title",
        "contact_email",
        "contact_phone",
        "comment",
    ];

    let as_editor = signatures(&app, &editor, id, "").await;
    assert_eq!(
        as_editor["items"][0]["contact_email"],
        "ana@sinfronteras.org.mx"
    );

    let list = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&viewer))
        .await
        .text()
        .await
        .unwrap();
    let sid = as_editor["items"][0]["id"].as_i64().unwrap();
    let one = app
        .get(
            &format!("/api/v1/letters/{id}/signatures/{sid}"),
            Some(&viewer),
        )
        .await
        .text()
        .await
        .unwrap();
    for body in [&list, &one] {
        assert!(
            body.contains("Sin Fronteras"),
            "the viewer sees the signature"
        );
        for private in [
            "ana@sinfronteras.org.mx",
            "+52 55 5514 1521",
            "Ana Pérez Contacto",
            "Private note",
        ] {
            assert!(!body.contains(private), "{private} in {body}");
        }
        for field in contact_fields {
            assert!(!body.contains(&format!("\"{field}\"")), "{field} in {body}");
        }
    }
    let by_email = signatures(&app, &viewer, id, "?q=ana@sinfronteras.org.mx").await;
    assert_eq!(
        by_email["total"], 0,
        "a viewer cannot learn who signed with an email"
    );
});

db_test!(the_queue_filters_by_status_and_searches, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "queue").await;
    signed_and_confirmed(&app, "queue", "Asociación Ñandú", "a@nandu.org").await;
    app.sign(
        "queue",
        &organization("Red Jesuita con Migrantes", "red@jesuitas.org"),
    )
    .await;

    assert_eq!(
        signatures(&app, &staff, id, "?status=approved").await["total"],
        1
    );
    assert_eq!(
        signatures(&app, &staff, id, "?status=pending_verification").await["total"],
        1
    );
    let found = signatures(&app, &staff, id, "?q=jesuita").await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["name"], "Red Jesuita con Migrantes");
    let by_email = signatures(&app, &staff, id, "?q=A@Nandu.org").await;
    assert_eq!(by_email["items"][0]["name"], "Asociación Ñandú");
    assert_eq!(signatures(&app, &staff, id, "?q=nobody").await["total"], 0);
    assert_error(
        app.get(
            &format!("/api/v1/letters/{id}/signatures?status=famous"),
            Some(&staff),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
});

db_test!(
    a_rejected_signature_stays_off_the_list_and_the_decision_is_audited,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "reject").await;
        signed_and_confirmed(&app, "reject", "Fake Org", "fake@example.org").await;
        let sid = signatures(&app, &staff, id, "").await["items"][0]["id"]
            .as_i64()
            .unwrap();

        let rejected: Value = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
                Some(&staff),
                &json!({ "decision": "reject", "reason": "Not a real organization" }),
            )
            .await
            .json()
            .await
            .unwrap();

        assert_eq!(rejected["status"], "rejected");
        assert_eq!(rejected["decision_reason"], "Not a real organization");
        let public: Value = app
            .get("/api/v1/public/letters/reject/signatories", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["total"], 0);
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
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            &actions[..3],
            [
                "signature.rejected",
                "signature.verified",
                "signature.submitted"
            ]
        );
        assert_eq!(
            events["items"][0]["after"]["reason"],
            "Not a real organization"
        );
        assert!(
            !events.to_string().contains("fake@example.org"),
            "no contact data in the audit trail"
        );
    }
);

db_test!(
    staff_fix_a_name_verify_by_phone_and_set_a_lead_signatory,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "edits").await;
        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "moderation": "manual" }),
        )
        .await;
        app.sign(
            "edits",
            &organization("Sin Fronteas", "ana@sinfronteras.org.mx"),
        )
        .await;
        let sid = signatures(&app, &staff, id, "").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        let path = format!("/api/v1/letters/{id}/signatures/{sid}");

        let edited: Value = app
        .patch(
            &path,
            Some(&staff),
            &json!({ "name": "Sin Fronteras", "city": null, "verification_note": "Called their office", "lead": true }),
        )
        .await
        .json()
        .await
        .unwrap();

        assert_eq!(edited["name"], "Sin Fronteras");
        assert_eq!(edited["city"], Value::Null);
        assert_eq!(
            edited["status"], "verified",
            "verified by phone, waiting for approval"
        );
        assert_eq!(edited["verification_note"], "Called their office");
        assert_eq!(edited["lead"], true);
        let letter: Value = app
            .get(&format!("/api/v1/letters/{id}"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(letter["lead_signatories"], json!(["Sin Fronteras"]));
        let bad = app
            .patch(
                &path,
                Some(&staff),
                &json!({ "country": "XX", "contact_email": "nope" }),
            )
            .await;
        let body = assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(
            body["fields"]["country"].is_string() && body["fields"]["contact_email"].is_string()
        );
        assert_error(
            app.patch(
                &format!("/api/v1/letters/{id}/signatures/999999"),
                Some(&staff),
                &json!({ "name": "X" }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
);

db_test!(lead_signatories_come_first_on_the_public_list, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "ordered").await;
    for (name, email) in [
        ("Zeta Collective", "z@example.org"),
        ("Alpha Network", "a@example.org"),
        ("WOLA", "w@wola.org"),
    ] {
        signed_and_confirmed(&app, "ordered", name, email).await;
    }
    app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&staff),
        &json!({ "lead_signatories": ["WOLA"] }),
    )
    .await;

    let list: Value = app
        .get("/api/v1/public/letters/ordered/signatories", None)
        .await
        .json()
        .await
        .unwrap();

    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["WOLA", "Alpha Network", "Zeta Collective"]);
});

db_test!(
    duplicates_are_flagged_and_merged_keeping_the_audit_trail,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "dupes").await;
        signed_and_confirmed(
            &app,
            "dupes",
            "Asociación Civil Sin Fronteras A.C.",
            "ana@sinfronteras.org.mx",
        )
        .await;
        let mut short = organization("Sin Fronteras", "luis@sinfronteras.org.mx");
        short["city"] = json!(null);
        short["region"] = json!("CDMX");
        signed_and_confirmed(&app, "dupes", "Sin Fronteras", "luis@sinfronteras.org.mx").await;
        signed_and_confirmed(&app, "dupes", "Médicos Sin Fronteras", "msf@example.org").await;

        let list = signatures(&app, &staff, id, "").await;
        let find = |name: &str| {
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == name)
                .unwrap()
                .clone()
        };
        let long = find("Asociación Civil Sin Fronteras A.C.");
        let short = find("Sin Fronteras");
        assert_eq!(long["duplicate_of"], json!([short["id"]]));
        assert_eq!(short["duplicate_of"], json!([long["id"]]));
        assert_eq!(find("Médicos Sin Fronteras")["duplicate_of"], json!([]));

        let merged = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{}/merge", short["id"]),
                Some(&staff),
                &json!({ "into": long["id"] }),
            )
            .await;
        assert_eq!(merged.status(), StatusCode::OK);
        let kept: Value = merged.json().await.unwrap();
        assert_eq!(kept["id"], long["id"]);
        assert_eq!(
            kept["duplicate_of"],
            json!([]),
            "no longer a candidate once merged"
        );

        let public: Value = app
            .get("/api/v1/public/letters/dupes/signatories", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["total"], 2);
        let gone: Value = app
            .get(
                &format!("/api/v1/letters/{id}/signatures/{}", short["id"]),
                Some(&staff),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(gone["status"], "rejected");
        assert_eq!(gone["merged_into"], long["id"]);
        let events: Value = app
            .get(&format!("/api/v1/letters/{id}/events"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        let merges = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "signature.merged")
            .count();
        assert_eq!(merges, 2, "both signatures record the merge");
        let again = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{}/merge", short["id"]),
                Some(&staff),
                &json!({ "into": long["id"] }),
            )
            .await;
        assert_error(again, StatusCode::CONFLICT, "conflict").await;
        let itself = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{}/merge", long["id"]),
                Some(&staff),
                &json!({ "into": long["id"] }),
            )
            .await;
        assert_error(
            itself,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
);

db_test!(staff_add_a_signature_they_vouch_for, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let viewer = app.staff_token("vic@wola.org", "WOLA", Role::Viewer).await;
    let id = app.open_letter(&staff, "vouched").await;

    let added = app
        .post(
            &format!("/api/v1/letters/{id}/signatures"),
            Some(&staff),
            &json!({ "name": "Red Jesuita con Migrantes", "country": "GT", "consent": true }),
        )
        .await;

    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["source"], "staff");
    assert_eq!(added["status"], "approved");
    assert_eq!(added["contact_email"], Value::Null);
    let public: Value = app
        .get("/api/v1/public/letters/vouched/signatories", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["items"][0]["name"], "Red Jesuita con Migrantes");
    assert_eq!(app.outbox_len().await, 0);
    assert!(
        app.delivered_emails().await.is_empty(),
        "no email for a signature staff vouch for"
    );
    let forbidden = app
        .post(
            &format!("/api/v1/letters/{id}/signatures"),
            Some(&viewer),
            &json!({ "name": "X" }),
        )
        .await;
    assert_error(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
});

db_test!(
    another_organization_cannot_see_or_moderate_signatures,
    |app| {
        let wola = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let other = app.staff_token("x@other.org", "Other", Role::Owner).await;
        let id = app.open_letter(&wola, "mine").await;
        signed_and_confirmed(&app, "mine", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
        let sid = signatures(&app, &wola, id, "").await["items"][0]["id"]
            .as_i64()
            .unwrap();

        for response in [
            app.get(&format!("/api/v1/letters/{id}/signatures"), Some(&other))
                .await,
            app.get(
                &format!("/api/v1/letters/{id}/signatures/{sid}"),
                Some(&other),
            )
            .await,
            app.patch(
                &format!("/api/v1/letters/{id}/signatures/{sid}"),
                Some(&other),
                &json!({ "name": "X" }),
            )
            .await,
            app.post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
                Some(&other),
                &json!({ "decision": "reject" }),
            )
            .await,
            app.post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/merge"),
                Some(&other),
                &json!({ "into": sid }),
            )
            .await,
        ] {
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        for response in [
            app.get(&format!("/api/v1/letters/{id}/signatures"), None)
                .await,
            app.post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
                None,
                &json!({ "decision": "reject" }),
            )
            .await,
        ] {
            assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
);

db_test!(
    a_signer_who_signs_again_after_confirming_changes_nothing_until_confirming_again,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "stable").await;
        signed_and_confirmed(&app, "stable", "Sin Fronteras", "ana@sinfronteras.org.mx").await;

        app.sign(
            "stable",
            &organization("Hijacked Name", "ana@sinfronteras.org.mx"),
        )
        .await;

        let public: Value = app
            .get("/api/v1/public/letters/stable/signatories", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            public["items"][0]["name"], "Sin Fronteras",
            "knowing the email is not enough"
        );
        let queued = signatures(&app, &staff, id, "").await;
        assert_eq!(queued["items"][0]["changes_pending"], true);
        let email = app.wait_for_emails(2).await.remove(1);
        app.post(
            &format!("/api/v1/public/verifications/{}", email.token("verify")),
            None,
            &json!({}),
        )
        .await;
        let public: Value = app
            .get("/api/v1/public/letters/stable/signatories", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            public["items"][0]["name"], "Hijacked Name",
            "the contact confirmed the change"
        );
    }
);

db_test!(
    a_signers_contact_data_is_erased_on_request_and_the_public_part_stays,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "erasure").await;
        signed_and_confirmed(&app, "erasure", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
        signed_and_confirmed(&app, "erasure", "Casa del Migrante", "casa@example.org").await;
        let list = signatures(&app, &staff, id, "?q=Sin").await;
        let sid = list["items"][0]["id"].as_i64().unwrap();

        let erased: Value = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/erase"),
                Some(&staff),
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();

        assert_eq!(erased["contact_email"], Value::Null);
        assert_eq!(erased["contact_phone"], Value::Null);
        assert_eq!(erased["comment"], Value::Null);
        assert!(erased["contact_erased_at"].is_string());
        assert_eq!(erased["status"], "approved");
        let public: Value = app
            .get("/api/v1/public/letters/erasure/signatories", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["total"], 2, "the signature stays on the letter");
        let staff_csv = app
            .get(
                &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
                Some(&staff),
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(!staff_csv.contains("ana@sinfronteras.org.mx"));

        let output = std::process::Command::new(env!("CARGO_BIN_EXE_signon"))
            .args([
                "erase",
                "erasure",
                "--email",
                "CASA@example.org",
                "--database-url",
                &app.database_url,
            ])
            .arg("--key-file")
            .arg(&app.key_file)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let staff_csv = app
            .get(
                &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
                Some(&staff),
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(!staff_csv.contains("casa@example.org"));
        let events: Value = app
            .get(&format!("/api/v1/letters/{id}/events"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        let erasures = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "signature.contact_erased")
            .count();
        assert_eq!(erasures, 2, "both erasures are audited");
        let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_signon"))
            .args([
                "erase",
                "erasure",
                "--email",
                "nobody@example.org",
                "--database-url",
                &app.database_url,
            ])
            .arg("--key-file")
            .arg(&app.key_file)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert_eq!(unknown.status.code(), Some(2));
    }
);

db_test!(
    contact_data_is_erased_once_the_retention_period_after_delivery_ends,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "retained").await;
        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "retention_days": 30 }),
        )
        .await;
        signed_and_confirmed(&app, "retained", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
        for status in ["closed", "delivered"] {
            app.post(
                &format!("/api/v1/letters/{id}/status"),
                Some(&staff),
                &json!({ "status": status }),
            )
            .await;
        }
        let delivered_csv = app
            .get(&format!("/api/v1/letters/{id}/export.csv"), Some(&staff))
            .await
            .bytes()
            .await
            .unwrap();

        let now = chrono::Utc::now();
        let copies = signon::service::outbox::MailCopies::in_folder(app.mail_dir.clone());
        let early = signon::service::retention::erase_expired(
            &app.db,
            &copies,
            now + chrono::Duration::days(29),
        )
        .await
        .unwrap();
        assert_eq!(early, 0, "kept during the retention period");
        let erased = signon::service::retention::erase_expired(
            &app.db,
            &copies,
            now + chrono::Duration::days(31),
        )
        .await
        .unwrap();

        assert_eq!(erased, 1);
        let list = signatures(&app, &staff, id, "").await;
        assert_eq!(list["items"][0]["contact_email"], Value::Null);
        assert_eq!(
            list["items"][0]["name"], "Sin Fronteras",
            "the public part stays"
        );
        let csv_now = app
            .get(&format!("/api/v1/letters/{id}/export.csv"), Some(&staff))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(csv_now, delivered_csv, "the delivered list is unchanged");
        let again = signon::service::retention::erase_expired(
            &app.db,
            &copies,
            now + chrono::Duration::days(60),
        )
        .await
        .unwrap();
        assert_eq!(again, 0, "nothing is erased twice");
    }
);
