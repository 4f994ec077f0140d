//! The `signon` binary: accounts from the command line, clear failures, serving and stopping.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::child_server::{free_port, login, signon, wait_until_ready};
use crate::helpers::{Backend, EmptyDatabase, PASSWORD, TestApp};

pub(crate) fn run_with_stdin(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("signon starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `signon user add` of an owner named Ana Pérez, the password given on standard input.
pub(crate) fn user_add(database_url: &str, email: &str, org: &str, password: &str) -> Output {
    let mut command = signon();
    command.args([
        "user",
        "add",
        "--email",
        email,
        "--name",
        "Ana Pérez",
        "--org",
        org,
        "--role",
        "owner",
        "--password-stdin",
    ]);
    command.args(["--database-url", database_url]);
    run_with_stdin(command, &format!("{password}\n"))
}

/// Asserts a failed command: exit code 2 and one `signon: error:` line saying `expected`.
pub(crate) fn assert_clear_failure(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "exit code; stderr: {stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("signon: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line in: {stderr}");
    assert!(
        errors[0].contains(expected),
        "{:?} mentions {expected:?}",
        errors[0]
    );
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

async fn a_user_added_on_the_command_line_can_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let output = user_add(
        &app.database_url,
        "ana@sinfronteras.org.mx",
        "Sin Fronteras I.A.P.",
        PASSWORD,
    );

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let id: i64 = String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .expect("the user's id on stdout");
    assert!(id > 0);
    let token = app.login("ana@sinfronteras.org.mx").await;
    let me: Value = app
        .get("/api/v1/auth/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], id);
    assert_eq!(me["name"], "Ana Pérez");
    assert_eq!(
        me["organizations"][0]["organization"],
        "Sin Fronteras I.A.P."
    );
    assert_eq!(me["organizations"][0]["role"], "owner");
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({ "email": "ana@sinfronteras.org.mx", "password": "wrong password" }),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let again = user_add(
        &app.database_url,
        "ana@sinfronteras.org.mx",
        "Other",
        PASSWORD,
    );
    assert_clear_failure(&again, "already exists");
}

backend_test!(a_user_added_on_the_command_line_can_log_in);

#[tokio::test]
async fn user_add_refuses_bad_input_and_writes_nothing() {
    let empty = EmptyDatabase::new(Backend::Sqlite).await;

    assert_clear_failure(
        &user_add(&empty.url, "not-an-email", "WOLA", PASSWORD),
        "--email",
    );
    assert_clear_failure(
        &user_add(&empty.url, "ana@wola.org", "WOLA", "short"),
        "password",
    );
    assert_clear_failure(
        &user_add(&empty.url, "ana@wola.org", "  ", PASSWORD),
        "--org",
    );
    let mut no_stdin_flag = signon();
    no_stdin_flag.args([
        "user",
        "add",
        "--email",
        "ana@wola.org",
        "--name",
        "Ana",
        "--org",
        "WOLA",
        "--database-url",
        &empty.url,
    ]);
    assert_clear_failure(&run_with_stdin(no_stdin_flag, ""), "--password-stdin");

    let created = user_add(&empty.url, "ana@wola.org", "WOLA", PASSWORD);
    assert!(created.status.success());
    assert_eq!(
        String::from_utf8_lossy(&created.stdout).trim(),
        "1",
        "the failed attempts wrote nothing"
    );
}

#[test]
fn an_unsupported_or_unreachable_database_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("mysql://root@127.0.0.1/signon", "unsupported database URL"),
        ("signon.db", "unsupported database URL"),
        (
            "postgres://postgres@127.0.0.1:1/signon",
            "cannot open the database",
        ),
        (
            "sqlite:///no/such/directory/signon.db?mode=rwc",
            "cannot open the database",
        ),
    ];
    for (url, expected) in cases {
        for command in [vec!["migrate"], vec!["serve", "--bind", "127.0.0.1:0"]] {
            let started = Instant::now();
            let output = signon()
                .args(&command)
                .args(["--database-url", url])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert_clear_failure(&output, expected);
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{url} fails fast"
            );
        }
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file was created"
    );
}

#[test]
fn a_bad_flag_exits_with_code_2() {
    let output = signon().args(["serve", "--no-such-flag"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = signon()
        .args(["user", "add", "--email", "a@b.org", "--role", "admin"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_port_in_use_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    let output = signon()
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .output()
        .unwrap();

    assert_clear_failure(&output, "cannot listen on");
}

/// `signon user add` for `ana@wola.org`, in `dir` with no database named.
fn add_user_in(dir: &std::path::Path) {
    let mut command = signon();
    command
        .args([
            "user",
            "add",
            "--email",
            "ana@wola.org",
            "--name",
            "Ana",
            "--org",
            "WOLA",
            "--password-stdin",
        ])
        .current_dir(dir);
    let added = run_with_stdin(command, &format!("{PASSWORD}\n"));
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
}

/// What leaves traces in a log: a login, a letter created and opened, a wrong password, a
/// signature with its contact. Returns the token.
async fn log_worthy_requests(base: &str) -> String {
    let token = login(base, "ana@wola.org", PASSWORD).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{base}/api/v1/letters"))
        .bearer_auth(&token)
        .json(&json!({ "slug": "logged", "title": "T", "body": "We ask you to act." }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "ana@wola.org", "password": "a wrong guess" }))
        .send()
        .await
        .unwrap();

    let letter: Value = created.json().await.unwrap();
    client
        .post(format!("{base}/api/v1/letters/{}/status", letter["id"]))
        .bearer_auth(&token)
        .json(&json!({ "status": "open" }))
        .send()
        .await
        .unwrap();
    let signed = client
        .post(format!("{base}/api/v1/public/letters/logged/signatures"))
        .json(&crate::helpers::organization(
            "Sin Fronteras",
            "ana@sinfronteras.org.mx",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::ACCEPTED);
    token
}

#[tokio::test]
async fn serve_creates_its_database_logs_no_secrets_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    add_user_in(dir.path());
    assert!(
        dir.path().join("signon.db").exists(),
        "./signon.db is the default database"
    );

    let server = signon()
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_ready(&base).await;
    let token = log_worthy_requests(&base).await;
    for _ in 0..100 {
        if dir
            .path()
            .join("mail")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        dir.path().join("mail").exists(),
        "emails go to ./mail by default"
    );

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = server.wait_with_output().unwrap();

    assert!(output.status.success(), "a SIGTERM stops signon cleanly");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(
        logs.contains("/api/v1/letters"),
        "requests are logged: {logs}"
    );
    for secret in [
        PASSWORD,
        "a wrong guess",
        token.as_str(),
        "ana@wola.org",
        "ana@sinfronteras.org.mx",
        "Ana Pérez Contacto",
        "+52 55 5514 1521",
        "Private note for the coordinators",
    ] {
        assert!(!logs.contains(secret), "the log contains {secret:?}");
    }
    assert!(
        logs.contains("/verify/"),
        "without SMTP the confirmation link is logged for the developer"
    );
}

#[tokio::test]
async fn serve_demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let first_port = free_port();
    let first = signon()
        .args([
            "serve",
            "--demo",
            "--bind",
            &format!("127.0.0.1:{first_port}"),
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_ready(&format!("http://127.0.0.1:{first_port}")).await;
    let _ = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status();
    let printed = String::from_utf8(first.wait_with_output().unwrap().stdout).unwrap();
    let password = printed
        .split("password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo login is printed: {printed}"))
        .to_owned();
    assert!(printed.contains("demo@example.org"));
    assert!(
        printed.contains(&format!(
            "Dashboard:        http://127.0.0.1:{first_port}/admin"
        )),
        "the dashboard's address is printed with the login: {printed}"
    );

    let port = free_port();
    let again = signon()
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_ready(&base).await;
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "demo@example.org", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK, "the printed password works");
    let letter: Value = client
        .get(format!("{base}/api/v1/public/letters/demo-letter"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(letter["approved_count"].as_u64().unwrap() >= 200);
    assert_eq!(letter["accepting_signatures"], true);
    let page = client
        .get(format!("{base}/l/demo-letter"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let _ = Command::new("kill")
        .args(["-TERM", &again.id().to_string()])
        .status();
    let output = again.wait_with_output().unwrap();
    assert!(output.stdout.is_empty(), "no second demo login");
    assert!(String::from_utf8_lossy(&output.stderr).contains("no demo data was added"));
}
