//! The dashboard's import: upload a CSV, read the report row by row, confirm, and the very file
//! that was previewed is imported, once.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, Browser, TestApp};

/// The upload form's action, with its anti-forgery token, as a browser would post to.
pub(crate) fn upload_action(html: &str) -> String {
    let at = html
        .find("enctype=\"multipart/form-data\"")
        .unwrap_or_else(|| panic!("an upload form in {html}"));
    html[at..]
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&")
}

/// The hidden draft token of the confirmation form.
pub(crate) fn draft_of(html: &str) -> String {
    let at = html
        .find("name=\"draft\"")
        .unwrap_or_else(|| panic!("a confirmation form in {html}"));
    html[at..]
        .split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

async fn signature_names(app: &TestApp, token: &str, id: i64) -> Vec<String> {
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// An editor with an open letter that already has "Sin Fronteras"; the signature's id.
async fn letter_with_one_signature(app: &TestApp) -> (String, i64, i64) {
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&token, "mpp").await;
    let added: Value = app
        .post(
            &format!("/api/v1/letters/{id}/signatures"),
            Some(&token),
            &json!({ "name": "Sin Fronteras", "country": "MX", "contact_email": "ana@sinfronteras.org" }),
        )
        .await
        .json()
        .await
        .unwrap();
    (token, id, added["id"].as_i64().unwrap())
}

db_test!(
    the_report_shows_each_row_imported_duplicate_or_invalid_and_nothing_is_written,
    |app| {
        let (token, id, existing) = letter_with_one_signature(&app).await;
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let form = browser.get(&format!("/admin/letters/{id}/import")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);

        let csv = "Organization name,Country,Email address,Number\n\
                   Casa del Migrante,Mexico,casa@example.org,1\n\
                   Sin Fronteras A.C.,MX,ana@sinfronteras.org,2\n\
                   Casa del Migrante,MX,casa@example.org,3\n\
                   ,MX,not-an-email,4\n";
        let report = browser
            .upload(
                &upload_action(&form.body),
                "file",
                "endorsements.csv",
                csv.as_bytes(),
            )
            .await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.body);
        let body = &report.body;
        assert!(body.contains("Casa del Migrante"), "{body}");
        assert!(
            body.contains(&format!(
                "href=\"/admin/letters/{id}/signatures/{existing}\""
            )),
            "the duplicate links to the signature already there: {body}"
        );
        assert!(body.contains(&format!("Already on the letter: signature #{existing}")));
        assert!(body.contains("Same signatory as line 2"), "{body}");
        assert!(body.contains("Cannot be imported"));
        assert!(
            body.contains("This field is required."),
            "the missing name: {body}"
        );
        assert!(
            body.contains("Enter an email address"),
            "the bad email: {body}"
        );
        assert!(body.contains("Columns not used:") && body.contains("Number"));
        assert!(
            !body.contains("name=\"draft\""),
            "no confirmation while a row is invalid"
        );
        let sha = hex::encode(Sha256::digest(csv.as_bytes()));
        assert!(body.contains(&sha), "the file's SHA-256 is shown");

        assert_eq!(signature_names(&app, &token, id).await, ["Sin Fronteras"]);
    }
);

db_test!(
    a_previewed_file_is_imported_on_confirmation_exactly_once,
    |app| {
        let (token, id, _) = letter_with_one_signature(&app).await;
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let form = browser.get(&format!("/admin/letters/{id}/import")).await;
        let action = upload_action(&form.body);

        let without_token = browser
            .upload(
                &format!("/admin/letters/{id}/import"),
                "file",
                "a.csv",
                b"name\nX\n",
            )
            .await;
        assert_eq!(without_token.status, StatusCode::FORBIDDEN);

        let csv = "name,country,contact_email\r\n\
                   Casa del Migrante,MX,casa@example.org\r\n\
                   Red Jesuita con Migrantes,MX,red@jesuitas.org\r\n\
                   Sin Fronteras,MX,ana@sinfronteras.org\r\n";
        let preview = browser
            .upload(&action, "file", "endorsements.csv", csv.as_bytes())
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(
            preview.body.contains("Import these 2 rows"),
            "{}",
            preview.body
        );
        let sha = hex::encode(Sha256::digest(csv.as_bytes()));
        assert!(preview.body.contains(&sha));
        assert_eq!(
            signature_names(&app, &token, id).await,
            ["Sin Fronteras"],
            "the preview writes nothing"
        );

        let draft = draft_of(&preview.body);
        let confirm_path = format!("/admin/letters/{id}/import/confirm");
        let forged = browser
            .post(&confirm_path, &[("draft", "not-the-token")])
            .await;
        assert_eq!(forged.status, StatusCode::GONE);

        let done = browser.post(&confirm_path, &[("draft", &draft)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(
            done.location(),
            Some(format!("/admin/letters/{id}/import").as_str())
        );
        let after = browser.get(done.location().unwrap()).await;
        assert!(
            after.body.contains("Imported 2 signatures"),
            "{}",
            after.body
        );
        assert!(
            after.body.contains(&sha),
            "the imported file's SHA-256 is shown"
        );
        assert_eq!(
            signature_names(&app, &token, id).await,
            [
                "Casa del Migrante",
                "Red Jesuita con Migrantes",
                "Sin Fronteras"
            ]
        );

        let again = browser.post(&confirm_path, &[("draft", &draft)]).await;
        assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
        assert!(again.body.contains("already imported"), "{}", again.body);
        assert_eq!(signature_names(&app, &token, id).await.len(), 3);

        let history = browser.get(&format!("/admin/letters/{id}/audit")).await;
        assert!(
            history
                .body
                .contains("Test Staff imported 2 signatures from a file"),
            "{}",
            history.body
        );
    }
);

db_test!(a_viewer_cannot_import, |app| {
    let (_, id, _) = letter_with_one_signature(&app).await;
    app.add_staff("viewer@wola.org", "WOLA", Role::Viewer).await;
    let browser = Browser::new(&app);
    browser.sign_in("viewer@wola.org").await;
    let page = browser.get(&format!("/admin/letters/{id}/import")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
});

#[tokio::test]
async fn a_file_over_the_limit_gets_a_page_that_says_so() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.max_body_bytes = 4096;
        settings.max_import_bytes = 16 * 1024;
    })
    .await;
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&token, "mpp").await;
    let browser = Browser::new(&app);
    browser.sign_in("coord@wola.org").await;
    let form = browser
        .get(&format!("/admin/letters/{id}/import?lang=es"))
        .await;
    // Over the small limit every route has, under the import's own: the signed-in editor's
    // upload gets the import's limit.
    let mut csv = b"name\n".to_vec();
    let mut n = 0;
    while csv.len() < 8192 {
        n += 1;
        csv.extend_from_slice(format!("Casa del Migrante {n}\n").as_bytes());
    }
    let previewed = browser
        .upload(&upload_action(&form.body), "file", "medium.csv", &csv)
        .await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);

    let form = browser
        .get(&format!("/admin/letters/{id}/import?lang=es"))
        .await;
    while csv.len() < 32 * 1024 {
        n += 1;
        csv.extend_from_slice(format!("Casa del Migrante {n}\n").as_bytes());
    }
    let refused = browser
        .upload(&upload_action(&form.body), "file", "big.csv", &csv)
        .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        refused.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "a page, not a JSON error"
    );
    assert!(
        refused.body.contains("Este archivo es demasiado grande"),
        "in the reader's language: {}",
        refused.body
    );
    assert!(refused.body.contains("16 KB"), "{}", refused.body);
}
