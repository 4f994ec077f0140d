//! Importing signatures from CSV, with the real 400-organization letter as the main witness.

use std::process::Command;

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/open-letter-2020-400-orgs.csv"
);

fn fixture_names() -> Vec<String> {
    let mut reader = csv::Reader::from_path(FIXTURE).expect("the fixture is in tests/fixtures/");
    reader.records().map(|r| r.unwrap()[2].to_owned()).collect()
}

async fn post_csv(
    app: &TestApp,
    token: &str,
    id: i64,
    query: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.send_raw(
        reqwest::Method::POST,
        &format!("/api/v1/letters/{id}/imports{query}"),
        Some(token),
        "text/csv",
        body,
    )
    .await
}

async fn open_letter(app: &TestApp) -> (String, i64) {
    let staff = app
        .staff_token(
            "coord@ourworld.org",
            "Our World Is Not for Sale",
            Role::Editor,
        )
        .await;
    let id = app.open_letter(&staff, "wto-2020").await;
    (staff, id)
}

db_test!(
    the_400_organization_letter_imports_with_every_name_exactly_as_written,
    |app| {
        let (staff, id) = open_letter(&app).await;
        let file = std::fs::read(FIXTURE).unwrap();

        let dry: Value = post_csv(&app, &staff, id, "?dry_run=true", file.clone())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(dry["committed"], false);
        assert_eq!(dry["imported"], 400);
        assert_eq!(dry["invalid"], 0);
        assert_eq!(dry["ignored_columns"], json!(["number", "section"]));
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0, "a dry run writes nothing");

        let real = post_csv(&app, &staff, id, "", file).await;
        assert_eq!(real.status(), StatusCode::OK);
        let report: Value = real.json().await.unwrap();
        assert_eq!(report["committed"], true);
        assert_eq!(report["imported"], 400);
        let marocco = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["warnings"].to_string().contains("Marocco"));
        assert!(marocco.is_some(), "a misspelled country is pointed out");

        let public: Value = app
            .get(
                "/api/v1/public/letters/wto-2020/signatories?limit=1000",
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["total"], 400);
        let mut listed: Vec<String> = public["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        let mut expected = fixture_names();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "every name survives the import exactly");

        let csv_export = app
            .get(&format!("/api/v1/letters/{id}/export.csv"), Some(&staff))
            .await
            .bytes()
            .await
            .unwrap();
        let mut reader = csv::Reader::from_reader(&csv_export[3..]);
        let mut exported: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].trim_start_matches('\'').to_owned())
            .collect();
        exported.sort();
        assert_eq!(exported, expected, "and the export");
    }
);

db_test!(
    duplicates_in_the_file_and_on_the_letter_are_reported_and_skipped,
    |app| {
        let (staff, id) = open_letter(&app).await;
        app.post(
        &format!("/api/v1/letters/{id}/signatures"),
        Some(&staff),
        &json!({ "name": "Sin Fronteras", "country": "MX", "contact_email": "ana@sinfronteras.org.mx" }),
    )
    .await;
        let file = "Organization name,Country,Email address\n\
                Asociación Civil Sin Fronteras A.C.,Mexico,\n\
                Red Jesuita con Migrantes,Guatemala,red@jesuitas.org\n\
                Red Jesuita con Migrantes,Guatemala,\n\
                Another Name,Mexico,ANA@sinfronteras.org.mx\n\
                Casa del Migrante,México,casa@example.org\n";

        let report: Value = post_csv(&app, &staff, id, "", file.as_bytes().to_vec())
            .await
            .json()
            .await
            .unwrap();

        let rows = report["rows"].as_array().unwrap();
        let outcome = |line: u64| rows.iter().find(|r| r["line"] == line).unwrap().clone();
        assert_eq!(
            outcome(2)["outcome"],
            "duplicate",
            "same name key and country as signature 1"
        );
        assert_eq!(outcome(2)["duplicate_of"], 1);
        assert_eq!(outcome(3)["outcome"], "imported");
        assert_eq!(outcome(4)["outcome"], "duplicate");
        assert_eq!(outcome(4)["duplicate_of_line"], 3);
        assert_eq!(
            outcome(5)["outcome"],
            "duplicate",
            "same contact email as signature 1"
        );
        assert_eq!(outcome(6)["outcome"], "imported");
        assert_eq!(report["imported"], 2);
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 3);
        let imported = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Casa del Migrante")
            .unwrap()
            .clone();
        assert_eq!(imported["source"], "import");
        assert_eq!(imported["status"], "approved");
        assert_eq!(imported["country"], "MX");
    }
);

db_test!(
    bad_rows_are_reported_by_line_and_a_real_import_writes_nothing,
    |app| {
        let (staff, id) = open_letter(&app).await;
        let file = "name,country,contact_email,status\n\
                Good Org,MX,good@example.org,\n\
                ,MX,nameless@example.org,\n\
                Bad Email Org,MX,not-an-email,\n\
                Odd Status Org,MX,odd@example.org,famous\n\
                Pending Org,MX,pending@example.org,pending_verification\n";

        let dry: Value = post_csv(&app, &staff, id, "?dry_run=true", file.as_bytes().to_vec())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(dry["invalid"], 3);
        let rows = dry["rows"].as_array().unwrap();
        assert!(rows[1]["errors"]["name"].is_string() && rows[1]["line"] == 3);
        assert!(rows[2]["errors"]["contact_email"].is_string() && rows[2]["line"] == 4);
        assert!(rows[3]["errors"]["status"].is_string() && rows[3]["line"] == 5);

        let real = post_csv(&app, &staff, id, "?dry_run=false", file.as_bytes().to_vec()).await;
        let body = assert_error(real, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(
            body["fields"]["line 4: contact_email"].is_string(),
            "{body}"
        );
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0, "all or nothing");

        let no_names = post_csv(
            &app,
            &staff,
            id,
            "",
            b"email,country\na@b.org,MX\n".to_vec(),
        )
        .await;
        let body = assert_error(
            no_names,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["fields"]["file"].is_string());
        let viewer = app
            .staff_token(
                "vic@ourworld.org",
                "Our World Is Not for Sale",
                Role::Viewer,
            )
            .await;
        assert_error(
            post_csv(&app, &viewer, id, "", b"name\nX\n".to_vec()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
);

fn signon(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signon"))
        .args(args)
        .args(["--database-url", &app.database_url])
        .arg("--key-file")
        .arg(&app.key_file)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

db_test!(the_command_line_imports_with_a_report_per_row, |app| {
    let (staff, id) = open_letter(&app).await;

    let dry = signon(&app, &["import", "wto-2020", FIXTURE, "--dry-run"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let report = String::from_utf8(dry.stdout).unwrap();
    assert!(
        report.contains("line 2: would be imported (ActionAid International)"),
        "{report}"
    );
    assert_eq!(
        report
            .lines()
            .filter(|l| l.contains("would be imported"))
            .count(),
        400
    );

    let real = signon(&app, &["import", "wto-2020", FIXTURE]);
    assert!(real.status.success());
    assert!(String::from_utf8_lossy(&real.stderr).contains("400 imported"));
    let again = signon(&app, &["import", "wto-2020", FIXTURE]);
    assert!(
        String::from_utf8(again.stdout)
            .unwrap()
            .contains("duplicate of signature")
    );
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 400, "importing twice adds nothing");

    let missing = signon(&app, &["import", "wto-2020", "/no/such/file.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /no/such/file.csv"));
    let unknown = signon(&app, &["import", "no-such-letter", FIXTURE]);
    assert_eq!(unknown.status.code(), Some(2));
});

#[tokio::test]
async fn a_hundred_thousand_rows_import() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let (staff, id) = open_letter(&app).await;
    let mut file = String::from("name,country,email\n");
    for n in 0..100_000 {
        file.push_str(&format!(
            "Organización número {n},MX,contact{n}@example.org\n"
        ));
    }
    let path = app.mail_dir.with_file_name("big.csv");
    std::fs::write(&path, file).unwrap();

    let output = signon(&app, &["import", "wto-2020", path.to_str().unwrap()]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: Value = app
        .get(
            &format!("/api/v1/letters/{id}/signatures?limit=1"),
            Some(&staff),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 100_000);
}
