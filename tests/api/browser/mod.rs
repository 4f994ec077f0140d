//! Real headless Chromium, driven through WebDriver (chromedriver): the public form and the
//! dashboard as people use them, at phone and laptop widths, with axe-core (Deque's
//! accessibility engine) run on every page. A failing scenario leaves a screenshot.

mod dashboard;
mod import_and_team;
mod moderation;
mod outreach;
mod public_form;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

/// A chromedriver on a free port, stopped when dropped.
pub struct Driver {
    process: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A phone (390 px, as an iPhone 12 to 15) or a laptop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Phone,
    Laptop,
}

impl Screen {
    fn size(self) -> (u32, u32) {
        match self {
            Self::Phone => (390, 844),
            Self::Laptop => (1280, 800),
        }
    }
}

pub async fn start_browser(screen: Screen) -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver is installed (apt-get install chromium chromium-driver; .ci/run does it)",
        );
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
    };
    let (width, height) = screen.size();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=en-US",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", driver._profile.path().display()),
            ],
            // Phones are narrow and touch; the mobile emulation also gives the page its real
            // viewport width, which a headless window's size alone does not on every version.
            "mobileEmulation": match screen {
                Screen::Phone => json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true } }),
                Screen::Laptop => json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": false } }),
            },
        }),
    );
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(client) = ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start a browser session");
}

pub async fn fill(client: &Client, field: &str, text: &str) {
    let input = client.find(Locator::Id(field)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Waits until the page (perhaps still loading after a click) shows `expected`; returns its text.
pub async fn wait_for_text(client: &Client, expected: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(body) = client.find(Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            if text.contains(expected) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {expected:?}; it shows: {last}");
}

/// Presses the form's submit button (the first one, or the one with `label`).
pub async fn submit(client: &Client) {
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Presses the button whose text is exactly `label`.
pub async fn press(client: &Client, label: &str) {
    client
        .find(Locator::XPath(&format!(
            "//button[normalize-space(.)={}]",
            xpath_literal(label)
        )))
        .await
        .unwrap_or_else(|_| panic!("a button {label:?}"))
        .click()
        .await
        .unwrap();
}

/// Follows the link whose text is exactly `label`.
pub async fn follow(client: &Client, label: &str) {
    client
        .find(Locator::LinkText(label))
        .await
        .unwrap_or_else(|_| panic!("a link {label:?}"))
        .click()
        .await
        .unwrap();
}

fn xpath_literal(text: &str) -> String {
    if text.contains('"') {
        format!("'{text}'")
    } else {
        format!("\"{text}\"")
    }
}

/// Where screenshots go: `SIGNON_SCREENSHOTS`, or a folder in cargo's target directory.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("SIGNON_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"))
}

/// Saves what the browser shows now as `name.png`.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(&path, png);
    }
    path
}

/// Runs a scenario; when it fails, saves a screenshot of the page it failed on, says where, and
/// fails with the scenario's own message.
pub async fn with_screenshot_on_failure<F>(client: &Client, name: &str, scenario: F)
where
    F: std::future::Future<Output = ()>,
{
    let _ = std::fs::remove_file(screenshot_dir().join(format!("FAILED-{name}.png")));
    if let Err(panic) = std::panic::AssertUnwindSafe(scenario).catch_unwind().await {
        let path = screenshot(client, &format!("FAILED-{name}")).await;
        eprintln!(
            "browser scenario {name} failed; screenshot: {}",
            path.display()
        );
        std::panic::resume_unwind(panic);
    }
}

/// axe-core's script, installed by `npm ci --prefix tests/browser` (`.ci/run` does it).
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `npm ci --prefix tests/browser` to install axe-core",
            path.display()
        )
    })
}

/// Runs axe-core on the page shown now and fails on any serious or critical violation.
pub async fn assert_accessible(client: &Client, page: &str) {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let source = AXE.get_or_init(axe_source);
    client
        .execute(&format!("{source}\nreturn true;"), vec![])
        .await
        .expect("axe-core loads into the page");
    let result = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ['violations'] })
                 .then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
                 .catch(e => done([{ id: 'axe-error', help: String(e) }]));"#,
            vec![],
        )
        .await
        .expect("axe-core runs");
    let violations: Vec<Value> = serde_json::from_value(result).unwrap_or_default();
    assert!(
        violations.is_empty(),
        "axe-core finds serious or critical accessibility faults on {page}: {}",
        serde_json::to_string_pretty(&violations).unwrap()
    );
}
