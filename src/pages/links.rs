//! The pages behind the emailed links. A GET only shows what the link would do (mail scanners
//! follow links); the button's POST does it.

use entity::{Language, Moderation, TokenPurpose};
use maud::html;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};

use super::layout::page;
use super::{LangQuery, html_response, language, message_page, server_error};
use crate::i18n::{self, fill, texts};
use crate::service::verification::{self, LinkProblem, LinkTarget};
use crate::state::AppState;

fn problem_page(problem: LinkProblem, lang: Language, title: &str, path: &str) -> Response {
    let t = texts(lang);
    let (status, message) = match problem {
        LinkProblem::Unknown => (StatusCode::NOT_FOUND, t.link_unknown),
        LinkProblem::Used => (StatusCode::GONE, t.link_used),
        LinkProblem::Expired => (StatusCode::GONE, t.link_expired),
        LinkProblem::Delivered => (StatusCode::GONE, t.letter_already_delivered),
        LinkProblem::Withdrawn => (StatusCode::GONE, t.signature_withdrawn_already),
    };
    message_page(status, lang, title, message, path)
}

fn confirm_form(lang: Language, title: &str, question: &str, button: &str, path: &str) -> Response {
    let content = html! {
        h1 { (title) }
        p { (question) }
        form method="post" action=(format!("{path}?lang={}", i18n::code(lang))) {
            button type="submit" { (button) }
        }
    };
    html_response(StatusCode::OK, page(lang, title, path, content))
}

fn done_page(
    lang: Language,
    title: &str,
    message: &str,
    target: &LinkTarget,
    path: &str,
) -> Response {
    let t = texts(lang);
    let content = html! {
        h1 { (title) }
        div.ok role="status" { p { (message) } }
        p { a href=(format!("/l/{}?lang={}", target.letter_slug, i18n::code(lang))) { (t.back_to_letter) ": " (target.letter_title) } }
    };
    html_response(StatusCode::OK, page(lang, title, path, content))
}

/// `GET /verify/{token}`: a Confirm button; nothing changes yet.
#[handler]
pub async fn verify_page(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = language(req, &query, Language::En);
    let t = texts(lang);
    let path = format!("/verify/{token}");
    match verification::inspect(&state.db, &token, TokenPurpose::Verify, lang).await {
        Ok(Ok(target)) => {
            let question = fill(
                t.verify_question,
                &[("name", &target.signatory), ("title", &target.letter_title)],
            );
            confirm_form(lang, t.verify_title, &question, t.verify_button, &path)
        }
        Ok(Err(problem)) => problem_page(problem, lang, t.verify_title, &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// `POST /verify/{token}`: confirms the contact person.
#[handler]
pub async fn verify(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = language(req, &query, Language::En);
    let t = texts(lang);
    let path = format!("/verify/{token}");
    match verification::confirm(&state.db, &token, lang).await {
        Ok(Ok(target)) => {
            let template = if target.approved || target.moderation == Moderation::Auto {
                t.verified_public
            } else {
                t.verified_moderated
            };
            let message = fill(template, &[("name", &target.signatory)]);
            done_page(lang, t.verify_title, &message, &target, &path)
        }
        Ok(Err(problem)) => problem_page(problem, lang, t.verify_title, &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// `GET /withdraw/{token}`: a Withdraw button; nothing changes yet.
#[handler]
pub async fn withdraw_page(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = language(req, &query, Language::En);
    let t = texts(lang);
    let path = format!("/withdraw/{token}");
    match verification::inspect(&state.db, &token, TokenPurpose::Withdraw, lang).await {
        Ok(Ok(target)) => {
            let question = fill(
                t.withdraw_question,
                &[("name", &target.signatory), ("title", &target.letter_title)],
            );
            confirm_form(lang, t.withdraw_title, &question, t.withdraw_button, &path)
        }
        Ok(Err(problem)) => problem_page(problem, lang, t.withdraw_title, &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// `POST /withdraw/{token}`: withdraws the signature.
#[handler]
pub async fn withdraw(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = language(req, &query, Language::En);
    let t = texts(lang);
    let path = format!("/withdraw/{token}");
    match verification::withdraw(&state.db, &token, lang).await {
        Ok(Ok(target)) => {
            let message = fill(t.withdrawn, &[("name", &target.signatory)]);
            done_page(lang, t.withdraw_title, &message, &target, &path)
        }
        Ok(Err(problem)) => problem_page(problem, lang, t.withdraw_title, &path),
        Err(err) => server_error(err, lang, &path),
    }
}
