//! What the public sees of a letter (its text, coordinators and ordered list of approved
//! signatories), computed once per change and kept in memory.
//!
//! Every write that changes any of it calls [`touch`] in its own transaction, which raises the
//! letter's `list_version`. A reader checks that version with one read by the slug's unique
//! index and reloads only when it went up, so several server instances on one database never
//! serve a list older than the last committed change; a short TTL would have saved that read
//! but served a withdrawn name for the length of the TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use entity::{LetterStatus, SignatureKind, SignatureStatus, letter, signature};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    IsolationLevel, QueryFilter, QuerySelect, TransactionTrait,
};

use super::letters::{Coordinator, published};
use crate::domain::countries::fold;
use crate::domain::{LeadSignatories, PublicDetails};
use crate::error::{AppError, AppResult};
use crate::export::{Signatory, country_label, order_signatories};

/// Marks what the public sees of a letter as changed. Call it in the transaction of the change,
/// so that no reader sees the change under the old version.
pub async fn touch(db: &impl ConnectionTrait, letter_id: i64) -> AppResult<()> {
    letter::Entity::update_many()
        .col_expr(
            letter::Column::ListVersion,
            Expr::col(letter::Column::ListVersion).add(1),
        )
        .filter(letter::Column::Id.eq(letter_id))
        .exec(db)
        .await?;
    Ok(())
}

/// [`touch`] when a change to a signature shows on the public list: it was approved or is now.
/// Anything else (a pending signature confirmed, a rejected one withdrawn) is invisible to the
/// public and leaves the cached list in place.
pub async fn touch_if_listed(
    db: &impl ConnectionTrait,
    before: &signature::Model,
    after: &signature::Model,
) -> AppResult<()> {
    if before.status == SignatureStatus::Approved || after.status == SignatureStatus::Approved {
        touch(db, after.letter_id).await?;
    }
    Ok(())
}

/// A published letter as the public sees it, at one version.
#[derive(Debug)]
pub struct PublicView {
    /// The letter; its `list_version` is the version of everything here.
    pub letter: letter::Model,
    /// Its coordinating organizations, the lead first.
    pub coordinators: Vec<Coordinator>,
    /// The approved signatories in the letter's order (lead signatories first), public
    /// columns only: never contact data nor the website.
    pub signatories: Vec<Signatory>,
    /// The list as the page shows it, organizations then individuals, each in the letter's
    /// order: positions in `signatories`.
    by_kind: Vec<usize>,
    /// How many of them are organizations, listed first.
    organizations: usize,
    /// What a search compares, folded (see [`fold`]), beside `signatories`.
    search_keys: Vec<String>,
    /// Pages rendered from this version, by their `ETag`; few, dropped with the version.
    rendered: Mutex<HashMap<String, String>>,
}

/// One signatory on a page of the public list.
#[derive(Debug)]
pub struct Listed<'a> {
    /// Its place within its kind (organizations or individuals), from 1.
    pub number: usize,
    /// The signatory.
    pub signatory: &'a Signatory,
}

/// One page of the public list, organizations first.
#[derive(Debug)]
pub struct ListPage<'a> {
    /// How many signatories match the search (all of them without one).
    pub matching: usize,
    /// This page's signatories.
    pub items: Vec<Listed<'a>>,
}

/// How many rendered pages a version keeps: the letter and the first list pages in two
/// languages, with room to spare; searches are rendered every time.
const RENDERED_KEPT: usize = 64;

impl PublicView {
    /// The version of this view.
    pub fn version(&self) -> i64 {
        self.letter.list_version
    }

    /// How many signatories are on the public list.
    pub fn approved(&self) -> u64 {
        self.signatories.len() as u64
    }

    /// A page of the list as the HTML page shows it: organizations then individuals, keeping
    /// those whose name, city or country (code, or name in English or Spanish) holds `query`,
    /// accents and case aside.
    pub fn page(&self, query: Option<&str>, offset: usize, limit: usize) -> ListPage<'_> {
        let number = |place: usize| {
            if place < self.organizations {
                place + 1
            } else {
                place - self.organizations + 1
            }
        };
        let listed = |(place, &i): (usize, &usize)| Listed {
            number: number(place),
            signatory: &self.signatories[i],
        };
        match query.map(fold).filter(|q| !q.is_empty()) {
            Some(needle) => {
                let found: Vec<(usize, &usize)> = self
                    .by_kind
                    .iter()
                    .enumerate()
                    .filter(|&(_, &i)| self.search_keys[i].contains(needle.as_str()))
                    .collect();
                ListPage {
                    matching: found.len(),
                    items: found
                        .into_iter()
                        .skip(offset)
                        .take(limit)
                        .map(listed)
                        .collect(),
                }
            }
            // Without a search the page is a slice: nothing is walked but the page itself.
            None => {
                let start = offset.min(self.by_kind.len());
                ListPage {
                    matching: self.by_kind.len(),
                    items: self.by_kind[start..]
                        .iter()
                        .take(limit)
                        .enumerate()
                        .map(|(j, i)| listed((start + j, i)))
                        .collect(),
                }
            }
        }
    }

    /// A page rendered from this version, rendered once under `key` (its `ETag`) and kept
    /// while the version lasts.
    pub fn rendered(&self, key: &str, render: impl FnOnce() -> String) -> String {
        let kept = self
            .rendered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        if let Some(page) = kept {
            return page;
        }
        let page = render();
        let mut rendered = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
        if rendered.len() < RENDERED_KEPT {
            rendered.insert(key.to_owned(), page.clone());
        }
        page
    }
}

/// The public views of letters, newest version of each, shared by all requests.
#[derive(Clone, Default)]
pub struct PublicViews {
    views: Arc<RwLock<HashMap<i64, Arc<PublicView>>>>,
    /// One load at a time per letter: the many readers arriving after a change wait for the
    /// one load rather than each loading the list.
    loads: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
}

impl std::fmt::Debug for PublicViews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PublicViews")
    }
}

impl PublicViews {
    /// The published letter at `slug` as the public sees it now: from memory when its version
    /// has not moved, loaded otherwise. A draft does not exist for the public.
    pub async fn get(&self, db: &DatabaseConnection, slug: &str) -> AppResult<Arc<PublicView>> {
        let (letter_id, version) = current_version(db, slug).await?;
        if let Some(view) = self.current(letter_id, version) {
            return Ok(view);
        }
        let gate = self
            .loads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(letter_id)
            .or_default()
            .clone();
        let _loading = gate.lock().await;
        if let Some(view) = self.current(letter_id, version) {
            return Ok(view);
        }
        let view = Arc::new(load(db, letter_id).await?);
        self.views
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(letter_id, view.clone());
        Ok(view)
    }

    /// The view in memory when it is at least as new as `version`.
    fn current(&self, letter_id: i64, version: i64) -> Option<Arc<PublicView>> {
        self.views
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&letter_id)
            .filter(|view| view.version() >= version)
            .cloned()
    }
}

/// The id and version of the published letter at `slug`: one read by a unique index.
async fn current_version(db: &DatabaseConnection, slug: &str) -> AppResult<(i64, i64)> {
    letter::Entity::find()
        .select_only()
        .column(letter::Column::Id)
        .column(letter::Column::ListVersion)
        .filter(letter::Column::Slug.eq(slug.trim().to_ascii_lowercase()))
        .filter(letter::Column::Status.ne(LetterStatus::Draft))
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("There is no published letter at this address."))
}

type PublicColumns = (
    i64,
    SignatureKind,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Loads a letter's view from one snapshot, so that the version read describes the list read.
async fn load(db: &DatabaseConnection, letter_id: i64) -> AppResult<PublicView> {
    // SQLite reads from one snapshot within any transaction (and takes no options for it);
    // PostgreSQL needs to be asked.
    let (isolation, access) = match db.get_database_backend() {
        DatabaseBackend::Postgres => (
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        ),
        _ => (None, None),
    };
    let txn = db.begin_with_config(isolation, access).await?;
    let letter = letter::Entity::find_by_id(letter_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("There is no published letter at this address."))?;
    let letter = published(&txn, &letter.slug).await?;
    let coordinators = super::letters::coordinators(&txn, letter_id).await?;
    use signature::Column as C;
    let rows: Vec<PublicColumns> = signature::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::Kind,
            C::Name,
            C::Affiliation,
            C::OrgType,
            C::City,
            C::Region,
            C::Country,
        ])
        .filter(C::LetterId.eq(letter_id))
        .filter(C::Status.eq(SignatureStatus::Approved))
        .into_tuple()
        .all(&txn)
        .await?;
    txn.commit().await?;
    let signatories = order_signatories(
        rows.into_iter().map(signatory).collect(),
        letter.list_order,
        LeadSignatories::from_json(&letter.lead_signatories).names(),
        letter.language,
    );
    Ok(arrange(letter, coordinators, signatories))
}

fn signatory(
    (id, kind, name, affiliation, org_type, city, region, country): PublicColumns,
) -> Signatory {
    Signatory {
        id,
        kind,
        public: PublicDetails {
            name,
            affiliation,
            org_type,
            city,
            region,
            country,
            website: None,
        },
    }
}

/// The page's order and the search keys, worked out once per version.
fn arrange(
    letter: letter::Model,
    coordinators: Vec<Coordinator>,
    signatories: Vec<Signatory>,
) -> PublicView {
    let (mut by_kind, individuals): (Vec<usize>, Vec<usize>) =
        (0..signatories.len()).partition(|&i| signatories[i].kind == SignatureKind::Organization);
    let organizations = by_kind.len();
    by_kind.extend(individuals);
    let search_keys = signatories.iter().map(search_key).collect();
    PublicView {
        letter,
        coordinators,
        signatories,
        by_kind,
        organizations,
        search_keys,
        rendered: Mutex::default(),
    }
}

fn search_key(signatory: &Signatory) -> String {
    let public = &signatory.public;
    let country = public.country.as_deref();
    [
        Some(public.name.clone()),
        public.city.clone(),
        country.map(str::to_owned),
        country_label(country, entity::Language::En).map(|c| c.into_owned()),
        country_label(country, entity::Language::Es).map(|c| c.into_owned()),
    ]
    .into_iter()
    .flatten()
    .map(|part| fold(&part))
    .collect::<Vec<_>>()
    .join(" ")
}
