//! Benchmark of the exports: the PDF and CSV of the real 400-organization letter laid out in
//! memory, then the import and the exports of letters of 10,000 and 100,000 signatories in a
//! real SQLite database, each measured in a process of its own so that its peak memory
//! (`VmHWM`) and CPU time are its own. `cargo bench --bench exports`.
//!
//! Options: `SIGNON_BENCH_ONLY` (comma-separated starts of case names, e.g. `staff-csv 100000`),
//! `SIGNON_BENCH_DIR` (a folder that keeps the database: made there on the first run, reused as
//! it is by later ones, so that two builds export the very same rows and can be compared).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use entity::{Language, LetterStatus, ListOrder, Moderation, Paper, SignatureKind, letter};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use signon::config::KeySettings;
use signon::domain::PublicDetails;
use signon::export::{LetterDocument, Signatory, csv, order_signatories, pdf};
use signon::service::exports::{self, ExportBody, ExportKind};
use signon::service::import::{self, ImportOptions};
use signon::service::{key_store, keys::Keys};

/// The allocator of the `signon` binary (see `src/main.rs`), so that an export measured here
/// costs what `signon export` and a download from the server cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/open-letter-2020-400-orgs.csv"
);

/// The letters of the database cases: slug and number of signatories.
const LETTERS: [(&str, usize); 2] = [("ten-thousand", 10_000), ("hundred-thousand", 100_000)];

fn fixture() -> Vec<Signatory> {
    let mut reader = ::csv::Reader::from_path(FIXTURE).expect("the fixture is in tests/fixtures/");
    reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            Signatory {
                id: i as i64,
                kind: SignatureKind::Organization,
                public: PublicDetails {
                    name: r[2].to_owned(),
                    country: signon::domain::countries::code_for(&r[3]).map(str::to_owned),
                    ..Default::default()
                },
            }
        })
        .collect()
}

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) -> T {
    let mut result = f();
    let started = Instant::now();
    for _ in 0..runs {
        result = f();
    }
    println!(
        "{label}: {:.1} ms per run",
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
    result
}

fn in_memory() {
    let doc = LetterDocument {
        title: "Trade rules must put people's health first".into(),
        addressees: "Ministers of Trade".into(),
        body_markdown: "Dear Ministers,\n\nWe, the undersigned **organizations**, write to you.\n\n- one\n- two".into(),
        language: Language::En,
        date: NaiveDate::from_ymd_opt(2020, 4, 30).unwrap(),
        lead_organizations: vec!["Our World Is Not for Sale".into()],
        paper: Paper::Letter,
    };
    let list = fixture();
    let ordered = time("order 400", 20, || {
        order_signatories(list.clone(), ListOrder::Country, &[], Language::En)
    });
    let bytes = time("pdf 400", 20, || {
        pdf::render(&doc, &ordered, ListOrder::Country).unwrap()
    });
    println!("pdf 400: {} bytes", bytes.len());
    time("csv 400", 20, || {
        csv::public(&ordered, Language::En).unwrap()
    });
}

/// The peak resident memory of this process so far, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The CPU time (user and system, every thread) of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |at: usize| fields.get(at).and_then(|t| t.parse::<f64>().ok());
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 1/100 s on Linux.
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// An import file of `count` rows: organizations and individuals from many countries, each
/// with a contact, as staff would bring from a spreadsheet.
fn import_file(count: usize, path: &Path) {
    let names = fixture();
    let countries = ["MX", "DE", "US", "BR", "FR", "ES", "AR", "GB", "CO", "KE"];
    let mut writer = ::csv::Writer::from_path(path).unwrap();
    writer
        .write_record([
            "kind",
            "name",
            "affiliation",
            "city",
            "country",
            "contact_name",
            "contact_email",
            "contact_phone",
            "comment",
        ])
        .unwrap();
    for i in 0..count {
        let base = &names[i % names.len()].public.name;
        let individual = i % 5 == 4;
        writer
            .write_record([
                if individual {
                    "individual"
                } else {
                    "organization"
                },
                &format!("{base} {i}"),
                if individual {
                    "Universidad Nacional"
                } else {
                    ""
                },
                "Ciudad de México",
                countries[i % countries.len()],
                &format!("Contacto Número {i}"),
                &format!("contact{i}@example.org"),
                "+52 55 5514 1521",
                "Con gusto firmamos.",
            ])
            .unwrap();
    }
    writer.flush().unwrap();
}

async fn open(dir: &Path) -> (DatabaseConnection, Keys) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());
    let db = signon::db::connect(&url).await.unwrap();
    signon::db::migrate(&db).await.unwrap();
    let keys = key_store::load(&db, &url, &KeySettings::default())
        .await
        .unwrap();
    (db, keys)
}

async fn new_letter(db: &DatabaseConnection, slug: &str) -> letter::Model {
    let now = Utc::now();
    letter::ActiveModel {
        slug: Set(slug.to_owned()),
        title: Set("Trade rules must put people's health first".into()),
        body: Set("Dear Ministers,\n\nWe, the undersigned, write to you.".into()),
        addressees: Set("Ministers of Trade".into()),
        language: Set(Language::En),
        moderation: Set(Moderation::Auto),
        accept_individuals: Set(true),
        list_order: Set(ListOrder::Alphabetical),
        paper: Set(Paper::Letter),
        lead_signatories: Set("[]".into()),
        retention_days: Set(365),
        translations: Set("{}".into()),
        status: Set(LetterStatus::Open),
        revision: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}

/// One measurement, in this process: prints its time and the process's peak memory.
async fn case(name: &str, dir: &Path) {
    let (db, keys) = open(dir).await;
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let detail = if let Some(count) = name.strip_prefix("import ") {
        let (slug, _) = LETTERS
            .iter()
            .find(|(_, n)| n.to_string() == count)
            .unwrap();
        let letter = new_letter(&db, slug).await;
        let bytes = std::fs::read(dir.join(format!("{count}.csv"))).unwrap();
        let options = ImportOptions {
            dry_run: false,
            max_rows: usize::MAX,
        };
        let report = import::import(
            &db,
            &keys,
            None,
            &letter,
            bytes,
            options,
            import::no_progress(),
        )
        .await
        .unwrap();
        assert_eq!(report.imported(), count.parse::<usize>().unwrap());
        format!("{} rows", report.imported())
    } else {
        let (kind, count) = name.split_once(' ').unwrap();
        let (slug, _) = LETTERS
            .iter()
            .find(|(_, n)| n.to_string() == count)
            .unwrap();
        let kind = match kind {
            "pdf" => ExportKind::Pdf,
            "public-csv" => ExportKind::PublicCsv,
            _ => ExportKind::StaffCsv,
        };
        let written = export(&db, &keys, slug, kind).await;
        format!("{:.1} MB", written as f64 / 1e6)
    };
    println!(
        "{name:<22} {:>7.2} s {:>7.2} s CPU {:>6.0} MB peak   ({detail})",
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu_before,
        peak_mb()
    );
}

/// Exports a letter as the command line does, to a sink; returns the bytes written.
async fn export(db: &DatabaseConnection, keys: &Keys, slug: &str, kind: ExportKind) -> u64 {
    use futures_util::StreamExt;
    let file = exports::by_slug(db, Some(keys), slug, kind, None)
        .await
        .unwrap();
    let mut out = std::io::sink();
    match file.body {
        ExportBody::Whole { content, .. } => {
            out.write_all(&content).unwrap();
            content.len() as u64
        }
        ExportBody::Streamed(mut stream) => {
            let mut written = 0;
            while let Some(bytes) = stream.next().await {
                let bytes = bytes.unwrap();
                out.write_all(&bytes).unwrap();
                written += bytes.len() as u64;
            }
            written
        }
    }
}

fn run_in_child(name: &str, dir: &Path) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--case", name])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{name} failed");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--case") {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(case(&args[at + 1], &PathBuf::from(&args[at + 2])));
        return;
    }
    let only = std::env::var("SIGNON_BENCH_ONLY").ok();
    let wanted = |case: &str| {
        only.as_deref()
            .is_none_or(|only| only.split(',').any(|start| case.starts_with(start.trim())))
    };
    if wanted("order") || wanted("pdf 400") || wanted("csv 400") {
        in_memory();
    }
    let temporary = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("SIGNON_BENCH_DIR")
        .map_or_else(|| temporary.path().to_owned(), PathBuf::from);
    println!(
        "one process per line: wall time of the operation, its CPU time, peak resident memory (VmHWM)"
    );
    if !dir.join("bench.sqlite").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        for (_, count) in LETTERS {
            import_file(count, &dir.join(format!("{count}.csv")));
        }
        // The exports need the letters, whatever is asked.
        for (_, count) in LETTERS {
            run_in_child(&format!("import {count}"), &dir);
        }
    }
    for (_, count) in LETTERS {
        for kind in ["pdf", "public-csv", "staff-csv"] {
            let name = format!("{kind} {count}");
            if wanted(&name) {
                run_in_child(&name, &dir);
            }
        }
    }
}
