//! Erasing a signer's contact leaves nothing of it behind: the contact fields, the network and
//! browser hashes, and the copies of the emails sent to it. Retention erases the same way once
//! a letter was delivered, or closed and never delivered, or its signer withdrew.

use chrono::{Duration, SubsecRound, Utc};
use entity::{Role, signature};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use signon::service::outbox::MailCopies;
use signon::service::retention;

use crate::helpers::{Backend, EmptyDatabase, TestApp, organization};

const ANA: &str = "ana@sinfronteras.org.mx";
const CASA: &str = "casa@example.org";

/// A coordinator's token and an open letter with the given slug and retention period.
async fn letter(app: &TestApp, slug: &str, retention_days: i32) -> (String, i64) {
    let staff = app.login("coord@wola.org").await;
    let id = app.open_letter(&staff, slug).await;
    let set = app
        .patch(
            &format!("/api/v1/letters/{id}"),
            Some(&staff),
            &json!({ "retention_days": retention_days }),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    (staff, id)
}

async fn set_status(app: &TestApp, staff: &str, id: i64, status: &str) {
    let response = app
        .post(
            &format!("/api/v1/letters/{id}/status"),
            Some(staff),
            &json!({ "status": status }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "moving to {status}");
}

/// The stored signature whose public name is `name`.
async fn stored(app: &TestApp, name: &str) -> signature::Model {
    signature::Entity::find()
        .filter(signature::Column::Name.eq(name))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no signature named {name}"))
}

/// Asserts that nothing personal of the signature named `name` (contact `email`) is left.
async fn assert_erased(app: &TestApp, name: &str, email: &str) {
    let row = stored(app, name).await;
    assert!(row.contact_erased_at.is_some(), "{name} is marked erased");
    assert_eq!(row.contact_email_key, None);
    assert_eq!(row.ip_hash, None, "the network hash of {name} is cleared");
    assert_eq!(
        row.user_agent_hash, None,
        "the browser hash of {name} is cleared"
    );
    assert_eq!(
        app.mail_files_holding(email),
        0,
        "no email file to {email} is left"
    );
}

/// Asserts that the contact of the signature named `name` is still there.
async fn assert_kept(app: &TestApp, name: &str, email: &str) {
    let row = stored(app, name).await;
    assert_eq!(row.contact_erased_at, None, "{name} keeps its contact");
    assert!(row.ip_hash.is_some());
    assert!(
        app.mail_files_holding(email) > 0,
        "the emails to {email} stay"
    );
}

fn copies(app: &TestApp) -> MailCopies {
    MailCopies::in_folder(app.mail_dir.clone())
}

async fn spawn_with_staff(app: &TestApp) {
    app.add_staff("coord@wola.org", "WOLA", Role::Editor).await;
}

db_test!(
    erasing_a_contact_clears_its_hashes_and_removes_the_emails_sent_to_it,
    |app| {
        spawn_with_staff(&app).await;
        let (staff, id) = letter(&app, "erasure", 90).await;
        // A browser's submission, so that the browser hash is stored as well.
        let signed = reqwest::Client::new()
            .post(format!(
                "{}/api/v1/public/letters/erasure/signatures",
                app.address
            ))
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
            )
            .json(&organization("Sin Fronteras", ANA))
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), StatusCode::ACCEPTED);
        app.sign_and_confirm("erasure", &organization("Sin Fronteras", ANA))
            .await;
        app.sign_and_confirm("erasure", &organization("Casa del Migrante", CASA))
            .await;
        let ana = stored(&app, "Sin Fronteras").await;
        assert!(ana.ip_hash.is_some() && ana.user_agent_hash.is_some());
        assert_eq!(app.mail_files_holding(ANA), 2, "two emails went to Ana");

        let erased = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{}/erase", ana.id),
                Some(&staff),
                &json!({}),
            )
            .await;

        assert_eq!(erased.status(), StatusCode::OK);
        assert_erased(&app, "Sin Fronteras", ANA).await;
        assert_kept(&app, "Casa del Migrante", CASA).await;

        let output = std::process::Command::new(env!("CARGO_BIN_EXE_signon"))
            .args([
                "erase",
                "erasure",
                "--email",
                CASA,
                "--database-url",
                &app.database_url,
            ])
            .arg("--key-file")
            .arg(&app.key_file)
            .env_remove("DATABASE_URL")
            .env("SIGNON_MAIL_DIR", &app.mail_dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_erased(&app, "Casa del Migrante", CASA).await;
        let public: Value = app
            .get("/api/v1/public/letters/erasure/signatories", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["total"], 2, "the public part stays");
    }
);

db_test!(
    contacts_of_a_letter_closed_and_never_delivered_are_erased_after_its_retention_period,
    |app| {
        spawn_with_staff(&app).await;
        let (staff, closed) = letter(&app, "closed", 30).await;
        app.sign_and_confirm("closed", &organization("Sin Fronteras", ANA))
            .await;
        set_status(&app, &staff, closed, "closed").await;
        // Closed, then open again: still collecting signatures, so its contacts are needed.
        let (_, reopened) = letter(&app, "reopened", 30).await;
        app.sign_and_confirm("reopened", &organization("Casa del Migrante", CASA))
            .await;
        set_status(&app, &staff, reopened, "closed").await;
        set_status(&app, &staff, reopened, "open").await;
        let now = Utc::now();

        let early = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(29))
            .await
            .unwrap();

        assert_eq!(early, 0, "kept during the retention period");
        assert_kept(&app, "Sin Fronteras", ANA).await;
        let erased = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(31))
            .await
            .unwrap();
        assert_eq!(erased, 1);
        assert_erased(&app, "Sin Fronteras", ANA).await;
        assert_kept(&app, "Casa del Migrante", CASA).await;
        let list: Value = app
            .get(
                &format!("/api/v1/letters/{closed}/signatures"),
                Some(&staff),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"][0]["contact_email"], Value::Null);
        assert_eq!(
            list["items"][0]["name"], "Sin Fronteras",
            "the public part stays"
        );
        let again = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(60))
            .await
            .unwrap();
        assert_eq!(again, 0, "nothing is erased twice");
    }
);

db_test!(
    contacts_of_a_letter_left_open_past_its_deadline_are_erased_after_its_retention_period,
    |app| {
        spawn_with_staff(&app).await;
        letter(&app, "forgotten", 30).await;
        app.sign_and_confirm("forgotten", &organization("Sin Fronteras", ANA))
            .await;
        let now = Utc::now();
        // The deadline passed ten days ago and nobody closed or delivered the letter.
        let stored_letter = entity::letter::Entity::find()
            .filter(entity::letter::Column::Slug.eq("forgotten"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        entity::letter::ActiveModel {
            id: Set(stored_letter.id),
            deadline: Set(Some(now - Duration::days(10))),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();

        let early = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(19))
            .await
            .unwrap();
        let erased = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(21))
            .await
            .unwrap();

        assert_eq!(early, 0, "kept for 30 days after the deadline");
        assert_eq!(erased, 1);
        assert_erased(&app, "Sin Fronteras", ANA).await;
    }
);

db_test!(
    a_withdrawn_signers_contact_is_erased_after_the_retention_period,
    |app| {
        spawn_with_staff(&app).await;
        letter(&app, "withdrawals", 30).await;
        let before = app.delivered_emails().await.len();
        app.sign_and_confirm("withdrawals", &organization("Sin Fronteras", ANA))
            .await;
        let email = app.delivered_emails().await.remove(before);
        app.sign_and_confirm("withdrawals", &organization("Casa del Migrante", CASA))
            .await;
        let withdrawn = app
            .post(
                &format!("/api/v1/public/withdrawals/{}", email.token("withdraw")),
                None,
                &json!({}),
            )
            .await;
        assert_eq!(withdrawn.status(), StatusCode::OK);
        let now = Utc::now();

        let early = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(29))
            .await
            .unwrap();
        let erased = retention::erase_expired(&app.db, &copies(&app), now + Duration::days(31))
            .await
            .unwrap();

        assert_eq!(early, 0, "kept during the retention period");
        assert_eq!(erased, 1, "only the withdrawn signer's contact");
        assert_erased(&app, "Sin Fronteras", ANA).await;
        assert_kept(&app, "Casa del Migrante", CASA).await;
    }
);

/// A letter closed before its closing time was recorded counts from its last change.
async fn a_letter_closed_before_the_upgrade_counts_from_its_last_change(backend: Backend) {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Query, Value as SqlValue};
    let empty = EmptyDatabase::new(backend).await;
    let db = signon::db::connect(&empty.url).await.unwrap();
    let before_closing_was_recorded = 3;
    Migrator::up(&db, Some(before_closing_was_recorded))
        .await
        .unwrap();
    let changed = (Utc::now() - Duration::days(100)).trunc_subsecs(0);
    let text = |s: &str| SqlValue::from(s.to_owned());
    let columns = [
        ("slug", text("old")),
        ("title", text("An old letter")),
        ("body", text("We ask you to act.")),
        ("addressees", text("")),
        ("language", text("en")),
        ("moderation", text("auto")),
        ("accept_individuals", false.into()),
        ("list_order", text("alphabetical")),
        ("paper", text("letter")),
        ("lead_signatories", text("[]")),
        ("retention_days", 90.into()),
        ("translations", text("{}")),
        ("status", text("closed")),
        ("revision", 1.into()),
        ("created_at", changed.into()),
        ("updated_at", changed.into()),
    ];
    let insert = Query::insert()
        .into_table(sea_orm::sea_query::Alias::new("letters"))
        .columns(
            columns
                .iter()
                .map(|(name, _)| sea_orm::sea_query::Alias::new(*name)),
        )
        .values_panic(columns.iter().map(|(_, value)| value.clone().into()))
        .to_owned();
    db.execute(&insert).await.unwrap();

    signon::db::migrate(&db).await.unwrap();

    let letter = entity::letter::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(letter.closed_at, Some(changed));
}

backend_test!(a_letter_closed_before_the_upgrade_counts_from_its_last_change);
