//! The coordinators' daily digest as an email, in English or Spanish. It names signatories by
//! their public part only (name and country): no contact person, email or phone.

use entity::Language;
use maud::html;

use super::emails::{ComposedEmail, html_page};
use crate::i18n::pick;

/// At most this many new signatures are named per letter; the rest are counted.
const NAMED_PER_LETTER: usize = 20;

/// A signature waiting for moderation, as the digest names it.
#[derive(Debug, Clone)]
pub struct NewSignature {
    /// The organization's (or person's) public name.
    pub name: String,
    /// Its country code, when given.
    pub country: Option<String>,
}

/// One letter in a digest.
pub struct LetterSection<'a> {
    /// The letter's title in the reader's language.
    pub title: String,
    /// The letter no longer takes signatures.
    pub closed: bool,
    /// Its signatures to confirm, to moderate, approved, rejected and withdrawn.
    pub counts: [u64; 5],
    /// The signatures waiting for moderation that are new since the last digest.
    pub new: Vec<&'a NewSignature>,
    /// The letter's moderation queue in the dashboard.
    pub queue_url: String,
}

/// What a digest says.
pub struct DigestEmail<'a> {
    /// The reader's language.
    pub language: Language,
    /// The staff member's name.
    pub name: &'a str,
    /// The letters that changed, or have signatures waiting.
    pub sections: Vec<LetterSection<'a>>,
    /// The page where the digest is turned off.
    pub settings_url: &'a str,
}

/// The labels of the five counts, in order.
fn count_labels(language: Language) -> [&'static str; 5] {
    match language {
        Language::En => [
            "to confirm",
            "to moderate",
            "approved",
            "rejected",
            "withdrawn",
        ],
        Language::Es => [
            "por confirmar",
            "por moderar",
            "aprobadas",
            "rechazadas",
            "retiradas",
        ],
    }
}

fn counts_line(language: Language, counts: &[u64; 5]) -> String {
    count_labels(language)
        .iter()
        .zip(counts)
        .map(|(label, n)| format!("{n} {label}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn named(signature: &NewSignature) -> String {
    match &signature.country {
        Some(country) => format!("{} ({country})", signature.name),
        None => signature.name.clone(),
    }
}

/// What one section says besides its title and list: its heading line about new signatures.
fn new_line(language: Language, section: &LetterSection<'_>) -> String {
    let n = section.new.len();
    match (language, n) {
        (Language::En, 0) => "No new signatures to moderate.".to_owned(),
        (Language::En, 1) => "1 new signature to moderate:".to_owned(),
        (Language::En, n) => format!("{n} new signatures to moderate:"),
        (Language::Es, 0) => "Ninguna firma nueva por moderar.".to_owned(),
        (Language::Es, 1) => "1 firma nueva por moderar:".to_owned(),
        (Language::Es, n) => format!("{n} firmas nuevas por moderar:"),
    }
}

fn more_line(language: Language, more: usize) -> Option<String> {
    (more > 0).then(|| match language {
        Language::En => format!("and {more} more"),
        Language::Es => format!("y {more} más"),
    })
}

fn subject(language: Language, new: usize) -> String {
    match (language, new) {
        (Language::En, 0) => "Daily digest: your letters' signatures".to_owned(),
        (Language::En, 1) => "Daily digest: 1 new signature to moderate".to_owned(),
        (Language::En, n) => format!("Daily digest: {n} new signatures to moderate"),
        (Language::Es, 0) => "Resumen diario: las firmas de sus cartas".to_owned(),
        (Language::Es, 1) => "Resumen diario: 1 firma nueva por moderar".to_owned(),
        (Language::Es, n) => format!("Resumen diario: {n} firmas nuevas por moderar"),
    }
}

/// The digest email.
pub fn digest(email: &DigestEmail<'_>) -> ComposedEmail {
    let lang = email.language;
    let new: usize = email.sections.iter().map(|s| s.new.len()).sum();
    let greeting = match lang {
        Language::En => format!("Hello {},", email.name),
        Language::Es => format!("Hola, {}:", email.name),
    };
    let intro = pick(
        lang,
        "What happened since the last digest in the letters you coordinate:",
        "Lo que pasó desde el último resumen en las cartas que coordina:",
    );
    let closed = pick(lang, "(closed)", "(cerrada)");
    let open_queue = pick(lang, "Moderation queue:", "Cola de moderación:");
    let footer = pick(
        lang,
        "You get this email because you asked for a daily digest. To stop it:",
        "Recibe este correo porque pidió un resumen diario. Para dejar de recibirlo:",
    );
    let mut text = format!("{greeting}\n\n{intro}\n\n");
    for section in &email.sections {
        let more = section.new.len().saturating_sub(NAMED_PER_LETTER);
        text.push_str(&format!(
            "== {}{} ==\n{}\n{}\n",
            section.title,
            if section.closed {
                format!(" {closed}")
            } else {
                String::new()
            },
            counts_line(lang, &section.counts),
            new_line(lang, section),
        ));
        for signature in section.new.iter().take(NAMED_PER_LETTER) {
            text.push_str(&format!("  - {}\n", named(signature)));
        }
        if let Some(more) = more_line(lang, more) {
            text.push_str(&format!("  {more}\n"));
        }
        text.push_str(&format!("{open_queue}\n{}\n\n", section.queue_url));
    }
    text.push_str(&format!("{footer}\n{}\n", email.settings_url));
    let subject = subject(lang, new);
    let html = html_page(
        lang,
        &subject,
        html! {
            p { (greeting) }
            p { (intro) }
            @for section in &email.sections {
                h2 style="font-size: 1.1em; margin-bottom: .2em" {
                    (section.title) @if section.closed { " " (closed) }
                }
                p style="margin-top: 0" { (counts_line(lang, &section.counts)) }
                p { (new_line(lang, section)) }
                @if !section.new.is_empty() {
                    ul {
                        @for signature in section.new.iter().take(NAMED_PER_LETTER) { li { (named(signature)) } }
                        @if let Some(more) = more_line(lang, section.new.len().saturating_sub(NAMED_PER_LETTER)) { li { (more) } }
                    }
                }
                p { a href=(section.queue_url) style="font-weight: bold" { (pick(lang, "Open the moderation queue", "Abrir la cola de moderación")) } }
            }
            p style="color: #555" { (footer) " " a href=(email.settings_url) { (pick(lang, "Your settings", "Su configuración")) } }
        },
    );
    ComposedEmail {
        subject,
        text,
        html,
        list_unsubscribe: None,
    }
}
