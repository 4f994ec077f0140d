//! How a dashboard page fails: the reader sees a page in their language that says what happened
//! and where to go next, with the status a program would expect.

use entity::Language;
use maud::html;
use poem::http::StatusCode;
use poem::web::Redirect;
use poem::{IntoResponse, Response};

use super::layout;
use crate::error::AppError;

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
}

impl poem::error::ResponseError for PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::App(err) => app_status(err),
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Forgery => StatusCode::FORBIDDEN,
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
