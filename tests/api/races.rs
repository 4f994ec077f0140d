//! Requests that race: many at once over the real server, released together by a barrier, each
//! race ending in one consistent state, with no duplicate row and no server error.

use std::future::Future;
use std::sync::Arc;

use entity::{Role, letter_snapshot, signature};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::helpers::{TestApp, organization};

/// Runs `n` tasks that wait for each other and then start at the same moment; their results in
/// task order.
async fn at_once<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let work = task(i);
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("a racing request does not panic"));
    }
    results
}

/// A status and body, failing the test at once on a server error.
async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    assert!(
        !status.is_server_error(),
        "a racing request failed on the server: {status} {body}"
    );
    (status, body)
}

/// The letter's audit trail, oldest first.
async fn events(app: &TestApp, staff: &str, id: i64) -> Vec<Value> {
    let page: Value = app
        .get(
            &format!("/api/v1/letters/{id}/events?limit=1000"),
            Some(staff),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut items = page["items"].as_array().unwrap().clone();
    items.sort_by_key(|event| event["id"].as_i64());
    items
}

/// Asserts that each of these events starts from the state the one before it left: no change
/// was made on a state another had already changed.
fn assert_chained(events: &[&Value], field: &str) {
    for pair in events.windows(2) {
        assert_eq!(
            pair[1]["before"][field], pair[0]["after"][field],
            "an event acted on a stale state: {} then {}",
            pair[0], pair[1]
        );
    }
}

async fn editor_and_letter(app: &TestApp, slug: &str) -> (String, i64) {
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, slug).await;
    (staff, id)
}

async fn signature_rows(app: &TestApp, id: i64) -> Vec<signature::Model> {
    signature::Entity::find()
        .filter(signature::Column::LetterId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
}

db_test!(
    twenty_identical_submissions_at_once_leave_one_signer,
    |app| {
        let (_, id) = editor_and_letter(&app, "same-signer").await;
        let app = Arc::new(app);

        let answers = at_once(20, |_| {
            let app = app.clone();
            async move {
                let submission = organization("Sin Fronteras", "ana@sinfronteras.org.mx");
                answer(app.sign("same-signer", &submission).await).await
            }
        })
        .await;

        for (status, body) in &answers {
            assert_eq!(*status, StatusCode::ACCEPTED, "{body}");
        }
        assert_eq!(
            signature_rows(&app, id).await.len(),
            1,
            "one signer, one row"
        );
        let emails = app.delivered_emails().await;
        assert!(
            (1..=signon::service::signing::MAX_EMAILS_PER_SIGNATURE as usize)
                .contains(&emails.len()),
            "{} confirmation emails",
            emails.len()
        );
    }
);

db_test!(
    one_confirmation_link_followed_twenty_times_at_once_confirms_once,
    |app| {
        let (staff, id) = editor_and_letter(&app, "one-link").await;
        let response = app
            .sign(
                "one-link",
                &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let token = app.delivered_emails().await[0].token("verify");
        let app = Arc::new(app);

        let answers = at_once(20, |_| {
            let (app, token) = (app.clone(), token.clone());
            async move {
                let path = format!("/api/v1/public/verifications/{token}");
                answer(app.post(&path, None, &json!({})).await).await
            }
        })
        .await;

        let confirmed = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(confirmed, 1, "{answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
            assert_eq!(*status, StatusCode::GONE, "{body}");
            assert!(body["message"].as_str().unwrap().contains("already used"));
        }
        let trail = events(&app, &staff, id).await;
        let verified = trail
            .iter()
            .filter(|e| e["action"] == "signature.verified")
            .count();
        assert_eq!(verified, 1, "one confirmation in the audit trail");
        let rows = signature_rows(&app, id).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, entity::SignatureStatus::Approved);
    }
);

db_test!(
    a_submission_while_the_letter_is_being_closed_waits_for_it_and_is_refused,
    |app| {
        let (_, id) = editor_and_letter(&app, "closing-now").await;
        // Closing or delivering a letter holds its lock until it commits.
        let closing = signon::db::begin_letter_write(&app.db, id).await.unwrap();
        let app = Arc::new(app);
        let signing = tokio::spawn({
            let app = app.clone();
            async move {
                let submission = organization("Sin Fronteras", "ana@sinfronteras.org.mx");
                answer(app.sign("closing-now", &submission).await).await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        assert!(
            !signing.is_finished(),
            "the submission waits for the change of the letter"
        );
        entity::letter::ActiveModel {
            id: sea_orm::ActiveValue::Set(id),
            status: sea_orm::ActiveValue::Set(entity::LetterStatus::Closed),
            ..Default::default()
        }
        .update(&closing)
        .await
        .unwrap();
        closing.commit().await.unwrap();

        let (status, body) = signing.await.unwrap();
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            signature_rows(&app, id).await.is_empty(),
            "no signature landed on the closed letter"
        );
    }
);

/// Signs with `count` signers and confirms each; their withdrawal tokens, in signing order.
async fn confirmed_signers(app: &TestApp, slug: &str, count: usize) -> Vec<String> {
    let mut withdrawals = Vec::new();
    for n in 0..count {
        let email = format!("contact{n}@example.org");
        app.sign_and_confirm(slug, &organization(&format!("Organization {n}"), &email))
            .await;
        let sent = app.delivered_emails().await;
        let mine = sent.iter().rev().find(|e| e.to == email).unwrap();
        withdrawals.push(mine.token("withdraw"));
    }
    withdrawals
}

db_test!(
    approving_against_withdrawing_ends_withdrawn_with_a_true_trail,
    |app| {
        let (staff, id) = editor_and_letter(&app, "approve-withdraw").await;
        let manual = app
            .patch(
                &format!("/api/v1/letters/{id}"),
                Some(&staff),
                &json!({ "moderation": "manual" }),
            )
            .await;
        assert_eq!(manual.status(), StatusCode::OK);
        let withdrawals = confirmed_signers(&app, "approve-withdraw", 8).await;
        let mut ids: Vec<i64> = signature_rows(&app, id)
            .await
            .iter()
            .map(|s| s.id)
            .collect();
        ids.sort_unstable();
        let (app, staff) = (Arc::new(app), Arc::new(staff));

        // Task 2k approves signature k while task 2k+1 follows its withdrawal link.
        let answers = at_once(2 * ids.len(), |task| {
            let (app, staff) = (app.clone(), staff.clone());
            let (sid, token) = (ids[task / 2], withdrawals[task / 2].clone());
            async move {
                let response = if task % 2 == 0 {
                    let path = format!("/api/v1/letters/{id}/signatures/{sid}/decision");
                    app.post(&path, Some(&staff), &json!({ "decision": "approve" }))
                        .await
                } else {
                    let path = format!("/api/v1/public/withdrawals/{token}");
                    app.post(&path, None, &json!({})).await
                };
                answer(response).await
            }
        })
        .await;

        let trail = events(&app, &staff, id).await;
        for (k, sid) in ids.iter().enumerate() {
            let (approve, withdraw) = (&answers[2 * k], &answers[2 * k + 1]);
            assert_eq!(withdraw.0, StatusCode::OK, "a signer may always withdraw");
            assert!(
                [StatusCode::OK, StatusCode::CONFLICT].contains(&approve.0),
                "{approve:?}"
            );
            let row = signature_rows(&app, id)
                .await
                .into_iter()
                .find(|s| s.id == *sid);
            assert_eq!(
                row.unwrap().status,
                entity::SignatureStatus::Withdrawn,
                "the signer's withdrawal stands whichever came first"
            );
            let mine: Vec<&Value> = trail.iter().filter(|e| e["signature_id"] == *sid).collect();
            assert_chained(&mine, "status");
            let approved = mine.iter().any(|e| e["action"] == "signature.approved");
            assert_eq!(approved, approve.0 == StatusCode::OK, "{mine:?}");
            assert_eq!(mine.last().unwrap()["after"]["status"], "withdrawn");
        }
    }
);

db_test!(
    status_changes_at_once_leave_a_valid_state_and_one_frozen_copy,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let app = Arc::new(app);
        let staff = Arc::new(staff);
        for round in 0..4 {
            let slug = format!("status-race-{round}");
            let id = app.open_letter(&staff, &slug).await;
            app.sign_and_confirm(&slug, &organization("Sin Fronteras", "ana@example.org"))
                .await;
            let close = app
                .post(
                    &format!("/api/v1/letters/{id}/status"),
                    Some(&staff),
                    &json!({ "status": "closed" }),
                )
                .await;
            assert_eq!(close.status(), StatusCode::OK);

            // From closed: reopen, close again and deliver, four of each at once.
            let wanted = ["open", "closed", "delivered"];
            let answers = at_once(12, |task| {
                let (app, staff) = (app.clone(), staff.clone());
                let status = wanted[task % 3];
                async move {
                    let path = format!("/api/v1/letters/{id}/status");
                    answer(
                        app.post(&path, Some(&staff), &json!({ "status": status }))
                            .await,
                    )
                    .await
                }
            })
            .await;

            for (status, body) in &answers {
                assert!(
                    [StatusCode::OK, StatusCode::CONFLICT].contains(status),
                    "{status} {body}"
                );
            }
            let letter: Value = app
                .get(&format!("/api/v1/letters/{id}"), Some(&staff))
                .await
                .json()
                .await
                .unwrap();
            let trail = events(&app, &staff, id).await;
            let changes: Vec<&Value> = trail
                .iter()
                .filter(|e| e["action"] == "letter.status_changed")
                .collect();
            assert_chained(&changes, "status");
            assert_eq!(changes.last().unwrap()["after"]["status"], letter["status"]);
            let delivered = changes
                .iter()
                .filter(|e| e["after"]["status"] == "delivered")
                .count();
            let frozen = letter_snapshot::Entity::find()
                .filter(letter_snapshot::Column::LetterId.eq(id))
                .count(&app.db)
                .await
                .unwrap();
            if letter["status"] == "delivered" {
                assert_eq!(delivered, 1, "delivered once");
                assert_eq!(frozen, 2, "one frozen PDF and one frozen CSV");
            } else {
                assert_eq!((delivered, frozen), (0, 0), "{letter}");
            }
        }
    }
);

db_test!(an_import_while_people_sign_adds_each_signer_once, |app| {
    let (staff, id) = editor_and_letter(&app, "import-race").await;
    // Forty rows; the first five are organizations that also sign on the form meanwhile.
    let mut file = String::from("name,country,contact_email\n");
    for n in 0..40 {
        file.push_str(&format!("Organization {n},MX,contact{n}@example.org\n"));
    }
    let (app, staff) = (Arc::new(app), Arc::new(staff));
    const SIGNERS: usize = 20;

    let answers = at_once(SIGNERS + 1, |task| {
        let (app, staff, file) = (app.clone(), staff.clone(), file.clone());
        async move {
            if task == SIGNERS {
                let path = format!("/api/v1/letters/{id}/imports");
                let response = app
                    .send_raw(
                        reqwest::Method::POST,
                        &path,
                        Some(&staff),
                        "text/csv",
                        file.into_bytes(),
                    )
                    .await;
                answer(response).await
            } else {
                // Signers 0-4 are in the file; the others, numbered from 100, are not.
                let n = if task < 5 { task } else { 100 + task };
                let email = format!("contact{n}@example.org");
                let submission = organization(&format!("Organization {n}"), &email);
                answer(app.sign("import-race", &submission).await).await
            }
        }
    })
    .await;

    for (status, body) in &answers[..SIGNERS] {
        assert_eq!(*status, StatusCode::ACCEPTED, "{body}");
    }
    let (status, report) = &answers[SIGNERS];
    assert_eq!(*status, StatusCode::OK, "{report}");
    assert_eq!(report["committed"], true);
    let (imported, duplicates) = (
        report["imported"].as_u64().unwrap(),
        report["duplicates"].as_u64().unwrap(),
    );
    assert_eq!(imported + duplicates, 40);
    assert!(imported >= 35, "{report}");

    let rows = signature_rows(&app, id).await;
    let mut keys: Vec<_> = rows.iter().map(|r| r.contact_email_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rows.len(), "no signer twice");
    assert_eq!(
        rows.len(),
        40 + SIGNERS - 5,
        "every signer and every row, once"
    );
    let from_import = rows
        .iter()
        .filter(|r| r.source == entity::SignatureSource::Import)
        .count() as u64;
    assert_eq!(from_import, imported, "the report counts what was written");
});
