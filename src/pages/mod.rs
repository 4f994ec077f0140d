//! Public HTML pages: the letter and its sign-on form, the signatory list, and the pages behind
//! the emailed links. Server-rendered, usable without JavaScript, in English and Spanish.

pub mod admin;
mod badge;
mod embed;
mod form;
mod invitation;
mod layout;
mod letter;
mod links;
pub mod markdown;

use entity::Language;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::middleware::SetHeader;
use poem::{EndpointExt, IntoResponse, Request, Response, Route, get};
use serde::Deserialize;

use crate::i18n::{self, texts};

/// The public page routes, with headers that keep them from being framed, sniffed or leaking
/// the tokens in their addresses through the Referer header. The embeddable form alone may be
/// framed, by the origins its letter lists, and sets its own headers (see [`embed`]).
pub fn routes() -> impl poem::Endpoint {
    let security = SetHeader::new()
        .overriding("X-Content-Type-Options", "nosniff")
        .overriding("Referrer-Policy", "no-referrer")
        .overriding("X-Frame-Options", "DENY")
        .overriding(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        );
    let unframed = Route::new()
        .at("/", get(letter::home))
        .at("/l/:slug", get(letter::letter_page))
        .at("/l/:slug/sign", poem::post(letter::sign))
        .at("/l/:slug/signatories", get(letter::signatories_page))
        .at("/l/:slug/badge.svg", get(badge::badge))
        .at("/l/:slug/letter.pdf", get(letter::delivered_pdf))
        .at(
            "/verify/:token",
            get(links::verify_page).post(links::verify),
        )
        .at(
            "/withdraw/:token",
            get(links::withdraw_page).post(links::withdraw),
        )
        .at("/i/:token", get(invitation::show).post(invitation::sign))
        .at(
            "/i/:token/decline",
            get(invitation::decline_page).post(invitation::decline),
        )
        .at(
            "/unsubscribe/:token",
            get(invitation::unsubscribe_page).post(invitation::unsubscribe),
        )
        .with(security);
    Route::new()
        .at(
            "/l/:slug/embed",
            get(embed::embed_page).post(embed::embed_sign),
        )
        .nest("/", unframed)
}

/// `?lang=` on any page.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    /// `en` or `es`.
    pub lang: Option<String>,
}

/// The reader's language for this request.
pub fn language(req: &Request, query: &LangQuery, fallback: Language) -> Language {
    let accept = req
        .headers()
        .get(poem::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::negotiate(query.lang.as_deref(), accept, fallback)
}

/// An HTML response with a status.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

/// A short page with one message, for not-found, gone and error answers.
pub fn message_page(
    status: StatusCode,
    language: Language,
    title: &str,
    message: &str,
    path: &str,
) -> Response {
    let content = html! {
        h1 { (title) }
        p { (message) }
    };
    html_response(status, layout::page(language, title, path, content))
}

/// The page for an unknown letter.
pub fn not_found(language: Language, path: &str) -> Response {
    let t = texts(language);
    message_page(
        StatusCode::NOT_FOUND,
        language,
        t.not_found_title,
        t.not_found_body,
        path,
    )
}

/// The page for a failure on our side; internal causes are logged, never shown.
pub fn server_error(err: crate::error::AppError, language: Language, path: &str) -> Response {
    tracing::error!(error = format!("{err:#}"), "page failed");
    let (title, message) = match language {
        Language::En => (
            "Something went wrong",
            "Something went wrong on our side. Please try again in a moment.",
        ),
        Language::Es => (
            "Algo salió mal",
            "Algo salió mal de nuestro lado. Intente de nuevo en un momento.",
        ),
    };
    message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        language,
        title,
        message,
        path,
    )
}
