//! The pages behind an invitation's links: the letter with its form filled in for the invitee
//! (signing confirms the contact at once: the link proved the address), declining, and asking
//! for no more email about the letter. Declining and unsubscribing are one click to a page that
//! asks, then its button's POST; a GET never changes what the invitee said.

use entity::{Language, LetterStatus};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};

use super::form::{self, FormContext, FormState, SignForm};
use super::layout::page;
use super::letter::letter_article;
use super::{LangQuery, html_response, language, message_page, server_error};
use crate::client::ClientInfo;
use crate::domain::{Intake, SignatureInput};
use crate::i18n::{self, pick, texts};
use crate::service::invitations::{self, Answer, InvitedSubmission, Opened, SignOutcome};
use crate::service::letters::{accepting_signatures, text_in};
use crate::state::AppState;

fn unknown_link(lang: Language, path: &str) -> Response {
    let t = texts(lang);
    message_page(
        StatusCode::NOT_FOUND,
        lang,
        pick(lang, "Invitation", "Invitación"),
        t.link_unknown,
        path,
    )
}

/// The form as the invitee first sees it: their organization, name and email filled in.
fn prefilled(opened: &Opened) -> FormState {
    let mut input = SignatureInput {
        kind: Some("organization".into()),
        ..Default::default()
    };
    input.public.name = Some(opened.row.organization.clone());
    input.contact.contact_name = Some(opened.invitee.name.clone());
    input.contact.contact_email = Some(opened.invitee.email.as_str().to_owned());
    FormState {
        input,
        ..Default::default()
    }
}

/// The letter and the invitee's form; or why it cannot be signed now.
async fn invitation_page(
    state: &AppState,
    opened: &Opened,
    token: &str,
    lang: Language,
    status: StatusCode,
    form_state: &FormState,
) -> Response {
    let path = format!("/i/{token}");
    let view = match state.public_views.get(&state.db, &opened.letter.slug).await {
        Ok(view) => view,
        Err(err) => return server_error(err, lang, &path),
    };
    let t = texts(lang);
    let code = i18n::code(lang);
    let countries = form::country_options(lang);
    let open = accepting_signatures(&opened.letter, chrono::Utc::now());
    let content = html! {
        (letter_article(&view, lang))
        @if opened.row.signed_at.is_some() {
            div.ok role="status" { p { (pick(lang, "This invitation was used to sign the letter. Thank you.", "Esta invitación ya se usó para firmar la carta. Gracias.")) } }
        } @else if open {
            h2 id="sign" { (t.sign_heading) }
            p { (pick(lang, "Your invitation proves your email: signing here needs no confirmation email.", "Su invitación confirma su correo: firmar aquí no requiere un correo de confirmación.")) }
            (form::render(&FormContext {
                action: &format!("/i/{token}?lang={code}"),
                accept_individuals: false,
                language: lang,
                countries: &countries,
                intake: Intake::Public,
                fixed_email: true,
            }, form_state))
            p {
                a href=(format!("/i/{token}/decline?lang={code}")) { (pick(lang, "We will not sign", "No firmaremos")) }
                " · "
                a href=(format!("/unsubscribe/{}?lang={code}", invitations::unsubscribe_token(&state.keys, 'i', opened.row.id))) {
                    (pick(lang, "No more email about this letter", "No más correos sobre esta carta"))
                }
            }
        } @else if opened.letter.status == LetterStatus::Delivered {
            p.notice { (t.letter_delivered) }
        } @else {
            p.notice { (t.letter_closed) }
        }
    };
    let title = text_in(&opened.letter, lang).title;
    html_response(status, page(lang, &title, &path, content))
}

/// `GET /i/{token}`: the letter and the form, filled in for the invitee.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/i/{token}");
    let fallback = language(req, &query, Language::En);
    match invitations::open(&state.db, &state.keys, &token).await {
        Ok(Some(opened)) => {
            let lang = language(req, &query, opened.row.language);
            let form_state = prefilled(&opened);
            invitation_page(&state, &opened, &token, lang, StatusCode::OK, &form_state).await
        }
        Ok(None) => unknown_link(fallback, &path),
        Err(err) => server_error(err, fallback, &path),
    }
}

/// `POST /i/{token}`: signs, with the contact confirmed at once.
#[handler]
pub async fn sign(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
    Form(submitted): Form<SignForm>,
) -> Response {
    let path = format!("/i/{token}");
    let fallback = language(req, &query, Language::En);
    let opened = match invitations::inspect(&state.db, &state.keys, &token).await {
        Ok(Some(opened)) => opened,
        Ok(None) => return unknown_link(fallback, &path),
        Err(err) => return server_error(err, fallback, &path),
    };
    let lang = language(req, &query, opened.row.language);
    let (network_hash, agent_hash) = ClientInfo::of(req).hashes(&state.keys);
    let submission = InvitedSubmission {
        input: submitted.input.clone(),
        language: lang,
        network_hash,
        agent_hash,
        honeypot: submitted.honeypot_filled(),
    };
    let outcome =
        invitations::sign(&state.db, &state.keys, &state.writer, &token, submission).await;
    answer(&state, &opened, &token, lang, submitted.input, outcome).await
}

/// The page after a submission through an invitation.
async fn answer(
    state: &AppState,
    opened: &Opened,
    token: &str,
    lang: Language,
    input: SignatureInput,
    outcome: crate::error::AppResult<Option<Result<SignOutcome, crate::domain::FieldErrors>>>,
) -> Response {
    let path = format!("/i/{token}");
    let title = pick(lang, "Signed", "Firmada");
    match outcome {
        Ok(Some(Ok(SignOutcome::Signed { public }))) => {
            let message = if public {
                pick(
                    lang,
                    "Thank you: your organization now appears among the signatories.",
                    "Gracias: su organización ya aparece entre las firmantes.",
                )
            } else {
                pick(
                    lang,
                    "Thank you: your signature is recorded; it appears among the signatories once the coordinators approve it.",
                    "Gracias: su firma quedó registrada; aparecerá entre las firmantes cuando quienes coordinan la aprueben.",
                )
            };
            done_page(lang, title, message, opened, &path)
        }
        Ok(Some(Ok(SignOutcome::AlreadySigned))) => done_page(
            lang,
            title,
            pick(
                lang,
                "This invitation was already used to sign the letter: nothing was signed twice.",
                "Esta invitación ya se usó para firmar la carta: no se firmó dos veces.",
            ),
            opened,
            &path,
        ),
        Ok(Some(Ok(SignOutcome::Closed))) => {
            let t = texts(lang);
            message_page(
                StatusCode::CONFLICT,
                lang,
                t.sign_heading,
                t.letter_closed,
                &path,
            )
        }
        Ok(Some(Err(errors))) => {
            let mut form_state = FormState {
                input,
                ..Default::default()
            };
            form_state.input.contact.contact_email = Some(opened.invitee.email.as_str().to_owned());
            for (field, message) in errors.into_map() {
                form_state
                    .errors
                    .add(&field, i18n::field_error(&message, lang));
            }
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            invitation_page(state, opened, token, lang, status, &form_state).await
        }
        Ok(None) => unknown_link(lang, &path),
        Err(err) => server_error(err, lang, &path),
    }
}

fn done_page(lang: Language, title: &str, message: &str, opened: &Opened, path: &str) -> Response {
    let slug = &opened.letter.slug;
    let code = i18n::code(lang);
    let content = html! {
        h1 { (title) }
        div.ok role="status" { p { (message) } }
        p { a href=(format!("/l/{slug}/signatories?lang={code}")) { (texts(lang).see_signatories) } }
    };
    html_response(StatusCode::OK, page(lang, title, path, content))
}

/// A page that asks before acting: the question and one button.
fn confirm_page(lang: Language, title: &str, question: &str, button: &str, path: &str) -> Markup {
    let code = i18n::code(lang);
    page(
        lang,
        title,
        path,
        html! {
            h1 { (title) }
            p { (question) }
            form method="post" action=(format!("{path}?lang={code}")) {
                button type="submit" { (button) }
            }
        },
    )
}

/// `GET /i/{token}/decline`: asks whether to decline.
#[handler]
pub async fn decline_page(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/i/{token}/decline");
    let fallback = language(req, &query, Language::En);
    match invitations::inspect(&state.db, &state.keys, &token).await {
        Ok(Some(opened)) => {
            let lang = language(req, &query, opened.row.language);
            let title = pick(lang, "Decline the invitation", "Declinar la invitación");
            let letter_title = text_in(&opened.letter, lang).title;
            let question = match lang {
                Language::En => format!(
                    "Tell the coordinators that {} will not sign \"{letter_title}\"?",
                    opened.row.organization
                ),
                Language::Es => format!(
                    "¿Avisar a quienes coordinan que {} no firmará «{letter_title}»?",
                    opened.row.organization
                ),
            };
            let button = pick(lang, "Decline", "Declinar");
            html_response(
                StatusCode::OK,
                confirm_page(lang, title, &question, button, &path),
            )
        }
        Ok(None) => unknown_link(fallback, &path),
        Err(err) => server_error(err, fallback, &path),
    }
}

/// `POST /i/{token}/decline`: records the answer.
#[handler]
pub async fn decline(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/i/{token}/decline");
    let lang = language(req, &query, Language::En);
    let title = pick(lang, "Decline the invitation", "Declinar la invitación");
    match invitations::decline(&state.db, &token).await {
        Ok(Some(Answer::Done)) => message_page(
            StatusCode::OK,
            lang,
            title,
            pick(
                lang,
                "Thank you for telling us. The coordinators will not remind you about this letter.",
                "Gracias por avisar. No recibirá recordatorios sobre esta carta.",
            ),
            &path,
        ),
        Ok(Some(Answer::Already)) => message_page(
            StatusCode::OK,
            lang,
            title,
            pick(
                lang,
                "This invitation was already answered; nothing changed.",
                "Esta invitación ya tenía respuesta; nada cambió.",
            ),
            &path,
        ),
        Ok(None) => unknown_link(lang, &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// `GET /unsubscribe/{token}`: asks whether to stop email about the letter.
#[handler]
pub async fn unsubscribe_page(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/unsubscribe/{token}");
    let lang = language(req, &query, Language::En);
    match invitations::unsubscribe_target(&state.db, &state.keys, &token).await {
        Ok(Some(_)) => {
            let title = pick(
                lang,
                "No more email about this letter",
                "No más correos sobre esta carta",
            );
            let question = pick(
                lang,
                "Stop every invitation and reminder about this letter to your address?",
                "¿Dejar de enviar a su dirección invitaciones y recordatorios sobre esta carta?",
            );
            let button = pick(lang, "Unsubscribe", "Darse de baja");
            html_response(
                StatusCode::OK,
                confirm_page(lang, title, question, button, &path),
            )
        }
        Ok(None) => unknown_link(lang, &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// `POST /unsubscribe/{token}`: the button, and mail clients' one-click unsubscribe (RFC 8058).
#[handler]
pub async fn unsubscribe(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/unsubscribe/{token}");
    let lang = language(req, &query, Language::En);
    let title = pick(
        lang,
        "No more email about this letter",
        "No más correos sobre esta carta",
    );
    match invitations::unsubscribe(&state.db, &state.keys, &token).await {
        Ok(Some(_)) => message_page(
            StatusCode::OK,
            lang,
            title,
            pick(
                lang,
                "Done: you will get no more invitations or reminders about this letter.",
                "Listo: no recibirá más invitaciones ni recordatorios sobre esta carta.",
            ),
            &path,
        ),
        Ok(None) => unknown_link(lang, &path),
        Err(err) => server_error(err, lang, &path),
    }
}
