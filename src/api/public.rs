//! What anyone may read without an account.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{Language, LetterStatus, SignatureKind};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use sea_orm::ActiveEnum;

use super::ApiTags;
use super::error::ApiError;
use super::letters::{TranslationDto, translations_dto};
use super::pagination::page;
use super::rendered::RenderedJson;
use super::strict::Strict;
use crate::client::ClientInfo;
use crate::domain::{ContactFields, Intake, PublicFields, SignatureInput, Translations};
use crate::error::AppError;
use crate::export::Signatory;
use crate::http_cache;
use crate::i18n;
use crate::service::signing::SignRequest;
use crate::service::verification::{self, LinkProblem, LinkTarget};
use crate::service::{letters, partners};
use crate::state::AppState;

/// A signature as submitted through the API: the same fields as the public form.
#[derive(Object, Default)]
#[oai(rename = "SignatureSubmission")]
pub struct SubmissionDto {
    /// `organization` (default) or `individual` (only where the letter accepts individuals).
    pub kind: Option<SignatureKind>,
    #[oai(flatten)]
    pub public: PublicFields<Option<String>>,
    #[oai(flatten)]
    pub contact: ContactFields,
    /// The signer agrees to be listed publicly; required.
    pub consent: Option<bool>,
}

impl SubmissionDto {
    /// The fields as the domain parser takes them.
    pub fn into_input(self) -> SignatureInput {
        SignatureInput {
            kind: self.kind.map(|kind| kind.to_value()),
            public: self.public,
            contact: self.contact,
            consent: self.consent.unwrap_or(false),
        }
    }
}

/// A signature as the public submits it: with a contact email and consent, and the partner
/// link it came through, if any.
#[derive(Object, Default)]
#[oai(rename = "PublicSignatureSubmission")]
pub struct PublicSubmissionDto {
    #[oai(flatten)]
    submission: SubmissionDto,
    /// The code of the partner whose link brought the signer (the `ref` of
    /// `/l/{slug}?ref=CODE`). A code the letter has no partner for is ignored, never refused.
    #[oai(rename = "ref")]
    partner_ref: Option<String>,
}

/// The answer to a submission: the same whether or not the email had signed before.
#[derive(Object)]
struct Submitted {
    /// Always `pending_verification`: the contact person must follow the emailed link.
    status: String,
}

#[derive(ApiResponse)]
enum SignResponse {
    /// Received; a confirmation link was emailed to the contact person.
    #[oai(status = 202)]
    Accepted(Json<Submitted>),
}

// The fields are an allowlist on purpose, not the flattened `PublicFields`: a field added to
// signatures reaches the public only once it is listed here, and the website stays with staff,
// who check it against the contact's email.
/// One signatory on the public list.
#[derive(Object)]
#[oai(rename = "PublicSignatory")]
struct PublicSignatory {
    /// The organization's or person's name.
    name: String,
    /// Organization or individual.
    kind: SignatureKind,
    /// An individual's institution, for identification only.
    #[oai(nullable)]
    affiliation: Option<String>,
    /// The kind of organization.
    #[oai(nullable)]
    org_type: Option<String>,
    /// City.
    #[oai(nullable)]
    city: Option<String>,
    /// Region.
    #[oai(nullable)]
    region: Option<String>,
    /// ISO country code.
    #[oai(nullable)]
    country: Option<String>,
}

impl From<&Signatory> for PublicSignatory {
    fn from(Signatory { kind, public, .. }: &Signatory) -> Self {
        Self {
            name: public.name.clone(),
            kind: *kind,
            affiliation: public.affiliation.clone(),
            org_type: public.org_type.clone(),
            city: public.city.clone(),
            region: public.region.clone(),
            country: public.country.clone(),
        }
    }
}

/// One page of the public list.
#[derive(Object)]
struct SignatoryList {
    /// The signatories of this page, in the letter's order.
    items: Vec<PublicSignatory>,
    /// How many approved signatories there are.
    total: u64,
}

#[derive(ApiResponse)]
enum SignatoryListResponse {
    /// The approved signatories, with the `ETag` of this answer and how long caches may keep it.
    #[oai(status = 200)]
    Ok(
        RenderedJson<SignatoryList>,
        /// Names this answer; sent back in `If-None-Match`, it is answered `304` while unchanged.
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=5, must-revalidate`: caches may keep the answer a few seconds.
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// Unchanged since the answer whose `ETag` was sent in `If-None-Match`; no body.
    #[oai(status = 304)]
    NotModified(
        /// Names this answer; sent back in `If-None-Match`, it is answered `304` while unchanged.
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=5, must-revalidate`: caches may keep the answer a few seconds.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The state of a signature after following a link.
#[derive(Object)]
struct LinkResult {
    /// `approved` (now public), `verified` (waiting for the coordinators) or `withdrawn`.
    status: String,
    /// The signatory's public name.
    signatory: String,
    /// The letter's slug.
    letter: String,
    /// The signer's confirmed changes to the approved entry wait for the coordinators' review;
    /// the entry stays public as it was until then.
    change_awaiting_review: bool,
}

#[derive(ApiResponse)]
enum LinkResponse {
    /// Done.
    #[oai(status = 200)]
    Ok(Json<LinkResult>),
}

fn link_answer(
    outcome: Result<LinkTarget, LinkProblem>,
    status: impl Fn(&LinkTarget) -> &'static str,
) -> Result<LinkResponse, ApiError> {
    let target = outcome.map_err(LinkProblem::into_error)?;
    Ok(LinkResponse::Ok(Json(LinkResult {
        status: status(&target).to_owned(),
        signatory: target.signatory,
        letter: target.letter_slug,
        change_awaiting_review: target.change_awaiting_review,
    })))
}

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
    #[oai(nullable)]
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
    /// The letter, with the `ETag` of this answer and how long caches may keep it.
    #[oai(status = 200)]
    Ok(
        Json<PublicLetter>,
        /// Names this answer; sent back in `If-None-Match`, it is answered `304` while unchanged.
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=5, must-revalidate`: caches may keep the answer a few seconds.
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// Unchanged since the answer whose `ETag` was sent in `If-None-Match`; no body.
    #[oai(status = 304)]
    NotModified(
        /// Names this answer; sent back in `If-None-Match`, it is answered `304` while unchanged.
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=5, must-revalidate`: caches may keep the answer a few seconds.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

pub struct PublicApi;

#[OpenApi(tag = "ApiTags::Public")]
impl PublicApi {
    /// Read a published letter
    ///
    /// An open, closed or delivered letter with its approved signatory count. Drafts are not found.
    /// Answers `304` with no body when `If-None-Match` holds the current `ETag`.
    #[oai(
        path = "/public/letters/:slug",
        method = "get",
        operation_id = "get_public_letter"
    )]
    async fn letter(
        &self,
        state: Data<&AppState>,
        slug: Path<String>,
        /// The `ETag` of an answer already held.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<PublicLetterResponse, ApiError> {
        let view = state.public_views.get(&state.db, &slug.0).await?;
        let accepting_signatures = letters::accepting_signatures(&view.letter, Utc::now());
        let etag = http_cache::etag(
            &view,
            view.letter.language,
            if accepting_signatures {
                "api-open"
            } else {
                "api-shut"
            },
        );
        let cache_control = http_cache::CACHE_CONTROL.to_owned();
        if http_cache::client_has(if_none_match.0.as_deref(), &etag) {
            return Ok(PublicLetterResponse::NotModified(etag, cache_control));
        }
        let letter = &view.letter;
        let body = PublicLetter {
            slug: letter.slug.clone(),
            title: letter.title.clone(),
            body: letter.body.clone(),
            addressees: letter.addressees.clone(),
            language: letter.language,
            translations: translations_dto(&Translations::from_json(&letter.translations)),
            status: letter.status,
            deadline: letter.deadline,
            accepting_signatures,
            accept_individuals: letter.accept_individuals,
            coordinators: view.coordinators.iter().map(|c| c.name.clone()).collect(),
            approved_count: view.approved(),
        };
        Ok(PublicLetterResponse::Ok(Json(body), etag, cache_control))
    }

    /// Sign a letter
    ///
    /// Records the signature as `pending_verification` and emails a confirmation link to the
    /// contact person. Signing again with the same contact email updates that signature and
    /// sends the link again; the answer is the same either way.
    #[oai(
        path = "/public/letters/:slug/signatures",
        method = "post",
        operation_id = "sign_letter"
    )]
    async fn sign(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        /// The language of the confirmation email, `en` or `es` (default: Accept-Language, then the letter's).
        lang: Query<Option<String>>,
        #[oai(name = "Accept-Language")] accept_language: Header<Option<String>>,
        body: Json<Strict<PublicSubmissionDto>>,
    ) -> Result<SignResponse, ApiError> {
        let client = ClientInfo::of(req);
        state
            .sign_rate
            .check(client.ip)
            .map_err(ApiError::rate_limited)?;
        let PublicSubmissionDto {
            submission,
            partner_ref,
        } = body.0.0;
        let draft = submission
            .into_input()
            .parse(Intake::Public)
            .map_err(AppError::invalid)?;
        let language = lang.0.as_deref().and_then(i18n::parse_code).or_else(|| {
            accept_language
                .0
                .as_deref()
                .map(|h| i18n::negotiate(None, Some(h), Language::En))
        });
        let (network_hash, agent_hash) = client.hashes(&state.keys);
        let partner_id = partners::resolve(&state.db, &slug.0, partner_ref.as_deref()).await?;
        state
            .writer
            .sign(SignRequest {
                slug: slug.0,
                draft,
                language,
                network_hash,
                agent_hash,
                honeypot: false,
                contact_verified: false,
                partner_id,
            })
            .await?;
        Ok(SignResponse::Accepted(Json(Submitted {
            status: "pending_verification".into(),
        })))
    }

    /// The public list of signatories
    ///
    /// Approved signatories only, lead signatories first, in the letter's order. No contact data.
    /// Answers `304` with no body when `If-None-Match` holds the current `ETag`.
    #[oai(
        path = "/public/letters/:slug/signatories",
        method = "get",
        operation_id = "list_public_signatories"
    )]
    async fn signatories(
        &self,
        state: Data<&AppState>,
        slug: Path<String>,
        /// Page size, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u64>>,
        /// How many items to skip, up to 1,000,000,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        offset: Query<Option<u64>>,
        /// The `ETag` of an answer already held.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<SignatoryListResponse, ApiError> {
        let (limit, offset) = page(limit.0, offset.0);
        let view = state.public_views.get(&state.db, &slug.0).await?;
        let etag = http_cache::etag(
            &view,
            view.letter.language,
            &format!("api-list-{offset}-{limit}"),
        );
        let cache_control = http_cache::CACHE_CONTROL.to_owned();
        if http_cache::client_has(if_none_match.0.as_deref(), &etag) {
            return Ok(SignatoryListResponse::NotModified(etag, cache_control));
        }
        // Every reader of this version gets the same page: serialized once, kept with the view.
        let text = view.rendered(&etag, || {
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            let items = view
                .signatories
                .iter()
                .skip(start)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(PublicSignatory::from)
                .collect();
            RenderedJson::text_of(&SignatoryList {
                items,
                total: view.approved(),
            })
        });
        Ok(SignatoryListResponse::Ok(
            RenderedJson::from_text(text),
            etag,
            cache_control,
        ))
    }

    /// Confirm a signature
    ///
    /// Follows the confirmation link emailed to the contact person. A used or expired link is 410.
    #[oai(
        path = "/public/verifications/:token",
        method = "post",
        operation_id = "confirm_signature"
    )]
    async fn confirm(
        &self,
        state: Data<&AppState>,
        token: Path<String>,
    ) -> Result<LinkResponse, ApiError> {
        let outcome = verification::confirm(&state.db, &token.0, Language::En).await?;
        link_answer(
            outcome,
            |t| if t.approved { "approved" } else { "verified" },
        )
    }

    /// Withdraw a signature
    ///
    /// Follows the withdrawal link emailed to the contact person; possible until the letter is delivered.
    #[oai(
        path = "/public/withdrawals/:token",
        method = "post",
        operation_id = "withdraw_signature"
    )]
    async fn withdraw(
        &self,
        state: Data<&AppState>,
        token: Path<String>,
    ) -> Result<LinkResponse, ApiError> {
        let outcome = verification::withdraw(&state.db, &token.0, Language::En).await?;
        link_answer(outcome, |_| "withdrawn")
    }
}
