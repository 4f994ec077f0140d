//! Partner links of a letter (staff): the codes for `/l/{slug}?ref=CODE` and the signatures
//! each partner brought.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::ApiError;
use super::pagination::page;
use super::strict::Strict;
use crate::error::AppError;
use crate::service::letters::Counts;
use crate::service::partners::{self, NewPartner, PartnerView};
use crate::state::AppState;

/// A partner to create.
#[derive(Object)]
#[oai(rename = "NewPartner")]
struct NewPartnerDto {
    /// The code in the partner's link, unique within the letter: 2 to 40 letters, digits and
    /// single hyphens (lowercased), such as `sin-fronteras`.
    code: String,
    /// The partner organization's name.
    name: String,
}

/// The signatures a partner's link brought, by state.
#[derive(Object)]
#[oai(rename = "PartnerCounts")]
struct PartnerCountsDto {
    /// Waiting for the contact person to confirm.
    pending_verification: u64,
    /// Confirmed, waiting for moderation.
    verified: u64,
    /// On the public list.
    approved: u64,
    /// Refused by a coordinator.
    rejected: u64,
    /// Withdrawn by the signer.
    withdrawn: u64,
    /// All of them.
    total: u64,
}

impl From<&Counts> for PartnerCountsDto {
    fn from(c: &Counts) -> Self {
        Self {
            pending_verification: c.pending_verification,
            verified: c.verified,
            approved: c.approved,
            rejected: c.rejected,
            withdrawn: c.withdrawn,
            total: c.total(),
        }
    }
}

/// A partner of a letter and what its link brought.
#[derive(Object)]
#[oai(rename = "Partner")]
struct PartnerDto {
    /// Its id.
    id: i64,
    /// The code in its link.
    code: String,
    /// The partner organization's name.
    name: String,
    /// The link to hand the partner: the letter's address with `?ref=CODE`. The embeddable
    /// form takes the same `ref`: `/l/{slug}/embed?ref=CODE`.
    link: String,
    /// Signatures by state.
    counts: PartnerCountsDto,
    /// When it was created.
    created_at: DateTime<Utc>,
}

impl PartnerDto {
    fn new(state: &AppState, view: PartnerView) -> Self {
        let path = view.link_path();
        let link = state
            .base_url
            .join(path.trim_start_matches('/'))
            .map(|url| url.to_string())
            .unwrap_or(path);
        Self {
            id: view.partner.id,
            code: view.partner.code,
            name: view.partner.name,
            link,
            counts: PartnerCountsDto::from(&view.counts),
            created_at: view.partner.created_at,
        }
    }
}

/// One page of a letter's partners.
#[derive(Object)]
#[oai(rename = "PartnerList")]
struct PartnerList {
    /// The partners of this page, oldest first.
    items: Vec<PartnerDto>,
    /// How many partners the letter has.
    total: u64,
}

#[derive(ApiResponse)]
enum CreateResponse {
    /// The partner was created; its link is ready to hand out.
    #[oai(status = 201)]
    Created(Json<PartnerDto>),
}

#[derive(ApiResponse)]
enum ListResponse {
    /// A page of the letter's partners.
    #[oai(status = 200)]
    Ok(Json<PartnerList>),
}

pub struct PartnersApi;

#[OpenApi(tag = "ApiTags::Letters")]
impl PartnersApi {
    /// Create a partner link
    ///
    /// Editors and owners, until the letter is delivered. Signatures made through
    /// `/l/{slug}?ref=CODE` (or the embeddable form with the same `ref`) are counted for the
    /// partner. A code the letter already has: 409 naming `code`.
    #[oai(
        path = "/letters/:id/partners",
        method = "post",
        operation_id = "create_partner"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<Strict<NewPartnerDto>>,
    ) -> Result<CreateResponse, ApiError> {
        let Strict(input) = body.0;
        let new = NewPartner::parse(&input.code, &input.name).map_err(AppError::invalid)?;
        let view = partners::create(&state.db, &auth.0, id.0, new).await?;
        Ok(CreateResponse::Created(Json(PartnerDto::new(&state, view))))
    }

    /// List a letter's partners
    ///
    /// Every member of the letter's organizations. Each partner with the signatures its link
    /// brought, by state.
    #[oai(
        path = "/letters/:id/partners",
        method = "get",
        operation_id = "list_partners"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// Page size, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u64>>,
        /// How many items to skip, up to 1,000,000,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<ListResponse, ApiError> {
        let (items, total) =
            partners::list(&state.db, &auth.0, id.0, page(limit.0, offset.0)).await?;
        Ok(ListResponse::Ok(Json(PartnerList {
            items: items
                .into_iter()
                .map(|view| PartnerDto::new(&state, view))
                .collect(),
            total,
        })))
    }
}
