//! One letter at a glance: its status and what may happen next, its deadline and public address,
//! its signatures by state, and the organizations that coordinate it.

use chrono::{DateTime, Utc};
use entity::{Language, LetterStatus, Role};
use maud::{Markup, html};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{
    LetterTab, csrf_field, letter_header, page, redirect_with_error, redirect_with_notice,
    status_badge,
};
use super::letter_form::{choice, wire};
use super::session::{PageContext, Signed};
use crate::domain::check_transition;
use crate::error::AppError;
use crate::i18n::{self, long_date};
use crate::service::access;
use crate::service::delivery::{self, DeliveryPlan};
use crate::service::letters::{self, LetterView};
use crate::state::AppState;

/// "23 November 2026, 17:00 UTC".
pub fn deadline_text(deadline: DateTime<Utc>, lang: Language) -> String {
    format!(
        "{}, {} UTC",
        long_date(deadline.date_naive(), lang),
        deadline.format("%H:%M")
    )
}

/// The public address of a letter.
pub fn public_url(state: &AppState, slug: &str) -> String {
    state
        .base_url
        .join(&format!("l/{slug}"))
        .map(|url| url.to_string())
        .unwrap_or_else(|_| format!("/l/{slug}"))
}

/// `GET /admin/letters/{id}`.
#[handler]
pub async fn overview(
    state: Data<&AppState>,
    page_ctx: Signed,
    Path(id): Path<i64>,
) -> Result<Markup, PageError> {
    let view = letters::get(&state.db, &page_ctx.staff, id).await?;
    let ctx = &page_ctx;
    let letter = &view.letter;
    let can_edit = view
        .role_of(&ctx.staff)
        .is_some_and(access::may_write_letters);
    let can_manage_coordinators = view.role_of(&ctx.staff) >= Some(Role::Owner);
    let address = public_url(&state, &letter.slug);
    Ok(page(
        ctx,
        &letter.title,
        html! {
            (letter_header(ctx, letter, LetterTab::Overview))
            dl.facts {
                dt { (ctx.t("Status", "Estado")) }
                dd { (status_badge(ctx, letter.status)) " " (status_explanation(ctx, &view)) }
                dt { (ctx.t("Deadline", "Fecha límite")) }
                dd {
                    @match letter.deadline {
                        Some(deadline) => (deadline_text(deadline, ctx.lang)),
                        None => (ctx.t("None: the form stays open until you close it", "Ninguna: el formulario sigue abierto hasta que lo cierre")),
                    }
                }
                dt { (ctx.t("Public address", "Dirección pública")) }
                dd {
                    a href=(format!("/l/{}", letter.slug)) { (address) }
                    @if letter.status == LetterStatus::Draft {
                        br; span.meta { (ctx.t("Visible once the letter is opened.", "Visible cuando se abra la carta.")) }
                    }
                }
            }
            (counts_section(ctx, &view))
            (status_section(ctx, &view, can_edit))
            (coordinators_section(ctx, &view, can_manage_coordinators))
        },
    ))
}

fn status_explanation(ctx: &Signed, view: &LetterView) -> &'static str {
    match view.letter.status {
        LetterStatus::Draft => ctx.t(
            "Only coordinators see it; nobody can sign yet.",
            "Solo la ven las personas coordinadoras; nadie puede firmar aún.",
        ),
        LetterStatus::Open if view.accepting_signatures(Utc::now()) => ctx.t(
            "The public form takes signatures.",
            "El formulario público recibe firmas.",
        ),
        LetterStatus::Open => ctx.t(
            "The deadline has passed: the form no longer takes signatures.",
            "La fecha límite pasó: el formulario ya no recibe firmas.",
        ),
        LetterStatus::Closed => ctx.t(
            "The letter and its list are public; the form takes no more signatures.",
            "La carta y su lista son públicas; el formulario ya no recibe firmas.",
        ),
        LetterStatus::Delivered => ctx.t(
            "Delivered: the letter, its PDF and its list are frozen.",
            "Entregada: la carta, su PDF y su lista quedaron fijas.",
        ),
    }
}

fn counts_section(ctx: &Signed, view: &LetterView) -> Markup {
    let counts = &view.counts;
    let states = [
        (
            "pending_verification",
            ctx.t("To confirm", "Por confirmar"),
            counts.pending_verification,
        ),
        (
            "verified",
            ctx.t("To moderate", "Por moderar"),
            counts.verified,
        ),
        ("approved", ctx.t("Approved", "Aprobadas"), counts.approved),
        ("rejected", ctx.t("Rejected", "Rechazadas"), counts.rejected),
        (
            "withdrawn",
            ctx.t("Withdrawn", "Retiradas"),
            counts.withdrawn,
        ),
    ];
    html! {
        section.card aria-labelledby="counts-heading" {
            h2 #counts-heading { (ctx.t("Signatures", "Firmas")) }
            ul.counts {
                @for (status, label, n) in states {
                    li { a href=(format!("/admin/letters/{}/signatures?status={status}", view.letter.id)) { (label) ": " strong { (n) } } }
                }
            }
            p.meta { (ctx.t("Total", "Total")) ": " (counts.total()) }
        }
    }
}

/// The status changes allowed from the current status, by the same rule the service applies.
fn next_statuses(current: LetterStatus) -> Vec<LetterStatus> {
    [
        LetterStatus::Open,
        LetterStatus::Closed,
        LetterStatus::Delivered,
    ]
    .into_iter()
    .filter(|to| check_transition(current, *to).is_ok())
    .collect()
}

fn action_label(ctx: &PageContext, from: LetterStatus, to: LetterStatus) -> &'static str {
    match (from, to) {
        (LetterStatus::Closed, LetterStatus::Open) => {
            ctx.t("Reopen for signatures", "Reabrir a firmas")
        }
        (_, LetterStatus::Open) => ctx.t("Open for signatures", "Abrir a firmas"),
        (_, LetterStatus::Closed) => ctx.t("Close the letter…", "Cerrar la carta…"),
        (_, LetterStatus::Delivered) => ctx.t("Mark as delivered…", "Marcar como entregada…"),
        (_, LetterStatus::Draft) => ctx.t("Back to draft", "Volver a borrador"),
    }
}

/// Closing and delivering ask first, on a page that says what follows.
fn needs_confirmation(to: LetterStatus) -> bool {
    matches!(to, LetterStatus::Closed | LetterStatus::Delivered)
}

fn status_section(ctx: &Signed, view: &LetterView, can_edit: bool) -> Markup {
    let letter = &view.letter;
    let next = next_statuses(letter.status);
    html! {
        section.card aria-labelledby="status-heading" {
            h2 #status-heading { (ctx.t("What happens next", "Qué sigue")) }
            @if next.is_empty() {
                p { (ctx.t("A delivered letter is final.", "Una carta entregada es definitiva.")) }
            } @else if !can_edit {
                p { (ctx.t("Editors and owners can change the status.", "Quien edita o es propietario puede cambiar el estado.")) }
            } @else {
                div.actions {
                    @for to in next {
                        @if needs_confirmation(to) {
                            a.button.secondary href=(format!("/admin/letters/{}/status?to={}", letter.id, status_code(to))) {
                                (action_label(ctx, letter.status, to))
                            }
                        } @else {
                            form method="post" action=(format!("/admin/letters/{}/status", letter.id)) {
                                (csrf_field(ctx))
                                input type="hidden" name="to" value=(status_code(to));
                                button type="submit" { (action_label(ctx, letter.status, to)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The coordinating organizations; owners add and remove co-leads, since each one's members
/// all gain access to the letter's contacts.
fn coordinators_section(ctx: &Signed, view: &LetterView, can_manage: bool) -> Markup {
    let can_change = can_manage && view.letter.status != LetterStatus::Delivered;
    let headings = [
        ctx.t("Organization", "Organización"),
        ctx.t("Role", "Papel"),
    ];
    html! {
        section.card aria-labelledby="coordinators-heading" {
            h2 #coordinators-heading { (ctx.t("Coordinating organizations", "Organizaciones coordinadoras")) }
            p.meta { (ctx.t(
                "Members of every coordinating organization can work on this letter, contacts included.",
                "Quienes integran cada organización coordinadora pueden trabajar en esta carta, contactos incluidos.",
            )) }
            table.list {
                thead { tr { @for heading in headings { th scope="col" { (heading) } } } }
                tbody {
                    @for coordinator in &view.coordinators {
                        tr {
                            td data-label=(headings[0]) { (coordinator.name) }
                            td data-label=(headings[1]) {
                                @if coordinator.is_lead { (ctx.t("Leads", "Encabeza")) } @else { (ctx.t("Co-leads", "Coencabeza")) }
                                @if can_change && !coordinator.is_lead {
                                    form method="post" action=(format!("/admin/letters/{}/coordinators/{}/remove", view.letter.id, coordinator.organization_id)) {
                                        (csrf_field(ctx))
                                        button.secondary type="submit" aria-label=(format!("{} {}", ctx.t("Remove", "Quitar"), coordinator.name)) {
                                            (ctx.t("Remove", "Quitar"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if can_change {
                form method="post" action=(format!("/admin/letters/{}/coordinators", view.letter.id)) {
                    (csrf_field(ctx))
                    div.field {
                        label for="organization" { (ctx.t("Add a co-leading organization", "Agregar una organización que coencabeza")) }
                        span.hint id="organization-hint" { (ctx.t(
                            "Its name exactly as its account has it; its staff must have an account here already.",
                            "Su nombre exactamente como figura en su cuenta; su personal ya debe tener cuenta aquí.",
                        )) }
                        input type="text" id="organization" name="organization" required aria-describedby="organization-hint";
                    }
                    button.secondary type="submit" { (ctx.t("Add", "Agregar")) }
                }
            }
        }
    }
}

fn status_code(status: LetterStatus) -> String {
    wire(status)
}

fn parse_status(code: &str) -> Option<LetterStatus> {
    choice(code)
}

/// `?to=` on the confirmation page.
#[derive(Debug, Default, Deserialize)]
pub struct StatusQuery {
    to: Option<String>,
}

/// `GET /admin/letters/{id}/status?to=closed|delivered`: what closing or delivering does, and
/// the button that does it.
#[handler]
pub async fn confirm_status(
    state: Data<&AppState>,
    page_ctx: Signed,
    Path(id): Path<i64>,
    Query(query): Query<StatusQuery>,
) -> Result<Markup, PageError> {
    let view = letters::get(&state.db, &page_ctx.staff, id).await?;
    let ctx = &page_ctx;
    // The page only asks to confirm: whoever may not change the status gets the post's refusal.
    if let Some(refusal) = super::letter_form::refused_to_readers(ctx, &view) {
        return Err(AppError::Forbidden(refusal.to_owned()).into());
    }
    let letter = &view.letter;
    let to = query
        .to
        .as_deref()
        .and_then(parse_status)
        .filter(|to| needs_confirmation(*to))
        .ok_or_else(|| {
            AppError::not_found(ctx.t(
                "There is no such status change.",
                "No existe ese cambio de estado.",
            ))
        })?;
    let (title, consequences): (&str, Vec<String>) = match to {
        LetterStatus::Delivered => (
            ctx.t("Mark this letter as delivered?", "¿Marcar esta carta como entregada?"),
            vec![
                ctx.t("The letter, its PDF and its public CSV are frozen as they are now, forever: every later download is the same file.", "La carta, su PDF y su CSV público quedan fijos tal como están ahora, para siempre: cada descarga posterior es el mismo archivo.").to_owned(),
                delivery_emails_line(ctx, delivery::plan(&state.db, letter).await?),
                ctx.t("No signature can change afterwards: no approvals, edits, withdrawals or imports.", "Ninguna firma puede cambiar después: ni aprobaciones, ni cambios, ni retiros, ni importaciones.").to_owned(),
                ctx.t("This cannot be undone.", "Esto no se puede deshacer.").to_owned(),
            ],
        ),
        _ => (
            ctx.t("Close this letter?", "¿Cerrar esta carta?"),
            vec![
                ctx.t("The public form stops taking signatures; the letter and its list stay public.", "El formulario público deja de recibir firmas; la carta y su lista siguen públicas.").to_owned(),
                ctx.t("You can still moderate the signatures already received, and reopen the letter later.", "Aún puede moderar las firmas recibidas y reabrir la carta más tarde.").to_owned(),
            ],
        ),
    };
    let allowed = check_transition(letter.status, to);
    Ok(page(
        ctx,
        title,
        html! {
            p.meta { a href=(format!("/admin/letters/{id}")) { "← " (letter.title) } }
            h1 { (title) }
            p { strong { (letter.title) } " " (status_badge(ctx, letter.status)) }
            ul { @for line in &consequences { li { (line) } } }
            @match allowed {
                Ok(()) => {
                    form method="post" action=(format!("/admin/letters/{id}/status")) {
                        (csrf_field(ctx))
                        input type="hidden" name="to" value=(status_code(to));
                        input type="hidden" name="confirmed" value="yes";
                        div.actions {
                            @if to == LetterStatus::Delivered {
                                button.danger type="submit" { (ctx.t("Yes, mark as delivered", "Sí, marcar como entregada")) }
                            } @else {
                                button type="submit" { (ctx.t("Yes, close it", "Sí, cerrarla")) }
                            }
                            a href=(format!("/admin/letters/{id}")) { (ctx.t("Cancel", "Cancelar")) }
                        }
                    }
                }
                Err(reason) => { p.errors role="alert" { (i18n::field_error(&reason, ctx.lang)) } }
            }
        },
    ))
}

/// What delivering will email, said before it is done.
fn delivery_emails_line(ctx: &Signed, plan: DeliveryPlan) -> String {
    let (addresses, notices) = (plan.addresses.to_string(), plan.notices.to_string());
    let fill = |text: &str| {
        text.replace("{addresses}", &addresses)
            .replace("{notices}", &notices)
    };
    match plan.addresses {
        0 => fill(ctx.t(
            "No addressee email is sent (the letter lists no addresses); {notices} approved signatories are told by email that it went out, with a link to the PDF.",
            "No se envía correo a los destinatarios (la carta no tiene direcciones); se avisa por correo a {notices} firmantes aprobados que se entregó, con un enlace al PDF.",
        )),
        _ => fill(ctx.t(
            "This emails the PDF to {addresses} addressee addresses, and tells {notices} approved signatories by email that it went out, with a link to the PDF.",
            "Esto envía el PDF por correo a {addresses} direcciones de destinatarios, y avisa por correo a {notices} firmantes aprobados que se entregó, con un enlace al PDF.",
        )),
    }
}

/// The status change as posted.
#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    to: Option<String>,
    confirmed: Option<String>,
}

/// `POST /admin/letters/{id}/status`.
#[handler]
pub async fn set_status(
    state: Data<&AppState>,
    page_ctx: Signed,
    jar: &CookieJar,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    let ctx = &page_ctx;
    let overview_path = format!("/admin/letters/{id}");
    let Some(to) = form.to.as_deref().and_then(parse_status) else {
        return Ok(redirect_with_error(
            jar,
            ctx,
            &overview_path,
            ctx.t("Choose a status.", "Elija un estado."),
        ));
    };
    if needs_confirmation(to) && form.confirmed.as_deref() != Some("yes") {
        return Ok(poem::web::Redirect::see_other(format!(
            "/admin/letters/{id}/status?to={}",
            status_code(to)
        ))
        .into_response());
    }
    match letters::set_status(&state.db, &state.signing_context(), &ctx.staff, id, to).await {
        Ok(_) => Ok(redirect_with_notice(
            jar,
            ctx,
            &overview_path,
            changed_notice(ctx, to),
        )),
        Err(AppError::Conflict { message, .. }) => Ok(redirect_with_error(
            jar,
            ctx,
            &overview_path,
            i18n::field_error(&message, ctx.lang),
        )),
        Err(err) => Err(err.into()),
    }
}

fn changed_notice(ctx: &Signed, to: LetterStatus) -> &'static str {
    match to {
        LetterStatus::Open => ctx.t(
            "The letter is open: its form takes signatures.",
            "La carta está abierta: su formulario recibe firmas.",
        ),
        LetterStatus::Closed => ctx.t(
            "The letter is closed: its form takes no more signatures.",
            "La carta está cerrada: su formulario ya no recibe firmas.",
        ),
        LetterStatus::Delivered => ctx.t(
            "The letter is delivered; its PDF and lists are frozen, and its emails are on their way.",
            "La carta está entregada; su PDF y sus listas quedaron fijos, y sus correos van en camino.",
        ),
        LetterStatus::Draft => ctx.t(
            "The letter is a draft again.",
            "La carta vuelve a ser borrador.",
        ),
    }
}

/// The co-leading organization to add.
#[derive(Debug, Default, Deserialize)]
pub struct CoordinatorForm {
    organization: Option<String>,
}

/// `POST /admin/letters/{id}/coordinators`.
#[handler]
pub async fn add_coordinator(
    state: Data<&AppState>,
    page_ctx: Signed,
    jar: &CookieJar,
    Path(id): Path<i64>,
    Form(form): Form<CoordinatorForm>,
) -> Result<Response, PageError> {
    let ctx = &page_ctx;
    let overview_path = format!("/admin/letters/{id}");
    let name = form.organization.unwrap_or_default();
    match letters::add_coordinator(&state.db, &ctx.staff, id, name.trim()).await {
        Ok(_) => Ok(redirect_with_notice(
            jar,
            ctx,
            &overview_path,
            format!(
                "{}: {}",
                ctx.t("Now co-leading", "Ahora coencabeza"),
                name.trim()
            ),
        )),
        Err(err @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => Ok(
            redirect_with_error(jar, ctx, &overview_path, refusal_text(ctx, &err)),
        ),
        Err(err) => Err(err.into()),
    }
}

/// `POST /admin/letters/{id}/coordinators/{organization}/remove`.
#[handler]
pub async fn remove_coordinator(
    state: Data<&AppState>,
    page_ctx: Signed,
    jar: &CookieJar,
    Path((id, organization_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let ctx = &page_ctx;
    let overview_path = format!("/admin/letters/{id}");
    match letters::remove_coordinator(&state.db, &ctx.staff, id, organization_id).await {
        Ok(_) => Ok(redirect_with_notice(
            jar,
            ctx,
            &overview_path,
            ctx.t(
                "The organization no longer co-leads this letter.",
                "La organización ya no coencabeza esta carta.",
            ),
        )),
        Err(err @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => Ok(
            redirect_with_error(jar, ctx, &overview_path, refusal_text(ctx, &err)),
        ),
        Err(err) => Err(err.into()),
    }
}

/// A refusal in the reader's language: the field's message when there is one.
fn refusal_text(ctx: &Signed, err: &AppError) -> String {
    let message = match err {
        AppError::Invalid { fields, message } => fields
            .as_map()
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| message.clone()),
        other => other.to_string(),
    };
    i18n::field_error(&message, ctx.lang)
}
