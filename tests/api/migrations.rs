//! Migrations apply from empty, twice without harm, and roll back.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Backend, EmptyDatabase};

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
