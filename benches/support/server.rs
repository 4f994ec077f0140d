//! The real `signon` binary as a child process, for the benchmarks and the tests that need a
//! process of its own (to kill it, or to run two): a command free of the caller's
//! configuration, `signon serve` on a free loopback port with its log in a file, reaped on drop;
//! and an open letter with an editor's token to drive it.
//!
//! One file included with `#[path]` by `benches/load.rs`, `benches/outbox.rs` and the API tests
//! (`tests/api/main.rs`), rather than a helper crate: `env!("CARGO_BIN_EXE_signon")` is only
//! set for the package's own benchmarks and tests, and a crate of its own would be one more
//! workspace member to build and lock for a hundred lines. Each includer uses only a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entity::Role;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use signon::domain::{Email, Password};
use signon::service::accounts::{self, NewStaff};

/// The editor that [`open_letter`] adds.
pub const EDITOR_EMAIL: &str = "coord@wola.org";
/// Their password.
pub const EDITOR_PASSWORD: &str = "correct horse battery staple";

/// A `signon` command with none of the caller's configuration leaking in. `SIGNON_BENCH_SERVER`
/// names another build to run instead of this one, so that the load benchmark can compare two
/// builds in turn under the same conditions.
pub fn signon() -> Command {
    let binary = std::env::var_os("SIGNON_BENCH_SERVER")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_signon").into());
    let mut command = Command::new(binary);
    for var in [
        "DATABASE_URL",
        "SIGNON_BIND",
        "SIGNON_BASE_URL",
        "SIGNON_SMTP_URL",
        "SIGNON_MAIL_DIR",
        "SIGNON_MAIL_FROM",
        "SIGNON_LOG",
        "SIGNON_LOG_FORMAT",
        "SIGNON_SECRET_KEY",
        "SIGNON_DATA_KEY",
        "SIGNON_KEY_FILE",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
}

/// A loopback port no one listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Whether `signon` at `base` answers `/readyz` (its database reachable) within `patience`.
pub async fn ready_within(base: &str, patience: Duration) -> bool {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < patience {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Waits until `signon` at `base` is ready; panics after half a minute.
pub async fn wait_until_ready(base: &str) {
    assert!(
        ready_within(base, Duration::from_secs(30)).await,
        "signon at {base} did not become ready"
    );
}

/// A `signon serve` child process writing its log to a file; killed when dropped.
pub struct ChildServer {
    child: Child,
    /// Its address, `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl ChildServer {
    /// Starts `signon serve` on `database_url` with the given key file and mail folder, no
    /// signing rate limit and the extra `env`; returns once it is ready.
    pub async fn start(
        database_url: &str,
        key_file: &Path,
        mail_dir: &Path,
        log: PathBuf,
        env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let out = std::fs::File::create(&log).expect("the server's log file can be created");
        let child = signon()
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("SIGNON_KEY_FILE", key_file)
            .env("SIGNON_MAIL_DIR", mail_dir)
            .env("SIGNON_SIGN_RATE", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("signon serve starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        if !ready_within(&server.base, Duration::from_secs(30)).await {
            panic!(
                "signon serve was not ready within 30 s; its log ({}):\n{}",
                server.log.display(),
                server.log_lines("").join("\n")
            );
        }
        server
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ends the process at once, as a crash or `kill -9` would.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Stops the process as an operator would (SIGTERM), asserting that it exits cleanly.
    pub fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(self.child.wait().unwrap().success(), "signon stops cleanly");
    }

    /// The lines of its log that contain `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in to `signon` at `base`; returns the access token.
pub async fn login(base: &str, email: &str, password: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{email} cannot log in: {answer}"))
        .to_owned()
}

/// Adds the editor [`EDITOR_EMAIL`] to `db`, logs in at `base`, creates `letter` (the JSON of
/// a new letter) and opens it; returns the editor's token.
pub async fn open_letter(db: &DatabaseConnection, base: &str, letter: &Value) -> String {
    accounts::add_staff(
        db,
        NewStaff {
            email: Email::parse(EDITOR_EMAIL).unwrap(),
            name: "Coordinator".into(),
            organization: "WOLA".into(),
            role: Role::Editor,
            password: Password::parse(EDITOR_PASSWORD.into()).unwrap(),
        },
    )
    .await
    .unwrap();
    let token = login(base, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/api/v1/letters"))
        .bearer_auth(&token)
        .json(letter)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opened = client
        .post(format!("{base}/api/v1/letters/{}/status", created["id"]))
        .bearer_auth(&token)
        .json(&json!({ "status": "open" }))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), reqwest::StatusCode::OK);
    token
}
