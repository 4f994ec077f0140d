//! The dashboard's moderation queue: what a coordinator sees of each signature and what they do
//! from it, checked through the pages and then through the API or the public list.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, organization};

/// An editor's token and an open letter with manual moderation: (token, letter id).
pub async fn moderated_letter(app: &TestApp, slug: &str) -> (String, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter = app
        .create_letter(
            &token,
            &json!({
                "slug": slug,
                "title": "Letter on the MPP",
                "body": "We ask you to act.",
                "moderation": "manual",
                "accept_individuals": true
            }),
        )
        .await;
    let id = letter["id"].as_i64().unwrap();
    set_status(app, &token, id, "open").await;
    (token, id)
}

async fn set_status(app: &TestApp, token: &str, id: i64, status: &str) {
    let moved = app
        .post(
            &format!("/api/v1/letters/{id}/status"),
            Some(token),
            &json!({ "status": status }),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK, "moving letter to {status}");
}

/// Signs through the public API and follows the emailed confirmation link.
pub async fn signed_and_confirmed(app: &TestApp, slug: &str, name: &str, email: &str) {
    let before = app.emails().len();
    let signed = app.sign(slug, &organization(name, email)).await;
    assert_eq!(signed.status(), StatusCode::ACCEPTED);
    let emails = app.wait_for_emails(before + 1).await;
    let token = emails[before].token("verify");
    let confirmed = app
        .post(
            &format!("/api/v1/public/verifications/{token}"),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
}

/// Every signature of the letter, through the API, by name.
pub async fn signature_named(app: &TestApp, token: &str, id: i64, name: &str) -> Value {
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no signature named {name} in {list}"))
        .clone()
}

async fn public_names(app: &TestApp, slug: &str) -> Vec<String> {
    let list: Value = app
        .get(&format!("/api/v1/public/letters/{slug}/signatories"), None)
        .await
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

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new(app);
    browser.sign_in(email).await;
    browser
}

db_test!(
    a_signature_from_the_public_api_is_approved_from_the_queue,
    |app| {
        let (token, id) = moderated_letter(&app, "mpp").await;
        signed_and_confirmed(&app, "mpp", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
        let browser = signed_in(&app, "coord@wola.org").await;

        let queue = browser
            .get(&format!("/admin/letters/{id}/signatures"))
            .await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
        let body = &queue.body;
        assert!(
            body.contains("To moderate (1)"),
            "the filter with its count"
        );
        assert!(body.contains("Sin Fronteras"));
        assert!(body.contains("Ciudad de México"), "its public text");
        assert!(
            body.contains("ana@sinfronteras.org.mx"),
            "its contact, for an editor"
        );
        assert!(body.contains("Ana Pérez Contacto") && body.contains("Directora"));
        assert!(
            body.contains("The email&#39;s domain matches the website.")
                || body.contains("The email's domain matches the website."),
            "its signals"
        );
        assert!(body.contains("Approve selected"));
        assert!(public_names(&app, "mpp").await.is_empty());

        let sid = signature_named(&app, &token, id, "Sin Fronteras").await["id"]
            .as_i64()
            .unwrap();
        let approved = browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/approve"),
                &[("back", "status=verified")],
            )
            .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
        assert_eq!(
            approved.location(),
            Some(format!("/admin/letters/{id}/signatures?status=verified").as_str())
        );
        let after = browser.get(approved.location().unwrap()).await;
        assert!(
            after
                .body
                .contains("Sin Fronteras is approved: it is on the public list."),
            "{}",
            after.body
        );
        assert!(after.body.contains("To moderate (0)"));
        assert_eq!(public_names(&app, "mpp").await, vec!["Sin Fronteras"]);
    }
);

db_test!(a_signature_is_rejected_with_a_reason, |app| {
    let (token, id) = moderated_letter(&app, "reject").await;
    signed_and_confirmed(&app, "reject", "Fake Org", "x@fake.example").await;
    let sid = signature_named(&app, &token, id, "Fake Org").await["id"]
        .as_i64()
        .unwrap();
    let browser = signed_in(&app, "coord@wola.org").await;
    browser
        .get(&format!("/admin/letters/{id}/signatures"))
        .await;

    let rejected = browser
        .post(
            &format!("/admin/letters/{id}/signatures/{sid}/reject"),
            &[("reason", "Not a real organization"), ("back", "")],
        )
        .await;

    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    let saved = signature_named(&app, &token, id, "Fake Org").await;
    assert_eq!(saved["status"], "rejected");
    assert_eq!(saved["decision_reason"], "Not a real organization");
    let queue = browser
        .get(&format!("/admin/letters/{id}/signatures?status=rejected"))
        .await;
    assert!(queue.body.contains("Fake Org is rejected"));
    assert!(
        queue.body.contains("Not a real organization"),
        "the reason shows"
    );
    assert!(public_names(&app, "reject").await.is_empty());
});

db_test!(three_signatures_are_approved_at_once, |app| {
    let (token, id) = moderated_letter(&app, "bulk").await;
    let names = ["Red Uno", "Red Dos", "Red Tres", "Red Cuatro"];
    for (n, name) in names.iter().enumerate() {
        signed_and_confirmed(&app, "bulk", name, &format!("c{n}@redes.org")).await;
    }
    let mut ids = Vec::new();
    for name in &names[..3] {
        ids.push(
            signature_named(&app, &token, id, name).await["id"]
                .as_i64()
                .unwrap()
                .to_string(),
        );
    }
    let browser = signed_in(&app, "coord@wola.org").await;
    let queue = browser
        .get(&format!("/admin/letters/{id}/signatures"))
        .await;
    assert!(
        queue.body.contains(r#"form="bulk""#),
        "checkboxes in the queue"
    );

    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("signature", id.as_str())).collect();
    fields.push(("back", "status=verified"));
    let bulk = browser
        .post(&format!("/admin/letters/{id}/signatures/approve"), &fields)
        .await;

    assert_eq!(bulk.status, StatusCode::SEE_OTHER, "{}", bulk.body);
    let after = browser.get(bulk.location().unwrap()).await;
    assert!(
        after.body.contains("3 signature(s) approved."),
        "{}",
        after.body
    );
    let mut listed = public_names(&app, "bulk").await;
    listed.sort();
    assert_eq!(listed, vec!["Red Dos", "Red Tres", "Red Uno"]);
    assert_eq!(
        signature_named(&app, &token, id, "Red Cuatro").await["status"],
        "verified",
        "the one not ticked waits"
    );
});

db_test!(two_duplicates_are_compared_and_merged, |app| {
    let (token, id) = moderated_letter(&app, "dupes").await;
    signed_and_confirmed(&app, "dupes", "Casa del Migrante", "a@casa.org").await;
    let mut second = organization("Casa del  Migrante", "b@casa.org");
    second["region"] = json!("Baja California");
    app.sign("dupes", &second).await;
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    let kept = items.iter().find(|s| s["status"] == "verified").unwrap()["id"]
        .as_i64()
        .unwrap();
    let duplicate = items.iter().find(|s| s["status"] != "verified").unwrap()["id"]
        .as_i64()
        .unwrap();
    let browser = signed_in(&app, "coord@wola.org").await;

    let queue = browser
        .get(&format!("/admin/letters/{id}/signatures?status=all"))
        .await;
    let link = format!("/admin/letters/{id}/signatures/{duplicate}/merge?into={kept}");
    assert!(
        queue.body.contains(&link),
        "a link to compare: {}",
        queue.body
    );
    let compare = browser.get(&link).await;
    assert_eq!(compare.status, StatusCode::OK, "{}", compare.body);
    assert!(
        compare.body.contains("1. Leaves the list")
            && compare.body.contains("2. Stays on the list")
    );
    assert!(compare.body.contains("a@casa.org") && compare.body.contains("b@casa.org"));

    let merged = browser
        .post(
            &format!("/admin/letters/{id}/signatures/{duplicate}/merge"),
            &[("into", kept.to_string().as_str()), ("back", "status=all")],
        )
        .await;

    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    let after = browser.get(merged.location().unwrap()).await;
    assert!(after.body.contains("Merged:"), "{}", after.body);
    let gone = app
        .get(
            &format!("/api/v1/letters/{id}/signatures/{duplicate}"),
            Some(&token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(gone["merged_into"], kept);
    assert_eq!(gone["status"], "rejected");
    let stays = app
        .get(
            &format!("/api/v1/letters/{id}/signatures/{kept}"),
            Some(&token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        stays["region"], "Baja California",
        "gains the missing detail"
    );
});

db_test!(a_phone_endorsement_is_added_by_hand, |app| {
    let (token, id) = moderated_letter(&app, "byhand").await;
    let browser = signed_in(&app, "coord@wola.org").await;
    let form = browser
        .get(&format!("/admin/letters/{id}/signatures/new"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"<label for="name""#));

    let missing_name = browser
        .post(
            &format!("/admin/letters/{id}/signatures/new"),
            &[("kind", "organization"), ("name", ""), ("country", "GT")],
        )
        .await;
    assert_eq!(missing_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing_name.body.contains(r#"aria-invalid="true""#));
    assert!(missing_name.body.contains("This field is required."));

    let added = browser
        .post(
            &format!("/admin/letters/{id}/signatures/new"),
            &[
                ("kind", "organization"),
                ("name", "Red Jesuita con Migrantes"),
                ("country", "GT"),
                ("contact_name", "Luis"),
                ("contact_phone", "+502 2222 3333"),
            ],
        )
        .await;

    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let saved = signature_named(&app, &token, id, "Red Jesuita con Migrantes").await;
    assert_eq!(saved["source"], "staff");
    assert_eq!(saved["status"], "approved");
    assert_eq!(
        public_names(&app, "byhand").await,
        vec!["Red Jesuita con Migrantes"]
    );
    assert!(app.emails().is_empty(), "no email for a phone endorsement");
});

db_test!(a_misspelled_name_is_corrected, |app| {
    let (token, id) = moderated_letter(&app, "edit").await;
    signed_and_confirmed(&app, "edit", "Sin Fronteas", "ana@sinfronteras.org.mx").await;
    let sid = signature_named(&app, &token, id, "Sin Fronteas").await["id"]
        .as_i64()
        .unwrap();
    let browser = signed_in(&app, "coord@wola.org").await;

    let form = browser
        .get(&format!("/admin/letters/{id}/signatures/{sid}/edit"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(r#"value="Sin Fronteas""#), "prefilled");
    assert!(form.body.contains(r#"value="ana@sinfronteras.org.mx""#));

    let saved = browser
        .post(
            &format!("/admin/letters/{id}/signatures/{sid}/edit"),
            &[
                ("kind", "organization"),
                ("name", "Sin Fronteras"),
                ("org_type", "NGO"),
                ("city", "Ciudad de México"),
                ("country", "MX"),
                ("website", "https://www.sinfronteras.org.mx"),
                ("contact_name", "Ana Pérez Contacto"),
                ("contact_email", "ana@sinfronteras.org.mx"),
            ],
        )
        .await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let edited = app
        .get(
            &format!("/api/v1/letters/{id}/signatures/{sid}"),
            Some(&token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(edited["name"], "Sin Fronteras");
    assert_eq!(edited["contact_email"], "ana@sinfronteras.org.mx");
    assert_eq!(edited["status"], "verified", "an edit decides nothing");
});

db_test!(
    a_viewer_sees_the_queue_without_contacts_and_cannot_approve,
    |app| {
        let (token, id) = moderated_letter(&app, "viewer").await;
        app.add_staff("vic@wola.org", "WOLA", Role::Viewer).await;
        signed_and_confirmed(&app, "viewer", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
        let sid = signature_named(&app, &token, id, "Sin Fronteras").await["id"]
            .as_i64()
            .unwrap();
        let browser = signed_in(&app, "vic@wola.org").await;

        let queue = browser
            .get(&format!("/admin/letters/{id}/signatures"))
            .await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(queue.body.contains("Sin Fronteras"));
        assert!(
            !queue.body.contains("ana@sinfronteras.org.mx"),
            "no contact email"
        );
        assert!(!queue.body.contains("+52 55 5514 1521"), "no contact phone");
        assert!(!queue.body.contains("Private note for the coordinators"));
        assert!(!queue.body.contains("/approve"), "no action buttons");
        let by_email = browser
            .get(&format!(
                "/admin/letters/{id}/signatures?status=all&q=ana%40sinfronteras.org.mx"
            ))
            .await;
        assert!(
            !by_email.body.contains("Sin Fronteras is"),
            "a viewer cannot find who signed with an email"
        );

        let refused = browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/approve"),
                &[("back", "")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            browser
                .get(&format!("/admin/letters/{id}/signatures/new"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            signature_named(&app, &token, id, "Sin Fronteras").await["status"],
            "verified"
        );
        let api: Value = app
            .get(
                &format!("/api/v1/letters/{id}/signatures/{sid}"),
                Some(&app.login("vic@wola.org").await),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            api["contact_email"],
            Value::Null,
            "the same rule in the API"
        );
    }
);

db_test!(a_post_without_the_token_changes_nothing, |app| {
    let (token, id) = moderated_letter(&app, "csrf").await;
    signed_and_confirmed(&app, "csrf", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
    let sid = signature_named(&app, &token, id, "Sin Fronteras").await["id"]
        .as_i64()
        .unwrap();
    let browser = signed_in(&app, "coord@wola.org").await;
    browser
        .get(&format!("/admin/letters/{id}/signatures"))
        .await;

    let forged = browser
        .post_exactly(
            &format!("/admin/letters/{id}/signatures/{sid}/approve"),
            &[("back", "")],
        )
        .await;
    let forged_bulk = browser
        .post_exactly(
            &format!("/admin/letters/{id}/signatures/approve"),
            &[("signature", sid.to_string().as_str())],
        )
        .await;

    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged_bulk.status, StatusCode::FORBIDDEN);
    assert_eq!(
        signature_named(&app, &token, id, "Sin Fronteras").await["status"],
        "verified"
    );
});

db_test!(
    a_delivered_letter_is_read_only_and_refusals_show_as_a_notice,
    |app| {
        let (token, id) = moderated_letter(&app, "frozen").await;
        signed_and_confirmed(&app, "frozen", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
        signed_and_confirmed(&app, "frozen", "Casa Refugiados", "b@casarefugiados.org").await;
        let sid = signature_named(&app, &token, id, "Sin Fronteras").await["id"]
            .as_i64()
            .unwrap();
        let browser = signed_in(&app, "coord@wola.org").await;
        browser
            .get(&format!("/admin/letters/{id}/signatures"))
            .await;
        browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/reject"),
                &[("reason", ""), ("back", "")],
            )
            .await;
        set_status(&app, &token, id, "closed").await;
        set_status(&app, &token, id, "delivered").await;

        let queue = browser
            .get(&format!("/admin/letters/{id}/signatures?status=all"))
            .await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(queue.body.contains("This letter was delivered"));
        assert!(!queue.body.contains("/approve"), "no action buttons");
        assert!(!queue.body.contains("/reject"));

        let refused = browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/approve"),
                &[("back", "status=all")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER);
        let notice = browser.get(refused.location().unwrap()).await;
        assert!(
            notice.body.contains("Nothing was changed.")
                && notice.body.contains("its signatures can no longer change"),
            "{}",
            notice.body
        );
        assert_eq!(
            signature_named(&app, &token, id, "Sin Fronteras").await["status"],
            "rejected"
        );
    }
);

db_test!(the_queue_speaks_spanish, |app| {
    let (_, id) = moderated_letter(&app, "carta-es").await;
    signed_and_confirmed(&app, "carta-es", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
    let browser = signed_in(&app, "coord@wola.org").await;

    let queue = browser
        .get(&format!("/admin/letters/{id}/signatures?lang=es"))
        .await;

    assert_eq!(queue.status, StatusCode::OK);
    let body = &queue.body;
    assert!(body.contains(r#"<html lang="es">"#));
    for word in [
        "Por moderar (1)",
        "Aprobar",
        "Rechazar",
        "Buscar",
        "Aprobar las seleccionadas",
        "Contacto (nunca se publica)",
        "El dominio del correo coincide con el sitio web.",
    ] {
        assert!(body.contains(word), "{word} in {body}");
    }
    assert!(!body.contains("Approve selected"));
});

db_test!(the_signers_changes_show_beside_the_current_text, |app| {
    let (token, id) = moderated_letter(&app, "changes").await;
    signed_and_confirmed(&app, "changes", "Red Jesuita", "red@jesuitas.org").await;
    let sid = signature_named(&app, &token, id, "Red Jesuita").await["id"]
        .as_i64()
        .unwrap();
    let browser = signed_in(&app, "coord@wola.org").await;
    browser
        .get(&format!("/admin/letters/{id}/signatures"))
        .await;
    browser
        .post(
            &format!("/admin/letters/{id}/signatures/{sid}/approve"),
            &[("back", "")],
        )
        .await;
    let mut changed = organization("Red Jesuita con Migrantes", "red@jesuitas.org");
    changed["city"] = json!("Guadalajara");
    app.sign("changes", &changed).await;

    let queue = browser
        .get(&format!("/admin/letters/{id}/signatures?status=approved"))
        .await;

    assert!(
        queue.body.contains("The signer sent changes"),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("<del>Red Jesuita</del>"));
    assert!(queue.body.contains("<ins>Red Jesuita con Migrantes</ins>"));
    assert!(queue.body.contains("<del>Ciudad de México</del>"));
    assert!(queue.body.contains("<ins>Guadalajara</ins>"));
    assert_eq!(
        public_names(&app, "changes").await,
        vec!["Red Jesuita"],
        "unchanged until the signer confirms"
    );
});

/// The signer of "Red Jesuita" (approved) asks to be listed as `name` in Guadalajara and
/// confirms it through the emailed link.
async fn change_confirmed_by_the_signer(app: &TestApp, name: &str) {
    let before = app.delivered_emails().await.len();
    let mut changed = organization(name, "red@jesuitas.org");
    changed["city"] = json!("Guadalajara");
    assert_eq!(
        app.sign("confirmed", &changed).await.status(),
        StatusCode::ACCEPTED
    );
    let email = app.delivered_emails().await.remove(before);
    let confirmed = app
        .post(
            &format!("/api/v1/public/verifications/{}", email.token("verify")),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
}

db_test!(
    a_change_the_signer_confirmed_waits_in_the_queue_until_applied_or_dropped,
    |app| {
        let (token, id) = moderated_letter(&app, "confirmed").await;
        signed_and_confirmed(&app, "confirmed", "Red Jesuita", "red@jesuitas.org").await;
        let sid = signature_named(&app, &token, id, "Red Jesuita").await["id"]
            .as_i64()
            .unwrap();
        let browser = signed_in(&app, "coord@wola.org").await;
        browser
            .get(&format!("/admin/letters/{id}/signatures"))
            .await;
        browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/approve"),
                &[("back", "")],
            )
            .await;
        change_confirmed_by_the_signer(&app, "Red Jesuita con Migrantes").await;

        let queue = browser
            .get(&format!("/admin/letters/{id}/signatures"))
            .await;

        assert!(
            queue.body.contains("Changes to review (1)"),
            "the change is back in the queue: {}",
            queue.body
        );
        assert!(queue.body.contains("The signer confirmed these changes"));
        assert!(queue.body.contains("<del>Red Jesuita</del>"));
        assert!(queue.body.contains("<ins>Red Jesuita con Migrantes</ins>"));
        assert!(queue.body.contains("Apply the changes"));
        assert_eq!(
            public_names(&app, "confirmed").await,
            vec!["Red Jesuita"],
            "public as it was until a coordinator decides"
        );
        let dropped = browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/reject"),
                &[
                    ("reason", "Not their name"),
                    ("about", "changes"),
                    ("back", ""),
                ],
            )
            .await;
        assert_eq!(dropped.status, StatusCode::SEE_OTHER);
        let queue = browser
            .get(&format!("/admin/letters/{id}/signatures?status=approved"))
            .await;
        assert!(
            queue.body.contains("Red Jesuita keeps its entry as it was"),
            "{}",
            queue.body
        );
        assert!(!queue.body.contains("The signer confirmed these changes"));
        assert_eq!(public_names(&app, "confirmed").await, vec!["Red Jesuita"]);
        assert_eq!(
            signature_named(&app, &token, id, "Red Jesuita").await["status"],
            "approved"
        );

        change_confirmed_by_the_signer(&app, "Red Jesuita con Migrantes").await;
        browser
            .get(&format!("/admin/letters/{id}/signatures"))
            .await;
        let applied = browser
            .post(
                &format!("/admin/letters/{id}/signatures/{sid}/approve"),
                &[("about", "changes"), ("back", "")],
            )
            .await;

        assert_eq!(applied.status, StatusCode::SEE_OTHER);
        assert_eq!(
            public_names(&app, "confirmed").await,
            vec!["Red Jesuita con Migrantes"]
        );
        let queue = browser
            .get(&format!("/admin/letters/{id}/signatures?status=approved"))
            .await;
        assert!(
            queue
                .body
                .contains("Red Jesuita con Migrantes is listed with the signer&#39;s changes")
                || queue
                    .body
                    .contains("Red Jesuita con Migrantes is listed with the signer's changes"),
            "{}",
            queue.body
        );
    }
);

db_test!(a_contact_is_erased_after_a_confirmation, |app| {
    let (token, id) = moderated_letter(&app, "erase").await;
    signed_and_confirmed(&app, "erase", "Sin Fronteras", "ana@sinfronteras.org.mx").await;
    let sid = signature_named(&app, &token, id, "Sin Fronteras").await["id"]
        .as_i64()
        .unwrap();
    let browser = signed_in(&app, "coord@wola.org").await;
    let queue = browser
        .get(&format!("/admin/letters/{id}/signatures"))
        .await;
    let confirm_path = format!("/admin/letters/{id}/signatures/{sid}/erase");
    assert!(queue.body.contains(&confirm_path), "a link to erase");

    let confirm = browser
        .get(&format!("{confirm_path}?back=status%3Dverified"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("This cannot be undone."));
    assert_eq!(
        signature_named(&app, &token, id, "Sin Fronteras").await["contact_email"],
        "ana@sinfronteras.org.mx",
        "opening the confirmation erases nothing"
    );
    let erased = browser
        .post(&confirm_path, &[("back", "status=verified")])
        .await;

    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    let after = signature_named(&app, &token, id, "Sin Fronteras").await;
    assert_eq!(after["contact_email"], Value::Null);
    assert!(after["contact_erased_at"].is_string());
    let queue = browser.get(erased.location().unwrap()).await;
    assert!(
        queue
            .body
            .contains("Sin Fronteras no longer has contact data.")
    );
    assert!(!queue.body.contains("ana@sinfronteras.org.mx"));
});
