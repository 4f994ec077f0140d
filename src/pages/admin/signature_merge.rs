//! Merging two entries of one signatory: both shown side by side, then one merged into the other.

use maud::{Markup, html};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{self, LetterTab, letter_header};
use super::session::{PageContext, Signed};
use super::signature_actions::back_query;
use super::signature_entry::{
    button_form, contact_facts, public_facts, signals, state_facts, status_badge,
};
use super::signatures::{LetterAccess, QueueQuery, after_action};
use crate::error::AppError;
use crate::service::signatures::{self, StaffSignature};
use crate::service::signing::public_of;
use crate::state::AppState;

/// `?into=&back=` of the comparison page.
#[derive(Debug, Default, Deserialize)]
pub struct MergeQuery {
    into: Option<i64>,
    back: Option<String>,
}

/// The merge form.
#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    into: Option<String>,
    back: Option<String>,
}

/// `GET /admin/letters/{id}/signatures/{sid}/merge?into={other}`: the two entries side by side.
#[handler]
pub async fn merge_page(
    state: Data<&AppState>,
    page: Signed,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Query(query): Query<MergeQuery>,
) -> Result<Markup, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let Some(into) = query.into else {
        return Err(AppError::not_found(page.t(
            "Choose the entry to merge with from the queue.",
            "Elija en la lista de firmas la entrada con la que fusionar.",
        ))
        .into());
    };
    let duplicate =
        signatures::get(&state.db, &state.keys, &page.staff, letter_id, signature_id).await?;
    let kept = signatures::get(&state.db, &state.keys, &page.staff, letter_id, into).await?;
    let back = QueueQuery::from_back(query.back.as_deref());
    let title = page.t("Merge two entries", "Fusionar dos entradas");
    let swap = format!(
        "/admin/letters/{letter_id}/signatures/{into}/merge?into={signature_id}&{}",
        back_query(&back)
    );
    let content = html! {
        (letter_header(&page, &letter.view.letter, LetterTab::Signatures))
        h2 { (title) }
        p { (page.t(
            "The first entry leaves the list; the second stays, takes any details it lacks from the first (affiliation, type, city, region, country, website) and, if the first went further, its state. Both keep their history.",
            "La primera entrada sale de la lista; la segunda se queda, toma los datos que le falten de la primera (afiliación, tipo, ciudad, región, país, sitio web) y, si la primera avanzó más, su estado. Ambas conservan su historial.",
        )) }
        div.sidebyside {
            (side(&page, &letter, &duplicate, page.t("1. Leaves the list", "1. Sale de la lista")))
            (side(&page, &letter, &kept, page.t("2. Stays on the list", "2. Se queda en la lista")))
        }
        div.actions {
            @if letter.may_act() {
                (button_form(&page, &format!("/admin/letters/{letter_id}/signatures/{signature_id}/merge"), &back, html! {
                    input type="hidden" name="into" value=(into);
                    button type="submit" { (page.t("Merge them", "Fusionarlas")) }
                }))
                a href=(swap) { (page.t("Keep the first one instead", "Conservar la primera")) }
            }
            a href=(letter.queue_path(&back)) { (page.t("Back to the signatures", "Volver a las firmas")) }
        }
    };
    Ok(layout::page(&page, title, content))
}

fn side(page: &PageContext, letter: &LetterAccess, item: &StaffSignature, role: &str) -> Markup {
    html! {
        section.card {
            h3 { (role) ": " (item.row.name) " " (status_badge(page, item.row.status)) }
            (public_facts(page, item.row.kind, &public_of(&item.row)))
            @if item.contacts_visible {
                h4 { (page.t("Contact", "Contacto")) }
                (contact_facts(page, item))
            }
            h4 { (page.t("Checks", "Verificación")) }
            (signals(page, letter, item))
            (state_facts(page, letter, item))
        }
    }
}

/// `POST /admin/letters/{id}/signatures/{sid}/merge`: merges it into `into`.
#[handler]
pub async fn merge(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((letter_id, signature_id)): Path<(i64, i64)>,
    Form(form): Form<MergeForm>,
) -> Result<Response, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let location = letter.queue_path(&QueueQuery::from_back(form.back.as_deref()));
    let outcome = match form.into.as_deref().and_then(|v| v.trim().parse().ok()) {
        Some(into) => {
            signatures::merge(
                &state.db,
                &state.keys,
                &page.staff,
                letter_id,
                signature_id,
                into,
            )
            .await
        }
        None => Err(AppError::invalid_field(
            "into",
            "There is no such signature on this letter.",
        )),
    };
    let done = match &outcome {
        Ok(kept) => {
            format!(
                "{} {}",
                page.t("Merged:", "Fusionadas:"),
                page.t("the entry that stays is", "la entrada que se queda es")
            ) + " "
                + &kept.row.name
        }
        Err(_) => String::new(),
    };
    after_action(jar, &page, &location, outcome, &done)
}
