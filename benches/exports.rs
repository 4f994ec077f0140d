//! Benchmark of the exports: the PDF and CSV of the real 400-organization letter, and of a
//! 10,000-name list. `cargo bench --bench exports`.

use std::time::Instant;

use chrono::NaiveDate;
use entity::{Language, ListOrder, Paper, SignatureKind};
use signon::domain::PublicDetails;
use signon::export::{LetterDocument, Signatory, csv, order_signatories, pdf};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/open-letter-2020-400-orgs.csv"
);

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

fn main() {
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
    let big: Vec<Signatory> = (0..10_000)
        .map(|i| {
            let mut s = list[i % list.len()].clone();
            s.id = i as i64;
            s.public.name = format!("{} {i}", s.public.name);
            s
        })
        .collect();
    let ordered = time("order 10000", 3, || {
        order_signatories(big.clone(), ListOrder::Alphabetical, &[], Language::En)
    });
    let bytes = time("pdf 10000", 3, || {
        pdf::render(&doc, &ordered, ListOrder::Alphabetical).unwrap()
    });
    println!("pdf 10000: {} bytes", bytes.len());
}
