//! An organization's members: who is on the team, with which role.

use entity::Role;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::ApiError;
use crate::domain::{Email, FieldErrors, MAX_NAME_CHARS, Password, bounded_text};
use crate::error::AppError;
use crate::service::members::{self, Member, NewMember};
use crate::state::AppState;

/// A member of an organization.
#[derive(Object)]
#[oai(rename = "Member")]
struct MemberDto {
    /// The user's id.
    user_id: i64,
    /// Their login email.
    email: String,
    /// Their name.
    name: String,
    /// `owner` manages members; `editor` writes letters, moderates and exports; `viewer` reads and exports.
    role: Role,
}

impl From<Member> for MemberDto {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
        }
    }
}

/// Someone to add.
#[derive(Object)]
#[oai(rename = "NewMember", deny_unknown_fields)]
struct NewMemberDto {
    /// Their login email; an existing account simply joins.
    email: String,
    /// Their name (for a new account).
    name: Option<String>,
    /// Their role.
    role: Role,
    /// The initial password of a new account (at least 10 characters); share it with them privately.
    #[oai(write_only)]
    password: Option<String>,
}

/// A new role.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct RoleChange {
    /// The new role.
    role: Role,
}

/// The members of an organization.
#[derive(Object)]
struct MemberList {
    /// Every member.
    items: Vec<MemberDto>,
    /// How many.
    total: u64,
}

#[derive(ApiResponse)]
enum MemberListResponse {
    /// The members.
    #[oai(status = 200)]
    Ok(Json<MemberList>),
}

#[derive(ApiResponse)]
enum AddMemberResponse {
    /// Added.
    #[oai(status = 201)]
    Created(Json<MemberDto>),
}

#[derive(ApiResponse)]
enum MemberResponse {
    /// The member with the new role.
    #[oai(status = 200)]
    Ok(Json<MemberDto>),
}

#[derive(ApiResponse)]
enum RemovedResponse {
    /// No longer a member.
    #[oai(status = 204)]
    Removed,
}

pub struct MembersApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl MembersApi {
    /// List an organization's members
    #[oai(
        path = "/organizations/:id/members",
        method = "get",
        operation_id = "list_members"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> Result<MemberListResponse, ApiError> {
        let items: Vec<MemberDto> = members::list(&state.db, &auth.0, id.0)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(MemberListResponse::Ok(Json(MemberList {
            total: items.len() as u64,
            items,
        })))
    }

    /// Add a member
    ///
    /// Owners only. An existing account joins with the role; otherwise an account is created
    /// with the initial password given.
    #[oai(
        path = "/organizations/:id/members",
        method = "post",
        operation_id = "add_member"
    )]
    async fn add(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewMemberDto>,
    ) -> Result<AddMemberResponse, ApiError> {
        let body = body.0;
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&body.email));
        let name = errors.check(
            "name",
            bounded_text(
                body.name.as_deref().unwrap_or(body.email.as_str()),
                MAX_NAME_CHARS,
            ),
        );
        let password = match body.password {
            Some(password) => errors
                .check("password", Password::parse(password))
                .map(Some),
            None => Some(None),
        };
        let (Some(email), Some(name), Some(password)) = (email, name, password) else {
            return Err(AppError::invalid(errors).into());
        };
        let added = members::add(
            &state.db,
            &auth.0,
            id.0,
            NewMember {
                email,
                name,
                role: body.role,
                password,
            },
        )
        .await?;
        Ok(AddMemberResponse::Created(Json(added.into())))
    }

    /// Change a member's role
    ///
    /// Owners only; the last owner stays an owner.
    #[oai(
        path = "/organizations/:id/members/:user_id",
        method = "patch",
        operation_id = "set_member_role"
    )]
    async fn set_role(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        user_id: Path<i64>,
        body: Json<RoleChange>,
    ) -> Result<MemberResponse, ApiError> {
        let changed = members::set_role(&state.db, &auth.0, id.0, user_id.0, body.0.role).await?;
        Ok(MemberResponse::Ok(Json(changed.into())))
    }

    /// Remove a member
    ///
    /// Owners only; the last owner stays.
    #[oai(
        path = "/organizations/:id/members/:user_id",
        method = "delete",
        operation_id = "remove_member"
    )]
    async fn remove(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        user_id: Path<i64>,
    ) -> Result<RemovedResponse, ApiError> {
        members::remove(&state.db, &auth.0, id.0, user_id.0).await?;
        Ok(RemovedResponse::Removed)
    }
}
