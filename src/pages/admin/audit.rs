//! A letter's history: who did what and when, newest first, in sentences rather than codes.

use std::collections::HashMap;

use entity::audit_event;
use maud::{Markup, html};
use poem::handler;
use poem::web::{Data, Path, Query};
use serde::Deserialize;
use serde_json::Value;

use super::error::PageError;
use super::layout::{LetterTab, letter_header};
use super::session::Signed;
use crate::i18n::{self, fill};
use crate::service::{audit, letters};
use crate::state::AppState;

/// Events per page.
const PER_PAGE: u64 = 50;

/// `?page=` of the history, from 1.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<u64>,
}

/// `GET /admin/letters/{id}/audit`.
#[handler]
pub async fn audit_page(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, PageError> {
    let view = letters::get(&state.db, &page.staff, letter_id).await?;
    let number = query.page.unwrap_or(1).max(1);
    let (events, total) = letters::events(
        &state.db,
        &page.staff,
        letter_id,
        PER_PAGE,
        (number - 1).saturating_mul(PER_PAGE),
    )
    .await?;
    let names = audit::actor_names(&state.db, &events).await?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    let path = LetterTab::Audit.path(letter_id);
    let title = page.t("History", "Historial");
    let headings = [
        page.t("When", "Cuándo"),
        page.t("What happened", "Qué pasó"),
    ];
    Ok(super::layout::page(
        &page,
        &format!("{title} · {}", view.letter.title),
        html! {
            (letter_header(&page, &view.letter, LetterTab::Audit))
            h2 { (title) }
            @if events.is_empty() {
                p { (page.t("Nothing recorded yet.", "Todavía no hay nada registrado.")) }
            } @else {
                p.meta { (page.t("Newest first.", "Lo más reciente primero.")) " " (total) " " (page.t("events", "eventos")) }
                table.list {
                    thead { tr { @for heading in headings { th scope="col" { (heading) } } } }
                    tbody {
                        @for event in &events {
                            tr {
                                td data-label=(headings[0]) { (when(&page, event)) }
                                td data-label=(headings[1]) { (describe(&page, event, &names)) }
                            }
                        }
                    }
                }
                @if pages > 1 {
                    nav.actions aria-label=(page.t("Pages of the history", "Páginas del historial")) {
                        @if number > 1 {
                            a href=(format!("{path}?page={}", number - 1)) { "← " (page.t("Newer", "Más recientes")) }
                        }
                        span.meta { (page.t("Page", "Página")) " " (number) " / " (pages) }
                        @if number < pages {
                            a href=(format!("{path}?page={}", number + 1)) { (page.t("Older", "Más antiguos")) " →" }
                        }
                    }
                }
            }
        },
    ))
}

fn when(page: &Signed, event: &audit_event::Model) -> String {
    format!(
        "{} · {} UTC",
        i18n::long_date(event.created_at.date_naive(), page.lang),
        event.created_at.format("%H:%M")
    )
}

fn parse(stored: &Option<String>) -> Value {
    stored
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Who acted, as a coordinator knows them.
fn actor(page: &Signed, event: &audit_event::Model, names: &HashMap<i64, String>) -> String {
    if let Some(name) = event.actor_user_id.and_then(|id| names.get(&id)) {
        return name.clone();
    }
    match event.actor.as_str() {
        "signer" => page.t("The signer", "Quien firma").to_owned(),
        "system" => "signon".to_owned(),
        other => other.to_owned(),
    }
}

fn letter_status_word(page: &Signed, status: Option<&str>) -> String {
    match status {
        Some("draft") => page.t("draft", "borrador"),
        Some("open") => page.t("open", "abierta"),
        Some("closed") => page.t("closed", "cerrada"),
        Some("delivered") => page.t("delivered", "entregada"),
        Some(other) => other,
        None => "?",
    }
    .to_owned()
}

/// One recorded event, ready to be told as a sentence.
struct Telling<'a> {
    page: &'a Signed,
    event: &'a audit_event::Model,
    before: Value,
    after: Value,
    actor: String,
    name: String,
}

impl Telling<'_> {
    /// The sentence in the reader's language, `{actor}` and `{name}` filled in with the rest.
    fn say(&self, en: &str, es: &str, values: &[(&str, &str)]) -> String {
        let mut all = vec![("actor", self.actor.as_str()), ("name", self.name.as_str())];
        all.extend_from_slice(values);
        fill(self.page.t(en, es), &all)
    }

    fn after_text(&self, key: &str) -> &str {
        text(&self.after, key).unwrap_or_default()
    }
}

/// One event as a sentence: "Ana Pérez approved “Sin Fronteras”".
fn describe(page: &Signed, event: &audit_event::Model, names: &HashMap<i64, String>) -> String {
    let before = parse(&event.before);
    let after = parse(&event.after);
    let name = text(&after, "name")
        .or_else(|| text(&before, "name"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", event.signature_id.unwrap_or_default()));
    let telling = Telling {
        page,
        event,
        actor: actor(page, event, names),
        name,
        before,
        after,
    };
    if event.action.starts_with("letter.") {
        describe_letter_event(&telling)
    } else {
        describe_signature_event(&telling)
    }
}

fn describe_letter_event(t: &Telling) -> String {
    match t.event.action.as_str() {
        "letter.created" => t.say(
            "{actor} created the letter “{title}”",
            "{actor} creó la carta “{title}”",
            &[("title", t.after_text("title"))],
        ),
        "letter.updated" => {
            let changed = changed_settings(t.page, &t.before, &t.after);
            if changed.is_empty() {
                t.say(
                    "{actor} saved the letter without changes",
                    "{actor} guardó la carta sin cambios",
                    &[],
                )
            } else {
                let list = join_words(t.page, &changed);
                t.say(
                    "{actor} changed {what}",
                    "{actor} cambió {what}",
                    &[("what", &list)],
                )
            }
        }
        "letter.status_changed" => {
            let from = letter_status_word(t.page, text(&t.before, "status"));
            let to = letter_status_word(t.page, text(&t.after, "status"));
            t.say(
                "{actor} changed the status from {from} to {to}",
                "{actor} cambió el estado de {from} a {to}",
                &[("from", &from), ("to", &to)],
            )
        }
        "letter.coordinator_added" => t.say(
            "{actor} added “{organization}” as a co-leading organization",
            "{actor} agregó a “{organization}” como organización coordinadora",
            &[("organization", t.after_text("organization"))],
        ),
        "letter.coordinator_removed" => t.say(
            "{actor} removed “{organization}” from the co-leading organizations",
            "{actor} quitó a “{organization}” de las organizaciones coordinadoras",
            &[(
                "organization",
                text(&t.before, "organization").unwrap_or_default(),
            )],
        ),
        "letter.invitees_reminded" => t.say(
            "{actor} sent a reminder to {count} invitees who had not answered",
            "{actor} envió un recordatorio a {count} organizaciones invitadas que no habían respondido",
            &[(
                "count",
                &t.after.get("count").and_then(Value::as_u64).unwrap_or(0).to_string(),
            )],
        ),
        "letter.delivery_emails_queued" => describe_delivery_emails(t),
        "letter.reminders_changed" => t.say(
            "{actor} changed the reminders",
            "{actor} cambió los recordatorios",
            &[],
        ),
        other => format!("{}: {other}", t.actor),
    }
}

/// "Delivery emails queued: 1 to the addressees, 12 notices to signatories".
fn describe_delivery_emails(t: &Telling) -> String {
    let count = |key: &str| {
        t.after
            .get(key)
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .to_string()
    };
    t.say(
        "Delivery emails queued: {addressee} to the addressees, {notices} notices to signatories",
        "Correos de la entrega en cola: {addressee} a los destinatarios, {notices} avisos a firmantes",
        &[
            ("addressee", &count("addressee_emails")),
            ("notices", &count("notices")),
        ],
    )
}

fn describe_signature_event(t: &Telling) -> String {
    match t.event.action.as_str() {
        "signature.submitted" => t.say(
            "“{name}” signed through the public form",
            "“{name}” firmó mediante el formulario público",
            &[],
        ),
        "invitation.sent" => t.say(
            "{actor} invited “{organization}”",
            "{actor} invitó a “{organization}”",
            &[("organization", t.after_text("organization"))],
        ),
        "invitation.declined" => t.say(
            "“{organization}” declined the invitation",
            "“{organization}” declinó la invitación",
            &[("organization", t.after_text("organization"))],
        ),
        "invitation.signed" => t.say(
            "“{organization}” signed through a personal invitation",
            "“{organization}” firmó mediante una invitación personal",
            &[("organization", t.after_text("organization"))],
        ),
        "signature.resubmitted" => t.say(
            "“{name}” sent the form again",
            "“{name}” envió el formulario de nuevo",
            &[],
        ),
        "signature.verified" => t.say(
            "The contact person of “{name}” confirmed the signature",
            "La persona de contacto de “{name}” confirmó la firma",
            &[],
        ),
        "signature.withdrawn" => t.say(
            "“{name}” withdrew the signature",
            "“{name}” retiró la firma",
            &[],
        ),
        "signature.added" => t.say(
            "{actor} added “{name}” by hand",
            "{actor} agregó “{name}” a mano",
            &[],
        ),
        "signature.edited" => t.say("{actor} edited “{name}”", "{actor} editó “{name}”", &[]),
        "signature.approved" => t.say("{actor} approved “{name}”", "{actor} aprobó “{name}”", &[]),
        "signature.rejected" => match text(&t.after, "reason").filter(|r| !r.trim().is_empty()) {
            Some(reason) => t.say(
                "{actor} rejected “{name}” (reason: {reason})",
                "{actor} rechazó “{name}” (motivo: {reason})",
                &[("reason", reason)],
            ),
            None => t.say("{actor} rejected “{name}”", "{actor} rechazó “{name}”", &[]),
        },
        "signature.merged" => describe_merge(t),
        "signature.contact_erased" => t.say(
            "{actor} erased the contact details of “{name}”",
            "{actor} borró los datos de contacto de “{name}”",
            &[],
        ),
        "signatures.imported" => {
            let count = |key: &str| {
                t.after
                    .get(key)
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .to_string()
            };
            t.say(
                "{actor} imported {imported} signatures from a file ({duplicates} already there were skipped)",
                "{actor} importó {imported} firmas desde un archivo (se omitieron {duplicates} que ya estaban)",
                &[("imported", &count("imported")), ("duplicates", &count("duplicates"))],
            )
        }
        other => format!("{}: {other}", t.actor),
    }
}

/// A merge leaves one event on each of the two signatures.
fn describe_merge(t: &Telling) -> String {
    let id = |key: &str| {
        t.after
            .pointer(&format!("/merged/{key}"))
            .and_then(Value::as_i64)
    };
    let (duplicate, into) = (id("duplicate"), id("into"));
    let number = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    if t.event.signature_id.is_some() && t.event.signature_id == duplicate {
        t.say(
            "{actor} merged the duplicate “{name}” into signature #{other}",
            "{actor} fusionó el duplicado “{name}” con la firma #{other}",
            &[("other", &number(into))],
        )
    } else {
        t.say(
            "{actor} merged the duplicate signature #{other} into “{name}”",
            "{actor} fusionó la firma duplicada #{other} con “{name}”",
            &[("other", &number(duplicate))],
        )
    }
}

/// The settings an edit changed, in words.
fn changed_settings(page: &Signed, before: &Value, after: &Value) -> Vec<&'static str> {
    const SETTINGS: [(&str, &str, &str); 16] = [
        ("slug", "the address", "la dirección"),
        ("title", "the title", "el título"),
        ("body", "the text", "el texto"),
        ("addressees", "the addressees", "los destinatarios"),
        ("language", "the language", "el idioma"),
        ("deadline", "the deadline", "la fecha límite"),
        ("moderation", "the moderation", "la moderación"),
        ("accept_individuals", "who may sign", "quién puede firmar"),
        ("order", "the order of the list", "el orden de la lista"),
        ("paper", "the paper size", "el tamaño del papel"),
        (
            "lead_signatories",
            "the names listed first",
            "los nombres que van primero",
        ),
        (
            "retention_days",
            "how long contacts are kept",
            "cuánto tiempo se guardan los contactos",
        ),
        ("translations", "the translation", "la traducción"),
        (
            "addressee_emails",
            "the addressees' email addresses",
            "los correos de los destinatarios",
        ),
        ("cover_note", "the cover note", "la nota de presentación"),
        ("status", "the status", "el estado"),
    ];
    SETTINGS
        .iter()
        .filter(|(key, _, _)| before.get(key) != after.get(key))
        .map(|(_, en, es)| page.t(en, es))
        .collect()
}

/// "a, b and c" / "a, b y c".
fn join_words(page: &Signed, words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {} {last}", rest.join(", "), page.t("and", "y")),
    }
}
