//! The public read of a letter.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::assert_error;

db_test!(a_draft_is_invisible_to_the_public, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    app.create_letter(
        &token,
        &json!({ "slug": "secret-draft", "title": "Not yet", "body": "Text" }),
    )
    .await;

    let response = app.get("/api/v1/public/letters/secret-draft", None).await;

    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
});

db_test!(
    an_open_letter_is_public_with_its_count_and_coordinators,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let id = app.open_letter(&token, "public-letter").await;
        app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&token),
        &json!({ "translations": { "es": { "title": "Una carta", "body": "Les pedimos actuar." } } }),
    )
    .await;

        let response = app.get("/api/v1/public/letters/public-letter", None).await;

        assert_eq!(response.status(), StatusCode::OK);
        let letter: Value = response.json().await.unwrap();
        assert_eq!(letter["title"], "A letter");
        assert_eq!(letter["status"], "open");
        assert_eq!(letter["accepting_signatures"], true);
        assert_eq!(letter["approved_count"], 0);
        assert_eq!(letter["coordinators"], json!(["WOLA"]));
        assert_eq!(letter["translations"]["es"]["title"], "Una carta");
        let text = letter.to_string();
        assert!(
            !text.contains("ana@wola.org"),
            "no staff email on a public answer"
        );
    }
);

db_test!(
    closed_and_delivered_letters_stay_public_but_take_no_signatures,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let id = app.open_letter(&token, "finished").await;

        for status in ["closed", "delivered"] {
            app.post(
                &format!("/api/v1/letters/{id}/status"),
                Some(&token),
                &json!({ "status": status }),
            )
            .await;
            let letter: Value = app
                .get("/api/v1/public/letters/finished", None)
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(letter["status"], status);
            assert_eq!(letter["accepting_signatures"], false);
        }
    }
);

db_test!(an_unknown_slug_is_not_found, |app| {
    assert_error(
        app.get("/api/v1/public/letters/no-such-letter", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
});

db_test!(an_address_typed_in_capitals_finds_the_letter, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    app.open_letter(&token, "mpp-2019").await;

    let response = app.get("/api/v1/public/letters/MPP-2019", None).await;

    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = app.get_page("/l/Mpp-2019", None).await;
    assert_eq!(status, StatusCode::OK);
});
