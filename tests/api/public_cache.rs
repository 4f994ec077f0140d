//! The public pages and answers served from memory: never older than the last change, on any
//! instance; `ETag`, `Cache-Control` and `304`; the list by page and by search; no contact data.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, organization};

/// The names on the public list, as the API gives them (first page).
async fn api_names(app_address: &str, slug: &str) -> Vec<String> {
    let list: Value = reqwest::get(format!(
        "{app_address}/api/v1/public/letters/{slug}/signatories"
    ))
    .await
    .unwrap()
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

/// The approved count the public letter answer gives.
async fn public_count(app_address: &str, slug: &str) -> u64 {
    let letter: Value = reqwest::get(format!("{app_address}/api/v1/public/letters/{slug}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    letter["approved_count"].as_u64().unwrap()
}

/// A letter under manual moderation, its id, and a staff token.
async fn manual_letter(app: &TestApp, slug: &str) -> (String, i64) {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, slug).await;
    app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&staff),
        &json!({ "moderation": "manual" }),
    )
    .await;
    (staff, id)
}

/// The id of the only signature of a letter.
async fn only_signature(app: &TestApp, staff: &str, id: i64) -> i64 {
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(staff))
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_i64().unwrap()
}

db_test!(
    an_approval_and_a_withdrawal_show_at_once_on_every_page,
    |app| {
        let (staff, id) = manual_letter(&app, "fresh").await;
        app.sign_and_confirm(
            "fresh",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;
        // Read everything once, so that an old copy would be there to serve.
        assert!(api_names(&app.address, "fresh").await.is_empty());
        assert_eq!(public_count(&app.address, "fresh").await, 0);
        let (_, list_page) = app.get_page("/l/fresh/signatories?lang=en", None).await;
        assert!(!list_page.contains("Sin Fronteras"));

        let sid = only_signature(&app, &staff, id).await;
        let approved = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
                Some(&staff),
                &json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(approved.status(), StatusCode::OK);

        assert_eq!(api_names(&app.address, "fresh").await, ["Sin Fronteras"]);
        assert_eq!(public_count(&app.address, "fresh").await, 1);
        let (_, letter_page) = app.get_page("/l/fresh?lang=en", None).await;
        assert!(letter_page.contains("1 signatory"), "{letter_page}");
        let (_, list_page) = app.get_page("/l/fresh/signatories?lang=en", None).await;
        assert!(list_page.contains("Sin Fronteras"));

        let withdraw = app.delivered_emails().await[0].token("withdraw");
        app.post(
            &format!("/api/v1/public/withdrawals/{withdraw}"),
            None,
            &json!({}),
        )
        .await;

        assert!(api_names(&app.address, "fresh").await.is_empty());
        assert_eq!(public_count(&app.address, "fresh").await, 0);
        let (_, list_page) = app.get_page("/l/fresh/signatories?lang=en", None).await;
        assert!(
            !list_page.contains("Sin Fronteras"),
            "withdrawn, yet listed"
        );
        let (_, letter_page) = app.get_page("/l/fresh?lang=en", None).await;
        assert!(letter_page.contains("0 signatories"));
    }
);

db_test!(
    automatic_moderation_lists_a_signer_as_soon_as_they_confirm,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        app.open_letter(&staff, "auto").await;
        assert!(api_names(&app.address, "auto").await.is_empty());

        app.sign_and_confirm(
            "auto",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;

        assert_eq!(api_names(&app.address, "auto").await, ["Sin Fronteras"]);
        assert_eq!(public_count(&app.address, "auto").await, 1);
    }
);

db_test!(
    a_second_instance_on_the_same_database_never_serves_an_old_list,
    |app| {
        let (staff, id) = manual_letter(&app, "two-servers").await;
        let other = app.another_instance().await;
        app.sign_and_confirm(
            "two-servers",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;
        assert!(api_names(&other.address, "two-servers").await.is_empty());
        assert_eq!(public_count(&other.address, "two-servers").await, 0);

        let sid = only_signature(&app, &staff, id).await;
        app.post(
            &format!("/api/v1/letters/{id}/signatures/{sid}/decision"),
            Some(&staff),
            &json!({ "decision": "approve" }),
        )
        .await;
        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "title": "A renamed letter" }),
        )
        .await;

        assert_eq!(
            api_names(&other.address, "two-servers").await,
            ["Sin Fronteras"]
        );
        assert_eq!(public_count(&other.address, "two-servers").await, 1);
        let page = reqwest::get(format!("{}/l/two-servers?lang=en", other.address))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("A renamed letter"));
    }
);

/// A GET with an optional `If-None-Match`: status, `ETag`, `Cache-Control` and body.
async fn conditional_get(
    address: &str,
    path: &str,
    etag: Option<&str>,
) -> (StatusCode, String, String, String) {
    let mut request = reqwest::Client::new().get(format!("{address}{path}"));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (etag, cache_control) = (header("etag"), header("cache-control"));
    let status = response.status();
    (status, etag, cache_control, response.text().await.unwrap())
}

db_test!(an_etag_is_answered_304_until_the_list_changes, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "tagged").await;
    let paths = [
        "/l/tagged?lang=en",
        "/l/tagged/signatories?lang=en",
        "/api/v1/public/letters/tagged",
        "/api/v1/public/letters/tagged/signatories",
    ];
    let mut tags = Vec::new();
    for path in paths {
        let (status, etag, cache_control, _) = conditional_get(&app.address, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(etag.starts_with('"'), "{path} has an ETag: {etag:?}");
        assert!(cache_control.contains("public"), "{path}: {cache_control}");
        assert!(cache_control.contains("max-age"), "{path}: {cache_control}");
        let (again, same, _, body) = conditional_get(&app.address, path, Some(&etag)).await;
        assert_eq!(again, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(same, etag);
        assert!(body.is_empty(), "a 304 has no body");
        tags.push(etag);
    }
    let (_, spanish, _, _) =
        conditional_get(&app.address, "/l/tagged/signatories?lang=es", None).await;
    assert_ne!(spanish, tags[1], "each language has its own tag");

    let added = app
        .post(
            &format!("/api/v1/letters/{id}/signatures"),
            Some(&staff),
            &json!({ "kind": "organization", "name": "Sin Fronteras", "consent": true }),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);

    for (path, old) in paths.iter().zip(&tags) {
        let (status, etag, _, body) = conditional_get(&app.address, path, Some(old)).await;
        assert_eq!(status, StatusCode::OK, "{path} changed");
        assert_ne!(&etag, old, "{path}");
        assert!(
            body.contains("Sin Fronteras") || body.contains('1'),
            "{path}"
        );
    }
});

/// A CSV of `n` organizations with contact data, a tenth of them in Bogotá.
fn many_organizations(n: usize) -> Vec<u8> {
    let mut csv = String::from("name,city,country,contact_email,contact_phone\n");
    for i in 0..n {
        let (city, country) = if i % 10 == 0 {
            ("Bogotá", "CO")
        } else {
            ("Lima", "PE")
        };
        csv.push_str(&format!(
            "Organización {i:04},{city},{country},contact{i}@private-mail.org,+51 1 555 {i:04}\n"
        ));
    }
    csv.into_bytes()
}

db_test!(
    a_long_list_is_read_by_pages_and_searched_without_contact_data,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "long").await;
        let imported = app
            .send_raw(
                reqwest::Method::POST,
                &format!("/api/v1/letters/{id}/imports?dry_run=false"),
                Some(&staff),
                "text/csv",
                many_organizations(250),
            )
            .await;
        assert_eq!(imported.status(), StatusCode::OK);

        let last: Value = app
            .get(
                "/api/v1/public/letters/long/signatories?limit=100&offset=200",
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(last["total"], 250);
        assert_eq!(last["items"].as_array().unwrap().len(), 50);
        assert_eq!(last["items"][0]["name"], "Organización 0200");
        assert_eq!(public_count(&app.address, "long").await, 250);

        let (_, first) = app.get_page("/l/long/signatories?lang=en", None).await;
        assert_eq!(first.matches("<li>Organizaci").count(), 100);
        assert!(first.contains("Page 1 of 3"));
        assert!(first.contains("page=2"), "a link to the next page");
        let (_, third) = app
            .get_page("/l/long/signatories?lang=es&page=3", None)
            .await;
        assert_eq!(third.matches("<li>Organizaci").count(), 50);
        assert!(third.contains("Página 3 de 3"));
        assert!(third.contains("Organización 0249"));
        let (status, beyond) = app.get_page("/l/long/signatories?page=zz", None).await;
        assert_eq!(status, StatusCode::OK, "a bad page number shows the first");
        assert!(beyond.contains("Organización 0000"));

        let (_, found) = app
            .get_page("/l/long/signatories?lang=en&q=bogota", None)
            .await;
        assert_eq!(found.matches("<li>Organizaci").count(), 25, "accents aside");
        assert!(found.contains("Organización 0010"));
        assert!(!found.contains("Organización 0011"));
        let (_, by_country) = app
            .get_page("/l/long/signatories?lang=es&q=Per%C3%BA", None)
            .await;
        assert_eq!(
            by_country.matches("<li>Organizaci").count(),
            100,
            "a page of 225"
        );
        let (_, nothing) = app
            .get_page("/l/long/signatories?lang=en&q=nowhere", None)
            .await;
        assert!(nothing.contains("No signatory matches this search."));

        let mut answers = vec![last.to_string(), first, third, found, by_country];
        for path in [
            "/api/v1/public/letters/long/signatories?limit=1000",
            "/api/v1/public/letters/long",
            "/l/long?lang=en",
        ] {
            answers.push(app.get_page(path, None).await.1);
        }
        for answer in answers {
            assert!(!answer.contains("private-mail.org"), "no contact email");
            assert!(!answer.contains("555 0"), "no contact phone");
        }
    }
);
