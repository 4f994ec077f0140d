//! Adding a signature by hand (a phone endorsement, a name on a paper list) and correcting one:
//! the public form's fields, parsed by the same rules, with the contact optional.

use entity::SignatureKind;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{self, LetterTab, csrf_field, letter_header};
use super::session::{PageContext, Signed};
use super::signatures::{LetterAccess, QueueQuery, refusal};
use crate::domain::{ContactFields, FieldErrors, Intake, SignatureInput};
use crate::error::AppError;
use crate::i18n;
use crate::pages::form::{
    FormContext, FormState, SignForm, country_options, error_summary, signature_fields,
};
use crate::service::signatures::{self, SignatureEdit, StaffSignature};
use crate::service::signing::public_of;
use crate::state::AppState;

/// `?back=`: the queue to return to.
#[derive(Debug, Default, Deserialize)]
pub struct BackQuery {
    back: Option<String>,
}

impl BackQuery {
    fn queue(&self) -> QueueQuery {
        QueueQuery::from_back(self.back.as_deref())
    }
}

/// Which form: a new signature, or changes to one.
enum Target<'a> {
    Add,
    Edit(&'a StaffSignature),
}

/// `GET /admin/letters/{id}/signatures/new`.
#[handler]
pub async fn add_page(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
    Query(back): Query<BackQuery>,
) -> Result<Markup, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    letter.require_act(&page)?;
    Ok(form_page(
        &page,
        &letter,
        Target::Add,
        &FormState::default(),
        &back,
    ))
}

/// `POST /admin/letters/{id}/signatures/new`: added and approved at once, as staff vouch for it.
#[handler]
pub async fn add(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    Query(back): Query<BackQuery>,
    Form(form): Form<SignForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let input = form.input;
    let outcome = match input.parse(Intake::Vouched) {
        Ok(draft) => signatures::add(&state.db, &state.keys, &page.staff, letter_id, draft).await,
        Err(errors) => Err(AppError::invalid(errors)),
    };
    match outcome {
        Ok(added) => {
            let text = format!(
                "{} {}",
                added.row.name,
                page.t(
                    "was added and approved: it is on the public list.",
                    "se agregó y aprobó: aparece en la lista pública.",
                )
            );
            Ok(layout::redirect_with_notice(
                jar,
                &page,
                &letter.queue_path(&back.queue()),
                text,
            ))
        }
        Err(err) => form_again(&page, jar, &letter, Target::Add, input, err, &back),
    }
}

/// `GET /admin/letters/{id}/signatures/{sid}/edit`.
#[handler]
pub async fn edit_page(
    state: Data<&AppState>,
    page: Signed,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Query(back): Query<BackQuery>,
) -> Result<Markup, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    letter.require_act(&page)?;
    let item =
        signatures::get(&state.db, &state.keys, &page.staff, letter_id, signature_id).await?;
    let filled = FormState {
        input: input_of(&item),
        ..FormState::default()
    };
    Ok(form_page(
        &page,
        &letter,
        Target::Edit(&item),
        &filled,
        &back,
    ))
}

/// `POST /admin/letters/{id}/signatures/{sid}/edit`: every field as typed replaces the stored one.
#[handler]
pub async fn edit(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Query(back): Query<BackQuery>,
    Form(form): Form<SignForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let item =
        signatures::get(&state.db, &state.keys, &page.staff, letter_id, signature_id).await?;
    let input = form.input;
    let outcome = match input.parse(Intake::Vouched) {
        Ok(draft) => {
            let changes = SignatureEdit::replacing(draft);
            signatures::edit(
                &state.db,
                &state.keys,
                &page.staff,
                letter_id,
                signature_id,
                changes,
            )
            .await
        }
        Err(errors) => Err(AppError::invalid(errors)),
    };
    match outcome {
        Ok(saved) => {
            let text = format!("{} {}", page.t("Saved:", "Guardado:"), saved.row.name);
            Ok(layout::redirect_with_notice(
                jar,
                &page,
                &letter.queue_path(&back.queue()),
                text,
            ))
        }
        Err(err) => form_again(&page, jar, &letter, Target::Edit(&item), input, err, &back),
    }
}

/// The form again with what was typed and each refused field marked (422, or 409 for a contact
/// email another signature has); a refusal about the letter itself goes back to the queue.
fn form_again(
    page: &PageContext,
    jar: &CookieJar,
    letter: &LetterAccess,
    target: Target<'_>,
    input: SignatureInput,
    err: AppError,
    back: &BackQuery,
) -> Result<Response, PageError> {
    let (status, fields) = match err {
        AppError::Invalid { fields, .. } => (StatusCode::UNPROCESSABLE_ENTITY, fields),
        AppError::Conflict {
            message,
            field: Some(field),
        } => {
            let mut fields = FieldErrors::default();
            fields.add(&field, message);
            (StatusCode::CONFLICT, fields)
        }
        conflict @ AppError::Conflict { .. } => {
            let location = letter.queue_path(&back.queue());
            return Ok(layout::redirect_with_error(
                jar,
                page,
                &location,
                refusal(page, &conflict),
            ));
        }
        other => return Err(other.into()),
    };
    let mut state = FormState {
        input,
        ..FormState::default()
    };
    for (field, message) in fields.into_map() {
        state
            .errors
            .add(&field, i18n::field_error(&message, page.lang));
    }
    let markup = form_page(page, letter, target, &state, back);
    Ok((status, markup).into_response())
}

fn form_page(
    page: &PageContext,
    letter: &LetterAccess,
    target: Target<'_>,
    state: &FormState,
    back: &BackQuery,
) -> Markup {
    let back_query = super::signature_actions::back_query(&back.queue());
    let (title, action, button, individuals) = match target {
        Target::Add => (
            page.t("Add a signature by hand", "Agregar una firma a mano"),
            format!("/admin/letters/{}/signatures/new?{back_query}", letter.id()),
            page.t("Add the signature", "Agregar la firma"),
            letter.view.letter.accept_individuals,
        ),
        Target::Edit(item) => (
            page.t("Edit the signature", "Editar la firma"),
            format!(
                "/admin/letters/{}/signatures/{}/edit?{back_query}",
                letter.id(),
                item.row.id
            ),
            page.t("Save the changes", "Guardar los cambios"),
            letter.view.letter.accept_individuals || item.row.kind == SignatureKind::Individual,
        ),
    };
    let countries = country_options(page.lang);
    let form = FormContext {
        action: &action,
        accept_individuals: individuals,
        language: page.lang,
        countries: &countries,
        intake: Intake::Vouched,
        fixed_email: false,
    };
    let content = html! {
        (letter_header(page, &letter.view.letter, LetterTab::Signatures))
        h2 { (title) }
        p.hint { (match target {
            Target::Add => page.t(
                "For an endorsement you received by phone, email or on paper. It is approved at once and no email is sent; the contact is optional and never published.",
                "Para una adhesión recibida por teléfono, correo o en papel. Se aprueba de inmediato y no se envía ningún correo; el contacto es opcional y nunca se publica.",
            ),
            Target::Edit(_) => page.t(
                "Corrections apply at once, without asking the signer. The contact is never published; to remove it, erase the contact data instead.",
                "Las correcciones se aplican de inmediato, sin consultar a quien firmó. El contacto nunca se publica; para quitarlo, borre los datos de contacto.",
            ),
        }) }
        form method="post" action=(action) novalidate {
            (csrf_field(page))
            (error_summary(&form, state))
            (signature_fields(&form, state))
            div.actions {
                button type="submit" { (button) }
                a href=(letter.queue_path(&back.queue())) { (page.t("Cancel", "Cancelar")) }
            }
        }
    };
    layout::page(page, title, content)
}

/// A stored signature as the form shows it.
fn input_of(item: &StaffSignature) -> SignatureInput {
    let row = &item.row;
    SignatureInput {
        kind: Some(
            match row.kind {
                SignatureKind::Organization => "organization",
                SignatureKind::Individual => "individual",
            }
            .to_owned(),
        ),
        public: public_of(row).map(Some, |_, value| value),
        contact: item
            .contact
            .as_ref()
            .map(ContactFields::from)
            .unwrap_or_default(),
        consent: true,
    }
}
