//! Contact data at rest: nothing of a contact in the database file, its WAL or a backup; keys
//! outside the database; a restart finds the same signers; no start without the keys; key
//! rotation; upgrading a database from before encryption.

use std::path::{Path, PathBuf};
use std::process::Output;

use entity::Role;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use crate::child_server::{self, ChildServer, signon};
use crate::cli::assert_clear_failure;
use crate::helpers::{Backend, EmptyDatabase, PASSWORD, TestApp, organization};

/// A contact no other test uses: whatever of it is found in the database was leaked.
struct Marker {
    name: String,
    email: String,
    phone: String,
}

impl Marker {
    fn new() -> Self {
        let n = uuid::Uuid::new_v4().as_u128();
        Self {
            name: format!("Marcela Quintanar {:x}", n as u32),
            email: format!("m{:x}@marker.example.org", n as u64),
            phone: format!("+52 1 {:010}", n % 10_000_000_000),
        }
    }

    fn texts(&self) -> [&str; 3] {
        [&self.name, &self.email, &self.phone]
    }
}

/// Asserts that `bytes` hold none of the markers' texts.
fn assert_holds_none(bytes: &[u8], markers: &[&Marker], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for marker in markers {
        for value in marker.texts() {
            assert!(
                !text.contains(value),
                "{what} holds {value:?} in plain text"
            );
        }
    }
}

fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite://")?;
    Some(PathBuf::from(rest.split('?').next().unwrap()))
}

/// What a thief of the database reads: the SQLite file and its WAL, byte for byte; for
/// PostgreSQL, every row of every table as text.
async fn stored_bytes(database_url: &str, db: &DatabaseConnection) -> Vec<u8> {
    if let Some(path) = sqlite_file(database_url) {
        let mut bytes = std::fs::read(&path).unwrap();
        if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
            bytes.extend(wal);
        }
        return bytes;
    }
    let tables = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        ))
        .await
        .unwrap();
    let mut text = String::new();
    for table in tables {
        let name: String = table.try_get_by_index(0).unwrap();
        let rows = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT COALESCE(string_agg(t::text, E'\\n'), '') FROM \"{name}\" t"),
            ))
            .await
            .unwrap()
            .unwrap();
        text.push_str(&rows.try_get_by_index::<String>(0).unwrap());
    }
    text.into_bytes()
}

fn form_with(marker: &Marker, organization: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "organization".into()),
        ("name", organization.into()),
        ("country", "MX".into()),
        ("contact_name", marker.name.clone()),
        ("contact_email", marker.email.clone()),
        ("contact_phone", marker.phone.clone()),
        ("comment", "Please call in the mornings".into()),
        ("consent", "yes".into()),
    ]
}

fn json_with(marker: &Marker, organization: &str) -> Value {
    json!({
        "kind": "organization",
        "name": organization,
        "country": "MX",
        "contact_name": marker.name,
        "contact_email": marker.email,
        "contact_phone": marker.phone,
        "consent": true,
    })
}

fn csv_with(rows: &[(&Marker, &str)]) -> Vec<u8> {
    let mut csv = "name,country,contact_name,contact_email,contact_phone\n".to_owned();
    for (marker, organization) in rows {
        csv.push_str(&format!(
            "{organization},MX,{},{},{}\n",
            marker.name, marker.email, marker.phone
        ));
    }
    csv.into_bytes()
}

/// A `signon` command on the test's database and key file.
fn signon_on(app: &TestApp, args: &[&str]) -> Output {
    signon()
        .args(args)
        .args(["--database-url", &app.database_url])
        .arg("--key-file")
        .arg(&app.key_file)
        .output()
        .unwrap()
}

#[cfg(unix)]
fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
}

#[cfg(not(unix))]
fn assert_private(_path: &Path) {}

async fn staff_view(app: &TestApp, token: &str, id: i64) -> String {
    let list = app
        .get(
            &format!("/api/v1/letters/{id}/signatures?limit=1000"),
            Some(token),
        )
        .await;
    assert_eq!(list.status(), StatusCode::OK);
    let csv = app
        .get(
            &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
            Some(token),
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    format!(
        "{}\n{}",
        list.text().await.unwrap(),
        csv.text().await.unwrap()
    )
}

db_test!(
    no_contact_is_in_the_database_file_its_wal_or_a_backup_and_staff_still_read_them,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "trust").await;
        let (signer, imported) = (Marker::new(), Marker::new());

        let form = form_with(&signer, "Sin Fronteras");
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let signed = app.post_form("/l/trust/sign", &fields).await;
        assert_eq!(signed.status(), StatusCode::OK);
        let report = app
            .send_raw(
                reqwest::Method::POST,
                &format!("/api/v1/letters/{id}/imports"),
                Some(&staff),
                "text/csv",
                csv_with(&[(&imported, "Colectivo Marcador")]),
            )
            .await;
        assert_eq!(report.status(), StatusCode::OK);

        // While the confirmation email waits in the outbox, and once it has gone.
        assert_holds_none(
            &stored_bytes(&app.database_url, &app.db).await,
            &[&signer, &imported],
            "the database",
        );
        let emails = app.delivered_emails().await;
        assert!(
            emails[0].text.contains(&signer.name),
            "the email greets the contact"
        );
        let seen = staff_view(&app, &staff, id).await;
        for value in signer.texts().into_iter().chain(imported.texts()) {
            assert!(seen.contains(value), "staff see {value:?}");
        }
        assert_holds_none(
            &stored_bytes(&app.database_url, &app.db).await,
            &[&signer, &imported],
            "the database",
        );
        assert_private(&app.key_file);

        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.db");
        let backup = signon_on(&app, &["backup", copy.to_str().unwrap()]);
        if sqlite_file(&app.database_url).is_some() {
            assert!(
                backup.status.success(),
                "{}",
                String::from_utf8_lossy(&backup.stderr)
            );
            assert_holds_none(
                &std::fs::read(&copy).unwrap(),
                &[&signer, &imported],
                "the backup",
            );
            assert!(
                std::fs::read(&copy).unwrap().len() > 4096,
                "the backup holds the data"
            );
            assert_private(&copy);
            let again = signon_on(&app, &["backup", copy.to_str().unwrap()]);
            assert_clear_failure(&again, "already exists");

            // Restored: the copy in place of a database, its key file beside it.
            let restored = tempfile::tempdir().unwrap();
            std::fs::copy(&copy, restored.path().join("signon.db")).unwrap();
            std::fs::copy(&app.key_file, restored.path().join("signon.key")).unwrap();
            let export = signon()
                .args(["export", "trust", "--format", "csv", "--scope", "staff"])
                .current_dir(restored.path())
                .output()
                .unwrap();
            let staff_csv = String::from_utf8_lossy(&export.stdout);
            assert!(
                export.status.success() && staff_csv.contains(&signer.phone),
                "the restored copy reads with its key file: {}",
                String::from_utf8_lossy(&export.stderr)
            );
        } else {
            assert_clear_failure(&backup, "pg_dump");
            assert!(!copy.exists());
        }

        let erased = signon_on(&app, &["erase", "trust", "--email", &signer.email]);
        assert!(
            erased.status.success(),
            "{}",
            String::from_utf8_lossy(&erased.stderr)
        );
        let list: Value = app
            .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
            .await
            .json()
            .await
            .unwrap();
        let imported_id = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Colectivo Marcador")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let erase = app
            .post(
                &format!("/api/v1/letters/{id}/signatures/{imported_id}/erase"),
                Some(&staff),
                &json!({}),
            )
            .await;
        assert_eq!(erase.status(), StatusCode::OK);
        let seen = staff_view(&app, &staff, id).await;
        for value in signer.texts().into_iter().chain(imported.texts()) {
            assert!(!seen.contains(value), "{value:?} is erased");
        }
        assert_holds_none(
            &stored_bytes(&app.database_url, &app.db).await,
            &[&signer, &imported],
            "the database after erasure",
        );
    }
);

db_test!(a_restart_with_the_key_file_finds_the_same_signer, |app| {
    let mut app = app;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "again").await;
    let signer = Marker::new();
    let first = app
        .sign("again", &json_with(&signer, "Sin Fronteras"))
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);

    app.restart().await;
    assert!(
        staff_view(&app, &staff, id).await.contains(&signer.phone),
        "the contact written before the restart is read after it"
    );
    let upper = signer.email.to_uppercase();
    let second = app
        .sign("again", &organization("Sin Fronteras A.C.", &upper))
        .await;

    assert_eq!(second.status(), StatusCode::ACCEPTED);
    let list: Value = app
        .get(&format!("/api/v1/letters/{id}/signatures"), Some(&staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["total"], 1,
        "the same signer, not a second row: {list}"
    );
    assert_eq!(
        app.delivered_emails().await.len(),
        2,
        "the link is sent again"
    );
});

async fn refuses_to_start_without_the_keys_of_its_contact_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    app.open_letter(&staff, "locked").await;
    let signed = app
        .sign("locked", &json_with(&Marker::new(), "Sin Fronteras"))
        .await;
    assert_eq!(signed.status(), StatusCode::ACCEPTED);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("lost.key");

    let without = signon()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &app.database_url,
        ])
        .arg("--key-file")
        .arg(&missing)
        .output()
        .unwrap();
    assert_clear_failure(&without, "key file");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no key file is made up for a database that has data, and nothing else is written"
    );

    let other_key = signon()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &app.database_url,
        ])
        .arg("--key-file")
        .arg(&app.key_file)
        .env("SIGNON_DATA_KEY", hex::encode([7u8; 32]))
        .output()
        .unwrap();
    assert_clear_failure(&other_key, "not the ones");

    let erase = signon()
        .args(["erase", "locked", "--email", "x@example.org"])
        .args(["--database-url", &app.database_url])
        .arg("--key-file")
        .arg(&missing)
        .output()
        .unwrap();
    assert_clear_failure(&erase, "key file");
}

backend_test!(refuses_to_start_without_the_keys_of_its_contact_data);

/// `signon serve` as a separate process on a database and key file.
/// `signon serve` as a child process, with requests as staff make them.
struct Server(ChildServer);

impl Server {
    async fn start(database_url: &str, key_file: &Path) -> Self {
        let dir = key_file.parent().unwrap();
        let log = dir.join("server.log");
        Self(ChildServer::start(database_url, key_file, &dir.join("mail"), log, &[]).await)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.0.base))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    async fn get(&self, path: &str, token: &str) -> String {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.0.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.unwrap()
    }

    async fn login(&self, email: &str) -> String {
        child_server::login(&self.0.base, email, PASSWORD).await
    }

    /// Everything staff see of a letter's signatures: the list and the staff CSV.
    async fn staff_view(&self, token: &str, id: i64) -> String {
        format!(
            "{}\n{}",
            self.get(
                &format!("/api/v1/letters/{id}/signatures?limit=1000"),
                token
            )
            .await,
            self.get(
                &format!("/api/v1/letters/{id}/export.csv?scope=staff"),
                token
            )
            .await
        )
    }

    fn stop(self) {
        self.0.stop();
    }
}

fn data_keys(key_file: &Path) -> Vec<String> {
    std::fs::read_to_string(key_file)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("data_key="))
        .map(str::to_owned)
        .collect()
}

/// The stored contact values (`signatures`) or unsent outbox recipients (`outbox`) that are
/// not empty.
async fn stored_values(db: &DatabaseConnection, table: &str) -> Vec<String> {
    let sql = match table {
        "signatures" => {
            "SELECT contact_name FROM signatures UNION ALL SELECT contact_email FROM signatures \
             UNION ALL SELECT contact_phone FROM signatures"
        }
        _ => "SELECT recipient FROM outbox",
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .filter_map(|row| row.try_get_by_index::<Option<String>>(0).unwrap())
        .filter(|value| !value.is_empty())
        .collect()
}

/// An open letter `rotating` with a contact of each of `signed` signed through the form and
/// one of `imported` from a CSV file; returns its id.
async fn letter_with_contacts(
    server: &Server,
    token: &str,
    signed: &[Marker],
    imported: &Marker,
) -> i64 {
    let letter: Value = server
        .post(
            "/api/v1/letters",
            Some(token),
            &json!({ "slug": "rotating", "title": "T", "body": "We ask you to act." }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = letter["id"].as_i64().unwrap();
    server
        .post(
            &format!("/api/v1/letters/{id}/status"),
            Some(token),
            &json!({ "status": "open" }),
        )
        .await;
    for (n, marker) in signed.iter().enumerate() {
        let signed = server
            .post(
                "/api/v1/public/letters/rotating/signatures",
                None,
                &json_with(marker, &format!("Organization {n}")),
            )
            .await;
        assert_eq!(signed.status(), StatusCode::ACCEPTED);
    }
    let imported = reqwest::Client::new()
        .post(format!("{}/api/v1/letters/{id}/imports", server.0.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv_with(&[(imported, "Imported Organization")]))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    id
}

/// Puts a new data key before `old_key` in the key file, as a rotation that stopped halfway
/// leaves it; returns the new key.
fn put_a_new_key_first(key_file: &Path, old_key: &str) -> String {
    let new_key = hex::encode(uuid::Uuid::new_v4().as_bytes().repeat(2));
    let text = std::fs::read_to_string(key_file).unwrap();
    std::fs::write(
        key_file,
        text.replace(
            &format!("data_key={old_key}"),
            &format!("data_key={new_key}\ndata_key={old_key}"),
        ),
    )
    .unwrap();
    new_key
}

/// `signon rotate-key` on the database with the key file.
fn rotate_key(database_url: &str, key_file: &Path) -> Output {
    signon()
        .args(["rotate-key", "--database-url", database_url])
        .arg("--key-file")
        .arg(key_file)
        .output()
        .unwrap()
}

/// Asserts that every stored contact value is under one key, that none of the ciphertexts
/// `before` is left anywhere in the database's files, and none of the markers in clear.
async fn assert_resealed(
    database_url: &str,
    db: &DatabaseConnection,
    before: &[String],
    markers: &[Marker],
) {
    let mut after = stored_values(db, "signatures").await;
    after.extend(stored_values(db, "outbox").await);
    let prefix = &after[0][..12];
    assert!(
        after.iter().all(|value| value.starts_with(prefix)),
        "{after:?}"
    );
    let raw = String::from_utf8_lossy(&stored_bytes(database_url, db).await).into_owned();
    for old in before {
        let payload = old.rsplit(':').next().unwrap();
        assert!(!raw.contains(payload), "an old ciphertext remains: {old}");
    }
    assert_holds_none(
        raw.as_bytes(),
        &markers.iter().collect::<Vec<_>>(),
        "the database",
    );
}

async fn rotate_key_keeps_every_contact_readable_and_no_old_ciphertext(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let empty = EmptyDatabase::new(backend).await;
    let key_file = dir.path().join("signon.key");
    let added = crate::cli::user_add(&empty.url, "ana@wola.org", "WOLA", PASSWORD);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let markers: Vec<Marker> = (0..4).map(|_| Marker::new()).collect();

    let server = Server::start(&empty.url, &key_file).await;
    let token = server.login("ana@wola.org").await;
    let id = letter_with_contacts(&server, &token, &markers[..2], &markers[2]).await;
    server.stop();
    let db = Database::connect(&empty.url).await.unwrap();
    let mut before = stored_values(&db, "signatures").await;
    let signature_values = before.len();
    assert!(signature_values >= 9, "{before:?}");
    before.extend(stored_values(&db, "outbox").await);
    let old_key = data_keys(&key_file).remove(0);

    let new_key = put_a_new_key_first(&key_file, &old_key);
    let server = Server::start(&empty.url, &key_file).await;
    let signed = server
        .post(
            "/api/v1/public/letters/rotating/signatures",
            None,
            &json_with(&markers[3], "Organization under the new key"),
        )
        .await;
    assert_eq!(signed.status(), StatusCode::ACCEPTED);
    let seen = server.staff_view(&token, id).await;
    for value in markers.iter().flat_map(Marker::texts) {
        assert!(seen.contains(value), "halfway, {value:?} is readable");
    }
    assert_clear_failure(&rotate_key(&empty.url, &key_file), "stop it first");
    server.stop();

    let rotated = rotate_key(&empty.url, &key_file);

    let stderr = String::from_utf8_lossy(&rotated.stderr);
    assert!(rotated.status.success(), "{stderr}");
    assert!(stderr.contains("re-encrypted"), "{stderr}");
    let keys = data_keys(&key_file);
    assert_eq!(keys.len(), 1, "the old key is retired");
    assert_eq!(
        hex::encode(base64_url(&keys[0])),
        new_key,
        "the rotation finished with the key it had started"
    );
    assert_private(&key_file);
    let after = stored_values(&db, "signatures").await;
    assert_eq!(after.len(), signature_values + 3, "{after:?}");
    assert_resealed(&empty.url, &db, &before, &markers).await;
    drop(db);

    let server = Server::start(&empty.url, &key_file).await;
    let seen = server.staff_view(&token, id).await;
    for value in markers.iter().flat_map(Marker::texts) {
        assert!(
            seen.contains(value),
            "after the rotation, {value:?} is readable"
        );
    }
    server.stop();
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

backend_test!(rotate_key_keeps_every_contact_readable_and_no_old_ciphertext);

/// Turns the app's database into one as versions before encryption at rest left it: the
/// contact `old` in clear, the lookup key in `server_secrets`; returns that key.
async fn as_before_encryption(app: &TestApp, old: &Marker) -> String {
    let secret = std::fs::read_to_string(&app.key_file)
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("secret_key=").map(str::to_owned))
        .unwrap();
    let backend_kind = app.db.get_database_backend();
    for sql in [
        format!(
            "UPDATE signatures SET contact_name = '{}', contact_email = '{}', contact_phone = '{}', contact_title = NULL, comment = NULL",
            old.name, old.email, old.phone
        ),
        "DELETE FROM server_secrets".to_owned(),
        format!(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ('lookup_key', '{secret}', CURRENT_TIMESTAMP)"
        ),
    ] {
        app.db
            .execute_raw(Statement::from_string(backend_kind, sql))
            .await
            .unwrap();
    }
    secret
}

async fn a_database_from_before_encryption_moves_its_key_out_and_encrypts_its_contacts(
    backend: Backend,
) {
    // A database as earlier versions left it: the lookup key in `server_secrets`, contacts in
    // clear, no key file.
    let app = TestApp::spawn(backend).await;
    let staff = app
        .staff_token("coord@wola.org", "WOLA", Role::Editor)
        .await;
    let id = app.open_letter(&staff, "upgrade").await;
    let old = Marker::new();
    let signed = app.sign("upgrade", &json_with(&old, "Sin Fronteras")).await;
    assert_eq!(signed.status(), StatusCode::ACCEPTED);
    app.delivered_emails().await;
    let secret = as_before_encryption(&app, &old).await;
    let backend_kind = app.db.get_database_backend();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("signon.key");

    let server = Server::start(&app.database_url, &key_file).await;

    let written = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        written.contains(&format!("secret_key={secret}")),
        "the key moved to the file"
    );
    assert_private(&key_file);
    let left = app
        .db
        .query_all_raw(Statement::from_string(
            backend_kind,
            "SELECT name FROM server_secrets WHERE name = 'lookup_key'",
        ))
        .await
        .unwrap();
    assert!(left.is_empty(), "no key stays in the database");
    assert_holds_none(
        &stored_bytes(&app.database_url, &app.db).await,
        &[&old],
        "the database",
    );
    let token = server.login("coord@wola.org").await;
    let seen = server.staff_view(&token, id).await;
    assert!(
        seen.contains(&old.email) && seen.contains(&old.name),
        "{seen}"
    );
    let again = server
        .post(
            "/api/v1/public/letters/upgrade/signatures",
            None,
            &organization("Sin Fronteras", &old.email),
        )
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let list: Value = serde_json::from_str(
        &server
            .get(&format!("/api/v1/letters/{id}/signatures"), &token)
            .await,
    )
    .unwrap();
    assert_eq!(list["total"], 1, "the signer is found again: {list}");
    server.stop();
}

backend_test!(a_database_from_before_encryption_moves_its_key_out_and_encrypts_its_contacts);

db_test!(
    a_file_kept_between_the_dashboards_preview_and_its_confirmation_is_sealed,
    |app| {
        let staff = app
            .staff_token("coord@wola.org", "WOLA", Role::Editor)
            .await;
        let id = app.open_letter(&staff, "kept").await;
        let marker = Marker::new();
        let browser = crate::helpers::Browser::new(&app);
        browser.sign_in("coord@wola.org").await;
        let form = browser.get(&format!("/admin/letters/{id}/import")).await;

        let preview = browser
            .upload(
                &crate::admin_import::upload_action(&form.body),
                "file",
                "endorsements.csv",
                &csv_with(&[(&marker, "Colectivo Guardado")]),
            )
            .await;

        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert_holds_none(
            &stored_bytes(&app.database_url, &app.db).await,
            &[&marker],
            "the database while the file waits for its confirmation",
        );
        let done = browser
            .post(
                &format!("/admin/letters/{id}/import/confirm"),
                &[("draft", &crate::admin_import::draft_of(&preview.body))],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let seen = staff_view(&app, &staff, id).await;
        for value in marker.texts() {
            assert!(seen.contains(value), "the imported contact has {value:?}");
        }
        assert_holds_none(
            &stored_bytes(&app.database_url, &app.db).await,
            &[&marker],
            "the database after the import",
        );
    }
);
