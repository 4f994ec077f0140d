//! An organization's members at the dashboard: owners invite people by email, change roles and
//! remove members; the last owner stays; others see the list without the forms.

use entity::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, PASSWORD, TestApp};

async fn member_emails(app: &TestApp, token: &str, organization_id: i64) -> Vec<(String, String)> {
    let list: Value = app
        .get(
            &format!("/api/v1/organizations/{organization_id}/members"),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Emails queued or sent so far: the outbox holds every one, whether or not the mail worker
/// has written it yet.
async fn queued_emails(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::outbox::Entity::find().count(&app.db).await.unwrap()
}

/// The organization id of the owner's only organization, as the dashboard's redirect names it.
async fn members_page_path(browser: &Browser) -> String {
    let home = browser.get("/admin/members").await;
    assert_eq!(
        home.status,
        StatusCode::SEE_OTHER,
        "straight to the only organization"
    );
    home.location().unwrap().to_owned()
}

db_test!(
    an_owner_invites_a_new_member_who_chooses_a_password_and_sees_the_letters,
    |app| {
        let owner_token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
        app.create_letter(
            &owner_token,
            &json!({ "slug": "mpp", "title": "Letter on the MPP" }),
        )
        .await;
        let owner = Browser::new(&app);
        owner.sign_in("ana@wola.org").await;
        let path = members_page_path(&owner).await;
        let organization_id: i64 = path.split('/').nth(3).unwrap().parse().unwrap();
        let page = owner.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Members of WOLA"));
        assert!(page.body.contains("Send the invitation"));

        let invalid = owner
            .post(
                &path,
                &[("name", ""), ("email", "not an email"), ("role", "editor")],
            )
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(invalid.body.contains("aria-invalid=\"true\""));
        assert!(
            invalid.body.contains("Enter an email address"),
            "{}",
            invalid.body
        );
        assert_eq!(queued_emails(&app).await, 0);

        let invited = owner
            .post(
                &path,
                &[
                    ("name", "Beto Ruiz"),
                    ("email", "Beto@wola.org"),
                    ("role", "editor"),
                ],
            )
            .await;
        assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
        let after = owner.get(&path).await;
        assert!(
            after.body.contains("we emailed beto@wola.org a link"),
            "{}",
            after.body
        );
        assert!(after.body.contains("Beto Ruiz"));
        assert!(
            member_emails(&app, &owner_token, organization_id)
                .await
                .contains(&("beto@wola.org".into(), "editor".into()))
        );

        let stranger = Browser::new(&app);
        stranger.get("/admin/login").await;
        let no_password_yet = stranger
            .post(
                "/admin/login",
                &[("email", "beto@wola.org"), ("password", "")],
            )
            .await;
        assert_eq!(no_password_yet.status, StatusCode::UNAUTHORIZED);

        let emails = app.wait_for_emails(1).await;
        assert_eq!(emails[0].to, "beto@wola.org");
        assert!(emails[0].text.contains("WOLA"), "{}", emails[0].text);
        let link = emails[0].link("admin/password");
        let link_path = link
            .split_once("/admin/")
            .map(|(_, p)| format!("/admin/{p}"))
            .unwrap();
        let beto = Browser::new(&app);
        let form = beto.get(&link_path).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(form.body.contains("choose your password"), "{}", form.body);
        let saved = beto
            .post(&link_path, &[("password", PASSWORD), ("confirm", PASSWORD)])
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(
            beto.get(&link_path).await.status,
            StatusCode::GONE,
            "single use"
        );

        beto.sign_in("beto@wola.org").await;
        let letters = beto.get("/admin").await;
        assert!(
            letters.body.contains("Letter on the MPP"),
            "{}",
            letters.body
        );
    }
);

db_test!(an_existing_account_joins_without_a_new_password, |app| {
    let owner_token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
    app.add_staff("carla@other.org", "Other", Role::Owner).await;
    let owner = Browser::new(&app);
    owner.sign_in("ana@wola.org").await;
    let path = members_page_path(&owner).await;
    let organization_id: i64 = path.split('/').nth(3).unwrap().parse().unwrap();
    owner.get(&path).await;
    let joined = owner
        .post(
            &path,
            &[
                ("name", "Carla"),
                ("email", "carla@other.org"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    assert!(
        owner
            .get(&path)
            .await
            .body
            .contains("already had an account")
    );
    assert!(
        member_emails(&app, &owner_token, organization_id)
            .await
            .contains(&("carla@other.org".into(), "viewer".into()))
    );
    let again = owner
        .post(
            &path,
            &[
                ("name", "Carla"),
                ("email", "carla@other.org"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already a member"), "{}", again.body);

    let carla = Browser::new(&app);
    carla.sign_in("carla@other.org").await;
    let choose = carla.get("/admin/members").await;
    assert_eq!(choose.status, StatusCode::OK, "two organizations: a choice");
    assert!(choose.body.contains("WOLA") && choose.body.contains("Other"));
});

db_test!(
    owners_change_roles_and_remove_members_and_the_last_owner_stays,
    |app| {
        let owner_token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
        let beto = app.add_staff("beto@wola.org", "WOLA", Role::Editor).await;
        let owner = Browser::new(&app);
        owner.sign_in("ana@wola.org").await;
        let path = members_page_path(&owner).await;
        let organization_id: i64 = path.split('/').nth(3).unwrap().parse().unwrap();
        let page = owner.get(&path).await;
        let me = page
            .body
            .split("/members/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned();

        let demoted = owner
            .post(&format!("{path}/{me}/role"), &[("role", "editor")])
            .await;
        assert_eq!(demoted.status, StatusCode::SEE_OTHER);
        let refused = owner.get(&path).await;
        assert!(
            refused
                .body
                .contains("An organization keeps at least one owner"),
            "the service's message: {}",
            refused.body
        );

        let promoted = owner
            .post(&format!("{path}/{beto}/role"), &[("role", "owner")])
            .await;
        assert_eq!(promoted.status, StatusCode::SEE_OTHER);
        owner.get(&path).await;
        let removed = owner.post(&format!("{path}/{beto}/remove"), &[]).await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER);
        assert_eq!(
            member_emails(&app, &owner_token, organization_id).await,
            [("ana@wola.org".to_owned(), "owner".to_owned())]
        );

        owner.get(&path).await;
        let last = owner.post(&format!("{path}/{me}/remove"), &[]).await;
        assert_eq!(last.status, StatusCode::SEE_OTHER);
        assert!(owner.get(&path).await.body.contains("at least one owner"));
        assert_eq!(
            member_emails(&app, &owner_token, organization_id)
                .await
                .len(),
            1
        );
    }
);

db_test!(
    an_editor_sees_the_list_without_forms_and_cannot_invite,
    |app| {
        let owner_token = app.staff_token("ana@wola.org", "WOLA", Role::Owner).await;
        app.add_staff("beto@wola.org", "WOLA", Role::Editor).await;
        let editor = Browser::new(&app);
        editor.sign_in("beto@wola.org").await;
        let path = members_page_path(&editor).await;
        let organization_id: i64 = path.split('/').nth(3).unwrap().parse().unwrap();
        let page = editor.get(&format!("{path}?lang=es")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Miembros de WOLA"), "{}", page.body);
        assert!(page.body.contains("ana@wola.org"));
        assert!(!page.body.contains("Enviar la invitación"));
        assert!(!page.body.contains("/role\""), "no role forms");

        let invite = editor
            .post(
                &path,
                &[
                    ("name", "Intruder"),
                    ("email", "intruder@example.org"),
                    ("role", "owner"),
                ],
            )
            .await;
        assert_eq!(invite.status, StatusCode::FORBIDDEN);
        let promote = editor
            .post(&format!("{path}/1/role"), &[("role", "viewer")])
            .await;
        assert_eq!(promote.status, StatusCode::FORBIDDEN);
        let remove = editor.post(&format!("{path}/1/remove"), &[]).await;
        assert_eq!(remove.status, StatusCode::FORBIDDEN);
        assert_eq!(
            member_emails(&app, &owner_token, organization_id)
                .await
                .len(),
            2
        );
        assert_eq!(queued_emails(&app).await, 0, "no invitation was sent");

        let outsider = Browser::new(&app);
        app.add_staff("someone@other.org", "Other", Role::Owner)
            .await;
        outsider.sign_in("someone@other.org").await;
        assert_eq!(outsider.get(&path).await.status, StatusCode::FORBIDDEN);
    }
);
