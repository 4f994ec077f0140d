//! The outbox: every email written with its change is sent once, even with several workers
//! (several instances on PostgreSQL) claiming at the same time.

use std::collections::HashSet;
use std::sync::Arc;

use entity::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use signon::config::MailSettings;
use signon::mail::{self, Transport};

use crate::helpers::organization;

db_test!(several_workers_never_send_one_email_twice, |app| {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "busy").await;
    let submissions = (0..40).map(|n| {
        let app = &app;
        async move {
            app.sign(
                "busy",
                &organization(&format!("Org {n}"), &format!("c{n}@example.org")),
            )
            .await
        }
    });
    futures_util::future::join_all(submissions).await;

    // Three more workers, as other instances would run, each writing to its own folder.
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let workers = dirs.iter().map(|dir| {
        let transport = Arc::new(
            Transport::from_settings(&MailSettings {
                smtp_url: None,
                dir: dir.path().to_owned(),
                from: "signon <signon@example.org>".into(),
            })
            .unwrap(),
        );
        let db = app.db.clone();
        let keys = app.keys.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                mail::deliver_due(&db, &transport, &keys).await.unwrap();
            }
        })
    });
    futures_util::future::join_all(workers).await;
    for _ in 0..100 {
        let unsent = entity::outbox::Entity::find()
            .filter(entity::outbox::Column::SentAt.is_null())
            .count(&app.db)
            .await
            .unwrap();
        if unsent == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let mut files: Vec<String> = Vec::new();
    for dir in dirs
        .iter()
        .map(|d| d.path().to_owned())
        .chain([app.mail_dir.clone()])
    {
        if let Ok(entries) = std::fs::read_dir(dir) {
            files.extend(
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned()),
            );
        }
    }
    let distinct: HashSet<&String> = files.iter().collect();
    assert_eq!(files.len(), 40, "every email sent exactly once: {files:?}");
    assert_eq!(distinct.len(), 40);
    let sent = entity::outbox::Entity::find()
        .filter(entity::outbox::Column::SentAt.is_not_null())
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(sent.len(), 40);
    assert!(
        sent.iter()
            .all(|e| e.recipient.is_empty() && e.body_text.is_empty()),
        "sent emails keep no copy of the address or links"
    );
});
