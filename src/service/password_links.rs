//! Emailed links that let a staff member choose a password: "forgot password", and a new
//! member's invitation. Like confirmation links, only the SHA-256 of the token is stored, a link
//! works once and expires; and asking for a reset answers the same whether or not the account
//! exists, so the form cannot be used to find out who has one.

use chrono::{Duration, Utc};
use entity::{Language, access_token, password_link, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use url::Url;

use super::emails;
use super::keys::Keys;
use super::outbox;
use crate::domain::{Email, Password, Token, TokenHash};
use crate::error::{AppError, AppResult};

/// Why the link was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The staff member forgot their password: the link works for an hour.
    Reset,
    /// A new member chooses a first password: the link works for a week.
    Invite,
}

impl Purpose {
    fn stored(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Invite => "invite",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Self::Reset => Duration::hours(1),
            Self::Invite => Duration::days(7),
        }
    }
}

/// Who a link is for and what it is for, as the page behind it shows.
#[derive(Debug, Clone)]
pub struct LinkHolder {
    /// The account's login email (the holder's own address, shown to them).
    pub email: String,
    /// The account's display name.
    pub name: String,
    /// Reset or invitation.
    pub purpose: Purpose,
}

/// Sends a password-reset link when an account has this email; does nothing otherwise.
/// Either way the caller answers the same.
#[tracing::instrument(skip_all)]
pub async fn request_reset(
    db: &DatabaseConnection,
    keys: &Keys,
    email: &str,
    base_url: &Url,
    language: Language,
) -> AppResult<()> {
    let Ok(parsed) = Email::parse(email) else {
        return Ok(());
    };
    let Some(account) = user::Entity::find()
        .filter(user::Column::Email.eq(parsed.to_login_key()))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let txn = crate::db::begin_write(db).await?;
    send(
        &txn,
        keys,
        &account,
        Purpose::Reset,
        base_url,
        language,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a new member the link to choose a first password, in the caller's transaction.
pub async fn invite(
    db: &impl ConnectionTrait,
    keys: &Keys,
    account: &user::Model,
    invited_by: &str,
    organization: &str,
    base_url: &Url,
    language: Language,
) -> AppResult<()> {
    send(
        db,
        keys,
        account,
        Purpose::Invite,
        base_url,
        language,
        Some((invited_by, organization)),
    )
    .await
}

async fn send(
    db: &impl ConnectionTrait,
    keys: &Keys,
    account: &user::Model,
    purpose: Purpose,
    base_url: &Url,
    language: Language,
    invitation: Option<(&str, &str)>,
) -> AppResult<()> {
    let token = Token::generate();
    let now = Utc::now();
    password_link::ActiveModel {
        user_id: Set(account.id),
        token_hash: Set(token.hash().as_str().to_owned()),
        purpose: Set(purpose.stored().to_owned()),
        created_at: Set(now),
        expires_at: Set(now + purpose.lifetime()),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut url = base_url
        .join(&format!("admin/password/{}", token.expose()))
        .map_err(|e| anyhow::anyhow!("cannot build a password link: {e}"))?;
    url.set_query(Some(&format!("lang={}", crate::i18n::code(language))));
    let recipient = Email::parse(&account.email)
        .map_err(|e| anyhow::anyhow!("a stored login email does not parse: {e}"))?;
    let composed = emails::password_link(&emails::PasswordLinkEmail {
        language,
        name: &account.name,
        url: url.as_str(),
        invitation,
        valid_hours: purpose.lifetime().num_hours(),
    });
    outbox::enqueue(db, keys, None, purpose.stored(), &recipient, composed).await?;
    Ok(())
}

/// The holder of a link that still works.
pub async fn inspect(db: &DatabaseConnection, presented: &str) -> AppResult<LinkHolder> {
    let (link, account) = usable(db, presented).await?;
    Ok(LinkHolder {
        email: account.email,
        name: account.name,
        purpose: if link.purpose == Purpose::Invite.stored() {
            Purpose::Invite
        } else {
            Purpose::Reset
        },
    })
}

/// Sets the password through a link, which then stops working; every session and token of the
/// account is signed out, since whoever knew the old password should not stay in.
#[tracing::instrument(skip_all)]
pub async fn set_password(
    db: &DatabaseConnection,
    presented: &str,
    password: Password,
) -> AppResult<i64> {
    let hash = super::accounts::hash_password(password).await?;
    let txn = crate::db::begin_write(db).await?;
    let (link, account) = usable(&txn, presented).await?;
    let now = Utc::now();
    // The guard on used_at makes a second, concurrent use of the same link change nothing.
    let claimed = password_link::Entity::update_many()
        .col_expr(password_link::Column::UsedAt, Expr::value(now))
        .filter(password_link::Column::Id.eq(link.id))
        .filter(password_link::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(used());
    }
    user::ActiveModel {
        id: Set(account.id),
        password_hash: Set(hash),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    access_token::Entity::update_many()
        .col_expr(access_token::Column::RevokedAt, Expr::value(now))
        .filter(access_token::Column::UserId.eq(account.id))
        .filter(access_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(user_id = account.id, "password set through an emailed link");
    Ok(account.id)
}

fn used() -> AppError {
    AppError::Gone("This link was already used or has expired. Ask for a new one.".into())
}

async fn usable(
    db: &impl ConnectionTrait,
    presented: &str,
) -> AppResult<(password_link::Model, user::Model)> {
    let found = password_link::Entity::find()
        .filter(password_link::Column::TokenHash.eq(TokenHash::of(presented).as_str()))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    match found {
        Some((link, Some(account))) if link.used_at.is_none() && link.expires_at > Utc::now() => {
            Ok((link, account))
        }
        Some(_) => Err(used()),
        None => Err(AppError::not_found(
            "This link is not valid. Check that it was copied whole.",
        )),
    }
}
