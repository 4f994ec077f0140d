//! Logging in and out, token expiry, and staff routes without a valid token.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, assert_error};

db_test!(
    login_with_the_right_password_returns_a_token_that_works,
    |app| {
        app.add_staff("ana@wola.org", "WOLA", Role::Owner).await;

        let response = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({ "email": "Ana@WOLA.org ", "password": PASSWORD }),
            )
            .await;

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let token = body["token"].as_str().unwrap();
        assert!(token.len() >= 43, "a token of at least 32 random bytes");
        assert!(body["expires_at"].as_str().is_some());
        let me: Value = app
            .get("/api/v1/auth/me", Some(token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], "ana@wola.org");
        assert_eq!(me["organizations"][0]["organization"], "WOLA");
        assert_eq!(me["organizations"][0]["role"], "owner");
    }
);

db_test!(
    a_wrong_password_and_an_unknown_email_get_the_same_answer,
    |app| {
        app.add_staff("ana@wola.org", "WOLA", Role::Owner).await;

        let wrong_password = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({ "email": "ana@wola.org", "password": "not the password" }),
            )
            .await;
        let unknown_email = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({ "email": "nobody@wola.org", "password": PASSWORD }),
            )
            .await;

        let a = assert_error(wrong_password, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let b = assert_error(unknown_email, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert_eq!(a, b);
        assert_eq!(a["message"], "Invalid email or password.");
    }
);

db_test!(a_token_stops_working_after_logout, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    assert_eq!(
        app.get("/api/v1/letters", Some(&token)).await.status(),
        StatusCode::OK
    );

    let response = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.get("/api/v1/letters", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
});

db_test!(logging_out_one_session_keeps_the_others, |app| {
    let first = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    let second = app.login("ana@wola.org").await;

    app.post("/api/v1/auth/logout", Some(&first), &json!({}))
        .await;

    assert_eq!(
        app.get("/api/v1/letters", Some(&second)).await.status(),
        StatusCode::OK
    );
});

db_test!(staff_routes_refuse_a_missing_or_made_up_token, |app| {
    for token in [None, Some("made-up-token"), Some("")] {
        for path in [
            "/api/v1/letters",
            "/api/v1/letters/1",
            "/api/v1/letters/1/events",
            "/api/v1/auth/me",
        ] {
            assert_error(
                app.get(path, token).await,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
            )
            .await;
        }
        assert_error(
            app.post(
                "/api/v1/letters",
                token,
                &json!({ "slug": "abc", "title": "T" }),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
});

async fn an_expired_token_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.session_lifetime = chrono::Duration::seconds(1);
    })
    .await;
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    assert_eq!(
        app.get("/api/v1/letters", Some(&token)).await.status(),
        StatusCode::OK
    );

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let body = assert_error(
        app.get("/api/v1/letters", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("log in again"));
}

backend_test!(an_expired_token_is_refused);
