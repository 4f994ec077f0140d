//! A letter's history at the dashboard: newest first, in sentences, in both languages.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, organization};

db_test!(the_history_tells_who_approved_what_in_words, |app| {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&token, "mpp").await;
    let signed = app
        .sign(
            "mpp",
            &organization("Sin Fronteras", "ana@sinfronteras.org"),
        )
        .await;
    assert_eq!(signed.status(), StatusCode::ACCEPTED);
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let sid = list["items"][0]["id"].as_i64().unwrap();
    let approved = app
        .post(
            &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
            Some(&token),
            &json!({ "decision": "approve" }),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    app.post(
        &format!("/api/v1/letters/{id}/status"),
        Some(&token),
        &json!({ "status": "closed" }),
    )
    .await;

    let browser = Browser::new(&app);
    browser.sign_in("coord@wola.org").await;
    let page = browser.get(&format!("/admin/letters/{id}/audit")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    let closed = body
        .find("Test Staff changed the status from open to closed")
        .unwrap_or_else(|| panic!("the status change in words: {body}"));
    let approval = body
        .find("Test Staff approved “Sin Fronteras”")
        .unwrap_or_else(|| panic!("the approval in words: {body}"));
    let submitted = body
        .find("“Sin Fronteras” signed through the public form")
        .unwrap_or_else(|| panic!("the signature in words: {body}"));
    assert!(closed < approval && approval < submitted, "newest first");
    assert!(body.contains("Test Staff created the letter “A letter”"));
    assert!(
        !body.contains("ana@sinfronteras.org"),
        "no contact in the history"
    );

    let spanish = browser
        .get(&format!("/admin/letters/{id}/audit?lang=es"))
        .await;
    assert!(spanish.body.contains("Test Staff aprobó “Sin Fronteras”"));
    assert!(
        spanish
            .body
            .contains("Test Staff cambió el estado de abierta a cerrada")
    );
});

db_test!(the_history_is_paginated, |app| {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&token, "mpp").await;
    for n in 0..60 {
        let added = app
            .post(
                &format!("/api/v1/letters/{id}/signatures"),
                Some(&token),
                &json!({ "name": format!("Organización {n:02}"), "country": "MX" }),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }
    let browser = Browser::new(&app);
    browser.sign_in("coord@wola.org").await;
    let first = browser.get(&format!("/admin/letters/{id}/audit")).await;
    assert!(
        first
            .body
            .contains("Test Staff added “Organización 59” by hand")
    );
    assert!(!first.body.contains("created the letter"));
    assert!(
        first
            .body
            .contains(&format!("/admin/letters/{id}/audit?page=2"))
    );
    let second = browser
        .get(&format!("/admin/letters/{id}/audit?page=2"))
        .await;
    assert!(
        second.body.contains("Test Staff created the letter"),
        "{}",
        second.body
    );
    assert!(!second.body.contains("Organización 59"));
});
