//! What anyone may read without an account.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{Language, LetterStatus};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiError;
use super::letters::{TranslationDto, translations_dto};
use crate::service::letters;
use crate::state::AppState;

/// A published letter as the public sees it.
#[derive(Object)]
struct PublicLetter {
    /// The public address, `/l/{slug}`.
    slug: String,
    /// The title.
    title: String,
    /// The text, Markdown.
    body: String,
    /// Who it is addressed to.
    addressees: String,
    /// The language it is written in.
    language: Language,
    /// The letter in other languages, by language code.
    translations: BTreeMap<String, TranslationDto>,
    /// `open`, `closed` or `delivered`.
    status: LetterStatus,
    /// When the sign-on form closes by itself.
    deadline: Option<DateTime<Utc>>,
    /// Whether the letter takes signatures right now.
    accepting_signatures: bool,
    /// Whether individuals may sign, besides organizations.
    accept_individuals: bool,
    /// The organizations leading the letter, the lead first.
    coordinators: Vec<String>,
    /// How many signatories are on the public list.
    approved_count: u64,
}

#[derive(ApiResponse)]
enum PublicLetterResponse {
    /// The letter.
    #[oai(status = 200)]
    Ok(Json<PublicLetter>),
}

pub struct PublicApi;

#[OpenApi(tag = "ApiTags::Public")]
impl PublicApi {
    /// Read a published letter
    ///
    /// An open, closed or delivered letter with its approved signatory count. Drafts are not found.
    #[oai(
        path = "/public/letters/:slug",
        method = "get",
        operation_id = "get_public_letter"
    )]
    async fn letter(
        &self,
        state: Data<&AppState>,
        slug: Path<String>,
    ) -> Result<PublicLetterResponse, ApiError> {
        let view = letters::public_by_slug(&state.db, &slug.0).await?;
        let translations = translations_dto(&view);
        let accepting_signatures = view.accepting_signatures(Utc::now());
        let letter = view.letter;
        Ok(PublicLetterResponse::Ok(Json(PublicLetter {
            slug: letter.slug,
            title: letter.title,
            body: letter.body,
            addressees: letter.addressees,
            language: letter.language,
            translations,
            status: letter.status,
            deadline: letter.deadline,
            accepting_signatures,
            accept_individuals: letter.accept_individuals,
            coordinators: view.coordinators.into_iter().map(|c| c.name).collect(),
            approved_count: view.counts.approved,
        })))
    }
}
