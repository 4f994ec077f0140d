//! `TestApp`: the real service on a random port with a database of its own, and request helpers.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Client, Method, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use signon::app::Application;
use signon::config::Settings;
use signon::domain::{Email, Password};
use signon::mail::{self, Transport};
use signon::service::accounts::{self, NewStaff};
use signon::service::key_file;
use signon::service::keys::Keys;

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Runs a test body on a fresh service, as `name::sqlite` and `name::postgres` (see
/// `backend_arms!`).
macro_rules! db_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::helpers::TestApp) $body

            async fn on(backend: $crate::helpers::Backend) {
                run($crate::helpers::TestApp::spawn(backend).await).await
            }

            backend_arms!(on);
        }
    };
}

/// Runs `async fn $name(backend: Backend)` as `$name::sqlite` and `$name::postgres`.
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            backend_arms!(super::$name);
        }
    };
}

/// The two tests of one body, one per database. The PostgreSQL arm is ignored unless asked for,
/// so a run without a server shows it as not run instead of counting it as passed; asked for
/// without `SIGNON_TEST_POSTGRES`, it fails.
macro_rules! backend_arms {
    ($test:path) => {
        #[tokio::test]
        async fn sqlite() {
            $test($crate::helpers::Backend::Sqlite).await
        }

        #[tokio::test]
        #[ignore = "PostgreSQL: set SIGNON_TEST_POSTGRES and run with --include-ignored"]
        async fn postgres() {
            $test($crate::helpers::Backend::Postgres).await
        }
    };
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Removes what a test's database left behind when the test ends, pass or fail.
enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside any async context we can rely on: use a runtime of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running service and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The database URL the service uses.
    pub database_url: String,
    /// A connection of the test's own to the same database.
    pub db: DatabaseConnection,
    /// Where the service writes its emails as `.eml` files.
    pub mail_dir: PathBuf,
    /// The file holding the service's keys (beside a SQLite database).
    pub key_file: PathBuf,
    /// The service's keys, for tests that empty the outbox themselves.
    pub keys: Arc<Keys>,
    /// The service's own way of sending, for tests that empty the outbox themselves.
    mail_transport: Transport,
    settings: Settings,
    client: Client,
    server: tokio::task::JoinHandle<()>,
    _workdir: tempfile::TempDir,
    _guard: DbGuard,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Another server on a test's database (see [`TestApp::another_instance`]).
pub struct Instance {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A fresh database URL with the guard that removes it.
async fn fresh_database(backend: Backend) -> (String, DbGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path: PathBuf = dir.path().join("signon.db");
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                DbGuard::Sqlite(dir),
            )
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = format!("signon_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url).await.unwrap_or_else(|error| {
                panic!("the PostgreSQL server of SIGNON_TEST_POSTGRES does not answer: {error}")
            });
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("a test database can be created");
            let mut url = url::Url::parse(&admin_url).expect("SIGNON_TEST_POSTGRES is a URL");
            url.set_path(&format!("/{name}"));
            (url.to_string(), DbGuard::Postgres { admin_url, name })
        }
    }
}

/// A database URL that exists and is empty, for tests that start signon themselves.
pub struct EmptyDatabase {
    pub url: String,
    _guard: DbGuard,
}

impl EmptyDatabase {
    pub async fn new(backend: Backend) -> Self {
        let (url, guard) = fresh_database(backend).await;
        Self { url, _guard: guard }
    }
}

/// The server the PostgreSQL tests create their databases on; a PostgreSQL test run without
/// one fails rather than pass having tested nothing.
fn postgres_admin_url() -> String {
    std::env::var("SIGNON_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "SIGNON_TEST_POSTGRES is not set, so this PostgreSQL test cannot run: set it to \
                 a server where the user may create databases, e.g. \
                 SIGNON_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test"
            )
        })
}

/// Starts the service in this process: its address, database, keys and serving task.
async fn serve(
    settings: Settings,
) -> (
    String,
    DatabaseConnection,
    Arc<Keys>,
    tokio::task::JoinHandle<()>,
) {
    let app = Application::build(settings)
        .await
        .expect("the service starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    let keys = app.state().keys.clone();
    let server = tokio::spawn(async move {
        app.run_until(std::future::pending())
            .await
            .expect("the server runs");
    });
    (address, db, keys, server)
}

impl TestApp {
    /// Stops serving and starts the service again on the same database and key file, as after
    /// a restart (on a new port).
    pub async fn restart(&mut self) {
        self.server.abort();
        let (address, db, keys, server) = serve(self.settings.clone()).await;
        (self.address, self.db, self.keys, self.server) = (address, db, keys, server);
    }

    /// Starts a second server process-alike on the same database and keys, as a deployment
    /// with several instances has; it stops when the returned value is dropped.
    pub async fn another_instance(&self) -> Instance {
        let (address, _, _, server) = serve(self.settings.clone()).await;
        Instance { address, server }
    }

    /// Starts the service on a fresh database of the given kind.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the service with adjusted settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        signon::telemetry::init(signon::telemetry::LogFormat::Text);
        let (database_url, guard) = fresh_database(backend).await;
        let workdir = tempfile::tempdir().expect("a temporary directory");
        let mut settings = Settings::with_database(database_url.clone());
        settings.bind = "127.0.0.1:0".into();
        settings.mail.dir = workdir.path().join("mail");
        // Tests sign many times from one address; the limit has tests of its own.
        settings.sign_rate_per_minute = 0;
        if backend == Backend::Postgres {
            // Beside a SQLite file by default; a PostgreSQL test's keys go to its own folder.
            settings.keys.key_file = Some(workdir.path().join("signon.key"));
        }
        adjust(&mut settings);
        let key_file = settings
            .keys
            .key_file
            .clone()
            .unwrap_or_else(|| key_file::default_path(&database_url));
        let mail_dir = settings.mail.dir.clone();
        let mail_transport =
            Transport::from_settings(&settings.mail).expect("the mail settings are valid");
        let (address, db, keys, server) = serve(settings.clone()).await;
        Self {
            settings,
            address,
            database_url,
            db,
            mail_dir,
            key_file,
            keys,
            mail_transport,
            client: Client::new(),
            server,
            _workdir: workdir,
            _guard: guard,
        }
    }

    /// Creates a staff account directly through the service layer; returns the user's id.
    pub async fn add_staff(&self, email: &str, organization: &str, role: entity::Role) -> i64 {
        accounts::add_staff(
            &self.db,
            NewStaff {
                email: Email::parse(email).unwrap(),
                name: "Test Staff".into(),
                organization: organization.into(),
                role,
                password: Password::parse(PASSWORD.into()).unwrap(),
            },
        )
        .await
        .expect("the staff account is created")
    }

    /// Logs in through the API and returns the bearer token.
    pub async fn login(&self, email: &str) -> String {
        let response = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email} fails");
        response.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new account in `organization` with `role`, logged in: its bearer token.
    pub async fn staff_token(&self, email: &str, organization: &str, role: entity::Role) -> String {
        self.add_staff(email, organization, role).await;
        self.login(email).await
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the service answers")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// Sends raw bytes with a content type, for malformed and oversized bodies.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the service answers")
    }

    /// Creates a letter and returns it as JSON; the body must be valid.
    pub async fn create_letter(&self, token: &str, body: &Value) -> Value {
        let response = self.post("/api/v1/letters", Some(token), body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "creating {body} fails"
        );
        response.json().await.unwrap()
    }

    /// Creates an open letter with the given slug and returns its id.
    pub async fn open_letter(&self, token: &str, slug: &str) -> i64 {
        let letter = self
            .create_letter(
                token,
                &json!({ "slug": slug, "title": "A letter", "body": "We ask you to act." }),
            )
            .await;
        let id = letter["id"].as_i64().unwrap();
        let response = self
            .post(
                &format!("/api/v1/letters/{id}/status"),
                Some(token),
                &json!({ "status": "open" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        id
    }
}

/// Asserts an answer's status and that its body has the API's error shape; returns the body.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "error is not JSON: {content_type}"
    );
    let body: Value = response.json().await.expect("an error body in JSON");
    assert_eq!(body["error"], code, "error code in {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(body["fields"].is_object(), "fields in {body}");
    body
}

/// An email the service wrote, parsed.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub to: String,
    /// Every `To` address, in order.
    pub to_all: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Each attachment's file name and bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl SentEmail {
    /// Parses a raw RFC 5322 message.
    pub fn parse(raw: &[u8]) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("a valid email");
        Self {
            to: message
                .to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            to_all: message
                .to()
                .map(|to| {
                    to.iter()
                        .filter_map(|a| a.address().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
            attachments: message
                .attachments()
                .map(|part| {
                    let name = mail_parser::MimeHeaders::attachment_name(part)
                        .unwrap_or_default()
                        .to_owned();
                    (name, part.contents().to_vec())
                })
                .collect(),
        }
    }

    /// The first link in the text body whose path starts with `/{page}/`.
    pub fn link(&self, page: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(&format!("/{page}/")))
            .unwrap_or_else(|| panic!("no /{page}/ link in {}", self.text))
            .to_owned()
    }

    /// The token of the `/{page}/` link.
    pub fn token(&self, page: &str) -> String {
        let link = self.link(page);
        let after = link.split(&format!("/{page}/")).nth(1).unwrap();
        after.split('?').next().unwrap().to_owned()
    }
}

impl TestApp {
    /// Every email written so far, oldest first.
    pub fn emails(&self) -> Vec<SentEmail> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| SentEmail::parse(&std::fs::read(p).unwrap()))
            .collect()
    }

    /// Every email the outbox holds, sent: what is due is delivered here, and what the service's
    /// worker has already claimed is waited for (up to ten seconds). Checking "no email" or
    /// "still five emails" on this cannot pass merely because the worker is slow.
    pub async fn delivered_emails(&self) -> Vec<SentEmail> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        for _ in 0..200 {
            mail::deliver_due(&self.db, &self.mail_transport, &self.keys)
                .await
                .expect("the outbox can be read");
            let unsent = entity::outbox::Entity::find()
                .filter(entity::outbox::Column::SentAt.is_null())
                .all(&self.db)
                .await
                .expect("the outbox can be read");
            if unsent.is_empty() {
                return self.emails();
            }
            // What is left was claimed by the service's worker and is on its way, unless it failed.
            if let Some(failed) = unsent.iter().find(|email| email.last_error.is_some()) {
                panic!("an email could not be sent: {:?}", failed.last_error);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the outbox still holds unsent emails after ten seconds");
    }

    /// How many emails the outbox holds, sent or not.
    pub async fn outbox_len(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entity::outbox::Entity::find()
            .count(&self.db)
            .await
            .expect("the outbox can be read")
    }

    /// Waits (up to ten seconds) until at least `count` emails were written, and returns them.
    pub async fn wait_for_emails(&self, count: usize) -> Vec<SentEmail> {
        for _ in 0..200 {
            let emails = self.emails();
            if emails.len() >= count {
                return emails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {count} emails, found {}", self.emails().len());
    }

    /// Signs a letter through the public API with the given fields.
    pub async fn sign(&self, slug: &str, fields: &Value) -> Response {
        self.post(
            &format!("/api/v1/public/letters/{slug}/signatures"),
            None,
            fields,
        )
        .await
    }

    /// Signs through the public API and follows the confirmation link the contact receives.
    pub async fn sign_and_confirm(&self, slug: &str, fields: &Value) {
        let before = self.delivered_emails().await.len();
        let response = self.sign(slug, fields).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "signing fails");
        let email = self.delivered_emails().await.remove(before);
        let confirmed = self
            .post(
                &format!("/api/v1/public/verifications/{}", email.token("verify")),
                None,
                &json!({}),
            )
            .await;
        assert_eq!(confirmed.status(), StatusCode::OK, "confirming fails");
    }

    /// How many `.eml` files in the mail folder hold `marker` anywhere in their raw bytes.
    pub fn mail_files_holding(&self, marker: &str) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return 0;
        };
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|path| {
                let raw = std::fs::read(path).unwrap_or_default();
                raw.windows(marker.len()).any(|w| w == marker.as_bytes())
            })
            .count()
    }
}

/// A complete organization submission with the given name and contact email.
pub fn organization(name: &str, email: &str) -> Value {
    json!({
        "kind": "organization",
        "name": name,
        "org_type": "NGO",
        "city": "Ciudad de México",
        "country": "MX",
        "website": "https://www.sinfronteras.org.mx",
        "contact_name": "Ana Pérez Contacto",
        "contact_title": "Directora",
        "contact_email": email,
        "contact_phone": "+52 55 5514 1521",
        "comment": "Private note for the coordinators",
        "consent": true
    })
}

impl TestApp {
    /// Posts a form as a browser does, without following redirects.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .form(fields)
            .send()
            .await
            .expect("the service answers")
    }

    /// Gets a page with an Accept-Language header.
    pub async fn get_page(
        &self,
        path: &str,
        accept_language: Option<&str>,
    ) -> (StatusCode, String) {
        let mut request = self.client.get(format!("{}{}", self.address, path));
        if let Some(language) = accept_language {
            request = request.header("accept-language", language);
        }
        let response = request.send().await.expect("the service answers");
        (response.status(), response.text().await.unwrap())
    }
}

/// The form fields of a complete organization signature.
pub fn organization_form<'a>(name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "organization"),
        ("name", name),
        ("org_type", "NGO"),
        ("city", "Tijuana"),
        ("country", "MX"),
        ("contact_name", "Ana Pérez Contacto"),
        ("contact_email", email),
        ("contact_phone", "+52 55 5514 1521"),
        ("comment", "Private note for the coordinators"),
        ("consent", "yes"),
        ("fax", ""),
    ]
}

/// A browser at the dashboard: keeps cookies, follows no redirects, sends the page's origin, and
/// fills in the anti-forgery token of the last page it read.
pub struct Browser {
    client: Client,
    base: String,
    cookies: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    csrf: std::sync::Mutex<Option<String>>,
}

/// A page or redirect as the browser received it.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// Every Set-Cookie header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

/// The value of the hidden anti-forgery field on a page, if it has one.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let rest = &html[at..];
    let value = rest.split("value=\"").nth(1)?;
    Some(value.split('"').next()?.to_owned())
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.address.clone(),
            cookies: Default::default(),
            csrf: Default::default(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("the service answers");
        let page = Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let mut cookies = self.cookies.lock().unwrap();
                if value.is_empty() || set.to_ascii_lowercase().contains("max-age=0") {
                    cookies.remove(name.trim());
                } else {
                    cookies.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        if let Some(token) = csrf_of(&page.body) {
            *self.csrf.lock().unwrap() = Some(token);
        }
        page
    }

    /// Opens a page.
    pub async fn get(&self, path: &str) -> Page {
        self.read(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// Posts a form with the anti-forgery token of the last page read.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.lock().unwrap().clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_exactly(path, &all).await
    }

    /// Posts exactly these fields (no token added), from this site.
    pub async fn post_exactly(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.read(
            self.client
                .post(format!("{}{path}", self.base))
                .header("origin", &self.base)
                .form(fields),
        )
        .await
    }

    /// Posts a form with its token but from another site's page.
    pub async fn post_from_origin(
        &self,
        path: &str,
        origin: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let token = self.csrf.lock().unwrap().clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.read(
            self.client
                .post(format!("{}{path}", self.base))
                .header("origin", origin)
                .form(&all),
        )
        .await
    }

    /// Uploads a file as a browser's multipart form does, to `action` (which carries the
    /// anti-forgery token in its query, as the page's form action does).
    pub async fn upload(&self, action: &str, field: &str, file_name: &str, content: &[u8]) -> Page {
        let boundary = format!("----signon-test-{}", uuid::Uuid::new_v4().simple());
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.read(
            self.client
                .post(format!("{}{action}", self.base))
                .header("origin", &self.base)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body),
        )
        .await
    }

    /// Downloads a file: its status, headers and bytes.
    pub async fn download(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("the service answers");
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// Signs in at the dashboard with the test password; panics unless it works.
    pub async fn sign_in(&self, email: &str) {
        self.get("/admin/login").await;
        let page = self
            .post("/admin/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {email} fails: {}",
            page.body
        );
    }
}
