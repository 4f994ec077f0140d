//! The committed OpenAPI document is the one the code generates, and the one served.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp};

fn generated() -> String {
    format!("{}\n", signon::api::openapi_service().spec())
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
    assert!(docs.text().await.unwrap().contains("<html"));
}
