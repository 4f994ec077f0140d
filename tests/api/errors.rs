//! Bad input of every kind gets a 4xx with the one error shape, and nothing is half-written.

use entity::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::assert_error;

db_test!(malformed_json_and_wrong_types_are_a_400, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let id = app.open_letter(&token, "target").await;
    let json_bodies: [&[u8]; 6] = [
        b"{\"slug\": ",
        b"not json at all",
        b"[]",
        b"{\"slug\": \"abc\", \"title\": \"T\", \"accept_individuals\": \"yes\"}",
        b"{\"slug\": \"abc\", \"title\": \"T\", \"deadline\": \"next tuesday\"}",
        b"{\"slug\": \"abc\", \"title\": \"T\", \"unexpected\": true}",
    ];
    for path in [
        "/api/v1/letters".to_owned(),
        format!("/api/v1/letters/{id}"),
    ] {
        let method = if path.ends_with("letters") {
            Method::POST
        } else {
            Method::PATCH
        };
        for body in json_bodies {
            let response = app
                .send_raw(
                    method.clone(),
                    &path,
                    Some(&token),
                    "application/json",
                    body.to_vec(),
                )
                .await;
            assert_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        }
    }
    for (path, body) in [
        (
            format!("/api/v1/letters/{id}/status"),
            json!({ "status": "published" }),
        ),
        (format!("/api/v1/letters/{id}/status"), json!({})),
        (
            format!("/api/v1/letters/{id}/coordinators"),
            json!({ "organization": ["WOLA"] }),
        ),
        (
            "/api/v1/auth/login".to_owned(),
            json!({ "email": "ana@wola.org" }),
        ),
    ] {
        assert_error(
            app.post(&path, Some(&token), &body).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
    assert_error(
        app.get("/api/v1/letters/not-a-number", Some(&token)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;

    let list: Value = app
        .get("/api/v1/letters", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "nothing was created by the bad requests");
});

db_test!(invalid_fields_are_a_422_naming_each_field, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;

    let response = app
        .post(
            "/api/v1/letters",
            Some(&token),
            &json!({
                "slug": "Not A Slug!",
                "title": "x".repeat(301),
                "deadline": "2001-01-01T00:00:00Z",
                "retention_days": 5000,
                "lead_signatories": ["x".repeat(301)],
                "translations": { "fr": { "title": "Lettre" } }
            }),
        )
        .await;

    let body = assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in [
        "slug",
        "title",
        "retention_days",
        "lead_signatories",
        "translations",
    ] {
        assert!(
            body["fields"][field].is_string(),
            "{field} is marked in {body}"
        );
    }
    let list: Value = app
        .get("/api/v1/letters", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);

    let past_deadline = app
        .post(
            "/api/v1/letters",
            Some(&token),
            &json!({ "slug": "late", "title": "T", "deadline": "2001-01-01T00:00:00Z" }),
        )
        .await;
    let body = assert_error(
        past_deadline,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["deadline"].is_string());

    let missing = app.post("/api/v1/letters", Some(&token), &json!({})).await;
    let body = assert_error(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["slug"].is_string() && body["fields"]["title"].is_string());

    let own_language = app
        .post(
            "/api/v1/letters",
            Some(&token),
            &json!({ "slug": "same", "title": "T", "language": "es", "translations": { "es": { "title": "T" } } }),
        )
        .await;
    let body = assert_error(
        own_language,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["translations"].is_string());
    let list: Value = app
        .get("/api/v1/letters", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
});

db_test!(an_oversized_body_is_a_413, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let huge = format!(
        "{{\"slug\": \"big\", \"title\": \"T\", \"body\": \"{}\"}}",
        "a".repeat(2 * 1024 * 1024)
    );

    let declared = app
        .send_raw(
            Method::POST,
            "/api/v1/letters",
            Some(&token),
            "application/json",
            huge.clone().into_bytes(),
        )
        .await;
    assert_error(declared, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Without a Content-Length (chunked), the limit holds as well.
    let stream = futures_util::stream::iter(
        huge.into_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let chunked = reqwest::Client::new()
        .post(format!("{}/api/v1/letters", app.address))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_error(chunked, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
});

db_test!(
    a_long_body_under_the_limit_is_accepted_but_a_too_long_text_is_a_422,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;

        let ok = app
            .post(
                "/api/v1/letters",
                Some(&token),
                &json!({ "slug": "long", "title": "T", "body": "á".repeat(100_000) }),
            )
            .await;
        assert_eq!(ok.status(), StatusCode::CREATED);

        let too_long = app
            .post(
                "/api/v1/letters",
                Some(&token),
                &json!({ "slug": "longer", "title": "T", "body": "a".repeat(100_001) }),
            )
            .await;
        let body = assert_error(
            too_long,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["body"].is_string());
    }
);

db_test!(
    unknown_routes_and_methods_answer_in_the_error_shape,
    |app| {
        assert_error(
            app.get("/api/v1/nothing-here", None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_error(
            app.request(Method::DELETE, "/api/v1/auth/login", None, None)
                .await,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
        let wrong_type = app
            .send_raw(
                Method::POST,
                "/api/v1/auth/login",
                None,
                "text/plain",
                b"email=a".to_vec(),
            )
            .await;
        assert!(wrong_type.status().is_client_error());
        let body: Value = wrong_type.json().await.unwrap();
        assert!(body["error"].is_string() && body["message"].is_string());
    }
);

db_test!(health_and_readiness_answer, |app| {
    let health: Value = app.get("/healthz", None).await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
});
