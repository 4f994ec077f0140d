//! The committed OpenAPI document is the one the code generates, and the one served.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, assert_error};

fn generated() -> String {
    format!("{}\n", signon::api::spec::openapi_json())
}

#[test]
fn the_committed_spec_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let spec = generated();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &spec).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == spec,
        "openapi/openapi.json differs from the generated spec: run `UPDATE_OPENAPI=1 cargo test --test api openapi` and commit it"
    );
}

#[tokio::test]
async fn the_served_spec_and_docs_are_the_generated_ones() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    let served: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let expected: Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(served, expected);
    assert!(served["paths"]["/letters"]["post"]["responses"]["422"].is_object());

    let docs = app.get("/api/docs", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("<html"));
    // The page shows the finished document, not the one poem-openapi generates.
    assert!(html.contains(r#""additionalProperties": false"#));
}

/// Every `allOf` in `value` (the path to it, and its members).
fn all_ofs<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a Vec<Value>)>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(members)) = object.get("allOf") {
                found.push((at.clone(), members));
            }
            for (key, nested) in object {
                all_ofs(nested, format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, nested) in items.iter().enumerate() {
                all_ofs(nested, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_reference_is_wrapped_in_all_of_beside_other_schemas() {
    // openapi-python-client cannot take `allOf` over an enum beside another schema, and drops
    // every operation that uses one; a description belongs beside `allOf`, not inside it.
    let spec: Value = serde_json::from_str(&generated()).unwrap();
    let mut found = Vec::new();
    all_ofs(&spec, String::new(), &mut found);
    let wrapped: Vec<&String> = found
        .iter()
        .filter(|(_, members)| members.len() > 1 && members.iter().any(|m| m.get("$ref").is_some()))
        .map(|(at, _)| at)
        .collect();
    assert!(
        wrapped.is_empty(),
        "allOf wraps a $ref beside other schemas at {wrapped:?}"
    );
    assert!(
        !found.is_empty(),
        "described references are still written as allOf"
    );
}

/// The component schemas a JSON request body reaches, with those they refer to.
fn request_schemas(spec: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut pending: Vec<&Value> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["requestBody"]["content"].as_object())
        .flat_map(|content| content.iter())
        .filter(|(media_type, _)| media_type.starts_with("application/json"))
        .map(|(_, body)| &body["schema"])
        .collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(object) => {
                if let Some(name) = object
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && !names.iter().any(|n| n == name)
                {
                    names.push(name.to_owned());
                    pending.push(&spec["components"]["schemas"][name]);
                }
                pending.extend(object.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    names
}

#[tokio::test]
async fn request_bodies_say_that_they_refuse_unknown_fields() {
    let spec: Value = serde_json::from_str(&generated()).unwrap();
    let names = request_schemas(&spec);
    for expected in [
        "LoginRequest",
        "LetterInput",
        "LetterTranslation",
        "SignatureSubmission",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} is not a request schema"
        );
    }
    for name in &names {
        let schema = &spec["components"]["schemas"][name.as_str()];
        if schema.get("properties").is_some() {
            assert_eq!(
                schema["additionalProperties"],
                Value::Bool(false),
                "{name} refuses unknown fields, but its schema does not say so"
            );
        }
    }

    // What the schemas say is what the server does.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app
        .staff_token("owner@example.org", "Acme", entity::Role::Owner)
        .await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": "owner@example.org", "password": "x", "remember": true}),
        )
        .await;
    assert_error(login, StatusCode::BAD_REQUEST, "bad_request").await;
    let letter = app
        .post(
            "/api/v1/letters",
            Some(&token),
            &serde_json::json!({"slug": "a", "title": "A", "subtitle": "no such field"}),
        )
        .await;
    assert_error(letter, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_answered_405_with_allow() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app
        .staff_token("owner@example.org", "Acme", entity::Role::Owner)
        .await;

    let put = app
        .request(reqwest::Method::PUT, "/api/v1/letters", Some(&token), None)
        .await;
    assert_eq!(put.headers()["allow"], "GET, POST, HEAD");
    assert_error(put, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;

    let delete = app
        .request(
            reqwest::Method::DELETE,
            "/api/v1/letters/12/signatures/3",
            None,
            None,
        )
        .await;
    assert_eq!(delete.headers()["allow"], "GET, PATCH, HEAD");
    assert_error(delete, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[test]
fn a_body_of_the_wrong_media_type_is_documented_as_415() {
    let spec: Value = serde_json::from_str(&generated()).unwrap();
    let mut with_body = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_some() {
                with_body += 1;
                assert!(
                    operation["responses"]["415"].is_object(),
                    "{method} {path} reads a body but does not document 415"
                );
            }
        }
    }
    assert!(with_body > 10);
}
