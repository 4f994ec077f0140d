//! A letter's invitations: invite organizations (typed, pasted, or a CSV file), see who signed
//! and who has not answered, and set the letter's two reminders. The same service functions as
//! the API's.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{
    LetterTab, csrf_field, letter_header, redirect_with_error, redirect_with_notice, upload_action,
};
use super::session::Signed;
use crate::api::middleware::BodyLimit;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::i18n;
use crate::service::access;
use crate::service::invitations::{self, InvitationView, NewInvitee, StateFilter};
use crate::service::reminders::{self, ReminderSettings};
use crate::state::AppState;

/// Invitations listed on one page.
const PAGE_SIZE: u64 = 200;

/// The filters offered, `None` being all.
const FILTERS: [Option<&str>; 7] = [
    None,
    Some("unanswered"),
    Some("sent"),
    Some("opened"),
    Some("signed"),
    Some("declined"),
    Some("bounced"),
];

/// `?state=` and `?offset=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    offset: Option<u64>,
}

/// The typed or pasted invitees.
#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    lines: Option<String>,
}

/// The reminder settings as typed; empty is off.
#[derive(Debug, Default, Deserialize)]
pub struct RemindersForm {
    invitation_reminder_days_before_deadline: Option<String>,
    confirmation_reminder_days: Option<String>,
}

fn path(letter_id: i64) -> String {
    LetterTab::Invitations.path(letter_id)
}

fn state_label(page: &Signed, state: Option<&str>) -> &'static str {
    match state {
        None => page.t("All", "Todas"),
        Some("unanswered") => page.t("Not answered", "Sin respuesta"),
        Some("sent") => page.t("Sent", "Enviada"),
        Some("opened") => page.t("Opened", "Abierta"),
        Some("signed") => page.t("Signed", "Firmó"),
        Some("declined") => page.t("Declined", "Declinó"),
        _ => page.t("Bounced", "Rebotó"),
    }
}

/// What the add form shows again after a failed attempt.
#[derive(Default)]
struct Entered {
    lines: String,
    errors: FieldErrors,
}

/// `GET /admin/letters/{id}/invitations`: the list, the add form and the reminder settings.
#[handler]
pub async fn invitations_page(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    render(&state, &page, letter_id, &query, &Entered::default()).await
}

async fn render(
    state: &AppState,
    page: &Signed,
    letter_id: i64,
    query: &ListQuery,
    entered: &Entered,
) -> Result<Response, PageError> {
    let (letter, role) =
        access::letter_and_role(&state.db, &page.staff, letter_id, entity::Role::Viewer).await?;
    let filter = query.state.as_deref().and_then(StateFilter::parse);
    let offset = query.offset.unwrap_or(0);
    let (items, total) = invitations::list(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        filter,
        (PAGE_SIZE, offset),
    )
    .await?;
    let editor = access::may_moderate(role);
    let awaiting = if editor {
        reminders::awaiting_count(&state.db, &letter).await?
    } else {
        0
    };
    let current = filter.and(query.state.as_deref());
    let content = html! {
        (letter_header(page, &letter, LetterTab::Invitations))
        h2 { (page.t("Invitations", "Invitaciones")) }
        nav aria-label=(page.t("Filter", "Filtrar")) {
            ul.counts {
                @for option in FILTERS {
                    li {
                        @let href = match option { Some(s) => format!("{}?state={s}", path(letter_id)), None => path(letter_id) };
                        a href=(href) aria-current=[(option == current).then_some("page")] { (state_label(page, option)) }
                    }
                }
            }
        }
        p.meta { (total) " " (page.t("invitations", "invitaciones")) }
        (table(page, &items))
        @if offset + PAGE_SIZE < total {
            @let next = format!("{}?offset={}{}", path(letter_id), offset + PAGE_SIZE, current.map(|s| format!("&state={s}")).unwrap_or_default());
            p { a href=(next) { (page.t("Next page", "Página siguiente")) } }
        }
        @if editor {
            (super::remind::section(page, &letter, awaiting))
            (add_forms(page, letter_id, entered))
            (reminders_form(page, &letter))
        }
    };
    let status = if entered.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = format!(
        "{} · {}",
        page.t("Invitations", "Invitaciones"),
        letter.title
    );
    Ok((status, super::layout::page(page, &title, content)).into_response())
}

fn table(page: &Signed, items: &[InvitationView]) -> Markup {
    html! {
        @if items.is_empty() {
            p { (page.t("No invitations here yet.", "Aún no hay invitaciones aquí.")) }
        } @else {
            table.list {
                thead { tr {
                    th scope="col" { (page.t("Organization", "Organización")) }
                    th scope="col" { (page.t("Contact", "Contacto")) }
                    th scope="col" { (page.t("Language", "Idioma")) }
                    th scope="col" { (page.t("State", "Estado")) }
                    th scope="col" { (page.t("Sent", "Enviada")) }
                    th scope="col" { (page.t("Reminded", "Recordada")) }
                } }
                tbody {
                    @for item in items {
                        tr {
                            td data-label=(page.t("Organization", "Organización")) { (item.row.organization) }
                            td data-label=(page.t("Contact", "Contacto")) {
                                @if let Some(invitee) = &item.invitee { (invitee.name) " <" (invitee.email.as_str()) ">" } @else { "—" }
                            }
                            td data-label=(page.t("Language", "Idioma")) { (i18n::code(item.row.language)) }
                            td data-label=(page.t("State", "Estado")) {
                                span class="badge" { (state_label(page, Some(item.state.as_str()))) }
                                @if item.row.unsubscribed_at.is_some() { " " span.badge { (page.t("No more email", "Sin más correos")) } }
                            }
                            td data-label=(page.t("Sent", "Enviada")) { (item.row.sent_at.format("%Y-%m-%d")) }
                            td data-label=(page.t("Reminded", "Recordada")) {
                                @if let Some(at) = item.row.reminded_at { (at.format("%Y-%m-%d")) } @else { "—" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_forms(page: &Signed, letter_id: i64, entered: &Entered) -> Markup {
    let errors: Vec<(&String, &String)> = entered.errors.as_map().iter().collect();
    html! {
        h2 id="invite" { (page.t("Invite organizations", "Invitar organizaciones")) }
        @if !errors.is_empty() {
            div.errors role="alert" {
                p { strong { (page.t("Nobody was invited. Correct these lines:", "No se invitó a nadie. Corrija estas líneas:")) } }
                ul { @for (field, message) in &errors { li { (field) ": " (i18n::field_error(message, page.lang)) } } }
            }
        }
        form method="post" action=(path(letter_id)) {
            (csrf_field(page))
            div.field {
                label for="lines" { (page.t("One organization per line", "Una organización por línea")) }
                span.hint { (page.t(
                    "Organization, contact name, email and language (en or es; the letter's when left out), separated by commas. Paste from a spreadsheet or type them. Each gets one personal email; an address already invited is skipped.",
                    "Organización, nombre de contacto, correo e idioma (en o es; el de la carta si se omite), separados por comas. Pegue desde una hoja de cálculo o escríbalos. Cada una recibe un correo personal; una dirección ya invitada se omite.",
                )) }
                textarea id="lines" name="lines" rows="6" { (entered.lines) }
            }
            button type="submit" { (page.t("Send the invitations", "Enviar las invitaciones")) }
        }
        form method="post" enctype="multipart/form-data" action=(upload_action(page, &format!("{}/upload", path(letter_id)))) {
            div.field {
                label for="file" { (page.t("Or a CSV file", "O un archivo CSV")) }
                span.hint { (page.t(
                    "With a header row naming the columns: organization, contact_name, contact_email, language.",
                    "Con una primera fila que nombre las columnas: organization, contact_name, contact_email, language.",
                )) }
                input type="file" id="file" name="file" accept=".csv,text/csv" required;
            }
            button.secondary type="submit" { (page.t("Invite from the file", "Invitar desde el archivo")) }
        }
    }
}

fn reminders_form(page: &Signed, letter: &entity::letter::Model) -> Markup {
    let days = |value: Option<i32>| value.map(|d| d.to_string()).unwrap_or_default();
    html! {
        h2 id="reminders" { (page.t("Reminders", "Recordatorios")) }
        p { (page.t(
            "Each goes once at most to each person; leave a box empty to send none. Every email lets its reader stop further email about this letter.",
            "Cada uno se envía como máximo una vez a cada persona; deje la casilla vacía para no enviarlo. Cada correo permite dejar de recibir más correos sobre esta carta.",
        )) }
        form method="post" action=(format!("{}/reminders", path(letter.id))) {
            (csrf_field(page))
            div.field {
                label for="invitation_reminder_days_before_deadline" { (page.t("Remind invitees who have not answered, this many days before the deadline", "Recordar a quienes no respondieron, estos días antes del cierre")) }
                input type="number" min="1" max="365" id="invitation_reminder_days_before_deadline" name="invitation_reminder_days_before_deadline" value=(days(letter.invitation_reminder_days_before_deadline));
            }
            div.field {
                label for="confirmation_reminder_days" { (page.t("Remind signers who have not confirmed their email, this many days after signing", "Recordar a quienes firmaron y no confirmaron su correo, estos días después de firmar")) }
                input type="number" min="1" max="365" id="confirmation_reminder_days" name="confirmation_reminder_days" value=(days(letter.confirmation_reminder_days));
            }
            button.secondary type="submit" { (page.t("Save the reminders", "Guardar los recordatorios")) }
        }
    }
}

/// Invites the parsed invitees, or shows the form again with what is wrong.
async fn invite_parsed(
    state: &AppState,
    page: &Signed,
    jar: &CookieJar,
    letter_id: i64,
    parsed: Result<Vec<NewInvitee>, FieldErrors>,
    lines: String,
) -> Result<Response, PageError> {
    let invitees = match parsed {
        Ok(invitees) => invitees,
        Err(errors) => {
            let entered = Entered { lines, errors };
            return render(state, page, letter_id, &ListQuery::default(), &entered).await;
        }
    };
    let ctx = state.signing_context();
    match invitations::invite(&state.db, &ctx, &page.staff, letter_id, invitees).await {
        Ok(report) => {
            let mut text = format!(
                "{}: {}.",
                page.t("Invitations sent", "Invitaciones enviadas"),
                report.invited.len()
            );
            if !report.already_invited.is_empty() {
                text.push_str(&format!(
                    " {}: {}.",
                    page.t("Already invited, skipped", "Ya invitadas, omitidas"),
                    report.already_invited.join(", ")
                ));
            }
            Ok(redirect_with_notice(jar, page, &path(letter_id), text))
        }
        Err(err @ AppError::Conflict { .. }) => Ok(redirect_with_error(
            jar,
            page,
            &path(letter_id),
            i18n::field_error(&err.to_string(), page.lang),
        )),
        Err(err) => Err(err.into()),
    }
}

/// `POST /admin/letters/{id}/invitations`: invites the typed or pasted lines.
#[handler]
pub async fn add(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    Form(form): Form<AddForm>,
) -> Result<Response, PageError> {
    let lines = form.lines.unwrap_or_default();
    let parsed = invitations::parse_table(&lines);
    invite_parsed(&state, &page, jar, letter_id, parsed, lines).await
}

/// `POST /admin/letters/{id}/invitations/upload`: invites the rows of a CSV file.
#[handler]
pub async fn upload(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    body_limit: Data<&BodyLimit>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    // Only an editor of the letter gets more than the edge's small limit.
    access::letter_for(&state.db, &page.staff, letter_id, entity::Role::Editor).await?;
    body_limit.raise_to(state.settings.max_import_bytes);
    let mut content = Vec::new();
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            content = field.bytes().await.unwrap_or_default();
            break;
        }
    }
    let parsed = match String::from_utf8(content) {
        Ok(text) => invitations::parse_table(&text),
        Err(_) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "file",
                "The file is not UTF-8 text; save it as CSV (UTF-8).",
            );
            Err(errors)
        }
    };
    invite_parsed(&state, &page, jar, letter_id, parsed, String::new()).await
}

/// `POST /admin/letters/{id}/invitations/reminders`: saves the reminder settings.
#[handler]
pub async fn set_reminders(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    Form(form): Form<RemindersForm>,
) -> Result<Response, PageError> {
    let number = |value: Option<String>| -> Result<Option<i64>, ()> {
        match value.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(typed) => typed.parse().map(Some).map_err(|_| ()),
        }
    };
    let back = format!("{}#reminders", path(letter_id));
    let refused = page.t(
        "Use a whole number of days from 1 to 365, or leave the box empty.",
        "Use un número entero de días de 1 a 365, o deje la casilla vacía.",
    );
    let (Ok(invitation), Ok(confirmation)) = (
        number(form.invitation_reminder_days_before_deadline),
        number(form.confirmation_reminder_days),
    ) else {
        return Ok(redirect_with_error(jar, &page, &back, refused));
    };
    let settings = match ReminderSettings::parse(invitation, confirmation) {
        Ok(settings) => settings,
        Err(_) => return Ok(redirect_with_error(jar, &page, &back, refused)),
    };
    reminders::configure(&state.db, &page.staff, letter_id, settings).await?;
    let saved = page.t("Reminders saved.", "Recordatorios guardados.");
    Ok(redirect_with_notice(jar, &page, &back, saved))
}
