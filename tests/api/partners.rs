//! Partner links and the embeddable form: a signature through `?ref=CODE` is counted for its
//! partner (API, dashboard, staff CSV, never public), an unknown code signs normally, codes are
//! checked and unique per letter, viewers only read, and the embeddable form may be framed by
//! the letter's listed origins alone while every other page stays unframeable.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, assert_error, organization, organization_form};

/// An editor's token and an open letter.
async fn open_letter(app: &TestApp, slug: &str) -> (String, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&token, slug).await;
    (token, id)
}

async fn create_partner(app: &TestApp, token: &str, letter: i64, code: &str, name: &str) -> Value {
    let response = app
        .post(
            &format!("/api/v1/letters/{letter}/partners"),
            Some(token),
            &json!({ "code": code, "name": name }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn partners(app: &TestApp, token: &str, letter: i64) -> Value {
    let response = app
        .get(&format!("/api/v1/letters/{letter}/partners"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Follows the confirmation link of the latest email to `to`.
async fn confirm(app: &TestApp, to: &str) {
    let emails = app.delivered_emails().await;
    let email = emails
        .iter()
        .rev()
        .find(|e| e.to == to)
        .expect("a confirmation email");
    let confirmed = app
        .post(
            &format!("/api/v1/public/verifications/{}", email.token("verify")),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
}

async fn csv(app: &TestApp, token: &str, letter: i64, scope: &str) -> String {
    let response = app
        .get(
            &format!("/api/v1/letters/{letter}/export.csv?scope={scope}"),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The cell of `column` in the row whose `name` is `name`.
fn cell(csv: &str, name: &str, column: &str) -> String {
    let mut reader = ::csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |wanted: &str| header.iter().position(|h| h == wanted).unwrap();
    let (name_at, column_at) = (at("name"), at(column));
    reader
        .records()
        .map(Result::unwrap)
        .find(|row| &row[name_at] == name)
        .map(|row| row[column_at].to_owned())
        .unwrap_or_else(|| panic!("no row for {name} in {csv}"))
}

db_test!(
    a_signature_through_a_partner_link_is_counted_for_that_partner,
    |app| {
        let (token, letter) = open_letter(&app, "partnered").await;
        let created =
            create_partner(&app, &token, letter, "Sin-Fronteras", "Sin Fronteras IAP").await;
        assert_eq!(created["code"], "sin-fronteras", "codes are lowercased");
        assert!(
            created["link"]
                .as_str()
                .unwrap()
                .ends_with("/l/partnered?ref=sin-fronteras"),
            "{created}"
        );
        create_partner(&app, &token, letter, "otra", "Otra Red").await;

        // The partner's link carries the code into the form, which carries it into the signature.
        let (status, page) = app.get_page("/l/partnered?ref=SIN-FRONTERAS", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(r#"name="ref" value="sin-fronteras""#),
            "the form carries the code: {page}"
        );
        let mut fields = organization_form("Colectivo Tierra", "tierra@example.org");
        fields.push(("ref", "sin-fronteras"));
        let signed = app.post_form("/l/partnered/sign", &fields).await;
        assert_eq!(signed.status(), StatusCode::OK);
        confirm(&app, "tierra@example.org").await;
        // The public API takes the same code.
        let mut submission = organization("Red de Albergues", "red@example.org");
        submission["ref"] = json!("sin-fronteras");
        assert_eq!(
            app.sign("partnered", &submission).await.status(),
            StatusCode::ACCEPTED
        );
        // A signature without a partner counts for none.
        app.sign_and_confirm(
            "partnered",
            &organization("Sin Partner", "none@example.org"),
        )
        .await;

        let listed = partners(&app, &token, letter).await;
        assert_eq!(listed["total"], 2);
        let first = &listed["items"][0];
        assert_eq!(first["code"], "sin-fronteras");
        assert_eq!(first["name"], "Sin Fronteras IAP");
        assert_eq!(
            first["counts"],
            json!({ "pending_verification": 1, "verified": 0, "approved": 1, "rejected": 0,
                "withdrawn": 0, "total": 2 })
        );
        assert_eq!(listed["items"][1]["counts"]["total"], 0);

        let staff = csv(&app, &token, letter, "staff").await;
        assert_eq!(cell(&staff, "Colectivo Tierra", "partner"), "sin-fronteras");
        assert_eq!(cell(&staff, "Red de Albergues", "partner"), "sin-fronteras");
        assert_eq!(cell(&staff, "Sin Partner", "partner"), "");
        let public = csv(&app, &token, letter, "public").await;
        assert!(public.contains("Colectivo Tierra"));
        assert!(!public.contains("partner") && !public.contains("sin-fronteras"));
        let (_, list) = app.get_page("/l/partnered/signatories", None).await;
        assert!(list.contains("Colectivo Tierra") && !list.contains("sin-fronteras"));

        let events = app
            .get(&format!("/api/v1/letters/{letter}/events"), Some(&token))
            .await
            .json::<Value>()
            .await
            .unwrap();
        let created_events: Vec<&Value> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "partner.created")
            .collect();
        assert_eq!(created_events.len(), 2, "each creation is audited");
        assert_eq!(created_events[1]["after"]["code"], "sin-fronteras");
    }
);

db_test!(an_unknown_partner_code_signs_normally, |app| {
    let (token, letter) = open_letter(&app, "unknown-ref").await;
    create_partner(&app, &token, letter, "known", "Known").await;
    let mut submission = organization("API Signer", "api@example.org");
    submission["ref"] = json!("nobody");
    assert_eq!(
        app.sign("unknown-ref", &submission).await.status(),
        StatusCode::ACCEPTED
    );
    submission = organization("Malformed Ref", "malformed@example.org");
    submission["ref"] = json!("not a code!");
    assert_eq!(
        app.sign("unknown-ref", &submission).await.status(),
        StatusCode::ACCEPTED
    );
    let (status, page) = app
        .get_page("/l/unknown-ref?ref=%22%3E%3Cscript%3E", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script>") && !page.contains(r#"name="ref""#));
    let mut fields = organization_form("Form Signer", "form@example.org");
    fields.push(("ref", "nobody"));
    assert_eq!(
        app.post_form("/l/unknown-ref/sign", &fields).await.status(),
        StatusCode::OK
    );

    let staff = csv(&app, &token, letter, "staff").await;
    for name in ["API Signer", "Malformed Ref", "Form Signer"] {
        assert_eq!(cell(&staff, name, "status"), "pending_verification");
        assert_eq!(cell(&staff, name, "partner"), "");
    }
    assert_eq!(
        partners(&app, &token, letter).await["items"][0]["counts"]["total"],
        0
    );
});

db_test!(
    a_partner_code_is_checked_and_unique_within_its_letter,
    |app| {
        let (token, letter) = open_letter(&app, "codes").await;
        create_partner(&app, &token, letter, "red", "Red").await;
        let path = format!("/api/v1/letters/{letter}/partners");
        let again = app
            .post(
                &path,
                Some(&token),
                &json!({ "code": "RED", "name": "Red again" }),
            )
            .await;
        let body = assert_error(again, StatusCode::CONFLICT, "conflict").await;
        assert!(body["fields"]["code"].is_string(), "{body}");

        let bad = app
            .post(
                &path,
                Some(&token),
                &json!({ "code": "no spaces", "name": " " }),
            )
            .await;
        let body = assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(body["fields"]["code"].is_string() && body["fields"]["name"].is_string());

        // A name given as another type than text is refused, not read as its text.
        let typed = app
            .post(
                &path,
                Some(&token),
                &json!({ "code": "typed", "name": false }),
            )
            .await;
        assert!(typed.status().is_client_error(), "{}", typed.status());
        let unknown = app
            .post(
                &path,
                Some(&token),
                &json!({ "code": "extra", "name": "Extra", "colour": "red" }),
            )
            .await;
        assert!(unknown.status().is_client_error(), "{}", unknown.status());

        // The same code on another letter is another partner.
        let other = app.open_letter(&token, "codes-two").await;
        create_partner(&app, &token, other, "red", "Red").await;
        assert_eq!(partners(&app, &token, letter).await["total"], 1);
    }
);

db_test!(
    a_viewer_reads_partner_counts_but_cannot_create_a_code,
    |app| {
        let (token, letter) = open_letter(&app, "viewed").await;
        create_partner(&app, &token, letter, "red", "Red").await;
        let viewer = app
            .staff_token("viewer@wola.org", "WOLA", Role::Viewer)
            .await;
        assert_eq!(partners(&app, &viewer, letter).await["total"], 1);
        let refused = app
            .post(
                &format!("/api/v1/letters/{letter}/partners"),
                Some(&viewer),
                &json!({ "code": "mine", "name": "Mine" }),
            )
            .await;
        assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(partners(&app, &token, letter).await["total"], 1);

        let browser = Browser::new(&app);
        browser.sign_in("viewer@wola.org").await;
        let page = browser
            .get(&format!("/admin/letters/{letter}/partners"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("/l/viewed?ref=red"));
        assert!(
            !page.body.contains(r#"name="code""#),
            "no form for a viewer"
        );
    }
);

/// The `Content-Security-Policy` and `X-Frame-Options` of an answer.
async fn framing(app: &TestApp, path: &str) -> (StatusCode, String, Option<String>, String) {
    let response = app.get(path, None).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let policy = header("content-security-policy").unwrap_or_default();
    let frame_options = header("x-frame-options");
    let status = response.status();
    (
        status,
        policy,
        frame_options,
        response.text().await.unwrap(),
    )
}

db_test!(
    the_embed_is_framed_only_by_the_origins_its_letter_lists,
    |app| {
        let (token, letter) = open_letter(&app, "embedded").await;
        let (status, policy, frame_options, page) = framing(&app, "/l/embedded/embed").await;
        assert_eq!(status, StatusCode::OK);
        assert!(policy.ends_with("frame-ancestors 'self'"), "{policy}");
        assert_eq!(frame_options, None);
        assert!(
            page.contains(r#"action="/l/embedded/embed?lang=en""#),
            "{page}"
        );
        assert!(
            page.contains(r#"target="_blank""#),
            "the full letter opens outside"
        );

        let refused = app
            .patch(
                &format!("/api/v1/letters/{letter}"),
                Some(&token),
                &json!({ "embed_origins": ["http://partner.example.org"] }),
            )
            .await;
        let body = assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["embed_origins"].is_string());
        let saved = app
        .patch(
            &format!("/api/v1/letters/{letter}"),
            Some(&token),
            &json!({ "embed_origins": ["https://Partner.example.org", "https://red.example:8443"] }),
        )
        .await;
        assert_eq!(saved.status(), StatusCode::OK);
        let saved: Value = saved.json().await.unwrap();
        assert_eq!(
            saved["embed_origins"],
            json!(["https://partner.example.org", "https://red.example:8443"])
        );
        let (_, policy, frame_options, page) = framing(&app, "/l/embedded/embed?lang=es").await;
        assert!(
            policy.ends_with(
                "frame-ancestors 'self' https://partner.example.org https://red.example:8443"
            ),
            "{policy}"
        );
        assert_eq!(frame_options, None);
        assert!(page.contains(r#"lang="es""#) && page.contains("Leer la carta completa"));

        // Every other page stays out of frames.
        for path in [
            "/l/embedded",
            "/l/embedded?ref=red",
            "/l/embedded/signatories",
        ] {
            let (status, policy, frame_options, _) = framing(&app, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(
                policy.contains("frame-ancestors 'none'"),
                "{path}: {policy}"
            );
            assert_eq!(frame_options.as_deref(), Some("DENY"), "{path}");
        }
        // An unknown letter's embed is framed by signon alone.
        let (status, policy, _, _) = framing(&app, "/l/nowhere/embed").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(policy.ends_with("frame-ancestors 'self'"), "{policy}");
    }
);

db_test!(
    the_embed_signs_with_its_partner_and_answers_in_its_frame,
    |app| {
        let (token, letter) = open_letter(&app, "framed").await;
        create_partner(&app, &token, letter, "red", "Red").await;
        app.patch(
            &format!("/api/v1/letters/{letter}"),
            Some(&token),
            &json!({ "embed_origins": ["https://red.example.org"] }),
        )
        .await;
        let (_, _, _, page) = framing(&app, "/l/framed/embed?ref=red").await;
        assert!(page.contains(r#"name="ref" value="red""#), "{page}");

        // A mistake: the form again, in the frame, the code kept.
        let mut fields = organization_form("", "red-signer@example.org");
        fields.push(("ref", "red"));
        let response = app.post_form("/l/framed/embed?lang=en", &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.ends_with("frame-ancestors 'self' https://red.example.org"));
        assert!(!response.headers().contains_key("x-frame-options"));
        let body = response.text().await.unwrap();
        assert!(body.contains(r#"name="ref" value="red""#) && body.contains(r#"id="name-error""#));

        let mut fields = organization_form("Red Signer", "red-signer@example.org");
        fields.push(("ref", "red"));
        let response = app.post_form("/l/framed/embed?lang=es", &fields).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .ends_with("frame-ancestors 'self' https://red.example.org")
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Revise su correo") || body.contains("correo"),
            "{body}"
        );
        confirm(&app, "red-signer@example.org").await;
        let counts = &partners(&app, &token, letter).await["items"][0]["counts"];
        assert_eq!(counts["approved"], 1);
    }
);

db_test!(
    coordinators_create_partner_links_and_list_embed_origins_in_the_dashboard,
    |app| {
        let (_, letter) = open_letter(&app, "dashboard-partners").await;
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let path = format!("/admin/letters/{letter}/partners");
        let page = browser.get(&format!("{path}?lang=es")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Agregar una aliada"), "{}", page.body);
        let created = browser
            .post(
                &path,
                &[("name", "Sin Fronteras"), ("code", " sin-fronteras ")],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER);
        browser.get(&path).await;
        let again = browser
            .post(&path, &[("name", "Again"), ("code", "sin-fronteras")])
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.body.contains(r#"id="code-error""#));
        let page = browser.get(&path).await;
        assert!(
            page.body
                .contains("/l/dashboard-partners?ref=sin-fronteras")
        );
        assert!(
            page.body
                .contains("/l/dashboard-partners/embed?ref=sin-fronteras")
        );

        // The letter's form lists the sites that may embed it.
        let edit = format!("/admin/letters/{letter}/edit");
        let form = browser.get(&edit).await;
        assert!(form.body.contains(r#"name="embed_origins""#));
        let fields = |origins: &'static str| {
            vec![
                ("slug", "dashboard-partners"),
                ("title", "A letter"),
                ("body", "We ask you to act."),
                ("language", "en"),
                ("moderation", "auto"),
                ("list_order", "alphabetical"),
                ("paper", "letter"),
                ("retention_days", "90"),
                ("embed_origins", origins),
                ("action", "save"),
            ]
        };
        let saved = browser
            .post(
                &edit,
                &fields("https://www.example.org\r\n\r\nhttps://red.example.org:8443\r\n"),
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let (_, policy, _, _) = framing(&app, "/l/dashboard-partners/embed").await;
        assert!(
            policy.ends_with(
                "frame-ancestors 'self' https://www.example.org https://red.example.org:8443"
            ),
            "{policy}"
        );
        let form = browser.get(&format!("{edit}?lang=es")).await;
        assert!(
            form.body
                .contains("Sitios que pueden insertar el formulario")
        );
        let refused = browser
            .post(&edit, &fields("https://www.example.org\nftp://bad"))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(r#"id="embed_origins-error""#));
        assert!(
            refused.body.contains("Escriba cada origen"),
            "the message in Spanish"
        );
    }
);
