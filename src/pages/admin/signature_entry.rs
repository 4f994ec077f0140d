//! One signature in the moderation queue: its public text, its contact (for roles that see
//! contacts), the signals that help judge it, its state and dates, the changes its signer sent,
//! and the actions open to the reader.

use chrono::{DateTime, Utc};
use entity::{SignatureKind, SignatureSource, SignatureStatus};
use maud::{Markup, html};

use super::layout::csrf_field;
use super::session::PageContext;
use super::signatures::{LetterAccess, QueueQuery};
use crate::domain::{PublicDetails, countries};
use crate::i18n::long_date;
use crate::service::changes;
use crate::service::signatures::StaffSignature;
use crate::service::signing::public_of;

/// A signature's state in a coordinator's words.
pub fn status_word(page: &PageContext, status: SignatureStatus) -> &'static str {
    match status {
        SignatureStatus::PendingVerification => page.t("To confirm", "Por confirmar"),
        SignatureStatus::Verified => page.t("To moderate", "Por moderar"),
        SignatureStatus::Approved => page.t("Approved", "Aprobadas"),
        SignatureStatus::Rejected => page.t("Rejected", "Rechazadas"),
        SignatureStatus::Withdrawn => page.t("Withdrawn", "Retiradas"),
    }
}

/// A signature's state as a coloured word.
pub fn status_badge(page: &PageContext, status: SignatureStatus) -> Markup {
    let (class, en, es) = match status {
        SignatureStatus::PendingVerification => (
            "pending_verification",
            "Waiting for the contact's confirmation",
            "Esperando la confirmación del contacto",
        ),
        SignatureStatus::Verified => ("verified", "To moderate", "Por moderar"),
        SignatureStatus::Approved => ("approved", "Approved", "Aprobada"),
        SignatureStatus::Rejected => ("rejected", "Rejected", "Rechazada"),
        SignatureStatus::Withdrawn => ("withdrawn", "Withdrawn", "Retirada"),
    };
    html! { span class=(format!("badge {class}")) { (page.t(en, es)) } }
}

/// Whether a signature can be approved: not yet approved, not withdrawn by its signer, not
/// merged into another (the cases the service refuses or that change nothing).
pub fn approvable(item: &StaffSignature) -> bool {
    decidable(item) && item.row.status != SignatureStatus::Approved
}

fn decidable(item: &StaffSignature) -> bool {
    item.row.status != SignatureStatus::Withdrawn && item.row.duplicate_of.is_none()
}

/// A date in the reader's language.
pub fn date(page: &PageContext, at: DateTime<Utc>) -> String {
    long_date(at.date_naive(), page.lang)
}

/// One signature of the queue.
pub fn entry(
    page: &PageContext,
    letter: &LetterAccess,
    item: &StaffSignature,
    back: &QueueQuery,
) -> Markup {
    let row = &item.row;
    let heading_id = format!("signature-{}", row.id);
    html! {
        article.card aria-labelledby=(heading_id) {
            h2 id=(heading_id) style="margin-top:0" {
                (row.name) " " (status_badge(page, row.status))
            }
            @if letter.may_act() && approvable(item) {
                label.choice for=(format!("select-{}", row.id)) {
                    input type="checkbox" id=(format!("select-{}", row.id)) name="signature" value=(row.id) form="bulk";
                    (page.t("Select for approval", "Seleccionar para aprobar"))
                }
            }
            div.sidebyside {
                div {
                    h3 { (page.t("On the letter", "En la carta")) }
                    (public_facts(page, row.kind, &public_of(row)))
                }
                div {
                    @if item.contacts_visible {
                        h3 { (page.t("Contact (never published)", "Contacto (nunca se publica)")) }
                        (contact_facts(page, item))
                    }
                }
            }
            (pending_changes(page, letter, item, back))
            h3 { (page.t("Checks", "Verificación")) }
            (signals(page, letter, item))
            (state_facts(page, letter, item))
            @if letter.may_act() {
                (super::signature_actions::entry_actions(page, letter, item, back))
            } @else if letter.moderates() && item.contact.is_some() {
                (super::signature_actions::erase_link(page, letter, item, back))
            }
        }
    }
}

fn kind_word(page: &PageContext, kind: SignatureKind) -> &'static str {
    match kind {
        SignatureKind::Organization => page.t("Organization", "Organización"),
        SignatureKind::Individual => page.t("Individual", "Persona"),
    }
}

/// The public part of a signature, as the public list and exports would show it.
pub fn public_facts(page: &PageContext, kind: SignatureKind, public: &PublicDetails) -> Markup {
    html! {
        dl.facts {
            @for (label, value) in public_rows(page, kind, public) {
                dt { (label) }
                dd { (value.unwrap_or_else(|| "—".to_owned())) }
            }
        }
    }
}

/// Each public field with its label and value, in the form's order.
fn public_rows(
    page: &PageContext,
    kind: SignatureKind,
    public: &PublicDetails,
) -> Vec<(&'static str, Option<String>)> {
    let country = public.country.as_deref().map(|code| {
        countries::name(code, page.lang)
            .map(str::to_owned)
            .unwrap_or_else(|| code.to_owned())
    });
    vec![
        (page.t("Name", "Nombre"), Some(public.name.clone())),
        (
            page.t("Kind", "Tipo"),
            Some(kind_word(page, kind).to_owned()),
        ),
        (
            page.t("Affiliation", "Afiliación institucional"),
            public.affiliation.clone(),
        ),
        (
            page.t("Type of organization", "Tipo de organización"),
            public.org_type.clone(),
        ),
        (page.t("City", "Ciudad"), public.city.clone()),
        (
            page.t("State or province", "Estado o provincia"),
            public.region.clone(),
        ),
        (page.t("Country", "País"), country),
        (page.t("Website", "Sitio web"), public.website.clone()),
    ]
}

pub fn contact_facts(page: &PageContext, item: &StaffSignature) -> Markup {
    html! {
        @if let Some(contact) = &item.contact {
            dl.facts {
                dt { (page.t("Name", "Nombre")) } dd { (contact.name) }
                @if let Some(title) = &contact.title {
                    dt { (page.t("Title", "Cargo")) } dd { (title) }
                }
                dt { (page.t("Email", "Correo")) } dd { (contact.email.as_str()) }
                @if let Some(phone) = &contact.phone {
                    dt { (page.t("Phone", "Teléfono")) } dd { (phone) }
                }
                @if let Some(comment) = &contact.comment {
                    dt { (page.t("Message", "Mensaje")) } dd style="white-space:pre-line" { (comment) }
                }
            }
        } @else if let Some(erased) = item.row.contact_erased_at {
            p.meta { (page.t("Contact data erased on", "Datos de contacto borrados el")) " " (date(page, erased)) }
        } @else {
            p.meta { (page.t("No contact was given.", "No se dio un contacto.")) }
        }
    }
}

/// The verification signals, each in a sentence; the duplicates link to their comparison.
pub fn signals(page: &PageContext, letter: &LetterAccess, item: &StaffSignature) -> Markup {
    let signals = &item.signals;
    let has_website = item.row.website.is_some();
    let honeypot = signals.flags.iter().any(|f| f == "honeypot");
    let merge_path = |other: i64| {
        format!(
            "/admin/letters/{}/signatures/{}/merge?into={other}",
            letter.id(),
            item.row.id
        )
    };
    html! {
        ul {
            @if signals.email_matches_website {
                li { "✓ " (page.t("The email's domain matches the website.", "El dominio del correo coincide con el sitio web.")) }
            } @else if has_website && item.contact.is_some() {
                li { (page.t("The email's domain differs from the website.", "El dominio del correo no coincide con el sitio web.")) }
            }
            @if signals.free_mail {
                li { (page.t("Free email address (such as Gmail or Hotmail).", "Correo gratuito (como Gmail o Hotmail).")) }
            }
            @if honeypot {
                li { strong { (page.t(
                    "A hidden field that people never see was filled in: probably sent by a program.",
                    "Se llenó un campo oculto que las personas no ven: probablemente lo envió un programa.",
                )) } }
            }
            @if signals.same_network > 0 {
                li { (signals.same_network) " " (page.t("other signatures on this letter came from the same network.", "firmas más de esta carta llegaron desde la misma red.")) }
            }
            @if signals.same_contact_elsewhere > 0 {
                li { (page.t("The same contact email signed", "El mismo correo de contacto firmó")) " " (signals.same_contact_elsewhere) " " (page.t("other time(s), on other letters.", "vez/veces más, en otras cartas.")) }
            }
            @for other in &item.duplicate_candidates {
                li {
                    (page.t("Possible duplicate: entry no.", "Posible duplicado: entrada n.º")) " " (other) ". "
                    a href=(merge_path(*other)) { (page.t("Compare and merge", "Comparar y fusionar")) }
                }
            }
            @if !signals.email_matches_website && !signals.free_mail && !honeypot && signals.same_network == 0
                && signals.same_contact_elsewhere == 0 && item.duplicate_candidates.is_empty() && !(has_website && item.contact.is_some()) {
                li.meta { (page.t("Nothing to point out.", "Nada que señalar.")) }
            }
        }
    }
}

fn source_word(page: &PageContext, source: SignatureSource) -> &'static str {
    match source {
        SignatureSource::Form => page.t("the sign-on form", "el formulario"),
        SignatureSource::Import => {
            page.t("an imported spreadsheet", "una hoja de cálculo importada")
        }
        SignatureSource::Staff => page.t("added by hand by staff", "agregada a mano por el equipo"),
    }
}

pub fn state_facts(page: &PageContext, letter: &LetterAccess, item: &StaffSignature) -> Markup {
    let row = &item.row;
    let dated = [
        (page.t("Signed", "Firmó"), Some(row.created_at)),
        (page.t("Confirmed", "Confirmó"), row.verified_at),
        (page.t("Decided", "Decisión"), row.decided_at),
        (page.t("Withdrawn", "Retiró"), row.withdrawn_at),
    ];
    html! {
        dl.facts {
            dt { (page.t("Entry no.", "Entrada n.º")) } dd { (row.id) }
            dt { (page.t("Came from", "Llegó por")) } dd { (source_word(page, row.source)) }
            @for (label, at) in dated {
                @if let Some(at) = at { dt { (label) } dd { (date(page, at)) } }
            }
            @if let Some(reason) = &row.decision_reason {
                dt { (page.t("Reason", "Motivo")) } dd { (reason) }
            }
            @if let Some(note) = &row.verification_note {
                dt { (page.t("Verified by other means", "Verificada por otro medio")) } dd { (note) }
            }
            @if item.lead {
                dt { (page.t("Lead signatory", "Firmante principal")) } dd { (page.t("Yes, listed first", "Sí, aparece primero")) }
            }
            @if let Some(into) = row.duplicate_of {
                dt { (page.t("Merged into", "Fusionada con")) }
                dd { a href=(format!("/admin/letters/{}/signatures?status=all#signature-{into}", letter.id())) { (page.t("entry no.", "entrada n.º")) " " (into) } }
            }
        }
    }
}

/// The public text now and as the signer re-submitted it, side by side, changes marked; once
/// the signer confirmed the changes, a moderator applies or drops them here.
fn pending_changes(
    page: &PageContext,
    letter: &LetterAccess,
    item: &StaffSignature,
    back: &QueueQuery,
) -> Markup {
    let Some(change) = changes::proposed(&item.row) else {
        return html! {};
    };
    let now = public_rows(page, change.kind_now, &change.now);
    let proposed = public_rows(page, change.kind, &change.proposed);
    let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_owned());
    let awaiting_review = changes::awaiting_review(&item.row);
    html! {
        div.notice {
            h3 style="margin-top:0" {
                @if awaiting_review {
                    (page.t(
                        "The signer confirmed these changes: they wait for your decision, and the letter shows the entry as it is until then",
                        "Quien firmó confirmó estos cambios: esperan su decisión, y la carta muestra la entrada como está hasta entonces",
                    ))
                } @else {
                    (page.t(
                        "The signer sent changes (they apply once the signer confirms them by email)",
                        "Quien firmó envió cambios (se aplican cuando los confirme por correo)",
                    ))
                }
            }
            div.sidebyside {
                div {
                    h4 { (page.t("Now", "Ahora")) }
                    dl.facts {
                        @for ((label, old), (_, new)) in now.iter().zip(&proposed) {
                            dt { (label) }
                            dd { @if old != new { del { (shown(old)) } } @else { (shown(old)) } }
                        }
                    }
                }
                div {
                    h4 { (page.t("Sent by the signer", "Enviado por quien firmó")) }
                    dl.facts {
                        @for ((label, old), (_, new)) in now.iter().zip(&proposed) {
                            dt { (label) }
                            dd { @if old != new { ins { (shown(new)) } } @else { (shown(new)) } }
                        }
                    }
                }
            }
            @if awaiting_review && letter.may_act() {
                (super::signature_actions::change_decision(page, letter, item, back))
            }
        }
    }
}

/// The hidden field that brings a form's post back to the queue as it was.
pub fn back_field(back: &QueueQuery) -> Markup {
    html! { input type="hidden" name="back" value=(back.to_query_string()); }
}

/// A form with one button that posts to `action`.
pub fn button_form(page: &PageContext, action: &str, back: &QueueQuery, button: Markup) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(page))
            (back_field(back))
            (button)
        }
    }
}

/// Whether approve and reject are offered for this entry. While changes its signer confirmed
/// wait, a decision is on them (see `change_decision`), not on the entry.
pub fn offers_decision(item: &StaffSignature) -> bool {
    decidable(item) && !changes::awaiting_review(&item.row)
}
