//! The signed-in staff member's own settings: the daily digest and the language of their
//! emails. The same service functions as the API's `PATCH /auth/me`.

use entity::Language;
use maud::html;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form};
use poem::{Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{csrf_field, redirect_with_notice};
use super::session::Signed;
use crate::i18n;
use crate::service::digest::{self, Preferences, SEND_FROM_HOUR_UTC};
use crate::state::AppState;

const PATH: &str = "/admin/account";

/// The settings as posted: a checked box sends `daily_digest=yes`, an unchecked one nothing.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    daily_digest: Option<String>,
    language: Option<String>,
}

/// `GET /admin/account`: the caller's settings.
#[handler]
pub async fn account_page(page: Signed) -> Result<maud::Markup, PageError> {
    let saved = Preferences::of(&page.staff);
    let title = page.t("Your settings", "Su configuración");
    let hour = format!("{SEND_FROM_HOUR_UTC}:00 UTC");
    let explained = match page.lang {
        Language::En => format!(
            "Once a day, from {hour}, an email listing the new signatures waiting for moderation and the count by state of each open or closed letter you coordinate. Nothing is sent on a day when nothing changed."
        ),
        Language::Es => format!(
            "Una vez al día, a partir de las {hour}, un correo con las firmas nuevas que esperan moderación y el recuento por estado de cada carta abierta o cerrada que coordina. No se envía nada un día sin cambios."
        ),
    };
    Ok(super::layout::page(
        &page,
        title,
        html! {
            h1 { (title) }
            p.meta { (page.staff.name) " · " (page.staff.email) }
            form method="post" action=(PATH) {
                (csrf_field(&page))
                fieldset {
                    legend { (page.t("Daily digest", "Resumen diario")) }
                    label {
                        input type="checkbox" name="daily_digest" value="yes" checked[saved.daily_digest];
                        " " (page.t("Email me a daily digest", "Enviarme un resumen diario"))
                    }
                    p.meta { (explained) }
                }
                label for="language" { (page.t("Language of my emails", "Idioma de mis correos")) }
                select id="language" name="language" {
                    @for language in [Language::En, Language::Es] {
                        option value=(i18n::code(language)) selected[language == saved.language] {
                            (i18n::texts(language).language_name)
                        }
                    }
                }
                p { button type="submit" { (page.t("Save", "Guardar")) } }
            }
        },
    ))
}

/// `POST /admin/account`: saves the caller's settings.
#[handler]
pub async fn save_account(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Form(form): Form<AccountForm>,
) -> Result<Response, PageError> {
    let wanted = form.daily_digest.as_deref() == Some("yes");
    // An unknown language keeps the one the page is shown in.
    let language = form
        .language
        .as_deref()
        .and_then(i18n::parse_code)
        .unwrap_or(page.lang);
    digest::set_preferences(&state.db, &page.staff, Some(wanted), Some(language)).await?;
    let saved = page.t("Settings saved.", "Configuración guardada.");
    Ok(redirect_with_notice(jar, &page, PATH, saved))
}
