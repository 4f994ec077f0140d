//! The coordinators' daily digest: asked for through the API or the dashboard, one email a day
//! with the new signatures to moderate and the counts by state, nothing on a day when nothing
//! happened, only about the letters the staff member coordinates, in their language. The day
//! is an injected time, never a sleep.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use signon::service::digest;
use signon::service::signing::SigningContext;

use crate::helpers::{Browser, SentEmail, TestApp, organization};

fn context(app: &TestApp) -> SigningContext {
    SigningContext {
        keys: app.keys.clone(),
        base_url: url::Url::parse(&app.address).unwrap(),
        token_lifetime: Duration::days(7),
    }
}

/// `days` from today at 13:00 UTC, when digests are due.
fn day(days: i64) -> DateTime<Utc> {
    let date = (Utc::now() + Duration::days(days)).date_naive();
    date.and_time(NaiveTime::from_hms_opt(13, 0, 0).unwrap())
        .and_utc()
}

/// An open letter with manual moderation, titled `title`; its id.
async fn manual_letter(app: &TestApp, token: &str, slug: &str, title: &str) -> i64 {
    let id = app
        .create_letter(
            token,
            &json!({ "slug": slug, "title": title, "body": "We ask you to act.", "moderation": "manual" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let opened = app
        .post(
            &format!("/api/v1/letters/{id}/status"),
            Some(token),
            &json!({ "status": "open" }),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::OK);
    id
}

async fn opt_in(app: &TestApp, token: &str, language: &str) -> Value {
    let response = app
        .patch(
            "/api/v1/auth/me",
            Some(token),
            &json!({ "daily_digest": true, "language": language }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn digests_due(app: &TestApp, at: DateTime<Utc>) -> u64 {
    digest::send_due(&app.db, &context(app), at).await.unwrap()
}

/// The digests sent so far, oldest first.
async fn digests(app: &TestApp) -> Vec<SentEmail> {
    app.delivered_emails()
        .await
        .into_iter()
        .filter(|e| e.text.contains("/admin/account"))
        .collect()
}

db_test!(
    a_digest_goes_once_a_day_to_who_asked_and_only_when_something_happened,
    |app| {
        let token = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        app.add_staff("quiet@wola.org", "WOLA", Role::Editor).await;
        let me = opt_in(&app, &token, "en").await;
        assert_eq!(me["daily_digest"], true);
        assert_eq!(me["language"], "en");
        let letter = manual_letter(&app, &token, "digested", "Protect asylum seekers").await;
        app.sign_and_confirm(
            "digested",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;
        app.sign_and_confirm(
            "digested",
            &organization("Casa del Migrante", "luz@casa.org.mx"),
        )
        .await;
        let pending = app
            .sign("digested", &organization("Unconfirmed", "who@nobody.org"))
            .await;
        assert_eq!(pending.status(), StatusCode::ACCEPTED);

        assert_eq!(
            digests_due(&app, day(1) - Duration::hours(2)).await,
            0,
            "not before 12:00 UTC"
        );
        assert_eq!(
            digests_due(&app, day(1)).await,
            1,
            "one digest: the quiet editor did not ask"
        );
        let sent = digests(&app).await;
        assert_eq!(sent.len(), 1);
        let first = &sent[0];
        assert_eq!(first.to, "coord@wola.org");
        assert_eq!(first.subject, "Daily digest: 2 new signatures to moderate");
        assert!(
            first.text.contains("Protect asylum seekers"),
            "{}",
            first.text
        );
        assert!(
            first
                .text
                .contains("1 to confirm · 2 to moderate · 0 approved · 0 rejected · 0 withdrawn"),
            "{}",
            first.text
        );
        assert!(first.text.contains("Sin Fronteras (MX)"), "{}", first.text);
        assert!(first.text.contains("Casa del Migrante"));
        assert!(first.text.contains(&format!(
            "/admin/letters/{letter}/signatures?status=verified"
        )));
        for private in [
            "ana@sinfronteras.org.mx",
            "luz@casa.org.mx",
            "who@nobody.org",
        ] {
            assert!(!first.text.contains(private) && !first.html.contains(private));
        }

        assert_eq!(
            digests_due(&app, day(1) + Duration::hours(3)).await,
            0,
            "once a day"
        );
        assert_eq!(digests_due(&app, day(2)).await, 0, "nothing happened");

        let signatures: Value = app
            .get(
                &format!("/api/v1/letters/{letter}/signatures?status=verified"),
                Some(&token),
            )
            .await
            .json()
            .await
            .unwrap();
        let approved = signatures["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Sin Fronteras")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let decided = app
            .post(
                &format!("/api/v1/letters/{letter}/signatures/{approved}/decision"),
                Some(&token),
                &json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(decided.status(), StatusCode::OK);
        app.sign_and_confirm(
            "digested",
            &organization("Centro Prodh", "prodh@centro.org"),
        )
        .await;

        assert_eq!(digests_due(&app, day(3)).await, 1);
        let sent = digests(&app).await;
        assert_eq!(sent.len(), 2);
        let second = &sent[1];
        assert_eq!(second.subject, "Daily digest: 1 new signature to moderate");
        assert!(second.text.contains("Centro Prodh"));
        assert!(
            !second.text.contains("Casa del Migrante"),
            "only what is new since the last digest is named"
        );
        assert!(
            second
                .text
                .contains("1 to confirm · 2 to moderate · 1 approved"),
            "{}",
            second.text
        );
        assert_eq!(digests_due(&app, day(4)).await, 0, "nothing happened again");
    }
);

db_test!(
    a_digest_asked_for_in_the_dashboard_comes_in_its_language,
    |app| {
        let token = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        manual_letter(&app, &token, "carta", "Proteger a quienes piden asilo").await;
        app.sign_and_confirm(
            "carta",
            &organization("Sin Fronteras", "ana@sinfronteras.org.mx"),
        )
        .await;

        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        browser.get("/admin?lang=es").await;
        let me: Value = app
            .get("/api/v1/auth/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            me["language"], "es",
            "the dashboard's language is remembered"
        );
        assert_eq!(me["daily_digest"], false, "off by default");
        assert_eq!(digests_due(&app, day(1)).await, 0, "nobody asked");

        let page = browser.get("/admin/account").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Resumen diario"), "{}", page.body);
        let saved = browser
            .post(
                "/admin/account",
                &[("daily_digest", "yes"), ("language", "es")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let page = browser.get("/admin/account").await;
        assert!(page.body.contains("Configuración guardada"));
        assert!(page.body.contains("checked"));

        assert_eq!(digests_due(&app, day(2)).await, 1);
        let sent = digests(&app).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].subject, "Resumen diario: 1 firma nueva por moderar");
        assert!(sent[0].text.contains("0 por confirmar · 1 por moderar"));

        browser.post("/admin/account", &[("language", "es")]).await;
        let me: Value = app
            .get("/api/v1/auth/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["daily_digest"], false, "an unchecked box turns it off");
    }
);

db_test!(
    the_dashboard_s_language_chosen_back_and_forth_is_remembered_each_time,
    |app| {
        let token = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let browser = Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        for wanted in ["es", "es", "en", "es"] {
            browser.get(&format!("/admin?lang={wanted}")).await;
            let me: Value = app
                .get("/api/v1/auth/me", Some(&token))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(me["language"], wanted);
        }
    }
);

db_test!(a_viewer_s_digest_tells_only_of_their_own_letters, |app| {
    let wola = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let other = app
        .staff_token("editor@other.org", "Other Network", Role::Editor)
        .await;
    let viewer = app
        .staff_token("viewer@other.org", "Other Network", Role::Viewer)
        .await;
    opt_in(&app, &viewer, "en").await;
    manual_letter(&app, &wola, "wola-letter", "The WOLA letter").await;
    manual_letter(&app, &other, "other-letter", "The Other letter").await;
    app.sign_and_confirm(
        "wola-letter",
        &organization("Signed WOLA", "a@wola-signer.org"),
    )
    .await;
    app.sign_and_confirm(
        "other-letter",
        &organization("Signed Other", "b@other-signer.org"),
    )
    .await;

    assert_eq!(digests_due(&app, day(1)).await, 1);
    let sent = digests(&app).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "viewer@other.org");
    assert!(sent[0].text.contains("The Other letter"));
    assert!(sent[0].text.contains("Signed Other"));
    assert!(!sent[0].text.contains("WOLA"), "{}", sent[0].text);
});

db_test!(
    the_digest_job_runs_once_per_period_across_instances,
    |app| {
        let token = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        opt_in(&app, &token, "en").await;
        manual_letter(&app, &token, "jobbed", "A letter").await;
        app.sign_and_confirm("jobbed", &organization("Sin Fronteras", "ana@sf.org"))
            .await;
        let ctx = context(&app);
        let at = day(1);
        let first = digest::run_if_due(&app.db, &ctx, "instance-a", at)
            .await
            .unwrap();
        let second = digest::run_if_due(&app.db, &ctx, "instance-b", at)
            .await
            .unwrap();
        assert_eq!(first, Some(1), "the first instance runs the job");
        assert_eq!(second, None, "the second waits for the next period");
        let later = digest::run_if_due(&app.db, &ctx, "instance-b", at + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(later, Some(0), "next period: nothing more that day");
        assert_eq!(digests(&app).await.len(), 1);
    }
);
