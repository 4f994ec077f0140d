//! Partner links: the codes coordinators create for the organizations that spread a letter,
//! which partner brought each signature (`/l/{slug}?ref=CODE`), and the counts by partner.
//! A code that names no partner of the letter is ignored: a signer is never refused for a link.

use std::collections::HashMap;

use chrono::Utc;
use entity::{Role, SignatureStatus, letter, partner, signature};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query,
};
use serde_json::json;

use super::access;
use super::accounts::Staff;
use super::audit::{self, Actor, Event};
use super::letters::Counts;
use crate::domain::{FieldErrors, MAX_NAME_CHARS, PartnerCode, bounded_text, check_changeable};
use crate::error::{AppError, AppResult};

/// A partner to create, checked.
#[derive(Debug, Clone)]
pub struct NewPartner {
    /// Its code, unique within the letter.
    pub code: PartnerCode,
    /// The partner organization's name.
    pub name: String,
}

impl NewPartner {
    /// Checks a code and a name as given, collecting both errors at once.
    pub fn parse(code: &str, name: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = errors.check("code", PartnerCode::parse(code));
        let name = errors.check("name", bounded_text(name, MAX_NAME_CHARS));
        match (code, name) {
            (Some(code), Some(name)) => Ok(Self { code, name }),
            _ => Err(errors),
        }
    }
}

/// A partner with the signatures its link brought, by state.
#[derive(Debug, Clone)]
pub struct PartnerView {
    /// The partner.
    pub partner: partner::Model,
    /// Its signatures by state.
    pub counts: Counts,
    /// The letter's slug, for the partner's link.
    pub slug: String,
}

impl PartnerView {
    /// The partner's link to the letter, from the site's root: `/l/{slug}?ref={code}`.
    pub fn link_path(&self) -> String {
        format!("/l/{}?ref={}", self.slug, self.partner.code)
    }
}

/// Creates a partner code for a letter: editors and owners, while the letter may change.
/// A code the letter already has is a conflict naming `code`.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id, letter_id))]
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    new: NewPartner,
) -> AppResult<PartnerView> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let letter = access::letter_for(&txn, staff, letter_id, access::WRITES_LETTERS).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    let taken = || AppError::taken("code", "This letter already has a partner with this code.");
    let existing = partner::Entity::find()
        .filter(partner::Column::LetterId.eq(letter_id))
        .filter(partner::Column::Code.eq(new.code.as_str()))
        .count(&txn)
        .await?;
    if existing > 0 {
        return Err(taken());
    }
    let created = partner::ActiveModel {
        letter_id: Set(letter_id),
        code: Set(new.code.as_str().to_owned()),
        name: Set(new.name),
        created_by: Set(Some(staff.user_id)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| match err.sql_err() {
        // Created concurrently by a colleague, on a database without the letter's lock.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => taken(),
        _ => err.into(),
    })?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "partner.created",
            letter_id: Some(letter_id),
            signature_id: None,
            before: None,
            after: Some(json!({ "id": created.id, "code": created.code, "name": created.name })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(PartnerView {
        partner: created,
        counts: Counts::default(),
        slug: letter.slug,
    })
}

/// A letter's partners, oldest first, each with its signatures by state, for any member who
/// may read the letter; with the total number of partners.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    (limit, offset): (u64, u64),
) -> AppResult<(Vec<PartnerView>, u64)> {
    let letter = access::letter_for(db, staff, letter_id, Role::Viewer).await?;
    let query = partner::Entity::find().filter(partner::Column::LetterId.eq(letter_id));
    let total = query.clone().count(db).await?;
    let partners = query
        .order_by_asc(partner::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    let mut counts = counts_by_partner(db, letter_id).await?;
    let views = partners
        .into_iter()
        .map(|partner| PartnerView {
            counts: counts.remove(&partner.id).unwrap_or_default(),
            slug: letter.slug.clone(),
            partner,
        })
        .collect();
    Ok((views, total))
}

/// The signatures of a letter by partner and state, in one query.
async fn counts_by_partner(
    db: &impl ConnectionTrait,
    letter_id: i64,
) -> AppResult<HashMap<i64, Counts>> {
    let rows: Vec<(Option<i64>, SignatureStatus, i64)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::PartnerId)
        .column(signature::Column::Status)
        .column_as(signature::Column::Id.count(), "n")
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::PartnerId.is_not_null())
        .group_by(signature::Column::PartnerId)
        .group_by(signature::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: HashMap<i64, Counts> = HashMap::new();
    for (partner_id, status, n) in rows {
        if let Some(partner_id) = partner_id {
            counts
                .entry(partner_id)
                .or_default()
                .add(status, n.max(0) as u64);
        }
    }
    Ok(counts)
}

/// The partner of the letter at `slug` that `code` names, as a signer's link gives it: `None`
/// when there is no code, it is malformed, or it names no partner of that letter.
pub async fn resolve(
    db: &impl ConnectionTrait,
    slug: &str,
    code: Option<&str>,
) -> AppResult<Option<i64>> {
    let Some(code) = code.and_then(|code| PartnerCode::parse(code.trim()).ok()) else {
        return Ok(None);
    };
    let letter_ids = Query::select()
        .column(letter::Column::Id)
        .from(letter::Entity)
        .and_where(letter::Column::Slug.eq(slug.trim().to_ascii_lowercase()))
        .to_owned();
    Ok(partner::Entity::find()
        .select_only()
        .column(partner::Column::Id)
        .filter(partner::Column::LetterId.in_subquery(letter_ids))
        .filter(partner::Column::Code.eq(code.as_str()))
        .into_tuple::<i64>()
        .one(db)
        .await?)
}

/// The codes of a letter's partners by id, for the staff CSV.
pub async fn codes(db: &impl ConnectionTrait, letter_id: i64) -> AppResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = partner::Entity::find()
        .select_only()
        .column(partner::Column::Id)
        .column(partner::Column::Code)
        .filter(partner::Column::LetterId.eq(letter_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
