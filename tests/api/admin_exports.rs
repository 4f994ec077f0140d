//! The dashboard's downloads: the PDF in each language, the CSV lists, the staff CSV only for
//! roles that see contacts, and the fingerprints of a delivered letter's frozen copies.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Browser, TestApp};

/// An editor's open letter in English and Spanish with one approved signatory; its id.
async fn letter_with_a_signatory(app: &TestApp) -> (String, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter = app
        .create_letter(
            &token,
            &json!({
                "slug": "final",
                "title": "Letter on the Migrant Protection Protocols",
                "body": "Dear President,\n\nWe urge you to act.",
                "translations": { "es": { "title": "Carta sobre los PPM", "body": "Estimado Presidente:" } }
            }),
        )
        .await;
    let id = letter["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/letters/{id}/status"),
        Some(&token),
        &json!({ "status": "open" }),
    )
    .await;
    let added = app
        .post(
            &format!("/api/v1/letters/{id}/signatures"),
            Some(&token),
            &json!({ "name": "Asociación Sin Fronteras", "country": "MX", "contact_email": "ana@sinfronteras.org" }),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    (token, id)
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers[name].to_str().unwrap().to_owned()
}

db_test!(
    an_editor_downloads_the_pdf_in_each_language_and_both_lists,
    |app| {
        let (_, id) = letter_with_a_signatory(&app).await;
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let page = browser.get(&format!("/admin/letters/{id}/exports")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for file in [
            "letter-en.pdf",
            "letter-es.pdf",
            "signatories-en.csv",
            "signatories-es.csv",
            "staff.csv",
        ] {
            assert!(
                page.body
                    .contains(&format!("href=\"/admin/letters/{id}/download/{file}\"")),
                "a link to {file}: {}",
                page.body
            );
        }

        for (file, name) in [
            ("letter-en.pdf", "final-en.pdf"),
            ("letter-es.pdf", "final-es.pdf"),
        ] {
            let (status, headers, bytes) = browser
                .download(&format!("/admin/letters/{id}/download/{file}"))
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(header(&headers, "content-type"), "application/pdf");
            assert_eq!(
                header(&headers, "content-disposition"),
                format!("attachment; filename=\"{name}\"")
            );
            assert!(bytes.starts_with(b"%PDF"));
            assert_eq!(
                header(&headers, "x-content-sha256"),
                hex::encode(Sha256::digest(&bytes))
            );
        }

        let (status, headers, bytes) = browser
            .download(&format!("/admin/letters/{id}/download/signatories-es.csv"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            header(&headers, "content-disposition"),
            "attachment; filename=\"final-signatories-es.csv\""
        );
        let public = String::from_utf8(bytes).unwrap();
        assert!(public.contains("Asociación Sin Fronteras"));
        assert!(
            !public.contains("ana@sinfronteras.org"),
            "no contact in the public list"
        );

        let (status, headers, bytes) = browser
            .download(&format!("/admin/letters/{id}/download/staff.csv"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(header(&headers, "content-disposition").starts_with("attachment;"));
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .contains("ana@sinfronteras.org")
        );

        let (status, _, _) = browser
            .download(&format!("/admin/letters/{id}/download/letter-fr.pdf"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    a_viewer_gets_no_staff_list_link_and_a_403_at_its_address,
    |app| {
        let (_, id) = letter_with_a_signatory(&app).await;
        app.add_staff("viewer@wola.org", "WOLA", Role::Viewer).await;
        let browser = Browser::new(&app);
        browser.sign_in("viewer@wola.org").await;
        let page = browser.get(&format!("/admin/letters/{id}/exports")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("letter-en.pdf"));
        assert!(!page.body.contains("staff.csv"), "{}", page.body);

        let (status, headers, bytes) = browser
            .download(&format!("/admin/letters/{id}/download/staff.csv"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(header(&headers, "content-type").starts_with("text/html"));
        assert!(
            !String::from_utf8(bytes)
                .unwrap()
                .contains("ana@sinfronteras.org")
        );

        let (status, _, _) = browser
            .download(&format!("/admin/letters/{id}/download/letter-en.pdf"))
            .await;
        assert_eq!(status, StatusCode::OK, "viewers download the public files");

        let outsider = Browser::new(&app);
        app.add_staff("someone@other.org", "Other", Role::Owner)
            .await;
        outsider.sign_in("someone@other.org").await;
        let (status, _, _) = outsider
            .download(&format!("/admin/letters/{id}/download/letter-en.pdf"))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "another organization's staff"
        );
    }
);

db_test!(
    a_delivered_letter_shows_its_frozen_copies_with_their_fingerprints,
    |app| {
        let (token, id) = letter_with_a_signatory(&app).await;
        for status in ["closed", "delivered"] {
            let moved = app
                .post(
                    &format!("/api/v1/letters/{id}/status"),
                    Some(&token),
                    &json!({ "status": status }),
                )
                .await;
            assert_eq!(moved.status(), StatusCode::OK);
        }
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let page = browser.get(&format!("/admin/letters/{id}/exports")).await;
        assert!(
            page.body.contains("Copies frozen at delivery"),
            "{}",
            page.body
        );
        for file in [
            "letter-en.pdf",
            "letter-es.pdf",
            "signatories-en.csv",
            "signatories-es.csv",
        ] {
            let (_, _, bytes) = browser
                .download(&format!("/admin/letters/{id}/download/{file}"))
                .await;
            let sha = hex::encode(Sha256::digest(&bytes));
            assert!(page.body.contains(&sha), "the SHA-256 of {file} is shown");
        }
        let api: Value = app
            .get(&format!("/api/v1/letters/{id}"), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["status"], "delivered");
    }
);
