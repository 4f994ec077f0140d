//! The outreach of a letter as a coordinator and the invitees live it, in a real browser: twenty
//! organizations invited from a CSV file (ten in English, ten in Spanish), a few sign through
//! their personal links and one declines, the coordinator sees who has not answered, reminds
//! them and nobody else, then closes and delivers the letter.

use entity::Role;
use fantoccini::{Client, Locator};
use serde_json::json;

use super::{
    Screen, assert_accessible, follow, press, start_browser, submit, wait_for_text,
    with_screenshot_on_failure,
};
use crate::helpers::{Backend, SentEmail, TestApp};

/// The invitees who sign through their links (one of them in Spanish), and the one who declines.
const SIGNERS: [u32; 3] = [1, 2, 5];
const DECLINES: u32 = 3;

fn address(n: u32) -> String {
    format!("person{n}@org{n}.org")
}

/// Odd organizations read English, even ones Spanish.
fn spanish(n: u32) -> bool {
    n.is_multiple_of(2)
}

fn answered(n: u32) -> bool {
    SIGNERS.contains(&n) || n == DECLINES
}

/// The invitees' file as a coordinator would export it from a spreadsheet.
fn invitees_csv() -> String {
    let mut csv = String::from("organization,contact_name,contact_email,language\n");
    for n in 1..=20 {
        let language = if spanish(n) { "es" } else { "en" };
        csv.push_str(&format!("Org {n},Person {n},{},{language}\n", address(n)));
    }
    csv
}

/// The coordinator opens the letter's Invitations tab and uploads the file of 20 invitees.
async fn invite_twenty(app: &TestApp, client: &Client) -> Vec<SentEmail> {
    super::dashboard::sign_in(app, client, "ana@wola.org").await;
    follow(client, "Letter on the MPP").await;
    follow(client, "Invitations").await;
    wait_for_text(client, "Invite organizations").await;
    assert_accessible(client, "the empty Invitations tab").await;
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(file.path(), invitees_csv()).unwrap();
    client
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&file.path().display().to_string())
        .await
        .unwrap();
    press(client, "Invite from the file").await;
    let text = wait_for_text(client, "Invitations sent: 20.").await;
    assert!(text.contains("20 invitations"), "{text}");
    assert_accessible(client, "the Invitations tab with 20 invitations").await;
    let emails = app.wait_for_emails(20).await;
    for n in 1..=20 {
        let subject = &invitation_to(&emails, n).subject;
        let expected = if spanish(n) {
            "Invitación"
        } else {
            "Invitation"
        };
        assert!(subject.starts_with(expected), "{n}: {subject}");
    }
    emails
}

fn invitation_to(emails: &[SentEmail], n: u32) -> &SentEmail {
    emails
        .iter()
        .find(|e| e.to == address(n))
        .unwrap_or_else(|| panic!("an invitation to {}", address(n)))
}

/// Invitees open their personal links: three sign (Org 2 in Spanish), Org 3 declines.
async fn invitees_answer(client: &Client, emails: &[SentEmail]) {
    for n in SIGNERS {
        client
            .goto(&invitation_to(emails, n).link("i"))
            .await
            .unwrap();
        let (ready, done) = match spanish(n) {
            true => (
                "Su invitación confirma su correo",
                "ya aparece entre las firmantes",
            ),
            false => (
                "Your invitation proves your email",
                "now appears among the signatories",
            ),
        };
        wait_for_text(client, ready).await;
        assert_accessible(client, "an invitation's page").await;
        client
            .find(Locator::Id("consent"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        submit(client).await;
        wait_for_text(client, done).await;
    }
    let decline = invitation_to(emails, DECLINES)
        .link("i")
        .replace("?lang", "/decline?lang");
    client.goto(&decline).await.unwrap();
    wait_for_text(client, "will not sign").await;
    assert_accessible(client, "the page to decline").await;
    press(client, "Decline").await;
    wait_for_text(client, "Thank you for telling us.").await;
}

/// The state shown in the table's row of organization `n`.
async fn row_text(client: &Client, n: u32) -> String {
    let xpath = format!("//tr[td[1][normalize-space(.)='Org {n}']]");
    client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|_| panic!("a row for Org {n}"))
        .text()
        .await
        .unwrap()
}

/// The coordinator sees the answers, filters who has not answered and reminds them.
async fn coordinator_reminds(app: &TestApp, client: &Client, letter: i64) {
    let tab = format!("{}/admin/letters/{letter}/invitations", app.address);
    client.goto(&tab).await.unwrap();
    wait_for_text(client, "20 invitations").await;
    for n in SIGNERS {
        assert!(row_text(client, n).await.contains("Signed"), "Org {n}");
    }
    assert!(row_text(client, DECLINES).await.contains("Declined"));
    follow(client, "Not answered").await;
    let text = wait_for_text(client, "16 invitations").await;
    for n in 1..=20 {
        let listed = text.contains(&address(n));
        assert_eq!(listed, !answered(n), "Org {n} listed as not answered");
    }
    assert_accessible(client, "the invitees who have not answered").await;
    follow(client, "Remind the 16 invitees who have not answered…").await;
    wait_for_text(client, "Send a reminder to 16 invitees?").await;
    assert_accessible(client, "the confirmation to remind").await;
    press(client, "Yes, send the reminders").await;
    wait_for_text(client, "Reminders sent: 16.").await;
    wait_for_text(client, "Nobody is left to remind").await;
    assert_accessible(client, "the Invitations tab after the reminder").await;
}

/// The reminders went to those who had not answered, once each, in their language.
async fn reminders_arrived(app: &TestApp) {
    let emails = app.delivered_emails().await;
    let reminders: Vec<&SentEmail> = emails
        .iter()
        .filter(|e| e.subject.starts_with("Reminder") || e.subject.starts_with("Recordatorio"))
        .collect();
    assert_eq!(reminders.len(), 16);
    for n in 1..=20 {
        let got: Vec<&&SentEmail> = reminders.iter().filter(|e| e.to == address(n)).collect();
        if answered(n) {
            assert!(got.is_empty(), "Org {n} answered and got no reminder");
            continue;
        }
        assert_eq!(got.len(), 1, "Org {n} got one reminder");
        let expected = if spanish(n) {
            "Recordatorio"
        } else {
            "Reminder"
        };
        assert!(got[0].subject.starts_with(expected), "{}", got[0].subject);
    }
}

/// The coordinator closes and delivers the letter from its overview.
async fn close_and_deliver(client: &Client) {
    follow(client, "Overview").await;
    follow(client, "Close the letter…").await;
    press(client, "Yes, close it").await;
    wait_for_text(client, "The letter is closed").await;
    follow(client, "Mark as delivered…").await;
    press(client, "Yes, mark as delivered").await;
    wait_for_text(client, "The letter is delivered").await;
    assert_accessible(client, "the delivered letter").await;
}

async fn outreach(app: &TestApp, client: &Client, letter: i64) {
    let emails = invite_twenty(app, client).await;
    invitees_answer(client, &emails).await;
    coordinator_reminds(app, client, letter).await;
    reminders_arrived(app).await;
    close_and_deliver(client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_invites_twenty_organizations_reminds_the_silent_and_delivers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.staff_token("ana@wola.org", "WOLA", Role::Editor).await;
    let letter = app
        .create_letter(
            &token,
            &json!({
                "slug": "outreach",
                "title": "Letter on the MPP",
                "body": "Dear President,\n\nWe urge you to act.",
                "translations": { "es": { "title": "Carta sobre los PPM", "body": "Le urgimos a actuar." } }
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let opened = app
        .post(
            &format!("/api/v1/letters/{letter}/status"),
            Some(&token),
            &json!({ "status": "open" }),
        )
        .await;
    assert_eq!(opened.status(), reqwest::StatusCode::OK);
    let (_driver, client) = start_browser(Screen::Laptop).await;
    let started = std::time::Instant::now();
    with_screenshot_on_failure(&client, "outreach", outreach(&app, &client, letter)).await;
    eprintln!("the outreach scenario took {:?}", started.elapsed());
    client.close().await.unwrap();
}
