//! The public pages, as a browser without JavaScript uses them.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, organization_form};

async fn open_bilingual_letter(app: &TestApp) -> (String, i64) {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter = app
        .create_letter(
            &staff,
            &json!({
                "slug": "mpp",
                "title": "Letter on the Migrant Protection Protocols",
                "body": "Dear **President**,\n\n- asylum\n- safety\n\n<script>alert('x')</script>",
                "addressees": "President of Mexico",
                "accept_individuals": true,
                "translations": { "es": { "title": "Carta sobre los PPM", "body": "Estimado **Presidente**:", "addressees": "Presidente de México" } }
            }),
        )
        .await;
    let id = letter["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/letters/{id}/status"),
        Some(&staff),
        &json!({ "status": "open" }),
    )
    .await;
    (staff, id)
}

db_test!(
    the_letter_page_shows_the_letter_and_its_form_in_the_readers_language,
    |app| {
        open_bilingual_letter(&app).await;

        let (status, english) = app.get_page("/l/mpp", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(english.contains("<html lang=\"en\""));
        assert!(english.contains("Letter on the Migrant Protection Protocols"));
        assert!(english.contains("<strong>President</strong>"));
        assert!(
            !english.contains("<script>alert"),
            "raw HTML never passes through"
        );
        assert!(english.contains("Sign the letter"));
        for field in [
            "name",
            "contact_name",
            "contact_email",
            "country",
            "consent",
        ] {
            assert!(
                english.contains(&format!("for=\"{field}\"")),
                "a label for {field}"
            );
        }
        assert!(
            english.contains("href=\"/l/mpp?lang=es\""),
            "a switch to Spanish"
        );

        let (_, spanish) = app
            .get_page("/l/mpp", Some("es-MX,es;q=0.9,en;q=0.5"))
            .await;
        assert!(spanish.contains("<html lang=\"es\""));
        assert!(spanish.contains("Carta sobre los PPM"));
        assert!(spanish.contains("Firmar la carta"));
        assert!(spanish.contains("México"), "country names in Spanish");
        let (_, chosen) = app.get_page("/l/mpp?lang=es", Some("en")).await;
        assert!(
            chosen.contains("Firmar la carta"),
            "?lang= wins over the browser"
        );
    }
);

db_test!(
    a_valid_form_says_to_check_the_email_and_sends_the_link,
    |app| {
        let (staff, id) = open_bilingual_letter(&app).await;

        let response = app
            .post_form(
                "/l/mpp/sign?lang=es",
                &organization_form("Sin Fronteras", "ana@sinfronteras.org.mx"),
            )
            .await;

        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        assert!(page.contains("Revise su correo"), "{page}");
        let email = app.wait_for_emails(1).await.remove(0);
        assert!(email.subject.contains("Carta sobre los PPM"));
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"][0]["status"], "pending_verification");
        assert_eq!(list["items"][0]["language"], "es");
    }
);

db_test!(
    an_invalid_form_comes_back_with_422_values_kept_and_fields_marked,
    |app| {
        open_bilingual_letter(&app).await;
        let mut fields = organization_form("Sin Fronteras \"Tijuana\"", "not-an-email");
        fields.retain(|(name, _)| *name != "consent");

        let response = app.post_form("/l/mpp/sign", &fields).await;

        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("Please correct the marked fields."));
        assert!(
            page.contains("value=\"Sin Fronteras &quot;Tijuana&quot;\""),
            "the name is kept"
        );
        assert!(
            page.contains("value=\"not-an-email\""),
            "the email is kept as typed"
        );
        assert!(page.contains("id=\"contact_email-error\""));
        assert!(page.contains("aria-describedby=\"contact_email-error\""));
        assert!(page.contains("id=\"consent-error\""));
        assert!(
            page.contains("<option value=\"MX\" selected"),
            "the country stays chosen"
        );
        assert_eq!(app.outbox_len().await, 0);
        assert!(app.delivered_emails().await.is_empty());
    }
);

db_test!(
    a_likely_typo_in_the_email_is_pointed_out_before_it_is_sent,
    |app| {
        open_bilingual_letter(&app).await;
        let fields = organization_form("Sin Fronteras", "ana@gmial.com");

        let first = app.post_form("/l/mpp/sign", &fields).await;

        assert_eq!(first.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = first.text().await.unwrap();
        assert!(page.contains("ana@gmail.com"), "the suggestion is shown");
        assert!(page.contains("name=\"email_checked\""));
        assert_eq!(app.outbox_len().await, 0);
        assert!(app.delivered_emails().await.is_empty());

        let mut kept = fields.clone();
        kept.push(("email_checked", "1"));
        let second = app.post_form("/l/mpp/sign", &kept).await;
        assert_eq!(second.status(), StatusCode::OK);
        assert_eq!(app.wait_for_emails(1).await[0].to, "ana@gmial.com");
    }
);

db_test!(
    a_filled_honeypot_is_accepted_silently_flagged_and_never_emailed,
    |app| {
        let (staff, id) = open_bilingual_letter(&app).await;
        let mut fields = organization_form("Totally Real Org", "bot@example.org");
        fields.retain(|(name, _)| *name != "fax");
        fields.push(("fax", "http://spam.example"));

        let response = app.post_form("/l/mpp/sign", &fields).await;

        assert_eq!(response.status(), StatusCode::OK, "the bot sees success");
        assert_eq!(app.outbox_len().await, 0);
        assert!(app.delivered_emails().await.is_empty());
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"][0]["signals"]["flags"], json!(["honeypot"]));
        assert_eq!(list["items"][0]["status"], "pending_verification");
    }
);

db_test!(
    a_get_on_the_verify_link_changes_nothing_and_the_button_confirms,
    |app| {
        let (staff, id) = open_bilingual_letter(&app).await;
        app.post_form(
            "/l/mpp/sign",
            &organization_form("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;
        let email = app.wait_for_emails(1).await.remove(0);
        let link = email.link("verify");
        let path = link
            .split_once("127.0.0.1")
            .unwrap()
            .1
            .split_once('/')
            .map(|(_, p)| format!("/{p}"))
            .unwrap();

        for _ in 0..3 {
            let (status, page) = app.get_page(&path, None).await;
            assert_eq!(status, StatusCode::OK);
            assert!(page.contains("Confirm that Sin Fronteras signs"));
            assert!(page.contains("<form method=\"post\""));
        }
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            list["items"][0]["status"], "pending_verification",
            "a GET changes nothing"
        );

        let confirmed = app.post_form(&path, &[]).await;
        assert_eq!(confirmed.status(), StatusCode::OK);
        assert!(confirmed.text().await.unwrap().contains("is confirmed"));
        let (_, signatories) = app.get_page("/l/mpp/signatories", None).await;
        assert!(signatories.contains("Sin Fronteras"));
        assert!(signatories.contains("1 signatory"));

        let again = app.post_form(&path, &[]).await;
        assert_eq!(again.status(), StatusCode::GONE);
        assert!(again.text().await.unwrap().contains("already used"));
        let (unknown, _) = app.get_page("/verify/not-a-token", None).await;
        assert_eq!(unknown, StatusCode::NOT_FOUND);
    }
);

db_test!(the_withdraw_link_asks_first_then_withdraws, |app| {
    open_bilingual_letter(&app).await;
    app.post_form(
        "/l/mpp/sign?lang=es",
        &organization_form("Sin Fronteras", "ana@sinfronteras.org.mx"),
    )
    .await;
    let email = app.wait_for_emails(1).await.remove(0);
    let verify = format!("/verify/{}?lang=es", email.token("verify"));
    app.post_form(&verify, &[]).await;
    let withdraw = format!("/withdraw/{}?lang=es", email.token("withdraw"));

    let (status, page) = app.get_page(&withdraw, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Retirar la firma"));
    let (_, still_there) = app.get_page("/l/mpp/signatories", None).await;
    assert!(still_there.contains("Sin Fronteras"));

    let done = app.post_form(&withdraw, &[]).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("fue retirada"));
    let (_, gone) = app.get_page("/l/mpp/signatories", None).await;
    assert!(!gone.contains("Sin Fronteras"));
});

db_test!(closed_and_draft_letters_show_no_form, |app| {
    let (staff, id) = open_bilingual_letter(&app).await;
    app.create_letter(
        &staff,
        &json!({ "slug": "draft", "title": "Secret", "body": "B" }),
    )
    .await;
    app.post(
        &format!("/api/v1/letters/{id}/status"),
        Some(&staff),
        &json!({ "status": "closed" }),
    )
    .await;

    let (status, page) = app.get_page("/l/mpp", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("closed to new signatures"));
    assert!(!page.contains("<form"));
    let late = app
        .post_form(
            "/l/mpp/sign",
            &organization_form("Late", "late@example.org"),
        )
        .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    let (draft, page) = app.get_page("/l/draft", None).await;
    assert_eq!(draft, StatusCode::NOT_FOUND);
    assert!(!page.contains("Secret"));
});

db_test!(public_pages_never_show_contact_data, |app| {
    open_bilingual_letter(&app).await;
    let fields = organization_form("Sin Fronteras", "ana@sinfronteras.org.mx");
    let confirmation = app
        .post_form("/l/mpp/sign", &fields)
        .await
        .text()
        .await
        .unwrap();
    let email = app.wait_for_emails(1).await.remove(0);
    let verify_page = app
        .get_page(&format!("/verify/{}", email.token("verify")), None)
        .await
        .1;
    let confirmed = app
        .post_form(&format!("/verify/{}", email.token("verify")), &[])
        .await
        .text()
        .await
        .unwrap();
    let withdraw_page = app
        .get_page(&format!("/withdraw/{}", email.token("withdraw")), None)
        .await
        .1;
    let letter = app.get_page("/l/mpp", None).await.1;
    let list = app.get_page("/l/mpp/signatories", None).await.1;

    for page in [
        confirmation,
        verify_page,
        confirmed,
        withdraw_page,
        letter,
        list,
    ] {
        for private in [
            "ana@sinfronteras.org.mx",
            "Ana Pérez Contacto",
            "+52 55 5514 1521",
            "Private note",
        ] {
            assert!(!page.contains(private), "{private:?} on a public page");
        }
    }
});

db_test!(the_spanish_form_marks_errors_in_spanish, |app| {
    open_bilingual_letter(&app).await;

    let response = app
        .post_form(
            "/l/mpp/sign?lang=es",
            &[("name", ""), ("contact_email", "ana@")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Corrija los campos señalados."));
    assert!(page.contains("Este campo es obligatorio."));
    assert!(page.contains("Escriba una dirección de correo"));
    assert!(page.contains("Marque la casilla"));
    assert!(!page.contains("This field is required."));
});

db_test!(pages_are_sent_with_protective_headers, |app| {
    open_bilingual_letter(&app).await;

    let response = app.get("/l/mpp", None).await;

    let headers = response.headers();
    assert_eq!(
        headers["referrer-policy"], "no-referrer",
        "tokens in addresses never leak by Referer"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
});
