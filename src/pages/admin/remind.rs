//! The invitees' reminder sent by hand: a button on the Invitations tab saying how many it goes
//! to, a page that asks first, and the post that queues them through the same service function
//! as the automatic reminder (nobody gets a second).

use maud::{Markup, html};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{LetterTab, csrf_field, page, redirect_with_error, redirect_with_notice};
use super::session::Signed;
use crate::error::AppError;
use crate::i18n;
use crate::service::{access, letters, reminders};
use crate::state::AppState;

fn remind_path(letter_id: i64) -> String {
    format!("{}/remind", LetterTab::Invitations.path(letter_id))
}

/// "Remind the N invitees who have not answered", in the reader's language.
fn button_label(ctx: &Signed, count: u64) -> String {
    match (ctx.lang, count) {
        (entity::Language::Es, 1) => {
            "Recordar a la organización invitada que no respondió…".to_owned()
        }
        (entity::Language::Es, n) => {
            format!("Recordar a las {n} organizaciones invitadas que no respondieron…")
        }
        (_, 1) => "Remind the 1 invitee who has not answered…".to_owned(),
        (_, n) => format!("Remind the {n} invitees who have not answered…"),
    }
}

/// The Invitations tab's section for editors: the button, or why there is none.
pub(super) fn section(ctx: &Signed, letter: &entity::letter::Model, count: u64) -> Markup {
    let open = letters::accepting_signatures(letter, chrono::Utc::now());
    html! {
        section aria-labelledby="remind-heading" {
            h2 #remind-heading { (ctx.t("Remind who has not answered", "Recordar a quienes no respondieron")) }
            @if !open {
                p { (ctx.t("Reminders go out while the letter takes signatures.", "Los recordatorios se envían mientras la carta recibe firmas.")) }
            } @else if count == 0 {
                p { (ctx.t(
                    "Nobody is left to remind: everyone has answered, has had their one reminder, or asked for no more email.",
                    "No queda nadie a quien recordar: todas respondieron, ya recibieron su único recordatorio o pidieron no recibir más correos.",
                )) }
            } @else {
                p { a.button.secondary href=(remind_path(letter.id)) { (button_label(ctx, count)) } }
            }
        }
    }
}

/// `GET /admin/letters/{id}/invitations/remind`: how many the reminder goes to, and the button
/// that sends it.
#[handler]
pub async fn confirm_page(
    state: Data<&AppState>,
    ctx: Signed,
    Path(letter_id): Path<i64>,
) -> Result<Markup, PageError> {
    let letter = access::letter_for(&state.db, &ctx.staff, letter_id, entity::Role::Editor).await?;
    let count = reminders::awaiting_count(&state.db, &letter).await?;
    let back = LetterTab::Invitations.path(letter_id);
    let title = match (ctx.lang, count) {
        (entity::Language::Es, 1) => {
            "¿Enviar un recordatorio a 1 organización invitada?".to_owned()
        }
        (entity::Language::Es, n) => {
            format!("¿Enviar un recordatorio a {n} organizaciones invitadas?")
        }
        (_, 1) => "Send a reminder to 1 invitee?".to_owned(),
        (_, n) => format!("Send a reminder to {n} invitees?"),
    };
    let open = letters::accepting_signatures(&letter, chrono::Utc::now());
    Ok(page(
        &ctx,
        &title,
        html! {
            p.meta { a href=(back) { "← " (ctx.t("Invitations", "Invitaciones")) " · " (letter.title) } }
            h1 { (title) }
            ul {
                li { (ctx.t(
                    "Each invitee who has neither signed nor declined gets one email in their language, with their personal link.",
                    "Cada organización invitada que no firmó ni declinó recibe un correo en su idioma, con su enlace personal.",
                )) }
                li { (ctx.t(
                    "Nobody gets a second reminder: whoever had one already, by hand or automatically, asked for no more email, or whose invitation bounced, is left out.",
                    "Nadie recibe un segundo recordatorio: se omite a quien ya tuvo uno, a mano o automático, a quien pidió no recibir más correos y a quien su invitación rebotó.",
                )) }
            }
            @if !open {
                p.errors role="alert" { (ctx.t("Reminders go out while the letter takes signatures.", "Los recordatorios se envían mientras la carta recibe firmas.")) }
            } @else if count == 0 {
                p { (ctx.t("Nobody is left to remind.", "No queda nadie a quien recordar.")) }
            } @else {
                form method="post" action=(remind_path(letter_id)) {
                    (csrf_field(&ctx))
                    input type="hidden" name="confirmed" value="yes";
                    div.actions {
                        button type="submit" { (ctx.t("Yes, send the reminders", "Sí, enviar los recordatorios")) }
                        a href=(back) { (ctx.t("Cancel", "Cancelar")) }
                    }
                }
            }
        },
    ))
}

/// The confirmation as posted.
#[derive(Debug, Default, Deserialize)]
pub struct RemindForm {
    confirmed: Option<String>,
}

/// `POST /admin/letters/{id}/invitations/remind`: queues the reminders, once confirmed.
#[handler]
pub async fn remind(
    state: Data<&AppState>,
    ctx: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    Form(form): Form<RemindForm>,
) -> Result<Response, PageError> {
    if form.confirmed.as_deref() != Some("yes") {
        access::letter_for(&state.db, &ctx.staff, letter_id, entity::Role::Editor).await?;
        return Ok(poem::web::Redirect::see_other(remind_path(letter_id)).into_response());
    }
    let back = LetterTab::Invitations.path(letter_id);
    match reminders::remind_now(&state.db, &state.signing_context(), &ctx.staff, letter_id).await {
        Ok(queued) => {
            let text = format!(
                "{}: {queued}.",
                ctx.t("Reminders sent", "Recordatorios enviados")
            );
            Ok(redirect_with_notice(jar, &ctx, &back, text))
        }
        Err(AppError::Conflict { message, .. }) => Ok(redirect_with_error(
            jar,
            &ctx,
            &back,
            i18n::field_error(&message, ctx.lang),
        )),
        Err(err) => Err(err.into()),
    }
}
