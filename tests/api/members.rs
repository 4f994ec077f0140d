//! Owners manage their organization's members; every member sees the team.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error};

db_test!(
    an_owner_adds_members_changes_roles_and_removes_them,
    |app| {
        let owner = app.staff_token("owner@wola.org", "WOLA", Role::Owner).await;
        let me: Value = app
            .get("/api/v1/auth/me", Some(&owner))
            .await
            .json()
            .await
            .unwrap();
        let org = me["organizations"][0]["organization_id"].as_i64().unwrap();
        let letter = app.open_letter(&owner, "team-letter").await;

        let added = app
        .post(
            &format!("/api/v1/organizations/{org}/members"),
            Some(&owner),
            &json!({ "email": "new@wola.org", "name": "New Editor", "role": "editor", "password": PASSWORD }),
        )
        .await;
        assert_eq!(added.status(), StatusCode::CREATED);
        let new_id = added.json::<Value>().await.unwrap()["user_id"]
            .as_i64()
            .unwrap();
        let editor = app.login("new@wola.org").await;
        let edited = app
            .patch(
                &format!("/api/v1/letters/{letter}"),
                Some(&editor),
                &json!({ "title": "Edited" }),
            )
            .await;
        assert_eq!(
            edited.status(),
            StatusCode::OK,
            "the new editor works on the organization's letters"
        );

        let list: Value = app
            .get(
                &format!("/api/v1/organizations/{org}/members"),
                Some(&editor),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 2);
        assert!(!list.to_string().contains(PASSWORD));

        let demoted = app
            .patch(
                &format!("/api/v1/organizations/{org}/members/{new_id}"),
                Some(&owner),
                &json!({ "role": "viewer" }),
            )
            .await;
        assert_eq!(demoted.json::<Value>().await.unwrap()["role"], "viewer");
        let refused = app
            .patch(
                &format!("/api/v1/letters/{letter}"),
                Some(&editor),
                &json!({ "title": "Again" }),
            )
            .await;
        assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;

        let removed = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/organizations/{org}/members/{new_id}"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
        assert_error(
            app.get(&format!("/api/v1/letters/{letter}"), Some(&editor))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
);

db_test!(only_owners_manage_members_and_the_last_owner_stays, |app| {
    let owner = app.staff_token("owner@wola.org", "WOLA", Role::Owner).await;
    let editor = app.staff_token("ed@wola.org", "WOLA", Role::Editor).await;
    let outsider = app.staff_token("x@other.org", "Other", Role::Owner).await;
    let me: Value = app
        .get("/api/v1/auth/me", Some(&owner))
        .await
        .json()
        .await
        .unwrap();
    let org = me["organizations"][0]["organization_id"].as_i64().unwrap();
    let owner_id = me["id"].as_i64().unwrap();
    let path = format!("/api/v1/organizations/{org}/members");

    let by_editor = app
        .post(
            &path,
            Some(&editor),
            &json!({ "email": "y@wola.org", "role": "owner", "password": PASSWORD }),
        )
        .await;
    assert_error(by_editor, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(
        app.get(&path, Some(&outsider)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let last = app
        .patch(
            &format!("{path}/{owner_id}"),
            Some(&owner),
            &json!({ "role": "editor" }),
        )
        .await;
    assert_error(last, StatusCode::CONFLICT, "conflict").await;
    let gone = app
        .request(
            reqwest::Method::DELETE,
            &format!("{path}/{owner_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_error(gone, StatusCode::CONFLICT, "conflict").await;
    let no_password = app
        .post(
            &path,
            Some(&owner),
            &json!({ "email": "newbie@wola.org", "role": "viewer" }),
        )
        .await;
    let body = assert_error(
        no_password,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["password"].is_string());
    let joined = app
        .post(
            &path,
            Some(&owner),
            &json!({ "email": "x@other.org", "role": "viewer" }),
        )
        .await;
    assert_eq!(
        joined.status(),
        StatusCode::CREATED,
        "an existing account joins without a password"
    );
    let twice = app
        .post(
            &path,
            Some(&owner),
            &json!({ "email": "x@other.org", "role": "viewer" }),
        )
        .await;
    assert_error(twice, StatusCode::CONFLICT, "conflict").await;
});
