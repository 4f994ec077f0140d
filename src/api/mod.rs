//! The JSON API under `/api/v1`, described by the OpenAPI document it generates.
//!
//! Handlers convert request bodies into domain types, call one service function and convert
//! the result back; they hold no SQL and no business rules.

mod auth;
pub mod error;
pub(crate) mod exports;
mod imports;
mod invitations;
mod letters;
mod members;
pub mod middleware;
mod pagination;
mod partners;
pub mod public;
mod rendered;
mod signatures;
pub mod spec;
mod strict;

use poem_openapi::{OpenApiService, Tags};

pub use auth::StaffAuth;
pub use error::{ApiError, ErrorBody};

/// Where the API is mounted.
pub const API_PREFIX: &str = "/api/v1";

/// Groups of operations in the documentation.
#[derive(Tags)]
enum ApiTags {
    /// Logging in and out, and the members of an organization.
    Auth,
    /// Writing letters and moving them from draft to delivered (staff).
    Letters,
    /// What anyone can read and do without an account.
    Public,
    /// Moderating a letter's signatures (staff).
    Signatures,
}

/// Every group of operations, in the order the documentation lists them.
pub type Apis = (
    auth::AuthApi,
    members::MembersApi,
    letters::LettersApi,
    exports::ExportsApi,
    signatures::SignaturesApi,
    imports::ImportsApi,
    invitations::InvitationsApi,
    partners::PartnersApi,
    public::PublicApi,
);

/// The API with the OpenAPI description poem-openapi generates; `serve` mounts it. The document
/// as published is [`spec::openapi_json`], which finishes this one.
pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            auth::AuthApi,
            members::MembersApi,
            letters::LettersApi,
            exports::ExportsApi,
            signatures::SignaturesApi,
            imports::ImportsApi,
            invitations::InvitationsApi,
            partners::PartnersApi,
            public::PublicApi,
        ),
        "signon",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Coalition sign-on letters. Staff endpoints take `Authorization: Bearer TOKEN` from \
         `POST /auth/login`. Every error has the same JSON shape: `error` (a code), `message` \
         (for people) and `fields` (what is wrong with each field, when input was invalid).",
    )
    .server(API_PREFIX)
}
