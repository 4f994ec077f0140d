//! Logging in and out, and recognizing staff from their bearer token.

use chrono::{DateTime, Utc};
use entity::{Language, Role};
use poem::Request;
use poem::web::Data;
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme};

use super::ApiTags;
use super::error::ApiError;
use crate::client::ClientInfo;
use crate::service::accounts::{self, Staff, TokenKind};
use crate::service::digest::{self, Preferences};
use crate::state::AppState;

/// A staff member's bearer token, from `POST /auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "recognize_staff")]
pub struct StaffAuth(pub Staff);

async fn recognize_staff(req: &Request, bearer: Bearer) -> poem::Result<Staff> {
    let state = req
        .data::<AppState>()
        .expect("the application state is attached to every route");
    accounts::authenticate(&state.db, &bearer.token)
        .await
        .map_err(|err| ApiError::from(err).into())
}

/// Credentials of a staff account.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct LoginRequest {
    /// The login email.
    email: String,
    /// The password.
    #[oai(write_only)]
    password: String,
}

/// A new access token.
#[derive(Object)]
struct LoginResult {
    /// Send it as `Authorization: Bearer TOKEN`. It is shown only once.
    token: String,
    /// When it stops working.
    expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum LoginResponse {
    /// Logged in.
    #[oai(status = 200)]
    Ok(Json<LoginResult>),
}

#[derive(ApiResponse)]
enum LogoutResponse {
    /// The token no longer works.
    #[oai(status = 204)]
    LoggedOut,
}

/// One organization of the caller.
#[derive(Object)]
#[oai(rename = "Membership")]
struct MembershipDto {
    /// The organization's id.
    organization_id: i64,
    /// Its name.
    organization: String,
    /// The caller's role there.
    role: Role,
}

/// The logged-in staff member.
#[derive(Object)]
struct Me {
    /// The user's id.
    id: i64,
    /// The login email.
    email: String,
    /// The display name.
    name: String,
    /// The caller's organizations and roles.
    organizations: Vec<MembershipDto>,
    /// Whether the caller gets the daily digest of their letters (off until asked for).
    daily_digest: bool,
    /// The language of the caller's emails: the dashboard's, as last chosen there.
    language: Language,
}

/// The caller's own settings to change; a field left out stays as it is.
#[derive(Object)]
#[oai(rename = "MeChanges", deny_unknown_fields)]
struct MeChanges {
    /// `true` for one email a day about the caller's open and closed letters: the new
    /// signatures to moderate and the count by state; nothing on a day when nothing changed.
    daily_digest: Option<bool>,
    /// The language of the caller's emails.
    language: Option<Language>,
}

#[derive(ApiResponse)]
enum MeResponse {
    /// Who the token belongs to.
    #[oai(status = 200)]
    Ok(Json<Me>),
}

pub struct AuthApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in
    ///
    /// Exchanges a staff email and password for a bearer token. A failure says only
    /// "Invalid email or password", whether or not the email has an account. Attempts are
    /// limited per account and per network (429 with `Retry-After`).
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> Result<LoginResponse, ApiError> {
        state
            .login_limit
            .check(&body.email, ClientInfo::of(req).ip)
            .map_err(ApiError::too_many_logins)?;
        let issued = accounts::login(
            &state.db,
            &body.email,
            &body.password,
            TokenKind::Api,
            state.settings.session_lifetime,
        )
        .await?;
        Ok(LoginResponse::Ok(Json(LoginResult {
            token: issued.token.expose().to_owned(),
            expires_at: issued.expires_at,
        })))
    }

    /// Log out
    ///
    /// Revokes the token used for this request.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> Result<LogoutResponse, ApiError> {
        accounts::logout(&state.db, &auth.0).await?;
        Ok(LogoutResponse::LoggedOut)
    }

    /// Who am I
    ///
    /// The logged-in staff member with their organizations and roles.
    #[oai(path = "/auth/me", method = "get", operation_id = "me")]
    async fn me(&self, auth: StaffAuth) -> Result<MeResponse, ApiError> {
        let preferences = Preferences::of(&auth.0);
        Ok(MeResponse::Ok(Json(me_of(auth.0, preferences))))
    }

    /// Change my settings
    ///
    /// The caller's own settings: the daily digest and the language of their emails.
    #[oai(path = "/auth/me", method = "patch", operation_id = "update_me")]
    async fn update_me(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        body: Json<MeChanges>,
    ) -> Result<MeResponse, ApiError> {
        let preferences =
            digest::set_preferences(&state.db, &auth.0, body.daily_digest, body.language).await?;
        Ok(MeResponse::Ok(Json(me_of(auth.0, preferences))))
    }
}

fn me_of(staff: Staff, preferences: Preferences) -> Me {
    Me {
        id: staff.user_id,
        email: staff.email,
        name: staff.name,
        organizations: staff
            .memberships
            .into_iter()
            .map(|m| MembershipDto {
                organization_id: m.organization_id,
                organization: m.organization_name,
                role: m.role,
            })
            .collect(),
        daily_digest: preferences.daily_digest,
        language: preferences.language,
    }
}
