//! A letter's moderation queue: its signatures by state, searchable, a page of 50 at a time,
//! each with what staff need to judge it and the actions open to the reader's role.
//!
//! One entry is drawn by [`super::signature_entry`]; the forms it posts go to
//! [`super::signature_actions`], [`super::signature_forms`] and [`super::signature_merge`].

use entity::{Role, SignatureStatus};
use maud::{Markup, html};
use poem::handler;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Response};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{
    self, LetterTab, csrf_field, letter_header, redirect_with_error, redirect_with_notice,
};
use super::session::{PageContext, Signed};
use super::signature_entry::{entry, status_word};
use crate::domain::check_changeable;
use crate::error::AppError;
use crate::i18n;
use crate::service::access;
use crate::service::changes::ChangesFilter;
use crate::service::letters::{self, LetterView};
use crate::service::signatures::{self, SignatureFilter, StaffSignature};
use crate::state::AppState;

/// How many signatures one page of the queue shows.
pub const PER_PAGE: u64 = 50;

/// A letter as its moderation pages see it: with the reader's role on it.
pub struct LetterAccess {
    /// The letter, its coordinators and its counts.
    pub view: LetterView,
    /// The reader's best role on the letter.
    pub role: Role,
}

impl LetterAccess {
    /// Loads the letter for the signed-in member (404 or 403 when it is not theirs).
    pub async fn load(state: &AppState, page: &Signed, letter_id: i64) -> Result<Self, PageError> {
        let view = letters::get(&state.db, &page.staff, letter_id).await?;
        let (_, role) =
            access::letter_and_role(&state.db, &page.staff, letter_id, Role::Viewer).await?;
        Ok(Self { view, role })
    }

    /// The letter's id.
    pub fn id(&self) -> i64 {
        self.view.letter.id
    }

    /// Whether the reader's role moderates signatures.
    pub fn moderates(&self) -> bool {
        access::may_moderate(self.role)
    }

    /// Whether the reader may change the signatures now: a moderator, and not delivered.
    pub fn may_act(&self) -> bool {
        self.moderates() && check_changeable(self.view.letter.status).is_ok()
    }

    /// For the pages that only show a form: a viewer gets the refusal the form's post would.
    pub fn require_moderator(&self, page: &PageContext) -> Result<(), PageError> {
        if self.moderates() {
            Ok(())
        } else {
            Err(AppError::Forbidden(viewer_note(page).to_owned()).into())
        }
    }

    /// [`Self::require_moderator`], and the letter not delivered.
    pub fn require_act(&self, page: &PageContext) -> Result<(), PageError> {
        self.require_moderator(page)?;
        check_changeable(self.view.letter.status).map_err(AppError::conflict)?;
        Ok(())
    }

    /// The queue's address, with the filter, search and page it was opened with.
    pub fn queue_path(&self, back: &QueueQuery) -> String {
        let query = back.to_query_string();
        let base = format!("/admin/letters/{}/signatures", self.id());
        if query.is_empty() {
            base
        } else {
            format!("{base}?{query}")
        }
    }
}

fn viewer_note(page: &PageContext) -> &'static str {
    page.t(
        "Your role on this letter is viewer: you can read its signatures, and editors and owners change them.",
        "Su rol en esta carta es de lectura: puede ver las firmas; quienes editan o administran las cambian.",
    )
}

/// Which signatures the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Those in one state.
    Only(SignatureStatus),
    /// Approved entries whose signer confirmed changes, waiting for a decision.
    ChangesToReview,
    /// Every signature.
    All,
}

/// The filters of the queue, in the order they are offered.
const FILTERS: [Shown; 7] = [
    Shown::Only(SignatureStatus::PendingVerification),
    Shown::Only(SignatureStatus::Verified),
    Shown::ChangesToReview,
    Shown::Only(SignatureStatus::Approved),
    Shown::Only(SignatureStatus::Rejected),
    Shown::Only(SignatureStatus::Withdrawn),
    Shown::All,
];

impl Shown {
    fn code(self) -> &'static str {
        match self {
            Self::Only(SignatureStatus::PendingVerification) => "pending_verification",
            Self::Only(SignatureStatus::Verified) => "verified",
            Self::Only(SignatureStatus::Approved) => "approved",
            Self::Only(SignatureStatus::Rejected) => "rejected",
            Self::Only(SignatureStatus::Withdrawn) => "withdrawn",
            Self::ChangesToReview => "changes",
            Self::All => "all",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        FILTERS.into_iter().find(|f| f.code() == code.trim())
    }

    fn count(self, view: &LetterView) -> u64 {
        let counts = &view.counts;
        match self {
            Self::Only(SignatureStatus::PendingVerification) => counts.pending_verification,
            Self::Only(SignatureStatus::Verified) => counts.verified,
            Self::Only(SignatureStatus::Approved) => counts.approved,
            Self::Only(SignatureStatus::Rejected) => counts.rejected,
            Self::Only(SignatureStatus::Withdrawn) => counts.withdrawn,
            Self::ChangesToReview => counts.changes_to_review,
            Self::All => counts.total(),
        }
    }

    fn label(self, page: &PageContext) -> &'static str {
        match self {
            Self::Only(status) => status_word(page, status),
            Self::ChangesToReview => page.t("Changes to review", "Cambios por revisar"),
            Self::All => page.t("All", "Todas"),
        }
    }
}

/// `?status=&q=&page=` of the queue; forms carry it back as their `back` field.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueueQuery {
    /// A filter's code (`verified`, `all`...); none shows what waits for moderation.
    pub status: Option<String>,
    /// Text to search for.
    pub q: Option<String>,
    /// The page, from 1.
    pub page: Option<u64>,
}

impl QueueQuery {
    /// The query as a form's `back` field carries it; anything else in it is dropped.
    pub fn from_back(back: Option<&str>) -> Self {
        let mut query = Self::default();
        for (key, value) in url::form_urlencoded::parse(back.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                "status" => query.status = Shown::parse(&value).map(|s| s.code().to_owned()),
                "q" => query.q = Some(value.into_owned()),
                "page" => query.page = value.parse().ok(),
                _ => {}
            }
        }
        query
    }

    /// `status=...&q=...&page=...`, with only what is set.
    pub fn to_query_string(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(status) = &self.status {
            out.append_pair("status", status);
        }
        if let Some(q) = self.q.as_deref().filter(|q| !q.trim().is_empty()) {
            out.append_pair("q", q);
        }
        if let Some(page) = self.page.filter(|p| *p > 1) {
            out.append_pair("page", &page.to_string());
        }
        out.finish()
    }

    fn shown(&self, view: &LetterView) -> Shown {
        match self.status.as_deref().and_then(Shown::parse) {
            Some(shown) => shown,
            None if view.counts.verified > 0 => Shown::Only(SignatureStatus::Verified),
            None if view.counts.changes_to_review > 0 => Shown::ChangesToReview,
            None => Shown::All,
        }
    }

    fn page_number(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }

    fn with_page(&self, shown: Shown, page: u64) -> String {
        Self {
            status: Some(shown.code().to_owned()),
            q: self.q.clone(),
            page: Some(page),
        }
        .to_query_string()
    }
}

/// `GET /admin/letters/{id}/signatures`: the queue.
#[handler]
pub async fn queue(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
    Query(query): Query<QueueQuery>,
) -> Result<Markup, PageError> {
    let letter = LetterAccess::load(&state, &page, letter_id).await?;
    let shown = query.shown(&letter.view);
    let number = query.page_number();
    let filter = SignatureFilter {
        status: match shown {
            Shown::Only(status) => Some(status),
            Shown::ChangesToReview | Shown::All => None,
        },
        query: query.q.clone(),
        changes: (shown == Shown::ChangesToReview).then_some(ChangesFilter::AwaitingReview),
    };
    let (items, total) = signatures::list(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        filter,
        PER_PAGE,
        (number - 1).saturating_mul(PER_PAGE),
    )
    .await?;
    let back = QueueQuery {
        status: Some(shown.code().to_owned()),
        ..query.clone()
    };
    let title = format!(
        "{} · {}",
        page.t("Signatures", "Firmas"),
        letter.view.letter.title
    );
    let content = html! {
        (letter_header(&page, &letter.view.letter, LetterTab::Signatures))
        (queue_intro(&page, &letter))
        (filters(&page, &letter, shown, &query))
        (search_form(&page, &letter, shown, &query))
        (entries(&page, &letter, &items, &back))
        (pagination(&page, &letter, shown, &query, total))
    };
    Ok(layout::page(&page, &title, content))
}

fn queue_intro(page: &PageContext, letter: &LetterAccess) -> Markup {
    html! {
        @if !letter.moderates() {
            p.notice { (viewer_note(page)) }
        } @else if !letter.may_act() {
            p.notice { (page.t(
                "This letter was delivered: its signatures can no longer change.",
                "Esta carta se entregó: sus firmas ya no pueden cambiar.",
            )) }
        } @else {
            p.actions {
                a.button.secondary href=(format!("/admin/letters/{}/signatures/new", letter.id())) {
                    (page.t("Add a signature by hand", "Agregar una firma a mano"))
                }
            }
        }
    }
}

fn filters(page: &PageContext, letter: &LetterAccess, shown: Shown, query: &QueueQuery) -> Markup {
    html! {
        nav aria-label=(page.t("Show signatures", "Mostrar firmas")) {
            ul.counts {
                // Changes to review are offered only when there are some.
                @for filter in FILTERS.into_iter().filter(|f| {
                    *f != Shown::ChangesToReview || *f == shown || f.count(&letter.view) > 0
                }) {
                    @let href = letter.queue_path(&QueueQuery {
                        status: Some(filter.code().to_owned()),
                        q: query.q.clone(),
                        page: None,
                    });
                    li {
                        a href=(href) aria-current=[(filter == shown).then_some("page")] {
                            @if filter == shown {
                                strong { (filter.label(page)) " (" (filter.count(&letter.view)) ")" }
                            } @else {
                                (filter.label(page)) " (" (filter.count(&letter.view)) ")"
                            }
                        }
                    }
                }
            }
        }
    }
}

fn search_form(
    page: &PageContext,
    letter: &LetterAccess,
    shown: Shown,
    query: &QueueQuery,
) -> Markup {
    html! {
        form.actions method="get" action=(format!("/admin/letters/{}/signatures", letter.id())) role="search" {
            input type="hidden" name="status" value=(shown.code());
            label for="q" style="margin:0" { (page.t("Search", "Buscar")) }
            input type="text" id="q" name="q" value=(query.q.as_deref().unwrap_or_default())
                style="max-width:22rem"
                aria-describedby="q-hint";
            button.secondary type="submit" { (page.t("Search", "Buscar")) }
            span.hint id="q-hint" { (page.t(
                "A name, place or type of organization; editors may also give a contact's email.",
                "Un nombre, un lugar o un tipo de organización; quienes editan también pueden buscar el correo de un contacto.",
            )) }
        }
    }
}

fn entries(
    page: &PageContext,
    letter: &LetterAccess,
    items: &[StaffSignature],
    back: &QueueQuery,
) -> Markup {
    let bulk_action = format!("/admin/letters/{}/signatures/approve", letter.id());
    let selectable = letter.may_act() && items.iter().any(super::signature_entry::approvable);
    html! {
        @if items.is_empty() {
            p { (page.t("No signatures here.", "No hay firmas aquí.")) }
        } @else {
            @if selectable {
                form.actions id="bulk" method="post" action=(bulk_action) {
                    (csrf_field(page))
                    input type="hidden" name="back" value=(back.to_query_string());
                    button type="submit" { (page.t("Approve selected", "Aprobar las seleccionadas")) }
                    span.hint { (page.t(
                        "Tick the signatures to approve, then press this button.",
                        "Marque las firmas que quiere aprobar y luego pulse este botón.",
                    )) }
                }
            }
            @for item in items {
                (entry(page, letter, item, back))
            }
        }
    }
}

fn pagination(
    page: &PageContext,
    letter: &LetterAccess,
    shown: Shown,
    query: &QueueQuery,
    total: u64,
) -> Markup {
    let number = query.page_number();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let link = |to: u64| {
        format!(
            "/admin/letters/{}/signatures?{}",
            letter.id(),
            query.with_page(shown, to)
        )
    };
    html! {
        nav aria-label=(page.t("Pages", "Páginas")) {
            p.actions {
                @if number > 1 {
                    a href=(link(number - 1)) rel="prev" { "← " (page.t("Previous", "Anterior")) }
                }
                span.meta {
                    (total) " " (page.t("signatures", "firmas")) " · "
                    (page.t("page", "página")) " " (number.min(pages)) " / " (pages)
                }
                @if number < pages {
                    a href=(link(number + 1)) rel="next" { (page.t("Next", "Siguiente")) " →" }
                }
            }
        }
    }
}

/// After an action: back to the queue as it was, with a notice saying what happened, or with
/// the service's refusal when the signatures' state did not allow it (a 409 or a bad field).
pub fn after_action<T>(
    jar: &CookieJar,
    page: &PageContext,
    location: &str,
    outcome: Result<T, AppError>,
    done: &str,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(redirect_with_notice(jar, page, location, done)),
        Err(err @ (AppError::Conflict { .. } | AppError::Invalid { .. })) => {
            Ok(redirect_with_error(jar, page, location, refusal(page, &err)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// What the service refused, in words for the notice: its message, or each field's.
pub fn refusal(page: &PageContext, err: &AppError) -> String {
    let detail = match err {
        AppError::Invalid { fields, .. } => fields
            .as_map()
            .values()
            .map(|message| i18n::field_error(message, page.lang))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    format!(
        "{} {detail}",
        page.t("Nothing was changed.", "No se cambió nada.")
    )
}
