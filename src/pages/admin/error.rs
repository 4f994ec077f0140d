//! How a dashboard page fails: the reader sees a page in their language that says what happened
//! and where to go next, with the status a program would expect.

use std::sync::Arc;

use entity::Language;
use maud::html;
use poem::http::StatusCode;
use poem::web::Redirect;
use poem::{Endpoint, IntoResponse, Request, Response};

use super::{layout, session};
use crate::api::middleware::BodyTooLarge;
use crate::error::AppError;
use crate::state::AppState;

/// Why a dashboard page could not be shown or a form not applied.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// A use case refused or failed.
    #[error(transparent)]
    App(#[from] AppError),
    /// Nobody is signed in (or the session ended): sign in, then come back to `next`.
    #[error("sign in first")]
    SignIn {
        /// Where to return after signing in.
        next: String,
    },
    /// A form post without a valid anti-forgery token, or from another site.
    #[error("forged or expired form")]
    Forgery,
    /// A body over the server's limit (a file too large to upload), refused before any page
    /// could read it.
    #[error("request body too large")]
    TooLarge {
        /// The most the server accepts, in bytes.
        limit_bytes: usize,
    },
}

impl poem::error::ResponseError for PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::App(err) => app_status(err),
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Forgery => StatusCode::FORBIDDEN,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

fn app_status(err: &AppError) -> StatusCode {
    match err {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Gone(_) => StatusCode::GONE,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl PageError {
    /// The page that explains the failure.
    pub fn render(&self, lang: Language) -> Response {
        let t = |en: &'static str, es: &'static str| match lang {
            Language::En => en,
            Language::Es => es,
        };
        let (title, message): (&str, String) = match self {
            Self::SignIn { next } => {
                let target = format!(
                    "/admin/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return Redirect::see_other(target).into_response();
            }
            Self::Forgery => (
                t("This form has expired", "Este formulario caducó"),
                t(
                    "Nothing was changed. The form was open too long, you signed out meanwhile, or it was sent from another site. Go back, reload the page and try again.",
                    "No se cambió nada. El formulario estuvo abierto demasiado tiempo, cerró la sesión mientras tanto, o se envió desde otro sitio. Vuelva atrás, recargue la página e intente de nuevo.",
                )
                .to_owned(),
            ),
            Self::TooLarge { limit_bytes } => (
                t("This file is too large", "Este archivo es demasiado grande"),
                match lang {
                    Language::En => format!(
                        "The server accepts files of at most {}. Nothing was changed. Split the file into smaller ones and import them one after another.",
                        size_in_words(*limit_bytes)
                    ),
                    Language::Es => format!(
                        "El servidor acepta archivos de {} como máximo. No se cambió nada. Divida el archivo en otros más pequeños e impórtelos uno tras otro.",
                        size_in_words(*limit_bytes)
                    ),
                },
            ),
            Self::App(AppError::Internal(cause)) => {
                tracing::error!(error = format!("{cause:#}"), "dashboard page failed");
                (
                    t("Something went wrong", "Algo salió mal"),
                    t(
                        "Something went wrong on our side. Nothing was changed. Please try again in a moment.",
                        "Algo salió mal de nuestro lado. No se cambió nada. Intente de nuevo en un momento.",
                    )
                    .to_owned(),
                )
            }
            Self::App(AppError::NotFound(message)) => (t("Not found", "No encontrado"), message.clone()),
            Self::App(AppError::Forbidden(message)) => {
                (t("Not allowed", "No permitido"), message.clone())
            }
            Self::App(err) => (t("This cannot be done", "Esto no se puede hacer"), err.to_string()),
        };
        let content = html! {
            h1 { (title) }
            p.errors role="alert" { (message) }
            p { a href="/admin" { (t("Back to your letters", "Volver a sus cartas")) } }
        };
        let status = poem::error::ResponseError::status(self);
        (status, layout::bare(lang, title, content)).into_response()
    }
}

/// "1 MB", "512 KB": a size as people read it on their computer.
pub fn size_in_words(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Shows a body refused for its size (by the server's limit, in front of every route) as a
/// dashboard page in the reader's language, instead of the API's JSON error.
pub async fn oversized_as_page<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let path = req.uri().path();
    if path != "/admin" && !path.starts_with("/admin/") {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let lang = session::language_before_session(&req);
    let edge_limit = req
        .data::<AppState>()
        .map_or(1024 * 1024, |state| state.settings.max_body_bytes);
    match next.call(req).await {
        Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            // The page may have raised the limit (an authenticated upload): tell the one in force.
            let limit_bytes = err
                .downcast_ref::<BodyTooLarge>()
                .map_or(edge_limit, |too_large| too_large.max_bytes);
            Ok(PageError::TooLarge { limit_bytes }.render(lang))
        }
        other => other.map(IntoResponse::into_response),
    }
}
