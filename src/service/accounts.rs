//! Staff accounts: creating them, logging in and out, and recognizing a bearer token.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use entity::{Language, Role, access_token, membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};

use crate::domain::{Email, Password, Token, TokenHash};
use crate::error::{AppError, AppResult};

/// The one message for every failed login, whether the email exists or not.
pub const LOGIN_FAILED: &str = "Invalid email or password.";

/// A staff account to create.
pub struct NewStaff {
    /// Login email.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// Organization name; created when it does not exist yet.
    pub organization: String,
    /// Role in that organization.
    pub role: Role,
    /// Initial password.
    pub password: Password,
}

/// One organization the staff member belongs to.
#[derive(Debug, Clone)]
pub struct Membership {
    /// The organization.
    pub organization_id: i64,
    /// Its name.
    pub organization_name: String,
    /// The member's role there.
    pub role: Role,
}

/// A logged-in staff member, as recognized from a bearer token.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The user.
    pub user_id: i64,
    /// The login email.
    pub email: String,
    /// The display name.
    pub name: String,
    /// Every organization of the user, with the role there.
    pub memberships: Vec<Membership>,
    /// The access token in use, so logout can revoke exactly it.
    pub access_token_id: i64,
    /// The language of their emails, as last chosen in the dashboard; `None` before any choice.
    pub language: Option<Language>,
    /// Whether they get the daily digest.
    pub daily_digest: bool,
}

impl Staff {
    /// The user's role in an organization, if a member.
    pub fn role_in(&self, organization_id: i64) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| m.organization_id == organization_id)
            .map(|m| m.role)
    }
}

/// What a token opens: the JSON API (sent as a bearer token) or the dashboard (kept in a cookie).
/// One kind is never accepted as the other, so a stolen cookie does not become an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `Authorization: Bearer ...` on the JSON API.
    Api,
    /// The dashboard's session cookie, which also expires when idle.
    Session,
}

impl TokenKind {
    fn stored(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Session => "session",
        }
    }
}

/// A session is touched at most this often, so reading pages does not write on every request.
const SESSION_TOUCH_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);

/// Password checks running at once: argon2 takes 19 MiB and a core's worth of time each, so a
/// burst of logins waits its turn instead of exhausting the machine.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A bearer token just issued; the token itself is shown to the client once and never stored.
pub struct IssuedToken {
    /// The secret to send as `Authorization: Bearer ...`.
    pub token: Token,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Creates a staff account in an organization (created if missing) and returns the user's id.
#[tracing::instrument(skip_all)]
pub async fn add_staff(db: &DatabaseConnection, new: NewStaff) -> AppResult<i64> {
    let password_hash = hash_password(new.password).await?;
    let txn = crate::db::begin_write(db).await?;
    let organization_id = find_or_create_organization(&txn, &new.organization).await?;
    let user = create_account(&txn, &new.email, new.name, password_hash).await?;
    join(&txn, user.id, organization_id, new.role).await?;
    txn.commit().await?;
    Ok(user.id)
}

/// Inserts an account, in the caller's transaction; refuses an email that already has one.
pub(super) async fn create_account(
    db: &impl ConnectionTrait,
    email: &Email,
    name: String,
    password_hash: String,
) -> AppResult<user::Model> {
    let email = email.to_login_key();
    if find_account(db, &email).await?.is_some() {
        return Err(AppError::taken(
            "email",
            "A staff account with this email already exists.",
        ));
    }
    Ok(user::ActiveModel {
        email: Set(email),
        name: Set(name),
        password_hash: Set(password_hash),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The account with this login email (lowercased, as [`Email::to_login_key`] gives it).
pub(super) async fn find_account(
    db: &impl ConnectionTrait,
    login_key: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(login_key))
        .one(db)
        .await?)
}

/// Makes an existing user a member of an organization (created if missing).
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn add_membership(
    db: &DatabaseConnection,
    user_id: i64,
    organization: &str,
    role: Role,
) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let organization_id = find_or_create_organization(&txn, organization).await?;
    let existing = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Err(AppError::conflict(
            "This user is already a member of this organization.",
        ));
    }
    join(&txn, user_id, organization_id, role).await?;
    txn.commit().await?;
    Ok(())
}

pub(super) async fn join(
    db: &impl ConnectionTrait,
    user_id: i64,
    organization_id: i64,
    role: Role,
) -> AppResult<()> {
    membership::ActiveModel {
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        role: Set(role),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn find_or_create_organization(db: &impl ConnectionTrait, name: &str) -> AppResult<i64> {
    if let Some(existing) = organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(existing.id);
    }
    let created = organization::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(created.id)
}

/// Checks an email and password and issues a token of `kind` valid for `lifetime`.
///
/// An unknown email costs the same password check as a known one, so the answer's timing
/// does not tell whether an account exists.
#[tracing::instrument(skip_all)]
pub async fn login(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    kind: TokenKind,
    lifetime: chrono::Duration,
) -> AppResult<IssuedToken> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?;
    let stored_hash = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password_ok = verify_password(password.to_owned(), stored_hash).await?;
    let Some(user) = found.filter(|_| password_ok) else {
        return Err(AppError::Unauthorized(LOGIN_FAILED.into()));
    };
    let token = Token::generate();
    let now = Utc::now();
    let expires_at = now + lifetime;
    access_token::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(token.hash().as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        kind: Set(kind.stored().to_owned()),
        last_used_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = user.id, kind = kind.stored(), "staff login");
    Ok(IssuedToken { token, expires_at })
}

/// Revokes the token in use; it stops working at once.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id))]
pub async fn logout(db: &DatabaseConnection, staff: &Staff) -> AppResult<()> {
    access_token::ActiveModel {
        id: Set(staff.access_token_id),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Recognizes a presented bearer token: unknown, expired and revoked tokens are all refused
/// with the same message.
pub async fn authenticate(db: &DatabaseConnection, presented: &str) -> AppResult<Staff> {
    let refused = || {
        AppError::Unauthorized("The access token is invalid or has expired; log in again.".into())
    };
    let (token, user) = live_token(db, presented, TokenKind::Api)
        .await?
        .ok_or_else(refused)?;
    staff_of(db, token, user).await
}

/// Recognizes a dashboard session: like a bearer token, and it also ends after `idle` without
/// use. `None` for any session that does not work (unknown, expired, idle, signed out).
pub async fn authenticate_session(
    db: &DatabaseConnection,
    presented: &str,
    idle: chrono::Duration,
) -> AppResult<Option<Staff>> {
    let Some((token, user)) = live_token(db, presented, TokenKind::Session).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let last_used = token.last_used_at.unwrap_or(token.created_at);
    if last_used + idle <= now {
        return Ok(None);
    }
    if last_used + SESSION_TOUCH_INTERVAL <= now {
        access_token::ActiveModel {
            id: Set(token.id),
            last_used_at: Set(Some(now)),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    staff_of(db, token, user).await.map(Some)
}

/// The token of `kind` with this secret and its user, unless unknown, revoked or expired.
async fn live_token(
    db: &DatabaseConnection,
    presented: &str,
    kind: TokenKind,
) -> AppResult<Option<(access_token::Model, user::Model)>> {
    let hash = TokenHash::of(presented);
    let found = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(hash.as_str()))
        .filter(access_token::Column::Kind.eq(kind.stored()))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(match found {
        Some((token, Some(user)))
            if token.revoked_at.is_none() && token.expires_at > Utc::now() =>
        {
            Some((token, user))
        }
        _ => None,
    })
}

async fn staff_of(
    db: &DatabaseConnection,
    token: access_token::Model,
    user: user::Model,
) -> AppResult<Staff> {
    let memberships = memberships_of(db, user.id).await?;
    Ok(Staff {
        user_id: user.id,
        email: user.email,
        name: user.name,
        memberships,
        access_token_id: token.id,
        language: user.language,
        daily_digest: user.daily_digest,
    })
}

async fn memberships_of(db: &DatabaseConnection, user_id: i64) -> AppResult<Vec<Membership>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(organization::Entity)
        .order_by_asc(membership::Column::OrganizationId)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(m, org)| {
            org.map(|org| Membership {
                organization_id: m.organization_id,
                organization_name: org.name,
                role: m.role,
            })
        })
        .collect())
}

/// A staff member by user id, as if logged in (for the command line and the demo).
pub async fn staff_by_id(db: &DatabaseConnection, user_id: i64) -> AppResult<Staff> {
    let user = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such staff account."))?;
    Ok(Staff {
        memberships: memberships_of(db, user.id).await?,
        user_id: user.id,
        email: user.email,
        name: user.name,
        access_token_id: 0,
        language: user.language,
        daily_digest: user.daily_digest,
    })
}

/// A hash of a random password, checked against when the email is unknown.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let unguessable = Token::generate();
    Argon2::default()
        .hash_password(unguessable.expose().as_bytes())
        .expect("hashing a fixed-length password cannot fail")
        .to_string()
});

pub(crate) async fn hash_password(password: Password) -> AppResult<String> {
    let _turn = PASSWORD_CHECKS
        .acquire()
        .await
        .context("the password check queue is closed")?;
    // Argon2 is deliberately slow: keep it off the async workers.
    let hashed = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .context("the password hashing task failed")??;
    Ok(hashed)
}

async fn verify_password(password: String, stored_hash: String) -> AppResult<bool> {
    let _turn = PASSWORD_CHECKS
        .acquire()
        .await
        .context("the password check queue is closed")?;
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored_hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .context("the password check task failed")?;
    Ok(ok)
}
