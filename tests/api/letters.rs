//! Letters for staff: every field, every transition, access by organization and role.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::assert_error;

db_test!(a_new_letter_is_a_draft_with_sensible_defaults, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;

    let letter = app
        .create_letter(&token, &json!({ "slug": "mpp-asylum-2019", "title": "Letter on the Migrant Protection Protocols" }))
        .await;

    assert_eq!(letter["status"], "draft");
    assert_eq!(letter["slug"], "mpp-asylum-2019");
    assert_eq!(letter["language"], "en");
    assert_eq!(letter["moderation"], "auto");
    assert_eq!(letter["order"], "alphabetical");
    assert_eq!(letter["accept_individuals"], false);
    assert_eq!(letter["retention_days"], 90);
    assert_eq!(letter["lead_signatories"], json!([]));
    assert_eq!(letter["translations"], json!({}));
    assert_eq!(letter["deadline"], Value::Null);
    assert_eq!(letter["accepting_signatures"], false);
    assert_eq!(letter["counts"]["total"], 0);
    assert_eq!(
        letter["coordinators"],
        json!([{ "organization_id": 1, "name": "WOLA", "lead": true }])
    );
});

db_test!(every_letter_field_is_stored_and_read_back, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let fields = json!({
        "slug": "carta-mpp",
        "title": "Carta sobre los Protocolos de Protección a Migrantes",
        "body": "Estimado **Presidente**:\n\n- primero\n- segundo\n\n[WOLA](https://www.wola.org)",
        "addressees": "Andrés Manuel López Obrador\nPresidente de México",
        "language": "es",
        "deadline": "2030-05-01T17:00:00Z",
        "moderation": "manual",
        "accept_individuals": true,
        "order": "country",
        "lead_signatories": ["WOLA", "Asociación Civil Sin Fronteras A.C."],
        "retention_days": 30,
        "translations": { "en": { "title": "Letter on MPP", "body": "Dear President,", "addressees": "President of Mexico" } }
    });

    let created = app.create_letter(&token, &fields).await;
    let id = created["id"].as_i64().unwrap();
    let read: Value = app
        .get(&format!("/api/v1/letters/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();

    for (field, expected) in fields.as_object().unwrap() {
        let actual = &read[field];
        if field == "deadline" {
            let parsed = chrono::DateTime::parse_from_rfc3339(actual.as_str().unwrap()).unwrap();
            assert_eq!(
                parsed,
                chrono::DateTime::parse_from_rfc3339("2030-05-01T17:00:00Z").unwrap()
            );
        } else {
            assert_eq!(actual, expected, "field {field}");
        }
    }
});

db_test!(
    editing_changes_only_the_fields_sent_and_counts_text_revisions,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let letter = app
        .create_letter(&token, &json!({ "slug": "edit-me", "title": "Old title", "deadline": "2030-01-01T00:00:00Z" }))
        .await;
        let id = letter["id"].as_i64().unwrap();

        let response = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "title": "New title", "order": "org_type" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let edited: Value = response.json().await.unwrap();
        assert_eq!(edited["title"], "New title");
        assert_eq!(edited["order"], "org_type");
        assert_eq!(edited["slug"], "edit-me");
        assert!(edited["deadline"].is_string());
        assert_eq!(edited["revision"], 2);

        let settings_only: Value = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "moderation": "manual" }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            settings_only["revision"], 2,
            "a settings change is not a new text revision"
        );

        let cleared: Value = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "deadline": null }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(cleared["deadline"], Value::Null);
    }
);

db_test!(
    a_letter_goes_from_draft_to_delivered_and_may_reopen_when_closed,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let letter = app
            .create_letter(
                &token,
                &json!({ "slug": "life", "title": "T", "body": "Text" }),
            )
            .await;
        let status_path = format!("/api/v1/letters/{}/status", letter["id"]);

        for (to, expected_accepting) in [
            ("open", true),
            ("closed", false),
            ("open", true),
            ("closed", false),
            ("delivered", false),
        ] {
            let response = app
                .post(&status_path, Some(&token), &json!({ "status": to }))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "moving to {to}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], to);
            assert_eq!(body["accepting_signatures"], expected_accepting);
        }
        let delivered: Value = app
            .get(&format!("/api/v1/letters/{}", letter["id"]), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert!(delivered["delivered_at"].is_string());
    }
);

db_test!(
    illegal_transitions_are_refused_with_409_and_change_nothing,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let letter = app
            .create_letter(
                &token,
                &json!({ "slug": "strict", "title": "T", "body": "Text" }),
            )
            .await;
        let id = letter["id"].as_i64().unwrap();
        let status_path = format!("/api/v1/letters/{id}/status");
        let set = |to: &'static str| {
            let app = &app;
            let token = token.clone();
            let path = status_path.clone();
            async move {
                app.post(&path, Some(&token), &json!({ "status": to }))
                    .await
            }
        };

        for to in ["closed", "delivered"] {
            assert_error(set(to).await, StatusCode::CONFLICT, "conflict").await;
        }
        assert_eq!(set("open").await.status(), StatusCode::OK);
        for to in ["draft", "delivered"] {
            assert_error(set(to).await, StatusCode::CONFLICT, "conflict").await;
        }
        assert_eq!(set("closed").await.status(), StatusCode::OK);
        assert_error(set("draft").await, StatusCode::CONFLICT, "conflict").await;
        assert_eq!(set("delivered").await.status(), StatusCode::OK);
        for to in ["draft", "open", "closed"] {
            let body = assert_error(set(to).await, StatusCode::CONFLICT, "conflict").await;
            assert!(body["message"].as_str().unwrap().contains("delivered"));
        }
        let patch = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&token),
                &json!({ "title": "Changed" }),
            )
            .await;
        assert_error(patch, StatusCode::CONFLICT, "conflict").await;

        let letter: Value = app
            .get(&format!("/api/v1/letters/{id}"), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(letter["status"], "delivered");
        assert_eq!(letter["title"], "T");
    }
);

db_test!(every_change_to_a_delivered_letter_gets_one_answer, |app| {
    let owner = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    app.add_staff("lu@otra.org", "Otra Red", Role::Owner).await;
    app.add_staff("eva@tercera.org", "Tercera Red", Role::Owner)
        .await;
    let id = app.open_letter(&owner, "final").await;
    let co_led: Value = app
        .post(
            &format!("/api/v1/letters/{id}/coordinators"),
            Some(&owner),
            &json!({ "organization": "Tercera Red" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let co_lead = co_led["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Tercera Red")
        .unwrap()["organization_id"]
        .clone();
    let mut signature_ids = Vec::new();
    for name in ["Red Jesuita con Migrantes", "Red Jesuita"] {
        let added: Value = app
            .post(
                &format!("/api/v1/letters/{id}/signatures"),
                Some(&owner),
                &json!({ "name": name }),
            )
            .await
            .json()
            .await
            .unwrap();
        signature_ids.push(added["id"].as_i64().unwrap());
    }
    for status in ["closed", "delivered"] {
        let moved = app
            .post(
                &format!("/api/v1/letters/{id}/status"),
                Some(&owner),
                &json!({ "status": status }),
            )
            .await;
        assert_eq!(moved.status(), StatusCode::OK);
    }
    let letter = format!("/api/v1/letters/{id}");
    let signature = format!("{letter}/signatures/{}", signature_ids[0]);

    let attempts = [
        app.patch(&letter, Some(&owner), &json!({ "title": "Changed" }))
            .await,
        app.post(
            &format!("{letter}/status"),
            Some(&owner),
            &json!({ "status": "open" }),
        )
        .await,
        app.post(
            &format!("{letter}/coordinators"),
            Some(&owner),
            &json!({ "organization": "Otra Red" }),
        )
        .await,
        app.request(
            reqwest::Method::DELETE,
            &format!("{letter}/coordinators/{co_lead}"),
            Some(&owner),
            None,
        )
        .await,
        app.post(
            &format!("{letter}/signatures"),
            Some(&owner),
            &json!({ "name": "Late Org" }),
        )
        .await,
        app.patch(&signature, Some(&owner), &json!({ "name": "Renamed" }))
            .await,
        app.post(
            &format!("{signature}/decision"),
            Some(&owner),
            &json!({ "decision": "reject" }),
        )
        .await,
        app.post(
            &format!("{signature}/merge"),
            Some(&owner),
            &json!({ "into": signature_ids[1] }),
        )
        .await,
        app.send_raw(
            reqwest::Method::POST,
            &format!("{letter}/imports"),
            Some(&owner),
            "text/csv",
            b"name\nLate Org\n".to_vec(),
        )
        .await,
    ];

    let mut messages = std::collections::BTreeSet::new();
    for attempt in attempts {
        let body = assert_error(attempt, StatusCode::CONFLICT, "conflict").await;
        messages.insert(body["message"].as_str().unwrap().to_owned());
    }
    assert_eq!(messages.len(), 1, "one rule, one message: {messages:?}");
});

db_test!(a_letter_without_a_body_cannot_open, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let letter = app
        .create_letter(&token, &json!({ "slug": "empty", "title": "T" }))
        .await;

    let response = app
        .post(
            &format!("/api/v1/letters/{}/status", letter["id"]),
            Some(&token),
            &json!({ "status": "open" }),
        )
        .await;

    let body = assert_error(response, StatusCode::CONFLICT, "conflict").await;
    assert!(body["message"].as_str().unwrap().contains("body"));
});

db_test!(the_slug_is_unique_and_fixed_once_open, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let id = app.open_letter(&token, "taken").await;

    let duplicate = app
        .post(
            "/api/v1/letters",
            Some(&token),
            &json!({ "slug": "taken", "title": "T" }),
        )
        .await;
    let body = assert_error(duplicate, StatusCode::CONFLICT, "conflict").await;
    assert!(body["fields"]["slug"].is_string());

    let rename = app
        .patch(
            &format!("/api/v1/letters/{id}"),
            Some(&token),
            &json!({ "slug": "other" }),
        )
        .await;
    let body = assert_error(rename, StatusCode::CONFLICT, "conflict").await;
    assert!(body["fields"]["slug"].is_string());
});

db_test!(
    another_organizations_letter_is_forbidden_and_a_missing_one_not_found,
    |app| {
        let wola = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
        let amnesty = app
            .staff_token("bo@amnesty.org", "Amnesty", Role::Owner)
            .await;
        let id = app.open_letter(&wola, "wola-letter").await;

        for response in [
            app.get(&format!("/api/v1/letters/{id}"), Some(&amnesty))
                .await,
            app.patch(
                &format!("/api/v1/letters/{id}"),
                Some(&amnesty),
                &json!({ "title": "Mine" }),
            )
            .await,
            app.post(
                &format!("/api/v1/letters/{id}/status"),
                Some(&amnesty),
                &json!({ "status": "closed" }),
            )
            .await,
            app.post(
                &format!("/api/v1/letters/{id}/coordinators"),
                Some(&amnesty),
                &json!({ "organization": "Amnesty" }),
            )
            .await,
            app.get(&format!("/api/v1/letters/{id}/events"), Some(&amnesty))
                .await,
        ] {
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let list: Value = app
            .get("/api/v1/letters", Some(&amnesty))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0);
        assert_error(
            app.get("/api/v1/letters/999999", Some(&wola)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
);

db_test!(a_viewer_reads_but_cannot_change_a_letter, |app| {
    let editor = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let viewer = app.staff_token("vic@wola.org", "WOLA", Role::Viewer).await;
    let id = app.open_letter(&editor, "viewed").await;

    assert_eq!(
        app.get(&format!("/api/v1/letters/{id}"), Some(&viewer))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/letters/{id}/events"), Some(&viewer))
            .await
            .status(),
        StatusCode::OK
    );
    for response in [
        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&viewer),
            &json!({ "title": "X" }),
        )
        .await,
        app.post(
            &format!("/api/v1/letters/{id}/status"),
            Some(&viewer),
            &json!({ "status": "closed" }),
        )
        .await,
        app.post(
            "/api/v1/letters",
            Some(&viewer),
            &json!({ "slug": "mine", "title": "T" }),
        )
        .await,
    ] {
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
});

db_test!(a_co_leading_organization_gets_the_same_access, |app| {
    // Adding a co-lead takes an owner.
    let wola = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    let amnesty = app
        .staff_token("bo@amnesty.org", "Amnesty International", Role::Editor)
        .await;
    let id = app.open_letter(&wola, "joint").await;
    assert_eq!(
        app.get(&format!("/api/v1/letters/{id}"), Some(&amnesty))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let response = app
        .post(
            &format!("/api/v1/letters/{id}/coordinators"),
            Some(&wola),
            &json!({ "organization": "Amnesty International" }),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let letter: Value = response.json().await.unwrap();
    assert_eq!(letter["coordinators"][1]["name"], "Amnesty International");
    assert_eq!(letter["coordinators"][1]["lead"], false);
    let edited = app
        .patch(
            &format!("/api/v1/letters/{id}"),
            Some(&amnesty),
            &json!({ "title": "Joint letter" }),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let list: Value = app
        .get("/api/v1/letters", Some(&amnesty))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["title"], "Joint letter");

    let again = app
        .post(
            &format!("/api/v1/letters/{id}/coordinators"),
            Some(&wola),
            &json!({ "organization": "Amnesty International" }),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "conflict").await;
    let unknown = app
        .post(
            &format!("/api/v1/letters/{id}/coordinators"),
            Some(&wola),
            &json!({ "organization": "Nobody Here" }),
        )
        .await;
    let body = assert_error(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["organization"].is_string());
});

db_test!(the_list_shows_the_callers_letters_page_by_page, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    for n in 0..5 {
        app.create_letter(
            &token,
            &json!({ "slug": format!("letter-{n}"), "title": format!("Letter {n}") }),
        )
        .await;
    }

    let page: Value = app
        .get("/api/v1/letters?limit=2&offset=1", Some(&token))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(page["total"], 5);
    let slugs: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["letter-3", "letter-2"]);
    for bad in ["limit=0", "limit=1001", "limit=abc", "offset=-1"] {
        assert_error(
            app.get(&format!("/api/v1/letters?{bad}"), Some(&token))
                .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
});

db_test!(every_change_is_in_the_audit_trail, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    app.add_staff("bo@amnesty.org", "Amnesty", Role::Editor)
        .await;
    let id = app.open_letter(&token, "audited").await;
    app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&token),
        &json!({ "title": "Better title" }),
    )
    .await;
    app.post(
        &format!("/api/v1/letters/{id}/coordinators"),
        Some(&token),
        &json!({ "organization": "Amnesty" }),
    )
    .await;

    let events: Value = app
        .get(&format!("/api/v1/letters/{id}/events"), Some(&token))
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
        actions,
        [
            "letter.coordinator_added",
            "letter.updated",
            "letter.status_changed",
            "letter.created"
        ]
    );
    let update = &events["items"][1];
    assert_eq!(update["actor"], "ana@wola.org");
    assert_eq!(update["before"]["title"], "A letter");
    assert_eq!(update["after"]["title"], "Better title");
    assert_eq!(events["items"][2]["before"]["status"], "draft");
    assert_eq!(events["items"][2]["after"]["status"], "open");
});

db_test!(
    a_member_of_several_organizations_says_which_one_leads,
    |app| {
        let user_id = app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
        signon::service::accounts::add_membership(&app.db, user_id, "Amnesty", Role::Editor)
            .await
            .unwrap();
        let token = app.login("ana@wola.org").await;

        let ambiguous = app
            .post(
                "/api/v1/letters",
                Some(&token),
                &json!({ "slug": "which", "title": "T" }),
            )
            .await;
        let body = assert_error(
            ambiguous,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["organization_id"].is_string());

        let me: Value = app
            .get("/api/v1/auth/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let amnesty = me["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["organization"] == "Amnesty")
            .unwrap();
        let letter = app
        .create_letter(&token, &json!({ "slug": "which", "title": "T", "organization_id": amnesty["organization_id"] }))
        .await;
        assert_eq!(letter["coordinators"][0]["name"], "Amnesty");
    }
);
