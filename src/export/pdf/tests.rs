//! What a reader of the delivered PDF checks: every name there, exactly as written and in order,
//! nothing private, fonts embedded, a page that is not blank. Read back with poppler's tools,
//! as any PDF reader would.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use entity::{Language, ListOrder, SignatureKind};

use super::*;
use crate::domain::PublicDetails;
use crate::export::{Paper, Signatory, fixture, order_signatories};

/// Runs a poppler tool, failing with the fix when poppler is not installed.
fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run `{tool}` ({error}): install poppler-utils \
             (`apt-get install -y poppler-utils`) to run the PDF tests"
            )
        });
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The text a reader copies out of the PDF: as extracted, the same with every run of
/// whitespace (line breaks from wrapping included) turned into one space, and the page count.
fn extracted_text(pdf: &Path) -> (String, String, usize) {
    let raw = String::from_utf8(poppler("pdftotext", &[path(pdf), "-"])).expect("UTF-8 text");
    let pages = raw.matches('\u{c}').count();
    let squashed = squash(&raw);
    (raw, squashed, pages)
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every name, exactly as written, in list order.
fn assert_names_in_order(raw: &str, ordered: &[Signatory]) {
    let mut from = 0;
    let mut previous = "";
    for signatory in ordered {
        let (_, end) = find_wrapped(raw, &signatory.public.name, from).unwrap_or_else(|| {
            panic!(
                "{:?} is missing or out of order (anywhere: {}); it follows {previous:?}",
                signatory.public.name,
                find_wrapped(raw, &signatory.public.name, 0).is_some()
            )
        });
        from = end;
        previous = &signatory.public.name;
    }
}

/// Where `name` occurs in `text` from byte `from` on, as the byte range it covers, allowing
/// for line wrapping: a space in the name matches any run of whitespace, and a line break may
/// also fall inside a word (where the layout had to break it).
fn find_wrapped(text: &str, name: &str, from: usize) -> Option<(usize, usize)> {
    let name: Vec<char> = squash(name).chars().collect();
    let first = *name.first()?;
    let rest = text.get(from..)?;
    for (offset, c) in rest.char_indices() {
        if c != first {
            continue;
        }
        let start = from + offset;
        if let Some(end) = match_at(text, start, &name) {
            return Some((start, end));
        }
    }
    None
}

fn match_at(text: &str, start: usize, name: &[char]) -> Option<usize> {
    let mut chars = text.get(start..)?.char_indices().peekable();
    for (index, &wanted) in name.iter().enumerate() {
        if wanted == ' ' {
            // At least one whitespace character.
            let mut any = false;
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {
                any = true;
            }
            if !any {
                return None;
            }
            continue;
        }
        if index > 0 {
            // A line break that wrapping put inside a word.
            while chars.next_if(|(_, c)| *c == '\n').is_some() {}
        }
        match chars.next() {
            Some((_, c)) if c == wanted => {}
            _ => return None,
        }
    }
    Some(
        start
            + chars
                .peek()
                .map_or(text.len() - start, |(offset, _)| *offset),
    )
}

fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn letter(language: Language, leads: &[&str]) -> LetterDocument {
    LetterDocument {
        title: "Trade rules must put people's health first".into(),
        addressees: "Ministers of Trade\nWorld Trade Organization\nGeneva".into(),
        body_markdown: "Dear Ministers,\n\n\
            We, the undersigned **400 organizations**, write to you *at a critical moment*. \
            Trade rules have ***never*** mattered more.\n\n\
            We ask you to:\n\n\
            - suspend new negotiations;\n\
            - guarantee access to medicines;\n\n\
            1. first, listen;\n\
            2. then, act.\n\n\
            Read our analysis at [our website](https://example.org/analysis).\n\n\
            Sincerely,"
            .into(),
        language,
        date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("a real date"),
        lead_organizations: leads.iter().map(|name| name.to_string()).collect(),
        paper: Paper::Letter,
    }
}

fn organization(id: i64, name: &str, city: Option<&str>, country: Option<&str>) -> Signatory {
    Signatory {
        id,
        kind: SignatureKind::Organization,
        public: PublicDetails {
            name: name.into(),
            city: city.map(Into::into),
            country: country.map(Into::into),
            ..Default::default()
        },
    }
}

fn individual(id: i64, name: &str, affiliation: Option<&str>) -> Signatory {
    let mut signatory = organization(id, name, None, None);
    signatory.kind = SignatureKind::Individual;
    signatory.public.affiliation = affiliation.map(Into::into);
    signatory
}

/// Names that break naive PDF and CSV code.
fn tricky_names() -> Vec<String> {
    let long: String = "Coordinadora Nacional de Comunidades Afectadas por Represas, Minería y \
                        Megaproyectos de América Latina y el Caribe "
        .repeat(3)
        .chars()
        .take(280)
        .collect();
    vec![
        "O'Brien & Daughters' \"Fair Trade\" Network".into(),
        "Colectivo “Tierra y Libertad”, A.C.".into(),
        "Asociación Civil Sin Fronteras A.C.".into(),
        "Centro de Derechos Humanos (Centro Prodh)".into(),
        "=SUM(A1)".into(),
        "+52 Colectivo".into(),
        "Fundacja Łódź".into(),
        "Òganizasyon Kreyòl Ayiti".into(),
        "Associação São Paulo".into(),
        "Grüße aus Köln e.V.".into(),
        "Ação — Rede Brasileira".into(),
        long.trim_end().to_owned(),
    ]
}

/// To look at the rendered letters: `EXPORT_PDF_DIR=/tmp cargo test --lib export::pdf`.
fn keep_for_review(pdf: &[u8], name: &str) {
    if let Some(dir) = std::env::var_os("EXPORT_PDF_DIR") {
        std::fs::write(Path::new(&dir).join(name), pdf).expect("EXPORT_PDF_DIR is writable");
    }
}

fn write(pdf: &[u8], dir: &tempfile::TempDir, name: &str) -> std::path::PathBuf {
    let file = dir.path().join(name);
    std::fs::write(&file, pdf).expect("temporary directory is writable");
    file
}

#[test]
fn the_400_name_letter_prints_every_name_exactly_in_order_with_embedded_fonts() {
    let list = the_400_names();
    let leads = [
        "Our World Is Not for Sale (OWINFS)",
        "Public Services International (PSI)",
    ];
    let doc = letter(Language::En, &leads);
    let lead_names: Vec<String> = leads.iter().map(|name| name.to_string()).collect();
    let ordered = order_signatories(list, ListOrder::Alphabetical, &lead_names, Language::En);
    assert_eq!(ordered[0].public.name, leads[0]);

    let pdf = render(&doc, &ordered, ListOrder::Alphabetical).expect("the letter renders");
    keep_for_review(&pdf, "letter-en.pdf");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = write(&pdf, &dir, "letter.pdf");
    let (raw, text, pages) = extracted_text(&file);

    // The letter itself.
    for expected in [
        "Our World Is Not for Sale (OWINFS) · Public Services International (PSI)",
        "23 November 2026",
        "Ministers of Trade World Trade Organization Geneva",
        "Trade rules must put people's health first",
        "We, the undersigned 400 organizations, write to you at a critical moment.",
        "• suspend new negotiations;",
        "1. first, listen; 2. then, act.",
        "Read our analysis at our website (https://example.org/analysis).",
        "Signed,",
        "Organizations",
        "Individuals",
        "Institutional affiliations are listed for identification purposes only.",
        "Dra. María-José Ñúñez — Universidad Nacional Autónoma de México (UNAM)",
        "Asociación Civil Sin Fronteras A.C. — Ciudad de México, Mexico",
        "Cooperation for Peace and Development (CPD) — Afghanistan",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    // Missing parts leave no dangling dash or comma.
    assert!(text.contains("Jean-Baptiste N'Diaye Page") || text.contains("Jean-Baptiste N'Diaye"));
    assert!(!text.contains("N'Diaye —"));
    assert!(!text.contains("ActionAid International —"));
    assert!(!text.contains(", ,") && !text.contains("— ,") && !text.contains("— —"));

    assert_names_in_order(&raw, &ordered);

    // Nothing that was not given: no contact data, no descriptions from the source table.
    assert!(!text.contains('@'), "an email address appeared");
    for description in fixture::descriptions().iter().filter(|d| d.len() > 20) {
        assert!(
            !text.contains(&squash(description)),
            "{description:?} was printed"
        );
    }

    // Page numbers on every page.
    assert!(pages >= 5, "only {pages} pages");
    for page in 1..=pages {
        assert!(
            text.contains(&format!("Page {page} of {pages}")),
            "page {page}"
        );
    }

    assert_fonts_embedded(&file);
    assert_page_one_has_ink(&file, &dir);
}

/// The fixture's organizations, the tricky names (one of 270 characters or more) and two
/// individuals, one without an affiliation.
fn the_400_names() -> Vec<Signatory> {
    let mut list = fixture::organizations();
    let tricky = tricky_names();
    assert!(tricky.iter().any(|name| name.chars().count() >= 270));
    for (index, name) in tricky.iter().enumerate() {
        list.push(organization(
            1000 + index as i64,
            name,
            Some("Ciudad de México"),
            Some("MX"),
        ));
    }
    list.push(individual(
        2000,
        "Dra. María-José Ñúñez",
        Some("Universidad Nacional Autónoma de México (UNAM)"),
    ));
    list.push(individual(2001, "Jean-Baptiste N'Diaye", None));
    list
}

/// All four fonts of the PDF are embedded (and subset) DejaVu Sans.
fn assert_fonts_embedded(file: &Path) {
    let fonts = String::from_utf8(poppler("pdffonts", &[path(file)])).expect("UTF-8");
    let rows: Vec<&str> = fonts
        .lines()
        .skip(2)
        .filter(|row| !row.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 4, "{fonts}");
    for row in rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        let embedded = columns.len().checked_sub(5).and_then(|i| columns.get(i));
        assert_eq!(embedded, Some(&"yes"), "not embedded: {row}");
        assert!(row.contains("DejaVuSans"), "{row}");
    }
}

/// The first page, as an image, has ink on it.
fn assert_page_one_has_ink(file: &Path, dir: &tempfile::TempDir) {
    let png = dir.path().join("page");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path(file),
            path(&png),
        ],
    );
    let png = std::fs::read(png.with_extension("png")).expect("pdftoppm wrote the PNG");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(png.len() > 5_000, "a {} byte PNG looks blank", png.len());
    let dark = dark_fraction(file);
    assert!(
        (0.01..0.5).contains(&dark),
        "{:.1}% of page 1 is ink",
        dark * 100.0
    );
}

/// The share of page 1's pixels that are dark, read from a grayscale rendering.
fn dark_fraction(pdf: &Path) -> f64 {
    let pgm = poppler(
        "pdftoppm",
        &[
            "-gray",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path(pdf),
        ],
    );
    // Binary PGM: "P5", width, height, maximum value, one whitespace, then one byte a pixel.
    let mut fields = 0;
    let mut start = 0;
    let mut in_field = false;
    for (index, byte) in pgm.iter().enumerate() {
        if byte.is_ascii_whitespace() {
            if in_field {
                fields += 1;
                in_field = false;
                if fields == 4 {
                    start = index + 1;
                    break;
                }
            }
        } else {
            in_field = true;
        }
    }
    let pixels = &pgm[start..];
    let dark = pixels.iter().filter(|&&value| value < 128).count();
    dark as f64 / pixels.len().max(1) as f64
}

#[test]
fn a_spanish_letter_groups_by_country_with_spanish_words() {
    let list = vec![
        organization(1, "Colectivo Ñandú", Some("Oaxaca"), Some("MX")),
        organization(2, "Aktion Grüße", Some("Köln"), Some("DE")),
        organization(3, "Red Sin País", None, None),
        organization(4, "Zapatistas en Red", None, Some("mx")),
        organization(5, "Amis de la Terre", Some("Dakar"), Some("Marocco")),
        individual(6, "Ana Pérez", Some("Universidad de Chile")),
    ];
    let doc = LetterDocument {
        paper: Paper::A4,
        ..letter(Language::Es, &[])
    };
    let ordered = order_signatories(list, ListOrder::Country, &[], Language::Es);
    let pdf = render(&doc, &ordered, ListOrder::Country).expect("renders");
    keep_for_review(&pdf, "carta-es.pdf");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_, text, pages) = extracted_text(&write(&pdf, &dir, "carta.pdf"));
    assert_eq!(pages, 1);
    for expected in [
        "23 de noviembre de 2026",
        "Firman:",
        "Alemania Aktion Grüße — Köln",
        "Marocco Amis de la Terre — Dakar",
        "México Colectivo Ñandú — Oaxaca Zapatistas en Red",
        "País no indicado Red Sin País",
        "A título individual",
        "Las afiliaciones institucionales se indican solo con fines de identificación.",
        "Ana Pérez — Universidad de Chile",
        "Página 1 de 1",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // A4 pages.
    let info = String::from_utf8(poppler("pdfinfo", &[path(&dir.path().join("carta.pdf"))]))
        .expect("UTF-8");
    assert!(
        info.contains("595.276 x 841.89") || info.contains("595.28 x 841.89"),
        "{info}"
    );
}

#[test]
fn grouped_lists_keep_every_name_in_order_under_its_heading() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (order, language) in [
        (ListOrder::OrgType, Language::En),
        (ListOrder::Country, Language::Es),
    ] {
        let ordered = order_signatories(fixture::organizations(), order, &[], language);
        let pdf = render(&letter(language, &[]), &ordered, order).expect("renders");
        keep_for_review(&pdf, &format!("grouped-{order:?}.pdf"));
        let (raw, _, _) = extracted_text(&write(&pdf, &dir, "grouped.pdf"));
        assert_names_in_order(&raw, &ordered);
        // Each heading comes right before its group's first organization.
        let heading_then_first = match order {
            ListOrder::OrgType => vec![
                "International or regional ActionAid International",
                "National 11.11.11 — Belgium",
            ],
            _ => vec![
                "Afganistán Cooperation for Peace and Development (CPD)",
                "Alemania ATTAC Berlin",
                "Colomba Fundación IFARMA",
                "País no indicado ActionAid International",
            ],
        };
        let mut from = 0;
        for expected in heading_then_first {
            let (_, end) = find_wrapped(&raw, expected, from)
                .unwrap_or_else(|| panic!("{order:?}: missing or out of order: {expected:?}"));
            from = end;
        }
        // Under a type heading organizations show their country; under a country, not again.
        match order {
            ListOrder::OrgType => assert!(raw.contains("ATTAC Argentina — Argentina")),
            _ => assert!(raw.contains("ATTAC Argentina\n")),
        }
    }
}

#[test]
fn odd_input_renders_without_failing() {
    let doc = LetterDocument {
        title: String::new(),
        addressees: "\n\n".into(),
        body_markdown: format!(
            "# \n\n{}\n\n<script>alert(1)</script>\n\n漢字 emoji 🙂 \u{0}\u{7}",
            "x".repeat(5_000)
        ),
        language: Language::Es,
        date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a real date"),
        lead_organizations: vec![" ".into(), String::new()],
        paper: Paper::Letter,
    };
    let ordered = vec![
        organization(1, "", None, Some("")),
        organization(2, &"W".repeat(300), Some(" "), Some("ZZ")),
        individual(3, "Tab\tand\nnewline", Some("")),
    ];
    for order in [
        ListOrder::Alphabetical,
        ListOrder::Country,
        ListOrder::OrgType,
    ] {
        let pdf = render(&doc, &ordered, order).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
    }
    let empty = render(&doc, &[], ListOrder::Alphabetical).expect("renders");
    assert!(empty.starts_with(b"%PDF-"));
}

#[test]
fn dates_are_written_in_the_letters_language() {
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a real date");
    assert_eq!(
        crate::i18n::long_date(date, Language::En),
        "23 November 2026"
    );
    assert_eq!(
        crate::i18n::long_date(date, Language::Es),
        "23 de noviembre de 2026"
    );
    let date = NaiveDate::from_ymd_opt(2027, 1, 5).expect("a real date");
    assert_eq!(
        crate::i18n::long_date(date, Language::Es),
        "5 de enero de 2027"
    );
}

#[test]
fn entry_details_omit_missing_parts() {
    let with = |city: Option<&str>, country: Option<&str>| {
        details(&organization(1, "X", city, country), Language::Es, false)
    };
    assert_eq!(with(Some("Oaxaca"), Some("MX")), "Oaxaca, México");
    assert_eq!(with(None, Some("MX")), "México");
    assert_eq!(with(Some("Oaxaca"), None), "Oaxaca");
    assert_eq!(with(Some(" "), Some(" ")), "");
    assert_eq!(
        details(
            &organization(1, "X", Some("Oaxaca"), Some("MX")),
            Language::Es,
            true
        ),
        "Oaxaca"
    );
    assert_eq!(
        details(&individual(1, "Y", Some("UNAM")), Language::En, false),
        "UNAM"
    );
    assert_eq!(details(&individual(1, "Y", None), Language::En, false), "");
}

#[test]
fn the_same_letter_renders_to_the_same_bytes() {
    let doc = letter(Language::En, &["WOLA"]);
    let list = vec![organization(
        1,
        "Sin Fronteras",
        Some("Tijuana"),
        Some("MX"),
    )];

    let first = render(&doc, &list, ListOrder::Alphabetical).unwrap();
    let second = render(&doc, &list, ListOrder::Alphabetical).unwrap();

    assert!(first == second, "two renders of one letter differ");
}

#[test]
fn a_list_of_many_pages_is_written_whole_and_in_order() {
    // Pages are written in batches: a list far longer than one batch, with both sections and
    // group headings, must come out with every page, every name, and the right page numbers.
    let fixture = fixture::organizations();
    let mut list: Vec<Signatory> = (0..6_000)
        .map(|i| {
            let base = &fixture[i % fixture.len()];
            let mut signatory = organization(
                i as i64,
                &format!("{} {i}", base.public.name),
                Some("Oaxaca"),
                base.public.country.as_deref(),
            );
            if i % 4 == 0 {
                signatory = individual(i as i64, &signatory.public.name, Some("UNAM"));
            }
            signatory
        })
        .collect();
    list.push(organization(10_000, "Łódź — Ωmega", None, None));
    let ordered = order_signatories(list, ListOrder::Country, &[], Language::Es);
    let doc = letter(Language::Es, &[]);

    let pdf = render(&doc, &ordered, ListOrder::Country).expect("renders");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let (raw, text, pages) = extracted_text(&write(&pdf, &dir, "long.pdf"));
    assert!(pages > 2 * PAGE_BATCH, "{pages} pages");
    assert!(text.contains(&format!("Página 1 de {pages}")));
    assert!(text.contains(&format!("Página {pages} de {pages}")));
    assert!(text.contains("Łódź — Ωmega"));
    assert!(text.contains("A título individual"));
    assert_names_in_order(&raw, &ordered);
    assert!(render(&doc, &ordered, ListOrder::Country).unwrap() == pdf);
}
