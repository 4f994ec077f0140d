//! The final letter over HTTP and the command line: PDF and CSV, and the frozen delivered copy.

use std::io::Write;
use std::process::{Command, Stdio};

use entity::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

/// Names that break naive exports: accents, quotes, commas, legal suffixes, formulas.
const TRICKY: [&str; 8] = [
    "Asociación Civil Sin Fronteras, A.C.",
    "Colectivo \"Ñañú\" (Oaxaca)",
    "L'Association d'Entraide",
    "=HYPERLINK(\"http://evil.example\")",
    "Łódź Workers' Union",
    "Òganizasyon Kreyòl Ayisyen",
    "Ärzte für Grundrechte",
    "São Paulo Fórum",
];

async fn letter_with_signatories(app: &TestApp) -> (String, i64) {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let letter = app
        .create_letter(
            &staff,
            &json!({
                "slug": "final",
                "title": "Letter on the Migrant Protection Protocols",
                "body": "Dear President,\n\nWe **urge** you to act.",
                "addressees": "President of Mexico",
                "translations": { "es": { "title": "Carta sobre los PPM", "body": "Estimado Presidente:", "addressees": "Presidente de México" } }
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
    for (n, name) in TRICKY.iter().enumerate() {
        let added = app
            .post(
                &format!("/api/v1/letters/{id}/signatures"),
                Some(&staff),
                &json!({ "name": name, "country": "MX", "city": "Tijuana", "contact_email": format!("c{n}@example.org"), "contact_phone": "+52 55 1234 5678" }),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }
    (staff, id)
}

fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext is installed (apt-get install poppler-utils; .ci/run does it)");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

async fn download(
    app: &TestApp,
    path: &str,
    token: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.get(path, Some(token)).await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn signon_export(app: &TestApp, args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_signon"))
        .args(["export", "final"])
        .args(args)
        .args(["--database-url", &app.database_url])
        .arg("--key-file")
        .arg(&app.key_file)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

db_test!(
    the_pdf_holds_every_name_in_order_and_no_contact_data,
    |app| {
        let (staff, id) = letter_with_signatories(&app).await;

        let (status, headers, pdf) =
            download(&app, &format!("/api/v1/letters/{id}/export.pdf"), &staff).await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("final-en.pdf")
        );
        let text = pdf_text(&pdf);
        assert!(text.contains("Letter on the Migrant Protection Protocols"));
        let mut last = 0;
        let mut expected: Vec<&str> = TRICKY.to_vec();
        let collator = signon::export::collation::NameCollator::new(entity::Language::En);
        expected.sort_by(|a, b| collator.compare(a, b));
        for name in expected {
            let at = text
                .find(name)
                .unwrap_or_else(|| panic!("{name:?} is in the PDF:\n{text}"));
            assert!(at >= last, "{name:?} is in order");
            last = at;
        }
        for private in ["example.org", "+52 55 1234 5678"] {
            assert!(!text.contains(private), "no contact data in the PDF");
        }
        let from_cli = signon_export(&app, &["--format", "pdf"]);
        assert!(
            from_cli == pdf,
            "the command line gives the same bytes as the API"
        );
    }
);

db_test!(a_translated_letter_exports_in_either_language, |app| {
    let (staff, id) = letter_with_signatories(&app).await;

    let (status, _, pdf) = download(
        &app,
        &format!("/api/v1/letters/{id}/export.pdf?lang=es"),
        &staff,
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(text.contains("Carta sobre los PPM"));
    assert!(text.contains("México"), "country names in Spanish");
    let (_, _, csv) = download(
        &app,
        &format!("/api/v1/letters/{id}/export.csv?lang=es"),
        &staff,
    )
    .await;
    assert!(String::from_utf8(csv).unwrap().contains("México"));
    app.patch(
        &format!("/api/v1/letters/{id}"),
        Some(&staff),
        &json!({ "translations": {} }),
    )
    .await;
    let missing = app
        .get(
            &format!("/api/v1/letters/{id}/export.pdf?lang=es"),
            Some(&staff),
        )
        .await;
    assert_error(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let unknown = app
        .get(
            &format!("/api/v1/letters/{id}/export.pdf?lang=fr"),
            Some(&staff),
        )
        .await;
    assert_error(unknown, StatusCode::BAD_REQUEST, "bad_request").await;
});

db_test!(csv_exports_round_trip_with_formulas_neutralized, |app| {
    let (staff, id) = letter_with_signatories(&app).await;

    let (status, headers, public) =
        download(&app, &format!("/api/v1/letters/{id}/export.csv"), &staff).await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        public.starts_with("\u{feff}".as_bytes()),
        "a byte-order mark for spreadsheets"
    );
    let mut reader = csv::Reader::from_reader(&public[3..]);
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    for name in TRICKY {
        let expected = if name.starts_with('=') {
            format!("'{name}")
        } else {
            name.to_owned()
        };
        assert!(names.contains(&expected), "{expected:?} in {names:?}");
    }
    let text = String::from_utf8(public.clone()).unwrap();
    assert!(
        !text.contains("example.org"),
        "the public CSV has no contact data"
    );
    assert!(
        signon_export(&app, &["--format", "csv"]) == public,
        "the command line gives the same bytes"
    );

    let (_, _, staff_csv) = download(
        &app,
        &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
        &staff,
    )
    .await;
    let staff_text = String::from_utf8(staff_csv).unwrap();
    assert!(staff_text.contains("c0@example.org") && staff_text.contains("approved"));
    let viewer = app.staff_token("vic@wola.org", "WOLA", Role::Viewer).await;
    assert_eq!(
        download(&app, &format!("/api/v1/letters/{id}/export.csv"), &viewer)
            .await
            .0,
        StatusCode::OK
    );
    let refused = app
        .get(
            &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
            Some(&viewer),
        )
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
});

db_test!(the_delivered_letter_is_frozen_byte_for_byte, |app| {
    let (staff, id) = letter_with_signatories(&app).await;
    for status in ["closed", "delivered"] {
        let moved = app
            .post(
                &format!("/api/v1/letters/{id}/status"),
                Some(&staff),
                &json!({ "status": status }),
            )
            .await;
        assert_eq!(moved.status(), StatusCode::OK);
    }
    let (_, headers, delivered_pdf) =
        download(&app, &format!("/api/v1/letters/{id}/export.pdf"), &staff).await;
    let (_, _, delivered_csv) =
        download(&app, &format!("/api/v1/letters/{id}/export.csv"), &staff).await;
    let sha = headers["x-content-sha256"].to_str().unwrap().to_owned();

    // A later change to a signature (a correction made in the database, a retention job)...
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

    // ...does not change what was delivered.
    let (_, headers, again_pdf) =
        download(&app, &format!("/api/v1/letters/{id}/export.pdf"), &staff).await;
    let (_, _, again_csv) =
        download(&app, &format!("/api/v1/letters/{id}/export.csv"), &staff).await;
    assert!(
        again_pdf == delivered_pdf,
        "the delivered PDF is byte-identical"
    );
    assert!(
        again_csv == delivered_csv,
        "the delivered CSV is byte-identical"
    );
    assert_eq!(headers["x-content-sha256"], sha.as_str());
    assert!(!pdf_text(&again_pdf).contains("Renamed Later"));
    let (_, _, spanish) = download(
        &app,
        &format!("/api/v1/letters/{id}/export.pdf?lang=es"),
        &staff,
    )
    .await;
    assert!(
        pdf_text(&spanish).contains("Carta sobre los PPM"),
        "each language is frozen"
    );
    assert!(signon_export(&app, &["--format", "pdf"]) == delivered_pdf);
});

db_test!(exports_need_a_coordinator, |app| {
    let (_, id) = letter_with_signatories(&app).await;
    let other = app.staff_token("x@other.org", "Other", Role::Owner).await;

    for path in [
        format!("/api/v1/letters/{id}/export.pdf"),
        format!("/api/v1/letters/{id}/export.csv"),
    ] {
        assert_error(
            app.get(&path, Some(&other)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_error(
            app.get(&path, None).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
});

/// The names as the public CSV writes them: formulas made inert.
fn as_written(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@']) {
        format!("'{name}")
    } else {
        name.to_owned()
    }
}

/// The staff table of a signature as made from its whole row: what the export, which reads
/// only the columns it writes, must give byte for byte.
fn staff_row_of(
    keys: &signon::service::keys::Keys,
    row: entity::signature::Model,
) -> signon::export::csv::StaffRow {
    use sea_orm::ActiveEnum;
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    let contact = signon::service::contact::load(keys, &row)
        .unwrap()
        .as_ref()
        .map(signon::domain::ContactFields::from)
        .unwrap_or_default();
    signon::export::csv::StaffRow {
        id: row.id,
        status: row.status.to_value(),
        source: row.source.to_value(),
        kind: row.kind.to_value(),
        public: signon::service::signing::public_of(&row),
        contact,
        consent: row.consent,
        created_at: row.created_at.to_rfc3339(),
        verified_at: time(row.verified_at),
        decided_at: time(row.decided_at),
        verification_note: row.verification_note,
        decision_reason: row.decision_reason,
        duplicate_of: row.duplicate_of,
        flags: row.flags,
        // The imported rows of this test came through no partner's link.
        partner: None,
    }
}

db_test!(
    the_staff_table_is_byte_for_byte_the_one_made_from_whole_rows,
    |app| {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let (staff, id) = letter_with_signatories(&app).await;
        // More than a page, in every state an import gives, with and without contacts.
        let mut file = String::from(
            "kind,name,affiliation,city,country,contact_name,contact_email,contact_phone,comment,status\n",
        );
        for n in 0..1_234 {
            let status = if n % 3 == 0 { "rejected" } else { "approved" };
            let kind = if n % 4 == 3 {
                "individual"
            } else {
                "organization"
            };
            let contact = if n % 7 == 0 {
                ",,,".to_owned()
            } else {
                format!("Persona {n},p{n}@example.org,+52 951 123 4567,\"=nota\nsegunda\"")
            };
            file.push_str(&format!(
                "{kind},\"Grupo {n}, A.C.\",Universidad,Oaxaca,MX,{contact},{status}\n"
            ));
        }
        let imported = app
            .send_raw(
                reqwest::Method::POST,
                &format!("/api/v1/letters/{id}/imports"),
                Some(&staff),
                "text/csv",
                file.into_bytes(),
            )
            .await;
        assert_eq!(imported.status(), StatusCode::OK);

        let (status, _, staff_csv) = download(
            &app,
            &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
            &staff,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let rows = entity::signature::Entity::find()
            .filter(entity::signature::Column::LetterId.eq(id))
            .order_by_asc(entity::signature::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), TRICKY.len() + 1_234);
        let whole: Vec<_> = rows
            .into_iter()
            .map(|row| staff_row_of(&app.keys, row))
            .collect();
        let expected = signon::export::csv::staff(&whole).unwrap();
        assert!(staff_csv == expected, "the same bytes as from whole rows");
        assert!(
            signon_export(&app, &["--format", "csv", "--scope", "staff"]) == expected,
            "and the command line's"
        );
    }
);

db_test!(
    a_list_longer_than_a_page_streams_every_signature_once_in_order,
    |app| {
        let (staff, id) = letter_with_signatories(&app).await;
        // More than two of the pages an export reads at a time; one in ten not approved.
        let mut file = String::from("name,country,contact_email,status\n");
        let mut approved: Vec<String> = TRICKY.iter().map(|name| name.to_string()).collect();
        for n in 0..2_500 {
            let status = if n % 10 == 0 { "rejected" } else { "approved" };
            file.push_str(&format!(
                "Organización {n:04},MX,i{n}@example.org,{status}\n"
            ));
            if status == "approved" {
                approved.push(format!("Organización {n:04}"));
            }
        }
        let imported = app
            .send_raw(
                reqwest::Method::POST,
                &format!("/api/v1/letters/{id}/imports"),
                Some(&staff),
                "text/csv",
                file.into_bytes(),
            )
            .await;
        assert_eq!(imported.status(), StatusCode::OK);

        let (status, headers, public) =
            download(&app, &format!("/api/v1/letters/{id}/export.csv"), &staff).await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"final-signatories-en.csv\""
        );
        let collator = signon::export::collation::NameCollator::new(entity::Language::En);
        approved.sort_by(|a, b| collator.compare(a, b).then_with(|| a.cmp(b)));
        let expected: Vec<String> = approved.iter().map(|name| as_written(name)).collect();
        let names: Vec<String> = csv::Reader::from_reader(&public[3..])
            .records()
            .map(|r| r.unwrap()[0].to_owned())
            .collect();
        assert!(names == expected, "every approved name once, in order");
        assert!(signon_export(&app, &["--format", "csv"]) == public);

        let (status, _, staff_csv) = download(
            &app,
            &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
            &staff,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&staff_csv[3..])
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), TRICKY.len() + 2_500, "every signature once");
        let ids: Vec<i64> = rows.iter().map(|row| row[0].parse().unwrap()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "by id");
        let last = rows.last().unwrap();
        assert_eq!(
            (&last[4], &last[13], &last[1]),
            ("Organización 2499", "i2499@example.org", "approved")
        );
        assert_eq!(rows.iter().filter(|row| &row[1] == "rejected").count(), 250);
        assert!(
            signon_export(&app, &["--format", "csv", "--scope", "staff"]) == staff_csv,
            "the command line writes the same staff table"
        );
    }
);
