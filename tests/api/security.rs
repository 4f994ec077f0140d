//! What the security review of issue 9 found: each test here failed before its fix.

use entity::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, organization, organization_form};

db_test!(a_contact_email_with_display_text_is_refused, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "bare-address").await;

    for address in [
        "Some words <victim@example.org>",
        "<victim@example.org>",
        "\"Victim\" <victim@example.org>",
    ] {
        let body = assert_error(
            app.sign("bare-address", &organization("Sin Fronteras", address))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            body["fields"]["contact_email"].is_string(),
            "{address:?}: contact_email marked in {body}"
        );

        let form = app
            .post_form(
                "/l/bare-address/sign",
                &organization_form("Sin Fronteras", address),
            )
            .await;
        assert_eq!(
            form.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{address:?}"
        );
        let page = form.text().await.unwrap();
        assert!(page.contains("id=\"contact_email-error\""), "{address:?}");
    }

    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was written");
    assert!(app.emails().is_empty(), "no email went out");
});
