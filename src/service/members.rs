//! An organization's members: owners add staff, change their roles and remove them; every
//! member sees who else is there. An organization always keeps at least one owner.

use entity::{Language, Role, membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use url::Url;

use super::access::require_role_in;
use super::accounts::{self, NewStaff, Staff};
use super::audit::{self, Actor, Event};
use super::keys::Keys;
use super::password_links;
use crate::domain::{Email, Password, Token};
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
    let organization = organization_of(db, organization_id).await?;
    let existing = accounts::find_account(db, &new.email.to_login_key()).await?;
    let user_id = match existing {
        Some(user) => {
            join_existing(db, user.id, &organization, new.role).await?;
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

/// Someone an owner invites to an organization.
pub struct Invitation {
    /// Their login email: an existing account joins, otherwise one is created.
    pub email: Email,
    /// Their name, for a new account.
    pub name: String,
    /// Their role here.
    pub role: Role,
}

/// What an invitation did.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The new member.
    pub member: Member,
    /// Whether an account was created, and emailed a link to choose its password; otherwise
    /// an existing account joined.
    pub new_account: bool,
}

/// Invites someone to an organization (owners only). An existing account joins at once. For a
/// new person, an account is created that nobody can sign in to, and they are emailed a
/// single-use link to choose their password: the owner never knows it, and nobody has to pass
/// one on. `language` is the language of that email.
pub async fn invite(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    organization_id: i64,
    invitation: Invitation,
    base_url: &Url,
    language: Language,
) -> AppResult<Invited> {
    require_role_in(staff, organization_id, Role::Owner)?;
    let organization = organization_of(db, organization_id).await?;
    if let Some(account) = accounts::find_account(db, &invitation.email.to_login_key()).await? {
        join_existing(db, account.id, &organization, invitation.role).await?;
        let action = "member.added";
        record(
            db,
            staff,
            action,
            organization_id,
            account.id,
            None,
            Some(invitation.role),
        )
        .await?;
        return Ok(Invited {
            member: member(db, organization_id, account.id).await?,
            new_account: false,
        });
    }
    // A real hash of a secret nobody keeps: the account cannot be signed in to, and a sign-in
    // attempt on it takes as long as on any other account.
    let unknowable = Password::parse(Token::generate().expose().to_owned())
        .map_err(|e| anyhow::anyhow!("a generated password is refused: {e}"))?;
    let password_hash = accounts::hash_password(unknowable).await?;
    let txn = crate::db::begin_write(db).await?;
    let account =
        accounts::create_account(&txn, &invitation.email, invitation.name, password_hash).await?;
    accounts::join(&txn, account.id, organization_id, invitation.role).await?;
    password_links::invite(
        &txn,
        keys,
        &account,
        &staff.name,
        &organization.name,
        base_url,
        language,
    )
    .await?;
    let action = "member.invited";
    record(
        &txn,
        staff,
        action,
        organization_id,
        account.id,
        None,
        Some(invitation.role),
    )
    .await?;
    txn.commit().await?;
    Ok(Invited {
        member: member(db, organization_id, account.id).await?,
        new_account: true,
    })
}

async fn organization_of(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<organization::Model> {
    organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such organization."))
}

/// An existing account joins; already being a member is a fault of the email field.
async fn join_existing(
    db: &DatabaseConnection,
    user_id: i64,
    organization: &organization::Model,
    role: Role,
) -> AppResult<()> {
    accounts::add_membership(db, user_id, &organization.name, role)
        .await
        .map_err(|err| match err {
            AppError::Conflict { message, .. } => AppError::taken("email", message),
            other => other,
        })
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
