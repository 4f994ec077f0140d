//! The access matrix: every staff route of the JSON API (read from its OpenAPI document) and of
//! the dashboard (read from the dashboard's router), called by each kind of caller, every answer
//! checked against the rules of `service/access.rs`. A route missing from the tables below fails
//! the test, so a new route cannot be left out.
//!
//! The rules the cells check:
//! - Nobody: the API answers 401; the dashboard sends a GET to sign in (303 to `/admin/login`)
//!   and refuses a POST that lacks its anti-forgery token (403); a POST with a valid token but
//!   no session (a browser that only opened the sign-in page) is sent to sign in.
//! - A letter belongs to its coordinating organizations, the lead and its co-leads alike: their
//!   members act on it by their role there (viewers read, editors also write, moderate and see
//!   contact data, owners also change the coordinators). Staff of any other organization get
//!   403, the one answer for "not yours" (a letter that does not exist is a 404; letter ids are
//!   no secret). An organization's members are listed to its members and managed by its
//!   owners, 403 to everyone else.
//! - Viewers read and never write: no contact field in a JSON answer, no contact email, name or
//!   note in any page or file they get, and no dashboard form that would change something
//!   beyond their own account (signing out, their own settings);
//!   editors and owners do get the contact data where it is shown. A dashboard page that only
//!   shows a form refuses whom its post would refuse; the letter's edit page and the merge page
//!   show a viewer what they may read, without the form.
//! - A refused call changes nothing in the database.
//! - An id of elsewhere (another organization's signature or member) reached through a path of
//!   one's own letter or organization is a 404.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use entity::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin_import::{draft_of, upload_action};
use crate::helpers::{
    Backend, Browser, PASSWORD, Page, TestApp, csrf_of, organization, organization_form,
};

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    /// No token, no session.
    Nobody,
    /// A viewer of the letter's lead organization.
    Viewer,
    /// An editor of the letter's lead organization.
    Editor,
    /// An owner of the letter's lead organization.
    Owner,
    /// An editor of an organization that co-leads the letter.
    CoLead,
    /// An owner of an organization with nothing to do with the letter.
    Outsider,
}

const CALLERS: [Caller; 6] = [
    Caller::Nobody,
    Caller::Viewer,
    Caller::Editor,
    Caller::Owner,
    Caller::CoLead,
    Caller::Outsider,
];

const LEAD: &str = "Lead Coalition";
const CO_LEAD: &str = "Co-lead Network";
const OTHER: &str = "Unrelated Group";
/// An organization with an account that does not coordinate the letters: the one added as a
/// co-lead by the rows that add one.
const THIRD: &str = "Third Alliance";

impl Caller {
    /// The account and its organization and role there.
    fn account(self) -> Option<(&'static str, &'static str, Role)> {
        match self {
            Self::Nobody => None,
            Self::Viewer => Some(("viewer@lead.org", LEAD, Role::Viewer)),
            Self::Editor => Some(("editor@lead.org", LEAD, Role::Editor)),
            Self::Owner => Some(("owner@lead.org", LEAD, Role::Owner)),
            Self::CoLead => Some(("editor@colead.org", CO_LEAD, Role::Editor)),
            Self::Outsider => Some(("owner@other.org", OTHER, Role::Owner)),
        }
    }

    fn email(self) -> &'static str {
        self.account().expect("a caller with an account").0
    }

    /// The caller's role in its own organization.
    fn own_role(self) -> Option<Role> {
        self.account().map(|(_, _, role)| role)
    }

    /// The caller's role in the letters' lead organization.
    fn lead_role(self) -> Option<Role> {
        self.account()
            .filter(|(_, org, _)| *org == LEAD)
            .map(|(_, _, role)| role)
    }

    /// The caller's role on the letters: through the lead organization or a co-lead one.
    fn letter_role(self) -> Option<Role> {
        self.account()
            .filter(|(_, org, _)| *org == LEAD || *org == CO_LEAD)
            .map(|(_, _, role)| role)
    }

    /// Whether the caller may see the letters' contact data: editors and owners, as the rules
    /// say, written here apart from `access::may_see_contacts` so that a change of the code's
    /// rule shows as failing cells.
    fn sees_contacts(self) -> bool {
        self.letter_role().is_some_and(|role| role >= Role::Editor)
    }
}

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug)]
enum Needs {
    /// Nothing: a sign-in page.
    Anyone,
    /// Being signed in.
    Staff,
    /// At least this role on the letter, in its lead or a co-lead organization.
    Letter(Role),
    /// At least this role in the letter's lead organization (its members).
    Organization(Role),
    /// At least this role in an organization of one's own (a new letter).
    OwnOrganization(Role),
}

/// What the rules say a caller gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Allowed,
    SignIn,
    Refused,
    /// Not the rules' answer for a caller, but for an id that is not the letter's (or not the
    /// organization's): 404, as if it did not exist.
    Missing,
}

fn verdict(needs: Needs, caller: Caller) -> Verdict {
    let at_least = |role: Option<Role>, needed: Role| match role {
        Some(role) if role >= needed => Verdict::Allowed,
        _ => Verdict::Refused,
    };
    match (needs, caller) {
        (Needs::Anyone, _) => Verdict::Allowed,
        (_, Caller::Nobody) => Verdict::SignIn,
        (Needs::Staff, _) => Verdict::Allowed,
        (Needs::Letter(needed), _) => at_least(caller.letter_role(), needed),
        (Needs::Organization(needed), _) => at_least(caller.lead_role(), needed),
        (Needs::OwnOrganization(needed), _) => at_least(caller.own_role(), needed),
    }
}

/// A fresh letter of the lead organization, open, co-led by `CO_LEAD`, with two signatures
/// carrying contact data; for the member routes, a member to change.
struct Fixture {
    n: usize,
    letter: i64,
    slug: String,
    signature: i64,
    other: i64,
    member: i64,
    contact: String,
}

impl Fixture {
    /// Texts that are contact data of the fixture's signatures: never shown to a viewer.
    fn secrets(&self) -> [&str; 3] {
        [
            self.contact.as_str(),
            "Ana Pérez Contacto",
            "Private note for the coordinators",
        ]
    }
}

/// The test's service, its callers' tokens and dashboard sessions, and what every cell found
/// wrong.
struct Matrix {
    app: TestApp,
    tokens: BTreeMap<Caller, String>,
    browsers: BTreeMap<Caller, Browser>,
    lead_org: i64,
    co_org: i64,
    /// A password link's token, as emailed.
    password_token: String,
    /// A signature of the outsider's letter, and the outsider's user: ids of elsewhere.
    foreign_signature: i64,
    foreign_user: i64,
    next: AtomicUsize,
    cells: usize,
    failures: Vec<String>,
}

impl Matrix {
    async fn new(backend: Backend) -> Self {
        let app = TestApp::spawn(backend).await;
        let mut tokens = BTreeMap::new();
        let mut browsers = BTreeMap::new();
        for caller in CALLERS {
            let Some((email, org, role)) = caller.account() else {
                continue;
            };
            tokens.insert(caller, app.staff_token(email, org, role).await);
            browsers.insert(caller, signed_in(&app, email).await);
        }
        app.add_staff("owner@third.org", THIRD, Role::Owner).await;
        let password_token = password_token(&app, Caller::Viewer.email()).await;
        let outsider = &tokens[&Caller::Outsider];
        let foreign_signature = foreign_signature(&app, outsider).await;
        let foreign_user = me(&app, outsider).await["id"].as_i64().unwrap();
        let lead_org = first_organization(&app, &tokens[&Caller::Owner]).await;
        let co_org = first_organization(&app, &tokens[&Caller::CoLead]).await;
        Self {
            app,
            tokens,
            browsers,
            lead_org,
            co_org,
            password_token,
            foreign_signature,
            foreign_user,
            next: AtomicUsize::new(1),
            cells: 0,
            failures: Vec::new(),
        }
    }

    fn owner(&self) -> &str {
        &self.tokens[&Caller::Owner]
    }

    async fn fixture(&self, with_member: bool) -> Fixture {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let slug = format!("matrix-{n}");
        let letter = self.app.open_letter(self.owner(), &slug).await;
        let added = self
            .app
            .post(
                &format!("/api/v1/letters/{letter}/coordinators"),
                Some(self.owner()),
                &json!({ "organization": CO_LEAD }),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED, "the co-lead is added");
        let contact = format!("contact-{n}@sinfronteras.org.mx");
        let owner = self.owner();
        let signature = add_signature(&self.app, owner, letter, "Sin Fronteras", &contact).await;
        let second = format!("second-{n}@casa.org.mx");
        let other = add_signature(&self.app, owner, letter, "Casa del Migrante", &second).await;
        let member = match with_member {
            true => {
                let email = format!("member-{n}@lead.org");
                self.app.add_staff(&email, LEAD, Role::Viewer).await
            }
            false => 0,
        };
        Fixture {
            n,
            letter,
            slug,
            signature,
            other,
            member,
            contact,
        }
    }

    /// The fixture with a signature and a member of elsewhere in place of its own.
    fn foreign(&self, fixture: Fixture) -> Fixture {
        Fixture {
            signature: self.foreign_signature,
            member: self.foreign_user,
            ..fixture
        }
    }

    /// Records one checked cell and what was wrong with it, if anything.
    fn record(&mut self, cell: String, problems: Vec<String>) {
        self.cells += 1;
        for problem in problems {
            self.failures.push(format!("{cell}: {problem}"));
        }
    }
}

/// A browser signed in at the dashboard, holding its session's anti-forgery token.
async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new(app);
    browser.sign_in(email).await;
    browser.get("/admin").await;
    browser
}

/// The token of the link a password reset emails to `email`.
async fn password_token(app: &TestApp, email: &str) -> String {
    let browser = Browser::new(app);
    browser.get("/admin/forgot").await;
    browser.post("/admin/forgot", &[("email", email)]).await;
    app.delivered_emails()
        .await
        .into_iter()
        .find(|sent| sent.to == email)
        .expect("a password link is emailed")
        .token("password")
}

/// Adds a signature with contact data, as `token`'s staff vouch for it; its id.
async fn add_signature(app: &TestApp, token: &str, letter: i64, name: &str, email: &str) -> i64 {
    let response = app
        .post(
            &format!("/api/v1/letters/{letter}/signatures"),
            Some(token),
            &organization(name, email),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a signature is added"
    );
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// A signature on a letter of the outsider's organization.
async fn foreign_signature(app: &TestApp, outsider: &str) -> i64 {
    let letter = app.open_letter(outsider, "elsewhere").await;
    add_signature(app, outsider, letter, "Elsewhere", "someone@elsewhere.org").await
}

/// The id of the (only) organization of a token's staff member.
async fn first_organization(app: &TestApp, token: &str) -> i64 {
    me(app, token).await["organizations"][0]["organization_id"]
        .as_i64()
        .unwrap()
}

/// Who a token belongs to, as `GET /auth/me` says.
async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/auth/me", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

/// Where a viewer's answer shows contact data, if it does.
fn contact_leaks(fixture: &Fixture, body: &str) -> Vec<String> {
    let mut leaks: Vec<String> = fixture
        .secrets()
        .iter()
        .filter(|secret| body.contains(*secret))
        .map(|secret| format!("shows the contact data {secret:?} to a viewer"))
        .collect();
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        let mut keys = BTreeSet::new();
        contact_keys(&json, &mut keys);
        leaks.extend(
            keys.into_iter()
                .map(|key| format!("has the contact field {key:?} for a viewer")),
        );
    }
    leaks
}

fn contact_keys(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key.starts_with("contact_") && key != "contact_erased_at" {
                    found.insert(key.clone());
                }
                contact_keys(inner, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| contact_keys(item, found)),
        _ => {}
    }
}

/// How many rows the tables a staff call may write hold: a refused call leaves them as they
/// were (every change of a letter, a signature or a membership is also an audit event).
async fn footprint(app: &TestApp) -> [u64; 7] {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = &app.db;
    [
        entity::audit_event::Entity::find().count(db).await.unwrap(),
        entity::letter::Entity::find().count(db).await.unwrap(),
        entity::letter_coordinator::Entity::find()
            .count(db)
            .await
            .unwrap(),
        entity::signature::Entity::find().count(db).await.unwrap(),
        entity::membership::Entity::find().count(db).await.unwrap(),
        entity::user::Entity::find().count(db).await.unwrap(),
        entity::partner::Entity::find().count(db).await.unwrap(),
    ]
}

/// What a refused call changed, if anything.
async fn unchanged(app: &TestApp, before: [u64; 7]) -> Option<String> {
    let after = footprint(app).await;
    (after != before).then(|| {
        format!("a refused call changed the database: rows (audit events, letters, coordinators, signatures, memberships, users, partners) {before:?} became {after:?}")
    })
}

// ---------------------------------------------------------------------------------------------
// The JSON API.

/// A body to send.
#[derive(Clone, Copy)]
enum ApiBody {
    Empty,
    Json(fn(&Fixture) -> Value),
    Csv(fn(&Fixture) -> String),
}

/// One expectation row: an operation of the spec, how to call it, and what it needs.
struct ApiRow {
    operation: &'static str,
    /// The query string, with `{contact}` for the fixture's contact email.
    query: &'static str,
    body: ApiBody,
    needs: Needs,
    /// Editors and owners must find the contact data in the answer.
    shows_contacts: bool,
}

fn row(operation: &'static str, needs: Needs, body: ApiBody) -> ApiRow {
    ApiRow {
        operation,
        query: "",
        body,
        needs,
        shows_contacts: false,
    }
}

fn with_query(row: ApiRow, query: &'static str) -> ApiRow {
    ApiRow { query, ..row }
}

fn showing_contacts(row: ApiRow) -> ApiRow {
    ApiRow {
        shows_contacts: true,
        ..row
    }
}

const VIEWER: Role = Role::Viewer;
const EDITOR: Role = Role::Editor;
const OWNER: Role = Role::Owner;

/// Every staff operation of the API, some more than once with other parameters.
fn api_rows() -> Vec<ApiRow> {
    use ApiBody::{Empty, Json};
    use Needs::{Letter, Organization, OwnOrganization, Staff};
    vec![
        row("logout", Staff, Empty),
        row("me", Staff, Empty),
        row(
            "update_me",
            Staff,
            Json(|_| json!({ "daily_digest": true, "language": "es" })),
        ),
        row("list_members", Organization(VIEWER), Empty),
        row(
            "add_member",
            Organization(OWNER),
            Json(|f| {
                json!({ "email": format!("new-{}@lead.org", f.n), "name": "New Member",
                        "role": "viewer", "password": PASSWORD })
            }),
        ),
        row(
            "set_member_role",
            Organization(OWNER),
            Json(|_| json!({ "role": "editor" })),
        ),
        row("remove_member", Organization(OWNER), Empty),
        row("list_letters", Staff, Empty),
        row(
            "create_letter",
            OwnOrganization(EDITOR),
            Json(|f| json!({ "slug": format!("made-{}", f.n), "title": "Another letter" })),
        ),
        row("get_letter", Letter(VIEWER), Empty),
        row("list_invitations", Letter(VIEWER), Empty),
        row(
            "create_invitations",
            Letter(EDITOR),
            Json(|f| {
                json!({ "invitations": [{ "organization": "Invited", "contact_name": "Ana",
                        "contact_email": format!("invited-{}@example.org", f.n) }] })
            }),
        ),
        row(
            "set_reminders",
            Letter(EDITOR),
            Json(|_| json!({ "confirmation_reminder_days": 3 })),
        ),
        row("list_partners", Letter(VIEWER), Empty),
        row(
            "create_partner",
            Letter(EDITOR),
            Json(|f| json!({ "code": format!("partner-{}", f.n), "name": "A Partner" })),
        ),
        row(
            "update_letter",
            Letter(EDITOR),
            Json(|_| json!({ "title": "A better title" })),
        ),
        row(
            "set_letter_status",
            Letter(EDITOR),
            Json(|_| json!({ "status": "closed" })),
        ),
        row(
            "add_coordinator",
            Letter(OWNER),
            Json(|_| json!({ "organization": THIRD })),
        ),
        row("remove_coordinator", Letter(OWNER), Empty),
        row("list_letter_events", Letter(VIEWER), Empty),
    ]
    .into_iter()
    .chain(export_and_signature_api_rows())
    .collect()
}

/// The API's exports, signatures and import.
fn export_and_signature_api_rows() -> Vec<ApiRow> {
    use ApiBody::{Csv, Empty, Json};
    use Needs::Letter;
    vec![
        row("export_pdf", Letter(VIEWER), Empty),
        with_query(row("export_csv", Letter(VIEWER), Empty), "scope=public"),
        showing_contacts(with_query(
            row("export_csv", Letter(EDITOR), Empty),
            "scope=staff",
        )),
        showing_contacts(row("list_signatures", Letter(VIEWER), Empty)),
        // A viewer's search by a contact email finds nothing: it would tell who signed.
        with_query(row("list_signatures", Letter(VIEWER), Empty), "q={contact}"),
        row(
            "add_signature",
            Letter(EDITOR),
            Json(|f| organization("Red Jesuita", &format!("added-{}@jesuitas.org", f.n))),
        ),
        showing_contacts(row("get_signature", Letter(VIEWER), Empty)),
        row(
            "update_signature",
            Letter(EDITOR),
            Json(|_| json!({ "city": "Oaxaca" })),
        ),
        row(
            "decide_signature",
            Letter(EDITOR),
            Json(|_| json!({ "decision": "reject", "reason": "Not a coalition member" })),
        ),
        row(
            "merge_signature",
            Letter(EDITOR),
            Json(|f| json!({ "into": f.other })),
        ),
        row("erase_signature_contact", Letter(EDITOR), Empty),
        with_query(
            row(
                "import_signatures",
                Letter(EDITOR),
                Csv(|f| {
                    format!(
                        "name,country,contact_email\nCentro Prodh,MX,prodh-{}@centro.org\n",
                        f.n
                    )
                }),
            ),
            "dry_run=false",
        ),
    ]
}

/// An operation as the spec describes it.
struct Operation {
    method: Method,
    path: String,
    success: StatusCode,
}

/// Every operation of the spec with a security requirement, by operation id.
fn secured_operations() -> BTreeMap<String, Operation> {
    // The document as published at /api/openapi.json.
    let spec = signon::api::spec::openapi_document();
    let mut found = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if !secured {
                continue;
            }
            let success = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|code| code.parse::<u16>().ok())
                .find(|code| (200..300).contains(code))
                .expect("every operation documents its success");
            let id = operation["operationId"].as_str().unwrap().to_owned();
            found.insert(
                id,
                Operation {
                    method: method.to_uppercase().parse().unwrap(),
                    path: path.clone(),
                    success: StatusCode::from_u16(success).unwrap(),
                },
            );
        }
    }
    found
}

/// The operation's path for the fixture: `{id}` is the letter (or, under `/organizations`, the
/// lead organization), `{sid}` its first signature, `{organization_id}` the co-lead organization
/// and `{user_id}` the fixture's member.
fn api_path(matrix: &Matrix, operation: &Operation, fixture: &Fixture) -> String {
    let id = match operation.path.starts_with("/organizations/") {
        true => matrix.lead_org,
        false => fixture.letter,
    };
    let path = operation
        .path
        .replace("{id}", &id.to_string())
        .replace("{sid}", &fixture.signature.to_string())
        .replace("{organization_id}", &matrix.co_org.to_string())
        .replace("{user_id}", &fixture.member.to_string());
    assert!(
        !path.contains('{'),
        "the matrix does not know a parameter of {}: teach api_path",
        operation.path
    );
    format!("/api/v1{path}")
}

/// Calls one API cell and checks its answer.
async fn api_cell(matrix: &mut Matrix, row: &ApiRow, operation: &Operation, caller: Caller) {
    let fixture = matrix.fixture(operation.path.contains("{user_id}")).await;
    let mut path = api_path(matrix, operation, &fixture);
    if !row.query.is_empty() {
        path = format!(
            "{path}?{}",
            row.query.replace("{contact}", &fixture.contact)
        );
    }
    // Logging out ends the token it is sent with: those cells spend a token of their own.
    let token = match (caller, row.operation) {
        (Caller::Nobody, _) => None,
        (_, "logout") => Some(matrix.app.login(caller.email()).await),
        _ => Some(matrix.tokens[&caller].clone()),
    };
    let before = footprint(&matrix.app).await;
    let answer = send_api(
        &matrix.app,
        operation,
        &path,
        token.as_deref(),
        row.body,
        &fixture,
    )
    .await;
    let (status, content_type, body) = (answer.status, answer.content_type, answer.body);
    let expected = verdict(row.needs, caller);
    let mut problems =
        api_status_problems(expected, operation.success, status, &content_type, &body);
    if expected == Verdict::Allowed && problems.is_empty() {
        problems.extend(api_content_problems(row, caller, &fixture, &body));
    }
    if expected != Verdict::Allowed {
        problems.extend(unchanged(&matrix.app, before).await);
    }
    let cell = format!(
        "API {} {}{} as {caller:?}",
        operation.method,
        operation.path,
        if row.query.is_empty() {
            String::new()
        } else {
            format!("?{}", row.query)
        }
    );
    matrix.record(cell, problems);
}

/// An API answer, its body as text.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn send_api(
    app: &TestApp,
    operation: &Operation,
    path: &str,
    token: Option<&str>,
    body: ApiBody,
    fixture: &Fixture,
) -> Answer {
    let method = operation.method.clone();
    let response = match body {
        ApiBody::Empty => app.request(method, path, token, None).await,
        ApiBody::Json(body) => app.request(method, path, token, Some(&body(fixture))).await,
        ApiBody::Csv(csv) => {
            let csv = csv(fixture).into_bytes();
            app.send_raw(method, path, token, "text/csv", csv).await
        }
    };
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = String::from_utf8_lossy(&response.bytes().await.unwrap()).into_owned();
    Answer {
        status,
        content_type,
        body,
    }
}

/// Whether the status is the one the rules give, and a refusal has the API's error shape.
fn api_status_problems(
    expected: Verdict,
    success: StatusCode,
    status: StatusCode,
    content_type: &str,
    body: &str,
) -> Vec<String> {
    let wanted = match expected {
        Verdict::Allowed => success,
        Verdict::SignIn => StatusCode::UNAUTHORIZED,
        Verdict::Refused => StatusCode::FORBIDDEN,
        Verdict::Missing => StatusCode::NOT_FOUND,
    };
    if status != wanted {
        return vec![format!("expected {wanted}, got {status}: {body:.300}")];
    }
    if expected == Verdict::Allowed {
        return Vec::new();
    }
    let error: Value = serde_json::from_str(body).unwrap_or_default();
    let shaped = content_type.starts_with("application/json")
        && error["error"].as_str().is_some_and(|e| !e.is_empty())
        && error["message"].as_str().is_some_and(|m| !m.is_empty());
    match shaped {
        true => Vec::new(),
        false => vec![format!(
            "the {status} is not the API's error shape: {body:.300}"
        )],
    }
}

/// What an allowed answer must and must not hold.
fn api_content_problems(
    row: &ApiRow,
    caller: Caller,
    fixture: &Fixture,
    body: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if caller.letter_role().is_some() && !caller.sees_contacts() {
        problems.extend(contact_leaks(fixture, body));
    }
    if row.shows_contacts && caller.sees_contacts() && !body.contains(&fixture.contact) {
        problems.push("the contact data is missing for an editor or owner".into());
    }
    if row.operation == "list_letters" {
        let listed = serde_json::from_str::<Value>(body).unwrap_or_default()["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|l| l["id"] == fixture.letter));
        if listed != caller.letter_role().is_some() {
            problems.push(format!("the letter is listed: {listed}"));
        }
    }
    if row.operation == "list_members" && !body.contains(Caller::Owner.email()) {
        problems.push("the organization's members are not listed".into());
    }
    problems
}

async fn check_api(matrix: &mut Matrix) {
    let operations = secured_operations();
    let rows = api_rows();
    let covered: BTreeSet<&str> = rows.iter().map(|r| r.operation).collect();
    let forgotten: Vec<&String> = operations
        .keys()
        .filter(|id| !covered.contains(id.as_str()))
        .collect();
    assert!(
        forgotten.is_empty(),
        "staff operations with no row in the access matrix: {forgotten:?}"
    );
    for row in &rows {
        let operation = operations.get(row.operation).unwrap_or_else(|| {
            panic!(
                "the matrix has a row for {}, which the spec does not secure",
                row.operation
            )
        });
        for caller in CALLERS {
            api_cell(matrix, row, operation, caller).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The dashboard.

/// How a dashboard cell sends its request.
#[derive(Clone, Copy)]
enum Sending {
    Get,
    Form(fn(&Fixture) -> Vec<(String, String)>),
    /// The import's upload of a CSV file.
    Upload,
    /// The import's confirmation of a preview (made by the caller, or by an owner for a caller
    /// who may not import).
    ConfirmImport,
}

/// One dashboard expectation row.
struct PageRow {
    /// `GET` or `POST`.
    method: Method,
    /// The route as the router declares it.
    route: &'static str,
    /// The address called: `{letter}`, `{sig}`, `{other}`, `{org}` (the lead organization),
    /// `{co_org}` and `{member}` are the fixture's.
    path: &'static str,
    send: Sending,
    needs: Needs,
    /// Editors and owners must find the contact data on the page.
    shows_contacts: bool,
    /// Where an allowed call is sent on (303), when it is not a page of its own.
    redirects_to: Option<&'static str>,
}

fn page(route: &'static str, path: &'static str, needs: Needs) -> PageRow {
    PageRow {
        method: Method::GET,
        route,
        path,
        send: Sending::Get,
        needs,
        shows_contacts: false,
        redirects_to: None,
    }
}

fn form(route: &'static str, path: &'static str, needs: Needs, send: Sending) -> PageRow {
    PageRow {
        method: Method::POST,
        route,
        path,
        send,
        needs,
        shows_contacts: false,
        redirects_to: None,
    }
}

fn redirecting(row: PageRow, to: &'static str) -> PageRow {
    PageRow {
        redirects_to: Some(to),
        ..row
    }
}

fn with_contacts(row: PageRow) -> PageRow {
    PageRow {
        shows_contacts: true,
        ..row
    }
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn letter_form(slug: &str) -> Vec<(String, String)> {
    pairs(&[
        ("slug", slug),
        ("title", "A letter written in the dashboard"),
        ("body", "We ask you to act."),
        ("addressees", "The President"),
        ("language", "en"),
        ("deadline_date", ""),
        ("deadline_time", ""),
        ("moderation", "auto"),
        ("list_order", "alphabetical"),
        ("paper", "letter"),
        ("lead_signatories", ""),
        ("retention_days", "90"),
        ("translation_title", ""),
        ("translation_body", ""),
        ("translation_addressees", ""),
        ("action", "save"),
    ])
}

/// Every GET and POST route of the dashboard, some more than once with other parameters.
fn page_rows() -> Vec<PageRow> {
    use Needs::{Anyone, Letter, OwnOrganization, Staff};
    use Sending::Form;
    let none: Sending = Form(|_| Vec::new());
    vec![
        page("/login", "/login", Anyone),
        form("/login", "/login", Anyone, none),
        redirecting(form("/logout", "/logout", Staff, none), "/admin/login"),
        page("/forgot", "/forgot", Anyone),
        form("/forgot", "/forgot", Anyone, none),
        page("/password/:token", "/password/{password_token}", Anyone),
        form(
            "/password/:token",
            "/password/{password_token}",
            Anyone,
            none,
        ),
        page("/", "/", Staff),
        page("/account", "/account", Staff),
        redirecting(
            form(
                "/account",
                "/account",
                Staff,
                Form(|_| pairs(&[("daily_digest", "yes"), ("language", "es")])),
            ),
            "/admin/account",
        ),
        // Pages that only show a form refuse whom their post would refuse.
        page("/letters/new", "/letters/new", OwnOrganization(EDITOR)),
        form(
            "/letters/new",
            "/letters/new",
            OwnOrganization(EDITOR),
            Form(|f| letter_form(&format!("page-made-{}", f.n))),
        ),
        page("/letters/:id", "/letters/{letter}", Letter(VIEWER)),
        page(
            "/letters/:id/edit",
            "/letters/{letter}/edit",
            Letter(VIEWER),
        ),
        form(
            "/letters/:id/edit",
            "/letters/{letter}/edit",
            Letter(EDITOR),
            Form(|f| letter_form(&f.slug)),
        ),
        page(
            "/letters/:id/status",
            "/letters/{letter}/status?to=closed",
            Letter(EDITOR),
        ),
        form(
            "/letters/:id/status",
            "/letters/{letter}/status",
            Letter(EDITOR),
            Form(|_| pairs(&[("to", "closed"), ("confirmed", "yes")])),
        ),
        form(
            "/letters/:id/coordinators",
            "/letters/{letter}/coordinators",
            Letter(OWNER),
            Form(|_| pairs(&[("organization", THIRD)])),
        ),
        form(
            "/letters/:id/coordinators/:organization/remove",
            "/letters/{letter}/coordinators/{co_org}/remove",
            Letter(OWNER),
            none,
        ),
    ]
    .into_iter()
    .chain(letter_file_rows())
    .chain(invitation_rows())
    .chain(member_page_rows())
    .chain(moderation_rows())
    .chain(signature_page_rows())
    .collect()
}

/// A letter's sharing, import, exports and history.
fn letter_file_rows() -> Vec<PageRow> {
    use Needs::Letter;
    use Sending::{ConfirmImport, Upload};
    vec![
        page(
            "/letters/:id/share",
            "/letters/{letter}/share",
            Letter(VIEWER),
        ),
        page(
            "/letters/:id/qr.svg",
            "/letters/{letter}/qr.svg",
            Letter(VIEWER),
        ),
        page(
            "/letters/:id/import",
            "/letters/{letter}/import",
            Letter(EDITOR),
        ),
        form(
            "/letters/:id/import",
            "/letters/{letter}/import",
            Letter(EDITOR),
            Upload,
        ),
        form(
            "/letters/:id/import/confirm",
            "/letters/{letter}/import/confirm",
            Letter(EDITOR),
            ConfirmImport,
        ),
        page(
            "/letters/:id/exports",
            "/letters/{letter}/exports",
            Letter(VIEWER),
        ),
        page(
            "/letters/:id/download/:file",
            "/letters/{letter}/download/letter-en.pdf",
            Letter(VIEWER),
        ),
        page(
            "/letters/:id/download/:file",
            "/letters/{letter}/download/signatories-en.csv",
            Letter(VIEWER),
        ),
        with_contacts(page(
            "/letters/:id/download/:file",
            "/letters/{letter}/download/staff.csv",
            Letter(EDITOR),
        )),
        page(
            "/letters/:id/audit",
            "/letters/{letter}/audit",
            Letter(VIEWER),
        ),
    ]
}

/// A letter's invitations and reminders.
fn invitation_rows() -> Vec<PageRow> {
    use Needs::Letter;
    vec![
        page(
            "/letters/:id/invitations",
            "/letters/{letter}/invitations",
            Letter(VIEWER),
        ),
        form(
            "/letters/:id/invitations",
            "/letters/{letter}/invitations",
            Letter(EDITOR),
            Sending::Form(|f| {
                pairs(&[(
                    "lines",
                    &format!("Invited, Ana, typed-{}@example.org, en", f.n),
                )])
            }),
        ),
        form(
            "/letters/:id/invitations/upload",
            "/letters/{letter}/invitations/upload",
            Letter(EDITOR),
            Sending::Upload,
        ),
        form(
            "/letters/:id/invitations/reminders",
            "/letters/{letter}/invitations/reminders",
            Letter(EDITOR),
            Sending::Form(|_| pairs(&[("confirmation_reminder_days", "3")])),
        ),
        page(
            "/letters/:id/partners",
            "/letters/{letter}/partners",
            Letter(VIEWER),
        ),
        form(
            "/letters/:id/partners",
            "/letters/{letter}/partners",
            Letter(EDITOR),
            Sending::Form(|f| {
                pairs(&[("code", &format!("partner-{}", f.n)), ("name", "A Partner")])
            }),
        ),
    ]
}

/// Organizations' members.
fn member_page_rows() -> Vec<PageRow> {
    use Needs::{Organization, Staff};
    use Sending::Form;
    let none: Sending = Form(|_| Vec::new());
    vec![
        // To the members of one's own organization.
        redirecting(page("/members", "/members", Staff), "/admin/organizations/"),
        page(
            "/organizations/:org/members",
            "/organizations/{org}/members",
            Organization(VIEWER),
        ),
        form(
            "/organizations/:org/members",
            "/organizations/{org}/members",
            Organization(OWNER),
            Form(|f| {
                let email = format!("invited-{}@lead.org", f.n);
                pairs(&[
                    ("name", "Invited Member"),
                    ("email", &email),
                    ("role", "viewer"),
                ])
            }),
        ),
        form(
            "/organizations/:org/members/:user/role",
            "/organizations/{org}/members/{member}/role",
            Organization(OWNER),
            Form(|_| pairs(&[("role", "editor")])),
        ),
        form(
            "/organizations/:org/members/:user/remove",
            "/organizations/{org}/members/{member}/remove",
            Organization(OWNER),
            none,
        ),
    ]
}

/// The moderation routes of the dashboard.
fn moderation_rows() -> Vec<PageRow> {
    use Needs::Letter;
    use Sending::Form;
    let none: Sending = Form(|_| Vec::new());
    vec![
        with_contacts(page(
            "/letters/:id/signatures",
            "/letters/{letter}/signatures",
            Letter(VIEWER),
        )),
        form(
            "/letters/:id/signatures/approve",
            "/letters/{letter}/signatures/approve",
            Letter(EDITOR),
            Form(|f| vec![("signature".into(), f.signature.to_string())]),
        ),
        page(
            "/letters/:id/signatures/new",
            "/letters/{letter}/signatures/new",
            Letter(EDITOR),
        ),
        form(
            "/letters/:id/signatures/new",
            "/letters/{letter}/signatures/new",
            Letter(EDITOR),
            Form(|f| {
                let email = format!("page-added-{}@jesuitas.org", f.n);
                pairs(&organization_form("Red Jesuita", &email))
            }),
        ),
        form(
            "/letters/:id/signatures/:sid/approve",
            "/letters/{letter}/signatures/{sig}/approve",
            Letter(EDITOR),
            none,
        ),
        form(
            "/letters/:id/signatures/:sid/reject",
            "/letters/{letter}/signatures/{sig}/reject",
            Letter(EDITOR),
            Form(|_| pairs(&[("reason", "Not a coalition member")])),
        ),
        form(
            "/letters/:id/signatures/:sid/verify",
            "/letters/{letter}/signatures/{sig}/verify",
            Letter(EDITOR),
            Form(|_| pairs(&[("note", "Called the office")])),
        ),
        form(
            "/letters/:id/signatures/:sid/lead",
            "/letters/{letter}/signatures/{sig}/lead",
            Letter(EDITOR),
            Form(|_| pairs(&[("lead", "yes")])),
        ),
    ]
}

/// Editing, merging and erasing one signature.
fn signature_page_rows() -> Vec<PageRow> {
    use Needs::Letter;
    use Sending::Form;
    let none: Sending = Form(|_| Vec::new());
    vec![
        with_contacts(page(
            "/letters/:id/signatures/:sid/edit",
            "/letters/{letter}/signatures/{sig}/edit",
            Letter(EDITOR),
        )),
        form(
            "/letters/:id/signatures/:sid/edit",
            "/letters/{letter}/signatures/{sig}/edit",
            Letter(EDITOR),
            Form(|f| pairs(&organization_form("Sin Fronteras IAP", &f.contact))),
        ),
        page(
            "/letters/:id/signatures/:sid/merge",
            "/letters/{letter}/signatures/{sig}/merge?into={other}",
            Letter(VIEWER),
        ),
        form(
            "/letters/:id/signatures/:sid/merge",
            "/letters/{letter}/signatures/{sig}/merge",
            Letter(EDITOR),
            Form(|f| vec![("into".into(), f.other.to_string())]),
        ),
        page(
            "/letters/:id/signatures/:sid/erase",
            "/letters/{letter}/signatures/{sig}/erase",
            Letter(EDITOR),
        ),
        form(
            "/letters/:id/signatures/:sid/erase",
            "/letters/{letter}/signatures/{sig}/erase",
            Letter(EDITOR),
            none,
        ),
    ]
}

/// Every (method, route) the dashboard's router declares, read from its source: each
/// `.at("ROUTE", get(..).post(..))` of `src/pages/admin/mod.rs`.
fn dashboard_routes() -> BTreeSet<(String, String)> {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/admin/mod.rs");
    let source = std::fs::read_to_string(file).unwrap();
    assert!(
        !source.contains(".nest("),
        "the dashboard's router nests routes: teach dashboard_routes to read them"
    );
    let mut routes = BTreeSet::new();
    for piece in source.split(".at(").skip(1) {
        let route = piece
            .trim_start()
            .strip_prefix('"')
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a route that is not a string literal: {piece:.80}"));
        let mut depth = 1;
        let end = piece
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(at, _)| at)
            .unwrap();
        let handlers = &piece[..end];
        let mut methods = 0;
        for method in ["get", "post", "put", "patch", "delete", "head", "options"] {
            let call = format!("{method}(");
            let called = handlers.match_indices(&call).any(|(at, _)| {
                !handlers[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if called {
                methods += 1;
                routes.insert((method.to_uppercase(), route.to_owned()));
            }
        }
        assert!(methods > 0, "no method found for the route {route}");
    }
    routes
}

/// The address of a row for a fixture.
fn page_path(matrix: &Matrix, row: &PageRow, fixture: &Fixture) -> String {
    let path = row
        .path
        .replace("{letter}", &fixture.letter.to_string())
        .replace("{sig}", &fixture.signature.to_string())
        .replace("{other}", &fixture.other.to_string())
        .replace("{org}", &matrix.lead_org.to_string())
        .replace("{co_org}", &matrix.co_org.to_string())
        .replace("{member}", &fixture.member.to_string())
        .replace("{password_token}", &matrix.password_token);
    match path.as_str() {
        "/" => "/admin".to_owned(),
        _ => format!("/admin{path}"),
    }
}

const IMPORT_CSV: &[u8] = b"name,country,contact_email\nCentro Prodh,MX,prodh@centro.org\n";

/// The import's preview as `browser` uploads it: the page, with the draft to confirm.
async fn upload_preview(browser: &Browser, letter: i64) -> Page {
    let path = format!("/admin/letters/{letter}/import");
    let form = browser.get(&path).await;
    let action = match form.status {
        StatusCode::OK => upload_action(&form.body),
        // A caller who may not import has no form: post as its form would, with the token.
        _ => {
            let csrf = csrf_of(&browser.get("/admin").await.body).unwrap();
            format!("{path}?csrf={csrf}")
        }
    };
    browser
        .upload(&action, "file", "signatures.csv", IMPORT_CSV)
        .await
}

/// The browser a cell is sent from: none for nobody, a session of its own for signing out
/// (which ends the session it is sent with), the caller's otherwise.
async fn browser_for(matrix: &Matrix, row: &PageRow, caller: Caller) -> Option<Browser> {
    match (caller, row.route) {
        (Caller::Nobody, _) => Some(Browser::new(&matrix.app)),
        (_, "/logout") => Some(signed_in(&matrix.app, caller.email()).await),
        _ => None,
    }
}

/// The import preview a confirmation cell confirms: the caller's own, or an owner's for a
/// caller who may not import.
async fn draft_for(matrix: &Matrix, row: &PageRow, caller: Caller, letter: i64) -> Option<String> {
    if !matches!(row.send, Sending::ConfirmImport) {
        return None;
    }
    let previewer = match verdict(row.needs, caller) {
        Verdict::Allowed => caller,
        _ => Caller::Owner,
    };
    let preview = upload_preview(&matrix.browsers[&previewer], letter).await;
    Some(draft_of(&preview.body))
}

/// Sends one dashboard cell's request as `caller`; nobody has no session, so no anti-forgery
/// token to send.
async fn send_page(
    matrix: &Matrix,
    row: &PageRow,
    caller: Caller,
    fixture: &Fixture,
    draft: Option<String>,
) -> Page {
    let path = page_path(matrix, row, fixture);
    let own = browser_for(matrix, row, caller).await;
    let browser = own.as_ref().unwrap_or_else(|| &matrix.browsers[&caller]);
    let fields = match row.send {
        Sending::Get => return browser.get(&path).await,
        Sending::Upload if caller == Caller::Nobody => {
            return browser.upload(&path, "file", "a.csv", IMPORT_CSV).await;
        }
        Sending::Upload => return upload_preview(browser, fixture.letter).await,
        Sending::Form(fields) => fields(fixture),
        Sending::ConfirmImport => vec![("draft".to_owned(), draft.unwrap_or_default())],
    };
    match caller {
        Caller::Nobody => browser.post_exactly(&path, &as_pairs(&fields)).await,
        _ => browser.post(&path, &as_pairs(&fields)).await,
    }
}

/// Calls one dashboard cell and checks its answer.
async fn page_cell(matrix: &mut Matrix, row: &PageRow, caller: Caller) {
    let needs_member = row.path.contains("{member}");
    let fixture = matrix.fixture(needs_member).await;
    let draft = draft_for(matrix, row, caller, fixture.letter).await;
    let before = footprint(&matrix.app).await;
    let page = send_page(matrix, row, caller, &fixture, draft.clone()).await;
    let expected = verdict(row.needs, caller);
    let mut problems = page_status_problems(row, expected, &page);
    if expected == Verdict::Allowed && problems.is_empty() {
        problems.extend(page_content_problems(row, caller, &fixture, &page));
    }
    if expected != Verdict::Allowed {
        problems.extend(unchanged(&matrix.app, before).await);
    }
    if expected == Verdict::SignIn && row.method == Method::POST {
        problems.extend(token_without_session(matrix, row, &fixture, draft).await);
    }
    let cell = format!("dashboard {} {} as {caller:?}", row.method, row.path);
    matrix.record(cell, problems);
}

/// A POST with a valid anti-forgery token but no session (a browser that opened the sign-in
/// page and never signed in): the page itself must want a signed-in member, so it is sent to
/// sign in, and nothing changes.
async fn token_without_session(
    matrix: &Matrix,
    row: &PageRow,
    fixture: &Fixture,
    draft: Option<String>,
) -> Vec<String> {
    let browser = Browser::new(&matrix.app);
    let token = csrf_of(&browser.get("/admin/login").await.body).expect("a token to sign in");
    let path = page_path(matrix, row, fixture);
    let before = footprint(&matrix.app).await;
    let fields = match row.send {
        Sending::Form(fields) => fields(fixture),
        Sending::ConfirmImport => vec![("draft".to_owned(), draft.unwrap_or_default())],
        Sending::Get | Sending::Upload => Vec::new(),
    };
    let page = match row.send {
        Sending::Upload => {
            let action = format!("{path}?csrf={token}");
            browser.upload(&action, "file", "a.csv", IMPORT_CSV).await
        }
        _ => browser.post(&path, &as_pairs(&fields)).await,
    };
    let location = page.location().unwrap_or_default();
    let mut problems = Vec::new();
    if page.status != StatusCode::SEE_OTHER || !location.starts_with("/admin/login?next=") {
        problems.push(format!(
            "with a token but no session: expected to be sent to sign in, got {} ({location:?})",
            page.status
        ));
    }
    problems.extend(unchanged(&matrix.app, before).await);
    problems
}

fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Whether the status is the one the rules give.
fn page_status_problems(row: &PageRow, expected: Verdict, page: &Page) -> Vec<String> {
    let location = page.location().unwrap_or_default();
    let notice_failed = page
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("signon_notice=%21"));
    let is_get = row.method == Method::GET;
    let ok = match (expected, is_get) {
        (Verdict::Allowed, _) if row.redirects_to.is_some() => {
            page.status == StatusCode::SEE_OTHER
                && row.redirects_to.is_some_and(|to| location.starts_with(to))
                && !notice_failed
        }
        (Verdict::SignIn, true) => {
            page.status == StatusCode::SEE_OTHER && location.starts_with("/admin/login?next=")
        }
        (Verdict::SignIn, _) => page.status == StatusCode::FORBIDDEN,
        (Verdict::Refused, _) => page.status == StatusCode::FORBIDDEN,
        (Verdict::Missing, _) => page.status == StatusCode::NOT_FOUND,
        (Verdict::Allowed, true) => page.status == StatusCode::OK,
        // A sign-in page's form posted without its token.
        (Verdict::Allowed, _) if matches!(row.needs, Needs::Anyone) => {
            page.status == StatusCode::FORBIDDEN
        }
        (Verdict::Allowed, _) => match page.status {
            StatusCode::SEE_OTHER => !location.starts_with("/admin/login") && !notice_failed,
            // The import's preview.
            StatusCode::OK => matches!(row.send, Sending::Upload),
            _ => false,
        },
    };
    match ok {
        true => Vec::new(),
        false => vec![format!(
            "expected {expected:?}, got {} (location {location:?}, failed notice {notice_failed}): {:.300}",
            page.status, page.body
        )],
    }
}

/// What an allowed page must and must not hold.
fn page_content_problems(
    row: &PageRow,
    caller: Caller,
    fixture: &Fixture,
    page: &Page,
) -> Vec<String> {
    let mut problems = Vec::new();
    if caller.letter_role().is_some() && !caller.sees_contacts() {
        problems.extend(contact_leaks(fixture, &page.body));
        if row.method == Method::GET {
            problems.extend(
                write_forms(&page.body)
                    .into_iter()
                    .map(|action| format!("offers a viewer the form {action}")),
            );
        }
    }
    if row.shows_contacts && caller.sees_contacts() && !page.body.contains(&fixture.contact) {
        problems.push("the contact data is missing for an editor or owner".into());
    }
    if row.route == "/" {
        let link = format!("/admin/letters/{}\"", fixture.letter);
        if page.body.contains(&link) != caller.letter_role().is_some() {
            problems.push("lists the letter to the wrong people".into());
        }
    }
    problems
}

/// The actions of the forms on a page that would change something (signing out changes
/// nothing of the letters').
fn write_forms(html: &str) -> Vec<String> {
    html.match_indices("method=\"post\"")
        .filter_map(|(at, _)| {
            let tag = &html[at..];
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            let action = tag.split("action=\"").nth(1)?.split('"').next()?;
            // A viewer's own account is theirs to change: signing out, their own settings.
            (!["/admin/logout", "/admin/account"].contains(&action)).then(|| action.to_owned())
        })
        .collect()
}

async fn check_dashboard(matrix: &mut Matrix) {
    let rows = page_rows();
    let tabled: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_owned()))
        .collect();
    let routed = dashboard_routes();
    let untabled: Vec<_> = routed.difference(&tabled).collect();
    assert!(
        untabled.is_empty(),
        "dashboard routes with no row in the access matrix: {untabled:?}"
    );
    let unrouted: Vec<_> = tabled.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "rows of the access matrix for routes the dashboard does not have: {unrouted:?}"
    );
    for row in &rows {
        let callers: &[Caller] = match row.needs {
            // The sign-in pages are where nobody goes; they are checked as nobody.
            Needs::Anyone => &[Caller::Nobody],
            _ => &CALLERS,
        };
        for caller in callers {
            page_cell(matrix, row, *caller).await;
        }
    }
}

/// Ids of elsewhere reached through a path of one's own: an owner of the lead organization asks,
/// through their own letter, for a signature of another organization's letter, and through
/// their own organization for another organization's member. Each is a 404, and changes nothing.
async fn check_foreign_ids(matrix: &mut Matrix) {
    let operations = secured_operations();
    let token = matrix.tokens[&Caller::Owner].clone();
    for row in api_rows() {
        let operation = &operations[row.operation];
        if !["{sid}", "{user_id}"]
            .iter()
            .any(|id| operation.path.contains(id))
        {
            continue;
        }
        let fixture = matrix.foreign(matrix.fixture(false).await);
        let path = api_path(matrix, operation, &fixture);
        let before = footprint(&matrix.app).await;
        let answer = send_api(
            &matrix.app,
            operation,
            &path,
            Some(&token),
            row.body,
            &fixture,
        )
        .await;
        let (status, content_type, body) = (answer.status, answer.content_type, answer.body);
        let mut problems = api_status_problems(
            Verdict::Missing,
            operation.success,
            status,
            &content_type,
            &body,
        );
        problems.extend(unchanged(&matrix.app, before).await);
        let cell = format!(
            "API {} {path} as Owner, with ids of elsewhere",
            operation.method
        );
        matrix.record(cell, problems);
    }
    for row in page_rows() {
        if !["{sig}", "{member}"].iter().any(|id| row.path.contains(id)) {
            continue;
        }
        let fixture = matrix.foreign(matrix.fixture(false).await);
        let before = footprint(&matrix.app).await;
        let page = send_page(matrix, &row, Caller::Owner, &fixture, None).await;
        let mut problems = page_status_problems(&row, Verdict::Missing, &page);
        problems.extend(unchanged(&matrix.app, before).await);
        let cell = format!(
            "dashboard {} {} as Owner, with ids of elsewhere",
            row.method, row.path
        );
        matrix.record(cell, problems);
    }
}

async fn every_role_at_every_door(backend: Backend) {
    let mut matrix = Matrix::new(backend).await;
    check_api(&mut matrix).await;
    let api_cells = matrix.cells;
    check_dashboard(&mut matrix).await;
    let page_cells = matrix.cells - api_cells;
    check_foreign_ids(&mut matrix).await;
    let foreign_cells = matrix.cells - api_cells - page_cells;
    println!(
        "access matrix: {api_cells} API cells, {page_cells} dashboard cells, {foreign_cells} with ids of elsewhere, {} in all",
        matrix.cells
    );
    assert!(
        matrix.failures.is_empty(),
        "{} of {} cells break the access rules:\n{}",
        matrix.failures.len(),
        matrix.cells,
        matrix.failures.join("\n")
    );
}

backend_test!(every_role_at_every_door);
