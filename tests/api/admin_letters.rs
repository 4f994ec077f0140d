//! Writing and running a letter from the dashboard: the form with its preview and its errors,
//! the overview, status changes through their confirmation pages, co-leads, the share page, and
//! the public count badge.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp};

/// Every field of the letter form, filled as a coordinator would.
fn full_form<'a>(slug: &'a str, deadline_date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", slug),
        ("title", "Letter on the Migrant Protection Protocols"),
        ("body", "Dear President,\n\nWe **urge** you to act."),
        ("addressees", "President of Mexico"),
        ("language", "en"),
        ("deadline_date", deadline_date),
        ("deadline_time", "17:00"),
        ("moderation", "manual"),
        ("accept_individuals", "yes"),
        ("list_order", "country"),
        ("paper", "a4"),
        ("lead_signatories", "WOLA\n\nAmnesty International\n"),
        ("retention_days", "30"),
        ("translation_title", "Carta sobre los PPM"),
        (
            "translation_body",
            "Estimado Presidente:\n\nLe **urgimos** a actuar.",
        ),
        ("translation_addressees", "Presidente de México"),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    for (name, value) in extra {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    fields
}

/// The fields without some of them, as a browser leaves out an unticked box.
fn without<'a>(mut fields: Vec<(&'a str, &'a str)>, names: &[&str]) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| !names.contains(n));
    fields
}

async fn api_letter(app: &TestApp, token: &str, id: i64) -> Value {
    let response = app.get(&format!("/api/v1/letters/{id}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn letter_count(app: &TestApp, token: &str) -> u64 {
    let list: Value = app
        .get("/api/v1/letters", Some(token))
        .await
        .json()
        .await
        .unwrap();
    list["total"].as_u64().unwrap()
}

/// The id at the end of a letter's overview address.
fn letter_id(location: &str) -> i64 {
    location
        .strip_prefix("/admin/letters/")
        .and_then(|rest| rest.parse().ok())
        .unwrap_or_else(|| panic!("not a letter's overview: {location}"))
}

db_test!(
    a_letter_written_in_the_dashboard_with_its_spanish_text_is_the_apis_letter,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;

        let blank = browser.get("/admin/letters/new").await;
        assert_eq!(blank.status, StatusCode::OK);
        assert!(blank.body.contains("Deadline (UTC)"), "{}", blank.body);
        assert!(
            blank.body.contains("value=\"90\""),
            "retention default shown"
        );

        let preview = browser
            .post(
                "/admin/letters/new",
                &with(full_form("mpp", "2030-06-01"), &[("action", "preview")]),
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK);
        assert!(preview.body.contains("Preview (not saved yet)"));
        assert!(
            preview
                .body
                .contains("We <strong>urge</strong> you to act.")
        );
        assert!(
            preview
                .body
                .contains("Le <strong>urgimos</strong> a actuar.")
        );
        assert!(preview.body.contains("Carta sobre los PPM"), "values kept");
        assert_eq!(
            letter_count(&app, &token).await,
            0,
            "a preview saves nothing"
        );

        let saved = browser
            .post(
                "/admin/letters/new",
                &with(full_form("mpp", "2030-06-01"), &[("action", "save")]),
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let id = letter_id(saved.location().unwrap());
        let overview = browser.get(saved.location().unwrap()).await;
        assert!(
            overview.body.contains("saved as a draft"),
            "{}",
            overview.body
        );

        let letter = api_letter(&app, &token, id).await;
        assert_eq!(letter["slug"], "mpp");
        assert_eq!(
            letter["title"],
            "Letter on the Migrant Protection Protocols"
        );
        assert_eq!(letter["body"], "Dear President,\n\nWe **urge** you to act.");
        assert_eq!(letter["addressees"], "President of Mexico");
        assert_eq!(letter["status"], "draft");
        let deadline = chrono::DateTime::parse_from_rfc3339(letter["deadline"].as_str().unwrap());
        assert_eq!(
            deadline.unwrap(),
            chrono::DateTime::parse_from_rfc3339("2030-06-01T17:00:00Z").unwrap(),
            "the date and time, read as UTC"
        );
        assert_eq!(letter["moderation"], "manual");
        assert_eq!(letter["accept_individuals"], true);
        assert_eq!(letter["order"], "country");
        assert_eq!(letter["paper"], "a4");
        assert_eq!(
            letter["lead_signatories"],
            json!(["WOLA", "Amnesty International"])
        );
        assert_eq!(letter["retention_days"], 30);
        assert_eq!(
            letter["translations"],
            json!({ "es": {
                "title": "Carta sobre los PPM",
                "body": "Estimado Presidente:\n\nLe **urgimos** a actuar.",
                "addressees": "Presidente de México",
            } })
        );

        let edit = browser.get(&format!("/admin/letters/{id}/edit")).await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(edit.body.contains("value=\"2030-06-01\""));
        assert!(edit.body.contains("value=\"17:00\""));
        assert!(edit.body.contains("Amnesty International"));
        let edit_form = with(
            without(full_form("mpp", ""), &["accept_individuals"]),
            &[
                ("title", "Letter on the MPP"),
                ("deadline_time", ""),
                ("translation_title", ""),
                ("translation_body", ""),
                ("translation_addressees", ""),
                ("action", "save"),
            ],
        );
        let edited = browser
            .post(&format!("/admin/letters/{id}/edit"), &edit_form)
            .await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
        let letter = api_letter(&app, &token, id).await;
        assert_eq!(letter["title"], "Letter on the MPP");
        assert_eq!(letter["deadline"], Value::Null, "both blank: no deadline");
        assert_eq!(
            letter["translations"],
            json!({}),
            "all blank: no translation"
        );
        assert_eq!(letter["accept_individuals"], false, "an unticked box");
        assert_eq!(letter["revision"], 2);

        let saved_again = browser
            .post(&format!("/admin/letters/{id}/edit"), &edit_form)
            .await;
        assert_eq!(saved_again.status, StatusCode::SEE_OTHER);
        assert_eq!(
            api_letter(&app, &token, id).await["revision"],
            2,
            "saving the same text again is not a new revision"
        );
    }
);

db_test!(
    invalid_input_shows_the_form_again_with_each_field_marked_and_saves_nothing,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        app.create_letter(
            &token,
            &json!({ "slug": "taken", "title": "Another letter" }),
        )
        .await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;
        browser.get("/admin/letters/new").await;

        let bad = browser
            .post(
                "/admin/letters/new",
                &with(
                    full_form("Not a slug!", "2030-02-31"),
                    &[("retention_days", "ninety"), ("action", "save")],
                ),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Nothing was saved"), "{}", bad.body);
        assert!(bad.body.contains("Use 3 to 80 lowercase letters"));
        assert!(bad.body.contains("Enter a date such as 2030-06-01"));
        assert!(bad.body.contains("Enter a whole number of days"));
        for field in ["slug", "deadline_date", "retention_days"] {
            assert!(
                bad.body.contains(&format!("id=\"{field}\"")),
                "{field} is on the page"
            );
        }
        assert!(
            bad.body
                .contains("aria-describedby=\"slug-hint slug-error\"")
        );
        assert!(bad.body.contains("aria-describedby=\"deadline-error\""));
        assert!(
            bad.body.contains("value=\"Not a slug!\""),
            "the values are kept"
        );
        assert!(
            bad.body.contains("Carta sobre los PPM"),
            "the translation is kept"
        );

        let past = browser
            .post(
                "/admin/letters/new",
                &with(full_form("fine-slug", "2020-01-01"), &[("action", "save")]),
            )
            .await;
        assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(past.body.contains("The deadline must be in the future."));

        let taken = browser
            .post(
                "/admin/letters/new",
                &with(full_form("taken", "2030-06-01"), &[("action", "save")]),
            )
            .await;
        assert_eq!(taken.status, StatusCode::CONFLICT);
        assert!(
            taken
                .body
                .contains("Another letter already uses this slug.")
        );
        assert!(
            taken
                .body
                .contains("aria-describedby=\"slug-hint slug-error\"")
        );

        assert_eq!(letter_count(&app, &token).await, 1, "nothing was created");
    }
);

/// An open letter with its body and Spanish text, and three signatories added by hand.
async fn open_letter_with_signatories(app: &TestApp, token: &str) -> i64 {
    let letter = app
        .create_letter(
            token,
            &json!({
                "slug": "mpp",
                "title": "Letter on the MPP",
                "body": "We urge you to act.",
                "translations": { "es": { "title": "Carta sobre los PPM", "body": "Le urgimos a actuar." } }
            }),
        )
        .await;
    let id = letter["id"].as_i64().unwrap();
    let opened = app
        .post(
            &format!("/api/v1/letters/{id}/status"),
            Some(token),
            &json!({ "status": "open" }),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::OK);
    for (n, name) in ["Fundar", "Sin Fronteras", "WOLA"].iter().enumerate() {
        let added = app
            .post(
                &format!("/api/v1/letters/{id}/signatures"),
                Some(token),
                &json!({ "name": name, "country": "MX", "contact_email": format!("c{n}@example.org") }),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }
    id
}

async fn public_csv(app: &TestApp, token: &str, id: i64) -> (String, Vec<u8>) {
    let response = app
        .get(&format!("/api/v1/letters/{id}/export.csv"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let sha = response.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    (sha, response.bytes().await.unwrap().to_vec())
}

db_test!(
    a_letter_is_opened_closed_and_delivered_through_the_confirmation_pages,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        let draft = app
            .create_letter(
                &token,
                &json!({ "slug": "mpp", "title": "Letter on the MPP" }),
            )
            .await;
        let id = draft["id"].as_i64().unwrap();
        let overview_path = format!("/admin/letters/{id}");
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;

        let overview = browser.get(&overview_path).await;
        assert_eq!(overview.status, StatusCode::OK);
        assert!(overview.body.contains("Open for signatures"));
        assert!(overview.body.contains("href=\"/l/mpp\""));
        let refused = browser
            .post(&format!("{overview_path}/status"), &[("to", "open")])
            .await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER);
        let notice = browser.get(&overview_path).await;
        assert!(
            notice
                .body
                .contains("body before opening it for signatures"),
            "{}",
            notice.body
        );
        assert_eq!(api_letter(&app, &token, id).await["status"], "draft");

        app.patch(
            &format!("/api/v1/letters/{id}"),
            Some(&token),
            &json!({ "body": "We urge you to act." }),
        )
        .await;
        let opened = browser
            .post(&format!("{overview_path}/status"), &[("to", "open")])
            .await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER);
        assert_eq!(api_letter(&app, &token, id).await["status"], "open");
        app.post(
            &format!("/api/v1/letters/{id}/signatures"),
            Some(&token),
            &json!({ "name": "Fundar", "country": "MX" }),
        )
        .await;

        let overview = browser.get(&overview_path).await;
        assert!(
            overview
                .body
                .contains(&format!("{overview_path}/status?to=closed"))
        );
        assert!(
            overview
                .body
                .contains(&format!("{overview_path}/signatures?status=approved"))
        );
        let unconfirmed = browser
            .post(&format!("{overview_path}/status"), &[("to", "closed")])
            .await;
        assert_eq!(unconfirmed.status, StatusCode::SEE_OTHER);
        assert_eq!(
            unconfirmed.location(),
            Some(format!("{overview_path}/status?to=closed").as_str())
        );
        assert_eq!(
            api_letter(&app, &token, id).await["status"],
            "open",
            "not without confirming"
        );

        let confirm = browser
            .get(&format!("{overview_path}/status?to=closed"))
            .await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("stops taking signatures"));
        let closed = browser
            .post(
                &format!("{overview_path}/status"),
                &[("to", "closed"), ("confirmed", "yes")],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        assert_eq!(api_letter(&app, &token, id).await["status"], "closed");

        let overview = browser.get(&overview_path).await;
        assert!(overview.body.contains("Reopen for signatures"));
        let confirm = browser
            .get(&format!("{overview_path}/status?to=delivered"))
            .await;
        assert!(confirm.body.contains("frozen as they are now, forever"));
        assert!(confirm.body.contains("No signature can change afterwards"));
        let delivered = browser
            .post(
                &format!("{overview_path}/status"),
                &[("to", "delivered"), ("confirmed", "yes")],
            )
            .await;
        assert_eq!(delivered.status, StatusCode::SEE_OTHER);
        let letter = api_letter(&app, &token, id).await;
        assert_eq!(letter["status"], "delivered");
        assert!(letter["delivered_at"].is_string());

        // Frozen: a later change in the database does not reach the delivered list.
        let (sha, csv) = public_csv(&app, &token, id).await;
        {
            use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
            let first = entity::signature::Entity::find()
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            entity::signature::ActiveModel {
                id: Set(first.id),
                name: Set("Renamed Later".into()),
                ..Default::default()
            }
            .update(&app.db)
            .await
            .unwrap();
        }
        let (sha_again, csv_again) = public_csv(&app, &token, id).await;
        assert_eq!(sha_again, sha);
        assert!(csv_again == csv, "the delivered CSV is byte-identical");

        let overview = browser.get(&overview_path).await;
        assert!(overview.body.contains("A delivered letter is final."));
        let edit = browser.get(&format!("{overview_path}/edit")).await;
        assert!(edit.body.contains("it can no longer change"));
        assert!(!edit.body.contains("name=\"title\""), "no form to edit");
    }
);

db_test!(a_viewer_reads_a_letter_but_cannot_change_it, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    app.add_staff("vic@wola.org", "WOLA", Role::Viewer).await;
    app.add_staff("eve@other.org", "Other", Role::Owner).await;
    let letter = app
        .create_letter(
            &token,
            &json!({ "slug": "mpp", "title": "Letter on the MPP", "body": "Text." }),
        )
        .await;
    let id = letter["id"].as_i64().unwrap();
    let viewer = Browser::new(&app);
    viewer.sign_in("vic@wola.org").await;

    let overview = viewer.get(&format!("/admin/letters/{id}")).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("Letter on the MPP"));
    assert!(
        !overview.body.contains("Open for signatures"),
        "no actions for a viewer"
    );
    let edit = viewer.get(&format!("/admin/letters/{id}/edit")).await;
    assert!(
        edit.body
            .contains("lets you read this letter but not change it")
    );

    let refused = viewer
        .post(
            &format!("/admin/letters/{id}/edit"),
            &with(
                full_form("mpp", "2030-06-01"),
                &[("title", "Hijacked"), ("action", "save")],
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = viewer
        .post(&format!("/admin/letters/{id}/status"), &[("to", "open")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = viewer
        .post(
            &format!("/admin/letters/{id}/coordinators"),
            &[("organization", "Other")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let outsider = Browser::new(&app);
    outsider.sign_in("eve@other.org").await;
    assert_eq!(
        outsider.get(&format!("/admin/letters/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    let editor = Browser::new(&app);
    editor.sign_in("ana@wola.org").await;
    editor.get(&format!("/admin/letters/{id}")).await;
    let forged = editor
        .post_exactly(&format!("/admin/letters/{id}/status"), &[("to", "open")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token, no change");

    let letter = api_letter(&app, &token, id).await;
    assert_eq!(letter["title"], "Letter on the MPP");
    assert_eq!(letter["status"], "draft");
    assert_eq!(letter["coordinators"].as_array().unwrap().len(), 1);
});

db_test!(
    a_co_leading_organization_is_added_from_the_overview,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
        app.add_staff("eve@fundar.org", "Fundar", Role::Editor)
            .await;
        let letter = app
            .create_letter(
                &token,
                &json!({ "slug": "mpp", "title": "Letter on the MPP" }),
            )
            .await;
        let id = letter["id"].as_i64().unwrap();
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;
        browser.get(&format!("/admin/letters/{id}")).await;

        let unknown = browser
            .post(
                &format!("/admin/letters/{id}/coordinators"),
                &[("organization", "Nobody Here")],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::SEE_OTHER);
        let page = browser.get(&format!("/admin/letters/{id}")).await;
        assert!(
            page.body.contains("No organization with this name"),
            "{}",
            page.body
        );

        let added = browser
            .post(
                &format!("/admin/letters/{id}/coordinators"),
                &[("organization", " Fundar ")],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
        let page = browser.get(&format!("/admin/letters/{id}")).await;
        assert!(page.body.contains("Co-leads"), "{}", page.body);
        let coordinators = api_letter(&app, &token, id).await["coordinators"].clone();
        assert_eq!(coordinators[1]["name"], "Fundar");
        assert_eq!(coordinators[1]["lead"], false);
        let fundar_id = coordinators[1]["organization_id"].as_i64().unwrap();

        // Co-leads are an owner's call: an editor sees neither form, and a post of theirs fails.
        app.add_staff("editor@wola.org", "WOLA", Role::Editor).await;
        let editor = Browser::new(&app);
        editor.sign_in("editor@wola.org").await;
        let seen = editor.get(&format!("/admin/letters/{id}")).await;
        assert!(
            !seen.body.contains("Add a co-leading organization"),
            "{}",
            seen.body
        );
        assert!(
            !seen
                .body
                .contains(&format!("/coordinators/{fundar_id}/remove"))
        );
        let refused = editor
            .post(
                &format!("/admin/letters/{id}/coordinators/{fundar_id}/remove"),
                &[],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            api_letter(&app, &token, id).await["coordinators"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        browser.get(&format!("/admin/letters/{id}")).await;
        let removed = browser
            .post(
                &format!("/admin/letters/{id}/coordinators/{fundar_id}/remove"),
                &[],
            )
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER);
        let page = browser.get(&format!("/admin/letters/{id}")).await;
        assert!(page.body.contains("no longer co-leads"), "{}", page.body);
        let coordinators = api_letter(&app, &token, id).await["coordinators"].clone();
        assert_eq!(coordinators.as_array().unwrap().len(), 1);
        assert_eq!(coordinators[0]["name"], "WOLA");
    }
);

db_test!(the_share_page_the_qr_code_and_the_badge_are_served, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let id = open_letter_with_signatories(&app, &token).await;
    app.sign(
        "mpp",
        &crate::helpers::organization("Pending Org", "pending@example.org"),
    )
    .await;
    let draft = app
        .create_letter(&token, &json!({ "slug": "draft-letter", "title": "Draft" }))
        .await;
    let browser = Browser::new(&app);
    browser.sign_in("ana@wola.org").await;

    let address = format!("{}/l/mpp", app.address);
    let share = browser.get(&format!("/admin/letters/{id}/share")).await;
    assert_eq!(share.status, StatusCode::OK);
    assert!(
        share.body.contains(&format!("value=\"{address}\"")),
        "{}",
        share.body
    );
    assert!(share.body.contains("readonly"));
    assert!(share.body.contains("<svg"), "the QR code is inline");
    assert!(!share.body.contains("<?xml"));
    assert!(share.body.contains(&format!("{address}/badge.svg?lang=es")));

    let qr = browser.get(&format!("/admin/letters/{id}/qr.svg")).await;
    assert_eq!(qr.status, StatusCode::OK);
    assert_eq!(qr.headers["content-type"], "image/svg+xml");
    assert!(
        qr.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("mpp-qr.svg")
    );
    // The code a phone reads is the public link, encoded independently here.
    let expected =
        qrcode::QrCode::with_error_correction_level(address.as_bytes(), qrcode::EcLevel::M)
            .unwrap()
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(232, 232)
            .build();
    assert_eq!(qr.body, expected);

    let badge = app.get("/l/mpp/badge.svg", None).await;
    assert_eq!(badge.status(), StatusCode::OK);
    assert_eq!(badge.headers()["content-type"], "image/svg+xml");
    assert_eq!(badge.headers()["cache-control"], "public, max-age=60");
    let svg = badge.text().await.unwrap();
    assert!(svg.contains("3 signatories"), "approved only: {svg}");
    assert!(!svg.contains("example.org"), "no contact data");
    let spanish = app.get("/l/MPP/badge.svg?lang=es", None).await;
    assert!(spanish.text().await.unwrap().contains("3 firmantes"));

    assert_eq!(
        app.get("/l/draft-letter/badge.svg", None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/l/no-such-letter/badge.svg", None).await.status(),
        StatusCode::NOT_FOUND
    );
    let draft_share = browser
        .get(&format!("/admin/letters/{}/share", draft["id"]))
        .await;
    assert!(draft_share.body.contains("This letter is a draft"));
});

db_test!(the_spanish_pages_speak_spanish, |app| {
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let id = open_letter_with_signatories(&app, &token).await;
    let browser = Browser::new(&app);
    browser.sign_in("ana@wola.org").await;

    let form = browser.get("/admin/letters/new?lang=es").await;
    assert!(form.body.contains("lang=\"es\""));
    for words in [
        "Escribir una carta nueva",
        "Vista previa",
        "Guardar",
        "Fecha límite (UTC)",
        "Traducción",
    ] {
        assert!(form.body.contains(words), "{words} on the new letter form");
    }
    let bad = browser
        .post(
            "/admin/letters/new",
            &with(full_form("Not a slug!", "mañana"), &[("action", "save")]),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Corrija los campos marcados"));
    assert!(bad.body.contains("Use de 3 a 80 letras minúsculas"));
    assert!(bad.body.contains("Escriba una fecha como 2030-06-01"));

    let overview = browser.get(&format!("/admin/letters/{id}")).await;
    for words in [
        "Firmas",
        "Aprobadas",
        "Organizaciones coordinadoras",
        "Cerrar la carta",
    ] {
        assert!(overview.body.contains(words), "{words} on the overview");
    }
    let confirm = browser
        .get(&format!("/admin/letters/{id}/status?to=delivered"))
        .await;
    assert!(confirm.body.contains("¿Marcar esta carta como entregada?"));
    assert!(confirm.body.contains("Esto no se puede deshacer."));
    let share = browser.get(&format!("/admin/letters/{id}/share")).await;
    assert!(share.body.contains("Enlace para firmar"));
    assert!(share.body.contains("Código QR para volantes impresos"));
    let edit = browser.get(&format!("/admin/letters/{id}/edit")).await;
    assert!(edit.body.contains("Texto y ajustes"));
    assert!(edit.body.contains("La carta ya se abrió"));
});

db_test!(
    someone_in_several_organizations_chooses_which_leads,
    |app| {
        let user_id = app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
        signon::service::accounts::add_membership(&app.db, user_id, "Fundar", Role::Owner)
            .await
            .unwrap();
        let token = app.login("ana@wola.org").await;
        let fundar = {
            let me: Value = app
                .get("/api/v1/auth/me", Some(&token))
                .await
                .json()
                .await
                .unwrap();
            me["organizations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["organization"] == "Fundar")
                .map(|m| m["organization_id"].to_string())
                .expect("a membership in Fundar")
        };
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;

        let form = browser.get("/admin/letters/new").await;
        assert!(form.body.contains("Lead organization"), "{}", form.body);
        assert!(form.body.contains(">Fundar</option>"));
        let saved = browser
            .post(
                "/admin/letters/new",
                &with(
                    full_form("mpp", "2030-06-01"),
                    &[("organization_id", &fundar), ("action", "save")],
                ),
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let letter = api_letter(&app, &token, letter_id(saved.location().unwrap())).await;
        assert_eq!(letter["coordinators"][0]["name"], "Fundar");
        assert_eq!(letter["coordinators"][0]["lead"], true);
    }
);
