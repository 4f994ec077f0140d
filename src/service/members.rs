//! An organization's members: owners add staff, change their roles and remove them; every
//! member sees who else is there. An organization always keeps at least one owner.

use entity::{Role, membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use super::access::require_role_in;
use super::accounts::{self, NewStaff, Staff};
use super::audit::{self, Actor, Event};
use crate::domain::{Email, Password};
use crate::error::{AppError, AppResult};

/// One member of an organization.
#[derive(Debug, Clone)]
pub struct Member {
    /// The user.
    pub user_id: i64,
    /// Their login email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role here.
    pub role: Role,
}

/// Someone to add to an organization.
pub struct NewMember {
    /// Their login email: an existing account joins, otherwise one is created.
    pub email: Email,
    /// Their name, for a new account.
    pub name: String,
    /// Their role here.
    pub role: Role,
    /// The initial password of a new account; not needed for an existing one.
    pub password: Option<Password>,
}

/// The members of an organization, for any of its members.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    organization_id: i64,
) -> AppResult<Vec<Member>> {
    require_role_in(staff, organization_id, Role::Viewer)?;
    members_of(db, organization_id).await
}

async fn members_of(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<Vec<Member>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .find_also_related(user::Entity)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(m, u)| {
            u.map(|u| Member {
                user_id: u.id,
                email: u.email,
                name: u.name,
                role: m.role,
            })
        })
        .collect())
}

/// Adds a member (owners only): an existing account joins with the role, or a new account is
/// created with the given password.
pub async fn add(
    db: &DatabaseConnection,
    staff: &Staff,
    organization_id: i64,
    new: NewMember,
) -> AppResult<Member> {
    require_role_in(staff, organization_id, Role::Owner)?;
    let organization = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such organization."))?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(new.email.to_login_key()))
        .one(db)
        .await?;
    let user_id = match existing {
        Some(user) => {
            accounts::add_membership(db, user.id, &organization.name, new.role)
                .await
                .map_err(|err| match err {
                    AppError::Conflict { message, .. } => AppError::taken("email", message),
                    other => other,
                })?;
            user.id
        }
        None => {
            let password = new.password.ok_or_else(|| {
                AppError::invalid_field(
                    "password",
                    "This person has no account yet: give an initial password.",
                )
            })?;
            accounts::add_staff(
                db,
                NewStaff {
                    email: new.email,
                    name: new.name,
                    organization: organization.name,
                    role: new.role,
                    password,
                },
            )
            .await?
        }
    };
    record(
        db,
        staff,
        "member.added",
        organization_id,
        user_id,
        None,
        Some(new.role),
    )
    .await?;
    member(db, organization_id, user_id).await
}

/// Changes a member's role (owners only); the last owner stays an owner.
pub async fn set_role(
    db: &DatabaseConnection,
    staff: &Staff,
    organization_id: i64,
    user_id: i64,
    role: Role,
) -> AppResult<Member> {
    require_role_in(staff, organization_id, Role::Owner)?;
    let txn = crate::db::begin_write(db).await?;
    let current = find(&txn, organization_id, user_id).await?;
    if current.role == Role::Owner && role != Role::Owner {
        ensure_another_owner(&txn, organization_id).await?;
    }
    let mut changed = current.clone().into_active_model();
    changed.role = Set(role);
    changed.update(&txn).await?;
    record(
        &txn,
        staff,
        "member.role_changed",
        organization_id,
        user_id,
        Some(current.role),
        Some(role),
    )
    .await?;
    txn.commit().await?;
    member(db, organization_id, user_id).await
}

/// Removes a member (owners only); the last owner stays.
pub async fn remove(
    db: &DatabaseConnection,
    staff: &Staff,
    organization_id: i64,
    user_id: i64,
) -> AppResult<()> {
    require_role_in(staff, organization_id, Role::Owner)?;
    let txn = crate::db::begin_write(db).await?;
    let current = find(&txn, organization_id, user_id).await?;
    if current.role == Role::Owner {
        ensure_another_owner(&txn, organization_id).await?;
    }
    membership::Entity::delete_by_id(current.id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        staff,
        "member.removed",
        organization_id,
        user_id,
        Some(current.role),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn find(
    db: &impl ConnectionTrait,
    organization_id: i64,
    user_id: i64,
) -> AppResult<membership::Model> {
    membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("This person is not a member of the organization."))
}

async fn ensure_another_owner(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<()> {
    let owners = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(Role::Owner))
        .count(db)
        .await?;
    if owners <= 1 {
        return Err(AppError::conflict(
            "An organization keeps at least one owner: make someone else owner first.",
        ));
    }
    Ok(())
}

async fn member(
    db: &impl ConnectionTrait,
    organization_id: i64,
    user_id: i64,
) -> AppResult<Member> {
    members_of(db, organization_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or_else(|| AppError::not_found("This person is not a member of the organization."))
}

async fn record(
    db: &impl ConnectionTrait,
    staff: &Staff,
    action: &str,
    organization_id: i64,
    user_id: i64,
    before: Option<Role>,
    after: Option<Role>,
) -> AppResult<()> {
    audit::record(db, Event {
        actor: &Actor::from(staff),
        action,
        letter_id: None,
        signature_id: None,
        before: before.map(|role| json!({ "organization_id": organization_id, "user_id": user_id, "role": role })),
        after: after.map(|role| json!({ "organization_id": organization_id, "user_id": user_id, "role": role })),
    })
    .await
}
