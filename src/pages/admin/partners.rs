//! A letter's partners: the link each partner organization hands out (`/l/{slug}?ref=CODE`),
//! the signatures each link brought, and the code partner sites paste to show the form in a
//! frame. The same service functions as the API's.

use entity::{LetterStatus, Role};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{LetterTab, csrf_field, letter_header, redirect_with_notice};
use super::session::Signed;
use crate::domain::{EmbedOrigins, FieldErrors};
use crate::error::AppError;
use crate::i18n;
use crate::service::access;
use crate::service::partners::{self, NewPartner, PartnerView};
use crate::state::AppState;

/// Partners listed on the page; a letter has far fewer.
const PAGE_SIZE: u64 = 1000;

/// A new partner as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PartnerForm {
    code: String,
    name: String,
}

/// `GET /admin/letters/{id}/partners`: the partners with their counts, their links and the
/// embed code; the form to add one for editors and owners.
#[handler]
pub async fn partners_page(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
) -> Result<Response, PageError> {
    let entered = (PartnerForm::default(), FieldErrors::default());
    render(&state, &page, letter_id, &entered, StatusCode::OK).await
}

/// `POST /admin/letters/{id}/partners`: creates a partner, or shows the form again with what
/// is wrong.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    Form(form): Form<PartnerForm>,
) -> Result<Response, PageError> {
    // What is typed may carry stray spaces; the code itself never does.
    let parsed = NewPartner::parse(form.code.trim(), &form.name);
    let outcome = match parsed {
        Ok(new) => partners::create(&state.db, &page.staff, letter_id, new).await,
        Err(errors) => Err(AppError::invalid(errors)),
    };
    let (status, errors) = match outcome {
        Ok(created) => {
            let text = format!(
                "{}: {}",
                page.t("Partner link created", "Enlace de aliada creado"),
                created.link_path()
            );
            let back = LetterTab::Partners.path(letter_id);
            return Ok(redirect_with_notice(jar, &page, &back, text));
        }
        Err(AppError::Invalid { fields, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, fields),
        Err(AppError::Conflict {
            message,
            field: Some(field),
        }) => {
            let mut errors = FieldErrors::default();
            errors.add(&field, message);
            (StatusCode::CONFLICT, errors)
        }
        Err(err) => return Err(err.into()),
    };
    render(&state, &page, letter_id, &(form, errors), status).await
}

async fn render(
    state: &AppState,
    page: &Signed,
    letter_id: i64,
    entered: &(PartnerForm, FieldErrors),
    status: StatusCode,
) -> Result<Response, PageError> {
    let (letter, role) =
        access::letter_and_role(&state.db, &page.staff, letter_id, Role::Viewer).await?;
    let (items, _) = partners::list(&state.db, &page.staff, letter_id, (PAGE_SIZE, 0)).await?;
    let writer = access::may_write_letters(role) && letter.status != LetterStatus::Delivered;
    let base = state.base_url.as_str().trim_end_matches('/');
    let content = html! {
        (letter_header(page, &letter, LetterTab::Partners))
        h2 { (page.t("Partners", "Aliadas")) }
        p { (page.t(
            "Give each organization that spreads the letter a link of its own: signatures made through it are counted for that partner, here, in the API and in the staff CSV (column partner). Signers see nothing of it, and a wrong code never stops anyone from signing.",
            "Dé a cada organización que difunde la carta un enlace propio: las firmas hechas a través de él se cuentan para esa aliada, aquí, en la API y en el CSV del equipo (columna partner). Quien firma no ve nada de esto, y un código equivocado nunca impide firmar.",
        )) }
        (table(page, base, &items))
        @if writer { (add_form(page, letter_id, entered)) }
        (embed_help(page, base, &letter, items.first()))
    };
    let title = format!("{} · {}", page.t("Partners", "Aliadas"), letter.title);
    Ok((status, super::layout::page(page, &title, content)).into_response())
}

fn table(page: &Signed, base: &str, items: &[PartnerView]) -> Markup {
    html! {
        @if items.is_empty() {
            p { (page.t("No partner links yet.", "Aún no hay enlaces de aliadas.")) }
        } @else {
            table.list {
                thead { tr {
                    th scope="col" { (page.t("Partner", "Aliada")) }
                    th scope="col" { (page.t("Link to copy", "Enlace para copiar")) }
                    th scope="col" { (page.t("Approved", "Aprobadas")) }
                    th scope="col" { (page.t("Waiting", "En espera")) }
                    th scope="col" { (page.t("All signatures", "Todas las firmas")) }
                } }
                tbody {
                    @for item in items {
                        @let counts = &item.counts;
                        @let field = format!("partner-link-{}", item.partner.id);
                        tr {
                            td data-label=(page.t("Partner", "Aliada")) { (item.partner.name) br; span.meta { (item.partner.code) } }
                            td data-label=(page.t("Link to copy", "Enlace para copiar")) {
                                label.hint for=(field) { (page.t("Link of", "Enlace de")) " " (item.partner.name) }
                                input type="text" id=(field) readonly value=(format!("{base}{}", item.link_path()));
                            }
                            td data-label=(page.t("Approved", "Aprobadas")) { (counts.approved) }
                            td data-label=(page.t("Waiting", "En espera")) { (counts.pending_verification + counts.verified) }
                            td data-label=(page.t("All signatures", "Todas las firmas")) { (counts.total()) }
                        }
                    }
                }
            }
            p.meta { (page.t(
                "Waiting: not yet confirmed by email, or confirmed and not yet moderated. All signatures also counts rejected and withdrawn ones.",
                "En espera: aún sin confirmar por correo, o confirmadas y aún sin moderar. Todas las firmas también cuenta las rechazadas y retiradas.",
            )) }
        }
    }
}

fn add_form(page: &Signed, letter_id: i64, (form, errors): &(PartnerForm, FieldErrors)) -> Markup {
    let error = |name: &str| {
        errors
            .as_map()
            .get(name)
            .map(|message| i18n::field_error(message, page.lang))
    };
    let field = |name: &str, label: &str, hint: &str, value: &str| {
        let message = error(name);
        let error_id = format!("{name}-error");
        let hint_id = format!("{name}-hint");
        let described = match &message {
            Some(_) => format!("{hint_id} {error_id}"),
            None => hint_id.clone(),
        };
        html! {
            div.field.invalid[message.is_some()] {
                label for=(name) { (label) }
                span.hint id=(hint_id) { (hint) }
                @if let Some(message) = &message { span.error id=(error_id) { (message) } }
                input type="text" id=(name) name=(name) value=(value) required maxlength="300"
                    aria-invalid=[message.is_some().then_some("true")] aria-describedby=(described);
            }
        }
    };
    html! {
        h2 id="add" { (page.t("Add a partner", "Agregar una aliada")) }
        @if !errors.is_empty() {
            div.errors role="alert" {
                p { strong { (page.t("Nothing was saved. Correct the marked fields.", "No se guardó nada. Corrija los campos marcados.")) } }
            }
        }
        form method="post" action=(LetterTab::Partners.path(letter_id)) novalidate {
            (csrf_field(page))
            (field("name", page.t("Organization", "Organización"), page.t("The partner's name, as you want to see it here.", "El nombre de la aliada, como quiera verlo aquí."), &form.name))
            (field("code", page.t("Code", "Código"), page.t("The end of its link, ?ref=…: 2 to 40 letters, digits and hyphens, such as sin-fronteras. It cannot change later.", "El final de su enlace, ?ref=…: de 2 a 40 letras, cifras y guiones, como sin-fronteras. No puede cambiar después."), &form.code))
            button type="submit" { (page.t("Create the link", "Crear el enlace")) }
        }
    }
}

/// The HTML a partner site pastes to show the form, and which sites may.
fn embed_help(
    page: &Signed,
    base: &str,
    letter: &entity::letter::Model,
    example: Option<&PartnerView>,
) -> Markup {
    let origins = EmbedOrigins::from_json(&letter.embed_origins);
    let mut src = format!("{base}/l/{}/embed", letter.slug);
    if let Some(partner) = example {
        src.push_str("?ref=");
        src.push_str(&partner.partner.code);
    }
    let snippet = html! {
        iframe src=(src) title=(letter.title) width="100%" height="1400" style="border:0;max-width:44rem" loading="lazy" {}
    }
    .into_string();
    html! {
        section.card aria-labelledby="embed-heading" {
            h2 #embed-heading { (page.t("The form on a partner's site", "El formulario en el sitio de una aliada")) }
            p { (page.t(
                "A partner can show the sign-on form on its own pages with this HTML (replace the code after ref= with its own). Signatures made there are counted for it too.",
                "Una aliada puede mostrar el formulario en sus propias páginas con este HTML (cambie el código después de ref= por el suyo). Las firmas hechas allí también se cuentan para ella.",
            )) }
            div.field {
                label for="embed-code" { (page.t("HTML to paste", "HTML para pegar")) }
                textarea id="embed-code" readonly rows="3" { (snippet) }
            }
            @if origins.origins().is_empty() {
                p.notice { (page.t(
                    "No site may show the form yet: list the partners' sites under Text and settings, Form on partner sites.",
                    "Ningún sitio puede mostrar el formulario todavía: escriba los sitios de las aliadas en Texto y ajustes, Formulario en sitios aliados.",
                )) }
            } @else {
                p { (page.t("Sites that may show it:", "Sitios que pueden mostrarlo:")) }
                ul { @for origin in origins.origins() { li { (origin) } } }
            }
        }
    }
}
