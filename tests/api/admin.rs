//! The dashboard's door: signing in and out, sessions, anti-forgery checks, sign-in limits and
//! forgotten passwords.

use entity::Role;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{Backend, Browser, PASSWORD, TestApp};

db_test!(
    signing_in_opens_the_dashboard_with_a_protected_cookie_and_signing_out_closes_it,
    |app| {
        let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
        app.create_letter(
            &token,
            &json!({ "slug": "mpp", "title": "Letter on the MPP" }),
        )
        .await;
        let browser = Browser::new(&app);

        let first = browser.get("/admin").await;
        assert_eq!(first.status, StatusCode::SEE_OTHER);
        assert_eq!(first.location(), Some("/admin/login?next=%2Fadmin"));

        browser.get("/admin/login?next=%2Fadmin").await;
        let signed_in = browser
            .post(
                "/admin/login",
                &[
                    ("email", "ANA@wola.org"),
                    ("password", PASSWORD),
                    ("next", "/admin"),
                ],
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
        assert_eq!(signed_in.location(), Some("/admin"));
        let cookie = signed_in
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("signon_session="))
            .expect("a session cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");

        let home = browser.get("/admin").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Letter on the MPP"), "{}", home.body);
        assert_eq!(home.headers["cache-control"], "no-store");

        let out = browser.post("/admin/logout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(browser.get("/admin").await.status, StatusCode::SEE_OTHER);
    }
);

db_test!(a_wrong_password_and_an_unknown_email_look_the_same, |app| {
    app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
    let browser = Browser::new(&app);
    browser.get("/admin/login").await;
    let wrong = browser
        .post(
            "/admin/login",
            &[("email", "ana@wola.org"), ("password", "not the password")],
        )
        .await;
    let unknown = browser
        .post(
            "/admin/login",
            &[
                ("email", "nobody@wola.org"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert!(wrong.body.contains("Invalid email or password."));
    assert!(unknown.body.contains("Invalid email or password."));
    assert!(
        wrong
            .set_cookies()
            .iter()
            .all(|c| !c.starts_with("signon_session="))
    );
});

db_test!(
    a_post_without_the_token_or_from_another_site_changes_nothing,
    |app| {
        app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@wola.org").await;
        browser.get("/admin").await;

        let no_token = browser.post_exactly("/admin/logout", &[]).await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);
        assert!(
            no_token.body.contains("Nothing was changed"),
            "{}",
            no_token.body
        );
        let wrong_token = browser
            .post_exactly("/admin/logout", &[("csrf", "forged")])
            .await;
        assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
        let other_site = browser
            .post_from_origin("/admin/logout", "https://evil.example", &[])
            .await;
        assert_eq!(other_site.status, StatusCode::FORBIDDEN);

        assert_eq!(
            browser.get("/admin").await.status,
            StatusCode::OK,
            "still signed in"
        );
    }
);

db_test!(a_session_ends_after_hours_without_use, |app| {
    app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
    let browser = Browser::new(&app);
    browser.sign_in("ana@wola.org").await;
    assert_eq!(browser.get("/admin").await.status, StatusCode::OK);

    let nine_hours_ago = chrono::Utc::now() - chrono::Duration::hours(9);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    "UPDATE access_tokens SET last_used_at = $1 WHERE kind = 'session'"
                }
                _ => "UPDATE access_tokens SET last_used_at = ? WHERE kind = 'session'",
            },
            [nine_hours_ago.into()],
        ))
        .await
        .unwrap();

    let page = browser.get("/admin").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().unwrap().starts_with("/admin/login"));
});

#[tokio::test]
async fn over_https_the_cookies_are_secure_and_host_only() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.base_url = Some("https://signon.example.org/".parse().unwrap());
    })
    .await;
    app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
    let browser = Browser::new(&app);
    let login = browser.get("/admin/login").await;
    assert!(
        login
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-signon_csrf=") && c.contains("Secure")),
        "{:?}",
        login.set_cookies()
    );
    let signed_in = browser
        .post(
            "/admin/login",
            &[("email", "ana@wola.org"), ("password", PASSWORD)],
        )
        .await;
    let cookie = signed_in
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-signon_session="))
        .expect("a __Host- session cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_limited_in_the_dashboard_and_the_api() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.login_attempts_per_account = 3;
    })
    .await;
    app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
    let browser = Browser::new(&app);
    browser.get("/admin/login").await;
    for _ in 0..3 {
        let page = browser
            .post(
                "/admin/login",
                &[("email", "ana@wola.org"), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let limited = browser
        .post(
            "/admin/login",
            &[("email", "ana@wola.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.body.contains("Too many sign-in attempts"));

    let api = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({ "email": "ana@wola.org", "password": PASSWORD }),
        )
        .await;
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(api.headers().contains_key("retry-after"));
}

db_test!(
    a_forgotten_password_is_replaced_through_a_single_use_link,
    |app| {
        app.add_staff("ana@wola.org", "WOLA", Role::Editor).await;
        let old_session = Browser::new(&app);
        old_session.sign_in("ana@wola.org").await;

        let browser = Browser::new(&app);
        browser.get("/admin/forgot").await;
        let known = browser
            .post("/admin/forgot", &[("email", "ana@wola.org")])
            .await;
        let unknown = browser
            .post("/admin/forgot", &[("email", "nobody@wola.org")])
            .await;
        assert_eq!(known.status, StatusCode::OK);
        assert_eq!(known.body, unknown.body, "the same answer either way");

        let emails = app.wait_for_emails(1).await;
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].to, "ana@wola.org");
        let link = emails[0].link("admin/password");
        let path = link
            .split_once("/admin/")
            .map(|(_, p)| format!("/admin/{p}"))
            .unwrap();

        let form = browser.get(&path).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let mismatch = browser
            .post(
                &path,
                &[
                    ("password", "a brand new passphrase"),
                    ("confirm", "something else"),
                ],
            )
            .await;
        assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
        let saved = browser
            .post(
                &path,
                &[
                    ("password", "a brand new passphrase"),
                    ("confirm", "a brand new passphrase"),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(
            browser.get(&path).await.status,
            StatusCode::GONE,
            "the link works once"
        );

        assert_eq!(
            old_session.get("/admin").await.status,
            StatusCode::SEE_OTHER,
            "other sessions end"
        );
        let login = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({ "email": "ana@wola.org", "password": "a brand new passphrase" }),
            )
            .await;
        assert_eq!(login.status(), StatusCode::OK);
    }
);
