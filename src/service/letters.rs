//! Letters: writing them, their life from draft to delivered, who leads them, and the public read.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{
    Language, LetterStatus, ListOrder, Moderation, Paper, Role, SignatureStatus, letter,
    letter_coordinator, organization, signature,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{self, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};
use serde_json::json;

use super::accounts::Staff;
use super::audit::{self, Actor, Event};
use super::changes::ChangesFilter;
use super::delivery::{DeliveryChanges, DeliveryFields};
use super::signing::SigningContext;
use super::{access, public_view};
use crate::domain::{
    EmbedOrigins, FieldErrors, LeadSignatories, MAX_ADDRESSEES_CHARS, MAX_BODY_CHARS,
    MAX_NAME_CHARS, RetentionDays, Slug, Translation, Translations, bounded_text, check_changeable,
    check_transition, optional_text,
};
use crate::error::{AppError, AppResult};

/// Changes to a letter's settings; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct LetterChanges {
    /// A new slug (only while the letter is a draft).
    pub slug: Option<Slug>,
    /// A new title.
    pub title: Option<String>,
    /// A new body, Markdown.
    pub body: Option<String>,
    /// A new addressee block.
    pub addressees: Option<String>,
    /// The language the letter is written in.
    pub language: Option<Language>,
    /// `Some(None)` removes the deadline.
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// Automatic or manual approval.
    pub moderation: Option<Moderation>,
    /// Whether individuals may sign.
    pub accept_individuals: Option<bool>,
    /// The order of the signatory list.
    pub list_order: Option<ListOrder>,
    /// The paper the PDF is printed on.
    pub paper: Option<Paper>,
    /// Names listed first.
    pub lead_signatories: Option<LeadSignatories>,
    /// Days contact data is kept after delivery.
    pub retention_days: Option<RetentionDays>,
    /// The whole set of translations, replacing the current one.
    pub translations: Option<BTreeMap<Language, Translation>>,
    /// Who delivery emails and what it says to them.
    pub delivery: DeliveryChanges,
    /// The origins that may frame the embeddable form, replacing the current ones.
    pub embed_origins: Option<EmbedOrigins>,
}

/// A letter to create.
#[derive(Debug)]
pub struct NewLetter {
    /// The lead organization; may be left out when the author belongs to just one.
    pub organization_id: Option<i64>,
    /// Its public address.
    pub slug: Slug,
    /// Its title.
    pub title: String,
    /// Everything else; unset fields take their defaults.
    pub settings: LetterChanges,
}

/// A letter's settings as a person or a program gave them, before any check; `None` leaves a
/// field as it is. The JSON API and the dashboard's form both fill one in and call
/// [`LetterFields::parse`] or [`LetterFields::parse_new`], so they accept exactly the same letters.
#[derive(Debug, Default)]
pub struct LetterFields {
    /// The public address.
    pub slug: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The body, Markdown.
    pub body: Option<String>,
    /// The addressee block.
    pub addressees: Option<String>,
    /// The language the letter is written in.
    pub language: Option<Language>,
    /// `Some(None)` removes the deadline.
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// Automatic or manual approval.
    pub moderation: Option<Moderation>,
    /// Whether individuals may sign.
    pub accept_individuals: Option<bool>,
    /// The order of the signatory list.
    pub list_order: Option<ListOrder>,
    /// The paper the PDF is printed on.
    pub paper: Option<Paper>,
    /// Names listed first; blank ones are dropped.
    pub lead_signatories: Option<Vec<String>>,
    /// Days contact data is kept after delivery.
    pub retention_days: Option<i64>,
    /// The whole set of translations by language code (`en`, `es`), replacing the current one.
    pub translations: Option<BTreeMap<String, TranslationFields>>,
    /// Who delivery emails and what it says to them.
    pub delivery: DeliveryFields,
    /// The origins that may frame the embeddable form, replacing the current ones.
    pub embed_origins: Option<Vec<String>>,
}

/// A translation as given, before any check.
#[derive(Debug, Default, Clone)]
pub struct TranslationFields {
    /// The translated title.
    pub title: String,
    /// The translated body, Markdown.
    pub body: String,
    /// The translated addressee block.
    pub addressees: String,
}

impl LetterFields {
    /// Checks the fields of an edit, collecting every error at once.
    pub fn parse(self) -> Result<LetterChanges, FieldErrors> {
        let mut errors = FieldErrors::default();
        let changes = self.check(&mut errors);
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }

    /// Checks the fields of a new letter, whose slug and title are required.
    pub fn parse_new(self, organization_id: Option<i64>) -> Result<NewLetter, FieldErrors> {
        let mut errors = FieldErrors::default();
        for (field, absent) in [
            ("slug", self.slug.is_none()),
            ("title", self.title.is_none()),
        ] {
            if absent {
                errors.add(field, "This field is required.");
            }
        }
        let mut settings = self.check(&mut errors);
        match (settings.slug.take(), settings.title.take()) {
            (Some(slug), Some(title)) if errors.is_empty() => Ok(NewLetter {
                organization_id,
                slug,
                title,
                settings,
            }),
            _ => Err(errors),
        }
    }

    fn check(self, errors: &mut FieldErrors) -> LetterChanges {
        let slug = self
            .slug
            .as_deref()
            .and_then(|s| errors.check("slug", Slug::parse(s)));
        let title = self
            .title
            .as_deref()
            .and_then(|t| errors.check("title", bounded_text(t, MAX_NAME_CHARS)));
        let mut long_text = |field: &str, value: Option<String>, max: usize| {
            value.and_then(|text| {
                errors
                    .check(field, optional_text(Some(&text), max, true))
                    .map(Option::unwrap_or_default)
            })
        };
        let body = long_text("body", self.body, MAX_BODY_CHARS);
        let addressees = long_text("addressees", self.addressees, MAX_ADDRESSEES_CHARS);
        let lead_signatories = self
            .lead_signatories
            .as_deref()
            .and_then(|names| errors.check("lead_signatories", LeadSignatories::parse(names)));
        let retention_days = self
            .retention_days
            .and_then(|days| errors.check("retention_days", RetentionDays::parse(days)));
        let translations = self
            .translations
            .map(|entries| check_translations(entries, errors));
        let delivery = self.delivery.check(errors);
        let embed_origins = self
            .embed_origins
            .as_deref()
            .and_then(|origins| errors.check("embed_origins", EmbedOrigins::parse(origins)));
        LetterChanges {
            slug,
            title,
            body,
            addressees,
            language: self.language,
            deadline: self.deadline,
            moderation: self.moderation,
            accept_individuals: self.accept_individuals,
            list_order: self.list_order,
            paper: self.paper,
            lead_signatories,
            retention_days,
            translations,
            delivery,
            embed_origins,
        }
    }
}

fn check_translations(
    entries: BTreeMap<String, TranslationFields>,
    errors: &mut FieldErrors,
) -> BTreeMap<Language, Translation> {
    let mut parsed = BTreeMap::new();
    for (code, t) in entries {
        let Some(language) = crate::i18n::parse_code(&code) else {
            errors.add(
                "translations",
                format!("Unsupported language \"{code}\": use en or es."),
            );
            continue;
        };
        if let Some(t) = errors.check(
            "translations",
            Translation::parse(&t.title, &t.body, &t.addressees),
        ) {
            parsed.insert(language, t);
        }
    }
    parsed
}

/// A coordinating organization of a letter.
#[derive(Debug, Clone)]
pub struct Coordinator {
    /// The organization.
    pub organization_id: i64,
    /// Its name.
    pub name: String,
    /// Whether it is the lead organization (the others co-lead).
    pub is_lead: bool,
}

/// How many signatures a letter has in each state.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Waiting for the contact person.
    pub pending_verification: u64,
    /// Confirmed, waiting for moderation.
    pub verified: u64,
    /// On the public list.
    pub approved: u64,
    /// Refused.
    pub rejected: u64,
    /// Withdrawn by the signer.
    pub withdrawn: u64,
    /// Approved, with changes their signer confirmed waiting for a decision (counted among
    /// the approved too).
    pub changes_to_review: u64,
}

impl Counts {
    /// Counts `n` more signatures in `status`.
    pub(crate) fn add(&mut self, status: SignatureStatus, n: u64) {
        match status {
            SignatureStatus::PendingVerification => self.pending_verification += n,
            SignatureStatus::Verified => self.verified += n,
            SignatureStatus::Approved => self.approved += n,
            SignatureStatus::Rejected => self.rejected += n,
            SignatureStatus::Withdrawn => self.withdrawn += n,
        }
    }

    /// The counts in the order to confirm, to moderate, approved, rejected, withdrawn.
    pub fn by_state(&self) -> [u64; 5] {
        [
            self.pending_verification,
            self.verified,
            self.approved,
            self.rejected,
            self.withdrawn,
        ]
    }

    /// Every signature, whatever its state.
    pub fn total(&self) -> u64 {
        self.pending_verification + self.verified + self.approved + self.rejected + self.withdrawn
    }
}

/// A letter with what staff and the public pages show around it.
#[derive(Debug, Clone)]
pub struct LetterView {
    /// The letter.
    pub letter: letter::Model,
    /// Its coordinating organizations, the lead first.
    pub coordinators: Vec<Coordinator>,
    /// Its signatures by state.
    pub counts: Counts,
}

impl LetterView {
    /// Whether the public form takes signatures now: open and before the deadline.
    pub fn accepting_signatures(&self, now: DateTime<Utc>) -> bool {
        accepting_signatures(&self.letter, now)
    }

    /// The names listed first.
    pub fn lead_signatories(&self) -> LeadSignatories {
        LeadSignatories::from_json(&self.letter.lead_signatories)
    }

    /// The letter in other languages.
    pub fn translations(&self) -> Translations {
        Translations::from_json(&self.letter.translations)
    }

    /// The origins that may frame the letter's embeddable form.
    pub fn embed_origins(&self) -> EmbedOrigins {
        EmbedOrigins::from_json(&self.letter.embed_origins)
    }

    /// The staff member's highest role in the letter's coordinating organizations.
    pub fn role_of(&self, staff: &Staff) -> Option<Role> {
        self.coordinators
            .iter()
            .filter_map(|c| staff.role_in(c.organization_id))
            .max()
    }
}

/// Creates a draft letter led by one of the author's organizations.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id))]
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    new: NewLetter,
) -> AppResult<LetterView> {
    let organization_id = lead_organization(staff, new.organization_id)?;
    access::require_role_in(staff, organization_id, access::WRITES_LETTERS)?;

    let txn = crate::db::begin_write(db).await?;
    ensure_slug_free(&txn, &new.slug, None).await?;
    let now = Utc::now();
    let mut draft = letter::ActiveModel {
        slug: Set(new.slug.as_str().to_owned()),
        title: Set(new.title),
        body: Set(String::new()),
        addressees: Set(String::new()),
        language: Set(Language::En),
        deadline: Set(None),
        moderation: Set(Moderation::Auto),
        accept_individuals: Set(false),
        list_order: Set(ListOrder::Alphabetical),
        paper: Set(Paper::Letter),
        lead_signatories: Set(LeadSignatories::default().to_json()),
        retention_days: Set(RetentionDays::DEFAULT.days()),
        translations: Set(Translations::default().to_json()),
        status: Set(LetterStatus::Draft),
        revision: Set(1),
        created_by: Set(Some(staff.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    };
    apply_changes(&mut draft, new.settings, now)?; // a new letter is at revision 1 whatever it holds
    let letter = draft.insert(&txn).await?;
    letter_coordinator::ActiveModel {
        letter_id: Set(letter.id),
        organization_id: Set(organization_id),
        is_lead: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "letter.created",
            letter_id: Some(letter.id),
            signature_id: None,
            before: None,
            after: Some(audit_snapshot(&letter)),
        },
    )
    .await?;
    txn.commit().await?;
    details(db, letter).await
}

fn lead_organization(staff: &Staff, requested: Option<i64>) -> AppResult<i64> {
    if let Some(id) = requested {
        return Ok(id);
    }
    match staff.memberships.as_slice() {
        [only] => Ok(only.organization_id),
        [] => Err(AppError::Forbidden(
            "You are not a member of any organization.".into(),
        )),
        _ => Err(AppError::invalid_field(
            "organization_id",
            "You belong to several organizations: say which one leads this letter.",
        )),
    }
}

async fn ensure_slug_free(
    db: &impl ConnectionTrait,
    slug: &Slug,
    except_letter: Option<i64>,
) -> AppResult<()> {
    let mut query = letter::Entity::find().filter(letter::Column::Slug.eq(slug.as_str()));
    if let Some(id) = except_letter {
        query = query.filter(letter::Column::Id.ne(id));
    }
    if query.count(db).await? > 0 {
        return Err(AppError::taken(
            "slug",
            "Another letter already uses this slug.",
        ));
    }
    Ok(())
}

/// Applies changes to a letter being created or edited, and checks the rules that depend on
/// several fields at once. Tells whether the text that signers read has changed.
fn apply_changes(
    letter: &mut letter::ActiveModel,
    changes: LetterChanges,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    // A form sends every field, changed or not: only a different text is a new revision.
    let differs = |new: &Option<String>, current: &ActiveValue<String>| {
        new.as_ref().is_some_and(|new| new != current.as_ref())
    };
    let before = Translations::from_json(letter.translations.as_ref());
    let text_changed = differs(&changes.title, &letter.title)
        || differs(&changes.body, &letter.body)
        || differs(&changes.addressees, &letter.addressees)
        || changes
            .translations
            .as_ref()
            .is_some_and(|new| new != before.entries());
    if let Some(slug) = changes.slug {
        letter.slug = Set(slug.as_str().to_owned());
    }
    if let Some(title) = changes.title {
        letter.title = Set(title);
    }
    if let Some(body) = changes.body {
        letter.body = Set(body);
    }
    if let Some(addressees) = changes.addressees {
        letter.addressees = Set(addressees);
    }
    if let Some(language) = changes.language {
        letter.language = Set(language);
    }
    if let Some(deadline) = changes.deadline {
        if deadline.is_some_and(|d| d <= now) {
            return Err(AppError::invalid_field(
                "deadline",
                "The deadline must be in the future.",
            ));
        }
        letter.deadline = Set(deadline);
    }
    if let Some(moderation) = changes.moderation {
        letter.moderation = Set(moderation);
    }
    if let Some(accept) = changes.accept_individuals {
        letter.accept_individuals = Set(accept);
    }
    if let Some(order) = changes.list_order {
        letter.list_order = Set(order);
    }
    if let Some(paper) = changes.paper {
        letter.paper = Set(paper);
    }
    if let Some(lead) = changes.lead_signatories {
        letter.lead_signatories = Set(lead.to_json());
    }
    if let Some(days) = changes.retention_days {
        letter.retention_days = Set(days.days());
    }
    changes.delivery.apply(letter);
    if let Some(origins) = changes.embed_origins {
        letter.embed_origins = Set(origins.to_json());
    }
    let language = *letter.language.as_ref();
    let translations = match changes.translations {
        Some(entries) => Translations::new(language, entries),
        None => Translations::new(language, before.entries().clone()),
    }
    .map_err(|message| AppError::invalid_field("translations", message))?;
    letter.translations = Set(translations.to_json());
    letter.updated_at = Set(now);
    Ok(text_changed)
}

/// Edits a letter's settings; a delivered letter no longer changes.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id, letter_id))]
pub async fn update(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    changes: LetterChanges,
) -> AppResult<LetterView> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let current = access::letter_for(&txn, staff, letter_id, access::WRITES_LETTERS).await?;
    check_changeable(current.status).map_err(AppError::conflict)?;
    if let Some(slug) = &changes.slug {
        if slug.as_str() != current.slug && current.status != LetterStatus::Draft {
            return Err(AppError::taken(
                "slug",
                "The slug of a letter that has been opened cannot change: its address is already out there.",
            ));
        }
        ensure_slug_free(&txn, slug, Some(letter_id)).await?;
    }
    let mut edited = current.clone().into_active_model();
    if apply_changes(&mut edited, changes, Utc::now())? {
        edited.revision = Set(current.revision + 1);
    }
    let updated = edited.update(&txn).await?;
    public_view::touch(&txn, letter_id).await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "letter.updated",
            letter_id: Some(letter_id),
            signature_id: None,
            before: Some(audit_snapshot(&current)),
            after: Some(audit_snapshot(&updated)),
        },
    )
    .await?;
    txn.commit().await?;
    details(db, updated).await
}

/// Moves a letter along its life; asking for the status it already has changes nothing.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id, letter_id))]
pub async fn set_status(
    db: &DatabaseConnection,
    ctx: &SigningContext,
    staff: &Staff,
    letter_id: i64,
    to: LetterStatus,
) -> AppResult<LetterView> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let current = access::letter_for(&txn, staff, letter_id, access::WRITES_LETTERS).await?;
    if current.status == to {
        txn.commit().await?;
        return details(db, current).await;
    }
    check_transition(current.status, to).map_err(AppError::conflict)?;
    let now = Utc::now();
    if to == LetterStatus::Open {
        if current.body.trim().is_empty() {
            return Err(AppError::conflict(
                "Write the letter's body before opening it for signatures.",
            ));
        }
        if current.deadline.is_some_and(|deadline| deadline <= now) {
            return Err(AppError::conflict(
                "The deadline has passed: set a later one before reopening.",
            ));
        }
    }
    let mut changed = current.clone().into_active_model();
    changed.status = Set(to);
    changed.updated_at = Set(now);
    match to {
        LetterStatus::Closed => changed.closed_at = Set(Some(now)),
        // Collecting signatures again: its contacts are needed until it closes anew.
        LetterStatus::Open => changed.closed_at = Set(None),
        LetterStatus::Delivered => changed.delivered_at = Set(Some(now)),
        LetterStatus::Draft => {}
    }
    let updated = changed.update(&txn).await?;
    public_view::touch(&txn, letter_id).await?;
    let actor = Actor::from(staff);
    audit::record(
        &txn,
        Event {
            actor: &actor,
            action: "letter.status_changed",
            letter_id: Some(letter_id),
            signature_id: None,
            before: Some(json!({ "status": current.status })),
            after: Some(json!({ "status": to })),
        },
    )
    .await?;
    if to == LetterStatus::Delivered {
        super::exports::freeze(&txn, &updated).await?;
        // In this transaction: the letter is delivered once, so its emails are queued once.
        super::delivery::queue(&txn, &ctx.keys, &ctx.base_url, &actor, &updated).await?;
    }
    txn.commit().await?;
    details(db, updated).await
}

/// Loads a letter whose coordinators are to change: that hands every member of an
/// organization, viewers too, all of the letter's contacts, so it takes an owner.
async fn letter_for_coordinator_change(
    txn: &impl ConnectionTrait,
    staff: &Staff,
    letter_id: i64,
) -> AppResult<letter::Model> {
    let letter = access::letter_for(txn, staff, letter_id, Role::Owner).await?;
    check_changeable(letter.status).map_err(AppError::conflict)?;
    Ok(letter)
}

/// Adds a co-leading organization, whose members get the same access as the lead's.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id, letter_id))]
pub async fn add_coordinator(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    organization_name: &str,
) -> AppResult<LetterView> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let letter = letter_for_coordinator_change(&txn, staff, letter_id).await?;
    let organization = organization::Entity::find()
        .filter(organization::Column::Name.eq(organization_name))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(
                "organization",
                "No organization with this name has an account here; its staff must be added first.",
            )
        })?;
    let already = letter_coordinator::Entity::find()
        .filter(letter_coordinator::Column::LetterId.eq(letter_id))
        .filter(letter_coordinator::Column::OrganizationId.eq(organization.id))
        .count(&txn)
        .await?;
    if already > 0 {
        return Err(AppError::taken(
            "organization",
            "This organization already coordinates this letter.",
        ));
    }
    letter_coordinator::ActiveModel {
        letter_id: Set(letter_id),
        organization_id: Set(organization.id),
        is_lead: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    public_view::touch(&txn, letter_id).await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "letter.coordinator_added",
            letter_id: Some(letter_id),
            signature_id: None,
            before: None,
            after: Some(
                json!({ "organization_id": organization.id, "organization": organization.name }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    details(db, letter).await
}

/// Removes a co-leading organization: its members lose access to the letter. The lead
/// organization stays.
#[tracing::instrument(skip_all, fields(user_id = staff.user_id, letter_id))]
pub async fn remove_coordinator(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    organization_id: i64,
) -> AppResult<LetterView> {
    let txn = crate::db::begin_letter_write(db, letter_id).await?;
    let letter = letter_for_coordinator_change(&txn, staff, letter_id).await?;
    let (link, organization) = letter_coordinator::Entity::find()
        .filter(letter_coordinator::Column::LetterId.eq(letter_id))
        .filter(letter_coordinator::Column::OrganizationId.eq(organization_id))
        .find_also_related(organization::Entity)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "Organization {organization_id} does not coordinate this letter."
            ))
        })?;
    if link.is_lead {
        return Err(AppError::conflict(
            "The lead organization cannot be removed from its letter.",
        ));
    }
    letter_coordinator::Entity::delete_by_id(link.id)
        .exec(&txn)
        .await?;
    public_view::touch(&txn, letter_id).await?;
    audit::record(
        &txn,
        Event {
            actor: &Actor::from(staff),
            action: "letter.coordinator_removed",
            letter_id: Some(letter_id),
            signature_id: None,
            before: Some(json!({
                "organization_id": organization_id,
                "organization": organization.map(|o| o.name),
            })),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    details(db, letter).await
}

/// A letter by its slug, whatever its status: for the command line, which is trusted.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> AppResult<letter::Model> {
    letter::Entity::find()
        .filter(letter::Column::Slug.eq(slug.trim().to_ascii_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no letter with the slug {slug:?}.")))
}

/// One letter, for a staff member who may read it.
pub async fn get(db: &DatabaseConnection, staff: &Staff, letter_id: i64) -> AppResult<LetterView> {
    let letter = access::letter_for(db, staff, letter_id, Role::Viewer).await?;
    details(db, letter).await
}

/// A letter's audit trail, newest first, for a staff member who may read the letter.
pub async fn events(
    db: &DatabaseConnection,
    staff: &Staff,
    letter_id: i64,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<entity::audit_event::Model>, u64)> {
    access::letter_for(db, staff, letter_id, Role::Viewer).await?;
    audit::list_for_letter(db, letter_id, limit, offset).await
}

/// The letters coordinated by any of these organizations.
pub(crate) fn coordinated_by(
    organization_ids: impl IntoIterator<Item = i64>,
) -> sea_orm::Select<letter::Entity> {
    let coordinated = Query::select()
        .column(letter_coordinator::Column::LetterId)
        .from(letter_coordinator::Entity)
        .and_where(letter_coordinator::Column::OrganizationId.is_in(organization_ids))
        .to_owned();
    letter::Entity::find().filter(letter::Column::Id.in_subquery(coordinated))
}

/// The letters coordinated by any of the staff member's organizations, most recently changed
/// first, with the total count.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<LetterView>, u64)> {
    let query = coordinated_by(staff.memberships.iter().map(|m| m.organization_id));
    let total = query.clone().count(db).await?;
    let letters = query
        .order_by_desc(letter::Column::UpdatedAt)
        .order_by_desc(letter::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((views(db, letters).await?, total))
}

/// A slug as letters are stored under it: lowercase, so an address typed in capitals still
/// finds its letter.
pub fn slug_key(slug: &str) -> String {
    slug.trim().to_ascii_lowercase()
}

/// A published letter (open, closed or delivered) by slug; a draft does not exist for the
/// public. Slugs are lowercase, so an address typed in capitals still finds its letter.
pub async fn published(db: &impl ConnectionTrait, slug: &str) -> AppResult<letter::Model> {
    letter::Entity::find()
        .filter(letter::Column::Slug.eq(slug_key(slug)))
        .filter(letter::Column::Status.ne(LetterStatus::Draft))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("There is no published letter at this address."))
}

/// A letter with its coordinators and counts.
pub async fn details(db: &DatabaseConnection, letter: letter::Model) -> AppResult<LetterView> {
    let mut all = views(db, vec![letter]).await?;
    Ok(all.remove(0))
}

/// A letter's coordinating organizations, the lead first.
pub async fn coordinators(
    db: &impl ConnectionTrait,
    letter_id: i64,
) -> AppResult<Vec<Coordinator>> {
    Ok(coordinators_of(db, vec![letter_id])
        .await?
        .remove(&letter_id)
        .unwrap_or_default())
}

/// The coordinators of several letters in one query, each letter's lead first.
async fn coordinators_of(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, Vec<Coordinator>>> {
    let mut coordinators: HashMap<i64, Vec<Coordinator>> = HashMap::new();
    for (link, organization) in letter_coordinator::Entity::find()
        .filter(letter_coordinator::Column::LetterId.is_in(ids))
        .find_also_related(organization::Entity)
        .order_by_desc(letter_coordinator::Column::IsLead)
        .order_by_asc(letter_coordinator::Column::Id)
        .all(db)
        .await?
    {
        if let Some(organization) = organization {
            coordinators
                .entry(link.letter_id)
                .or_default()
                .push(Coordinator {
                    organization_id: organization.id,
                    name: organization.name,
                    is_lead: link.is_lead,
                });
        }
    }
    Ok(coordinators)
}

/// The signatures of several letters by state, in one grouped query; a letter without
/// signatures is absent. `changes_to_review` stays 0.
pub(crate) async fn counts_by_state(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, Counts>> {
    let rows: Vec<(i64, SignatureStatus, i64)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::LetterId)
        .column(signature::Column::Status)
        .column_as(signature::Column::Id.count(), "n")
        .filter(signature::Column::LetterId.is_in(ids))
        .group_by(signature::Column::LetterId)
        .group_by(signature::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: HashMap<i64, Counts> = HashMap::new();
    for (letter_id, status, n) in rows {
        counts
            .entry(letter_id)
            .or_default()
            .add(status, n.max(0) as u64);
    }
    Ok(counts)
}

/// Loads coordinators and counts for several letters in three queries, whatever their number.
async fn views(db: &DatabaseConnection, letters: Vec<letter::Model>) -> AppResult<Vec<LetterView>> {
    let ids: Vec<i64> = letters.iter().map(|l| l.id).collect();
    let mut coordinators = coordinators_of(db, ids.clone()).await?;
    let mut counts = counts_by_state(db, ids.clone()).await?;
    let to_review: Vec<(i64, i64)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::LetterId)
        .column_as(signature::Column::Id.count(), "n")
        .filter(signature::Column::LetterId.is_in(ids))
        .filter(ChangesFilter::AwaitingReview.condition())
        .group_by(signature::Column::LetterId)
        .into_tuple()
        .all(db)
        .await?;
    for (letter_id, n) in to_review {
        counts.entry(letter_id).or_default().changes_to_review = n.max(0) as u64;
    }
    Ok(letters
        .into_iter()
        .map(|letter| LetterView {
            coordinators: coordinators.remove(&letter.id).unwrap_or_default(),
            counts: counts.remove(&letter.id).unwrap_or_default(),
            letter,
        })
        .collect())
}

/// What the audit trail keeps of a letter: its settings and text, no signatures.
fn audit_snapshot(letter: &letter::Model) -> serde_json::Value {
    json!({
        "slug": letter.slug,
        "title": letter.title,
        "body": letter.body,
        "addressees": letter.addressees,
        "language": letter.language,
        "deadline": letter.deadline,
        "moderation": letter.moderation,
        "accept_individuals": letter.accept_individuals,
        "order": letter.list_order,
        "paper": letter.paper,
        "lead_signatories": LeadSignatories::from_json(&letter.lead_signatories).names(),
        "retention_days": letter.retention_days,
        "translations": Translations::from_json(&letter.translations).entries(),
        "addressee_emails": super::delivery::addressee_emails(letter).emails().iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "cover_note": letter.cover_note,
        "embed_origins": EmbedOrigins::from_json(&letter.embed_origins).origins(),
        "status": letter.status,
        "revision": letter.revision,
    })
}

/// The names of a letter's coordinating organizations, the lead first.
pub async fn coordinator_names(
    db: &impl ConnectionTrait,
    letter_id: i64,
) -> AppResult<Vec<String>> {
    Ok(letter_coordinator::Entity::find()
        .filter(letter_coordinator::Column::LetterId.eq(letter_id))
        .find_also_related(organization::Entity)
        .order_by_desc(letter_coordinator::Column::IsLead)
        .order_by_asc(letter_coordinator::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, organization)| organization.map(|o| o.name))
        .collect())
}

/// A letter's text in one language.
#[derive(Debug, Clone)]
pub struct LetterText {
    /// The language the text is in.
    pub language: Language,
    /// The title.
    pub title: String,
    /// The body, Markdown.
    pub body: String,
    /// The addressee block.
    pub addressees: String,
}

/// The letter's text in the wanted language when it has it, otherwise in its own language.
pub fn text_in(letter: &letter::Model, wanted: Language) -> LetterText {
    if wanted != letter.language
        && let Some(translation) = Translations::from_json(&letter.translations)
            .entries()
            .get(&wanted)
    {
        return LetterText {
            language: wanted,
            title: translation.title.clone(),
            body: translation.body.clone(),
            addressees: translation.addressees.clone(),
        };
    }
    LetterText {
        language: letter.language,
        title: letter.title.clone(),
        body: letter.body.clone(),
        addressees: letter.addressees.clone(),
    }
}

/// Whether a letter takes signatures at `now`: open, and before its deadline.
pub fn accepting_signatures(letter: &letter::Model, now: DateTime<Utc>) -> bool {
    letter.status == LetterStatus::Open && letter.deadline.is_none_or(|deadline| now < deadline)
}
