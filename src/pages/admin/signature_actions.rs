//! What a moderator does to signatures from the queue: approve, reject with a reason, mark
//! verified by phone, list first, approve several at once, erase a signer's contact data.
//! Each form posts, the service decides, and the queue comes back with a notice.

use entity::SignatureStatus;
use maud::{Markup, html};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path};
use poem::{Body, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{self, LetterTab, csrf_field, letter_header};
use super::session::{PageContext, Signed};
use super::signature_entry::{
    back_field, button_form, offers_decision, public_facts, status_badge,
};
use super::signatures::{LetterAccess, QueueQuery, after_action};
use crate::domain::optional_text;
use crate::error::AppError;
use crate::service::signatures::{self, Decision, SignatureEdit, StaffSignature, Subject};
use crate::service::signing::public_of;
use crate::state::AppState;

/// The longest reason or verification note, as the API allows.
const MAX_NOTE_CHARS: usize = 1000;

fn signature_path(letter: &LetterAccess, item: &StaffSignature, action: &str) -> String {
    format!(
        "/admin/letters/{}/signatures/{}/{action}",
        letter.id(),
        item.row.id
    )
}

/// The buttons and small forms under an entry, for a moderator of a letter still open to change.
pub fn entry_actions(
    page: &PageContext,
    letter: &LetterAccess,
    item: &StaffSignature,
    back: &QueueQuery,
) -> Markup {
    let id = item.row.id;
    let status = item.row.status;
    let decidable = offers_decision(item);
    html! {
        div.actions {
            @if decidable && status != SignatureStatus::Approved {
                (button_form(page, &signature_path(letter, item, "approve"), back, html! {
                    button type="submit" { (page.t("Approve", "Aprobar")) }
                }))
            }
            a.button.secondary href=(format!("{}?{}", signature_path(letter, item, "edit"), back_query(back))) {
                (page.t("Edit", "Editar"))
            }
        }
        @if decidable && status != SignatureStatus::Rejected {
            form.actions method="post" action=(signature_path(letter, item, "reject")) {
                (csrf_field(page))
                (back_field(back))
                label for=(format!("reason-{id}")) style="margin:0" { (page.t("Reason for rejecting (not published)", "Motivo del rechazo (no se publica)")) }
                input type="text" id=(format!("reason-{id}")) name="reason" maxlength="1000" style="max-width:24rem";
                button.danger type="submit" { (page.t("Reject", "Rechazar")) }
            }
        }
        details {
            summary { (page.t("More actions", "Más acciones")) }
            @if status != SignatureStatus::Withdrawn && item.row.duplicate_of.is_none() {
                form.actions method="post" action=(signature_path(letter, item, "verify")) {
                    (csrf_field(page))
                    (back_field(back))
                    label for=(format!("note-{id}")) style="margin:0" { (page.t("How you verified it (for example: called the office on 3 May)", "Cómo la verificó (por ejemplo: llamó a la oficina el 3 de mayo)")) }
                    input type="text" id=(format!("note-{id}")) name="note" required maxlength="1000" style="max-width:24rem";
                    button.secondary type="submit" { (page.t("Mark verified by phone", "Marcar verificada por teléfono")) }
                }
            }
            (lead_form(page, letter, item, back))
            @if item.contact.is_some() {
                (erase_link(page, letter, item, back))
            }
        }
    }
}

fn lead_form(
    page: &PageContext,
    letter: &LetterAccess,
    item: &StaffSignature,
    back: &QueueQuery,
) -> Markup {
    html! {
        form.actions method="post" action=(signature_path(letter, item, "lead")) {
            (csrf_field(page))
            (back_field(back))
            @if item.lead {
                input type="hidden" name="lead" value="no";
                button.secondary type="submit" { (page.t("Stop listing it first", "Dejar de listarla primero")) }
            } @else {
                input type="hidden" name="lead" value="yes";
                button.secondary type="submit" { (page.t("Make it a lead signatory (listed first)", "Hacerla firmante principal (aparece primero)")) }
            }
        }
    }
}

/// Applying or dropping the changes a signer confirmed, under the changes shown side by side.
pub fn change_decision(
    page: &PageContext,
    letter: &LetterAccess,
    item: &StaffSignature,
    back: &QueueQuery,
) -> Markup {
    let id = item.row.id;
    html! {
        div.actions {
            form method="post" action=(signature_path(letter, item, "approve")) {
                (csrf_field(page))
                (back_field(back))
                input type="hidden" name="about" value="changes";
                button type="submit" { (page.t("Apply the changes", "Aplicar los cambios")) }
            }
        }
        form.actions method="post" action=(signature_path(letter, item, "reject")) {
            (csrf_field(page))
            (back_field(back))
            input type="hidden" name="about" value="changes";
            label for=(format!("change-reason-{id}")) style="margin:0" { (page.t("Why the changes are dropped (not published)", "Por qué se descartan los cambios (no se publica)")) }
            input type="text" id=(format!("change-reason-{id}")) name="reason" maxlength="1000" style="max-width:24rem";
            button.danger type="submit" { (page.t("Keep the entry as it is", "Dejar la entrada como está")) }
        }
    }
}

/// The link to the confirmation page for erasing a signer's contact data.
pub fn erase_link(
    page: &PageContext,
    letter: &LetterAccess,
    item: &StaffSignature,
    back: &QueueQuery,
) -> Markup {
    html! {
        p { a href=(format!("{}?{}", signature_path(letter, item, "erase"), back_query(back))) {
            (page.t("Erase this signer's contact data…", "Borrar los datos de contacto de esta firma…"))
        } }
    }
}

/// `back=...` for a link to a page whose form returns to the queue.
pub fn back_query(back: &QueueQuery) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("back", &back.to_query_string())
        .finish()
}

/// A form that only says where to return.
#[derive(Debug, Default, Deserialize)]
pub struct BackForm {
    back: Option<String>,
}

/// The approve form.
#[derive(Debug, Default, Deserialize)]
pub struct ApproveForm {
    back: Option<String>,
    /// `changes` when approving the changes the signer confirmed, not the signature.
    about: Option<String>,
}

/// The reject form.
#[derive(Debug, Default, Deserialize)]
pub struct RejectForm {
    back: Option<String>,
    reason: Option<String>,
    /// `changes` when dropping the changes the signer confirmed, not rejecting the signature.
    about: Option<String>,
}

/// What a decision form is about.
fn subject(about: Option<&str>) -> Subject {
    match about {
        Some("changes") => Subject::Changes,
        _ => Subject::Signature,
    }
}

/// The verified-by-phone form.
#[derive(Debug, Default, Deserialize)]
pub struct VerifyForm {
    back: Option<String>,
    note: Option<String>,
}

/// The lead-signatory form.
#[derive(Debug, Default, Deserialize)]
pub struct LeadForm {
    back: Option<String>,
    lead: Option<String>,
}

/// `POST /admin/letters/{id}/signatures/{sid}/approve`.
#[handler]
pub async fn approve(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Form(form): Form<ApproveForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let subject = subject(form.about.as_deref());
    let outcome = signatures::decide(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        signature_id,
        Decision::Approve,
        subject,
        None,
    )
    .await;
    let (en, es) = match subject {
        Subject::Changes => (
            "is listed with the signer's changes.",
            "aparece con los cambios de quien firmó.",
        ),
        Subject::Signature => (
            "is approved: it is on the public list.",
            "está aprobada: aparece en la lista pública.",
        ),
    };
    let done = done_text(&page, &outcome, en, es);
    let back = QueueQuery::from_back(form.back.as_deref());
    after_action(jar, &page, &letter.queue_path(&back), outcome, &done)
}

/// "{name} {what}", in the reader's language, once the service has answered.
fn done_text(
    page: &PageContext,
    outcome: &Result<StaffSignature, AppError>,
    en: &str,
    es: &str,
) -> String {
    let name = outcome
        .as_ref()
        .map(|s| s.row.name.clone())
        .unwrap_or_default();
    format!("{name} {}", page.t(en, es))
}

/// `POST /admin/letters/{id}/signatures/{sid}/reject`.
#[handler]
pub async fn reject(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Form(form): Form<RejectForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let location = letter.queue_path(&QueueQuery::from_back(form.back.as_deref()));
    let subject = subject(form.about.as_deref());
    let outcome = match optional_text(form.reason.as_deref(), MAX_NOTE_CHARS, true) {
        Ok(reason) => {
            signatures::decide(
                &state.db,
                &state.keys,
                &page.staff,
                letter_id,
                signature_id,
                Decision::Reject,
                subject,
                reason,
            )
            .await
        }
        Err(message) => Err(AppError::invalid_field("reason", message)),
    };
    let (en, es) = match subject {
        Subject::Changes => (
            "keeps its entry as it was; the signer's changes were dropped.",
            "conserva su entrada como estaba; se descartaron los cambios de quien firmó.",
        ),
        Subject::Signature => (
            "is rejected: it stays off the public list.",
            "está rechazada: no aparece en la lista pública.",
        ),
    };
    let done = done_text(&page, &outcome, en, es);
    after_action(jar, &page, &location, outcome, &done)
}

/// `POST /admin/letters/{id}/signatures/{sid}/verify`: verified by other means, saying how.
#[handler]
pub async fn verify_by_phone(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let location = letter.queue_path(&QueueQuery::from_back(form.back.as_deref()));
    let outcome =
        match crate::domain::bounded_text(form.note.as_deref().unwrap_or_default(), MAX_NOTE_CHARS)
        {
            Ok(note) => {
                let changes = SignatureEdit {
                    verification_note: Some(note),
                    ..SignatureEdit::default()
                };
                signatures::edit(
                    &state.db,
                    &state.keys,
                    &page.staff,
                    letter_id,
                    signature_id,
                    changes,
                )
                .await
            }
            Err(message) => Err(AppError::invalid_field("verification_note", message)),
        };
    let done = done_text(
        &page,
        &outcome,
        "is marked as verified.",
        "quedó marcada como verificada.",
    );
    after_action(jar, &page, &location, outcome, &done)
}

/// `POST /admin/letters/{id}/signatures/{sid}/lead`: listed first among the lead signatories, or not.
#[handler]
pub async fn set_lead(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Form(form): Form<LeadForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let location = letter.queue_path(&QueueQuery::from_back(form.back.as_deref()));
    let lead = form.lead.as_deref() == Some("yes");
    let changes = SignatureEdit {
        lead: Some(lead),
        ..SignatureEdit::default()
    };
    let outcome = signatures::edit(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        signature_id,
        changes,
    )
    .await;
    let done = if lead {
        done_text(
            &page,
            &outcome,
            "is listed first, among the lead signatories.",
            "aparece primero, entre las firmas principales.",
        )
    } else {
        done_text(
            &page,
            &outcome,
            "is no longer listed first.",
            "ya no aparece primero.",
        )
    };
    after_action(jar, &page, &location, outcome, &done)
}

/// `POST /admin/letters/{id}/signatures/approve`: the ticked signatures, in one go. The form
/// repeats its `signature` field, which a plain form struct cannot hold, so the body is read
/// here.
#[handler]
pub async fn approve_selected(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    body: Body,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let body = body
        .into_bytes_limit(state.settings.max_body_bytes)
        .await
        .map_err(|_| AppError::invalid_field("signature", "The form is too large."))?;
    let mut back = None;
    let mut ids = Vec::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        match key.as_ref() {
            "back" => back = Some(value.into_owned()),
            "signature" => ids.extend(value.parse::<i64>().ok()),
            _ => {}
        }
    }
    let location = letter.queue_path(&QueueQuery::from_back(back.as_deref()));
    if ids.is_empty() {
        return Ok(layout::redirect_with_error(
            jar,
            &page,
            &location,
            page.t(
                "No signature was selected: tick the ones to approve first.",
                "No se seleccionó ninguna firma: marque primero las que quiere aprobar.",
            ),
        ));
    }
    let outcome = signatures::approve_many(&state.db, &page.staff, letter_id, &ids).await?;
    let approved = format!(
        "{} {}",
        outcome.approved.len(),
        page.t("signature(s) approved.", "firma(s) aprobada(s).")
    );
    if outcome.refused.is_empty() {
        return Ok(layout::redirect_with_notice(
            jar, &page, &location, approved,
        ));
    }
    let refused: Vec<String> = outcome
        .refused
        .iter()
        .map(|(id, why)| format!("{} {id}: {why}", page.t("entry no.", "entrada n.º")))
        .collect();
    let text = format!(
        "{approved} {} {}",
        page.t("Not approved:", "Sin aprobar:"),
        refused.join("; ")
    );
    Ok(layout::redirect_with_error(jar, &page, &location, text))
}

/// `GET /admin/letters/{id}/signatures/{sid}/erase?back=`: what erasing means, and the button.
#[handler]
pub async fn erase_page(
    state: Data<&AppState>,
    page: Signed,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    poem::web::Query(form): poem::web::Query<BackForm>,
) -> Result<maud::Markup, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    letter.require_moderator(&page)?;
    let item =
        signatures::get(&state.db, &state.keys, &page.staff, letter_id, signature_id).await?;
    let back = QueueQuery::from_back(form.back.as_deref());
    let title = page.t("Erase contact data", "Borrar datos de contacto");
    let content = html! {
        (letter_header(&page, &letter.view.letter, LetterTab::Signatures))
        h2 { (title) ": " (item.row.name) " " (status_badge(&page, item.row.status)) }
        (public_facts(&page, item.row.kind, &public_of(&item.row)))
        p { (page.t(
            "The contact person's name, title, email, phone and message are deleted for good, and no further email goes to them. The signature itself stays on the letter as it is. This cannot be undone.",
            "Se borran para siempre el nombre, el cargo, el correo, el teléfono y el mensaje de la persona de contacto, y no se le envía ningún correo más. La firma sigue en la carta tal como está. No se puede deshacer.",
        )) }
        div.actions {
            (button_form(&page, &format!("/admin/letters/{letter_id}/signatures/{signature_id}/erase"), &back, html! {
                button.danger type="submit" { (page.t("Erase the contact data", "Borrar los datos de contacto")) }
            }))
            a href=(letter.queue_path(&back)) { (page.t("Cancel", "Cancelar")) }
        }
    };
    Ok(layout::page(&page, title, content))
}

/// `POST /admin/letters/{id}/signatures/{sid}/erase`: allowed even after delivery, as the
/// service allows it (a signer's right to erasure outlasts the letter).
#[handler]
pub async fn erase(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Form(form): Form<BackForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let location = letter.queue_path(&QueueQuery::from_back(form.back.as_deref()));
    let outcome = signatures::erase_for_staff(
        &state.db,
        &state.mail_copies(),
        &state.keys,
        &page.staff,
        letter_id,
        signature_id,
    )
    .await;
    let done = done_text(
        &page,
        &outcome,
        "no longer has contact data.",
        "ya no tiene datos de contacto.",
    );
    after_action(jar, &page, &location, outcome, &done)
}
