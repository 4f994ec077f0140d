//! Migrations apply from empty, twice without harm, and roll back; stored name keys follow the
//! current rules.

use entity::{Role, signature};
use migration::{Migrator, MigratorTrait};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};

use crate::helpers::{Backend, EmptyDatabase, TestApp, organization};

async fn migrations_apply_from_empty_and_roll_back(backend: Backend) {
    let empty = EmptyDatabase::new(backend).await;
    let db = signon::db::connect(&empty.url).await.unwrap();

    signon::db::migrate(&db).await.unwrap();
    signon::db::migrate(&db)
        .await
        .expect("applying again changes nothing");

    let tables = [
        "organizations",
        "users",
        "memberships",
        "access_tokens",
        "letters",
        "letter_coordinators",
        "signatures",
        "signature_tokens",
        "outbox",
        "audit_events",
        "letter_snapshots",
        "server_secrets",
        "import_drafts",
    ];
    for table in tables {
        let count = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await;
        assert!(count.is_ok(), "table {table} exists");
    }
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );

    Migrator::down(&db, None)
        .await
        .expect("every migration rolls back");
    let gone = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM letters".to_owned(),
        ))
        .await;
    assert!(gone.is_err(), "the tables are gone after rolling back");
    signon::db::migrate(&db).await.expect("and apply again");
}

backend_test!(migrations_apply_from_empty_and_roll_back);

async fn a_name_key_stored_under_older_rules_gets_the_current_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&token, "keys").await;
    for (name, email) in [
        ("A.C. The Initiative", "a@example.org"),
        ("Sin Fronteras", "b@example.org"),
    ] {
        let signed = app.sign("keys", &organization(name, email)).await;
        assert_eq!(signed.status(), StatusCode::ACCEPTED);
    }
    let stored = || async {
        signature::Entity::find()
            .order_by_asc(signature::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
    };
    let current = stored().await;
    // What the rules before version 2 stored for the first name, and no record of a refresh.
    for statement in [
        "UPDATE signatures SET name_key = 'the initiative' WHERE name = 'A.C. The Initiative'",
        "DELETE FROM server_secrets WHERE name = 'name_key_rules'",
    ] {
        app.db.execute_unprepared(statement).await.unwrap();
    }

    signon::db::migrate(&app.db).await.unwrap();

    let refreshed = stored().await;
    let keys: Vec<&str> = refreshed.iter().map(|row| row.name_key.as_str()).collect();
    assert_eq!(keys, ["initiative", "sin fronteras"]);
    assert_eq!(
        refreshed, current,
        "nothing else changes, the up-to-date row not at all"
    );
}

backend_test!(a_name_key_stored_under_older_rules_gets_the_current_one);
