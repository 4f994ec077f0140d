//! The letter page with its sign-on form, the form's submission, and the signatory list.

use chrono::Utc;
use entity::{Language, LetterStatus, SignatureKind};
use maud::{Markup, PreEscaped, html};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Html, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::form::{self, FormContext, FormState, SignForm};
use super::layout::page;
use super::markdown::to_safe_html;
use super::{LangQuery, html_response, language, message_page, not_found, server_error};
use crate::client::ClientInfo;
use crate::domain::mailbox::suggest_correction;
use crate::domain::{FieldErrors, Intake, SignatureDraft};
use crate::error::AppError;
use crate::http_cache;
use crate::i18n::{self, fill, long_date, texts};
use crate::service::exports;
use crate::service::letters::{self, text_in};
use crate::service::partners;
use crate::service::public_view::{Listed, PublicView};
use crate::service::signing::SignRequest;
use crate::state::AppState;

/// The landing page: what signon is, for someone who opens the server's address.
#[handler]
pub fn home(req: &Request, Query(query): Query<LangQuery>) -> Response {
    let lang = language(req, &query, Language::En);
    let (title, text) = match lang {
        Language::En => (
            "signon",
            "Coalition sign-on letters. Open a letter's address (/l/…) to read and sign it.",
        ),
        Language::Es => (
            "signon",
            "Cartas colectivas. Abra la dirección de una carta (/l/…) para leerla y firmarla.",
        ),
    };
    html_response(
        StatusCode::OK,
        page(lang, title, "/", html! { h1 { (title) } p { (text) } }),
    )
}

pub(super) fn count_text(lang: Language, n: u64) -> String {
    let t = texts(lang);
    if n == 1 {
        t.signatories_count_one.to_owned()
    } else {
        fill(t.signatories_count_many, &[("n", &n.to_string())])
    }
}

fn render_letter(
    view: &PublicView,
    lang: Language,
    accepting: bool,
    form_state: Option<&FormState>,
) -> maud::Markup {
    let t = texts(lang);
    let letter = &view.letter;
    let text = text_in(letter, lang);
    let slug = &letter.slug;
    let lang_code = i18n::code(lang);
    let countries = form::country_options(lang);
    let content = html! {
        (letter_article(view, lang))
        @if accepting {
            @if let Some(deadline) = letter.deadline {
                p.meta { (t.deadline_label) " " (long_date(deadline.date_naive(), lang)) ", " (deadline.format("%H:%M")) " UTC" }
            }
            h2 id="sign" { (t.sign_heading) }
            @let empty = FormState::default();
            (form::render(&FormContext {
                action: &format!("/l/{slug}/sign?lang={lang_code}"),
                accept_individuals: letter.accept_individuals,
                language: lang,
                countries: &countries,
                intake: Intake::Public,
                fixed_email: false,
            }, form_state.unwrap_or(&empty)))
        } @else if letter.status == LetterStatus::Delivered {
            p.notice { (t.letter_delivered) }
            p { a href=(format!("/l/{slug}/letter.pdf?lang={}", i18n::code(text.language))) { (t.delivered_pdf) } }
        } @else {
            p.notice { (t.letter_closed) }
        }
    };
    let switch_path = match form_state.and_then(|f| f.partner_ref.as_deref()) {
        Some(code) => format!("/l/{slug}?ref={code}"),
        None => format!("/l/{slug}"),
    };
    page(lang, &text.title, &switch_path, content)
}

/// The letter's text, who leads it and its count of signatories: the top of its page.
pub(super) fn letter_article(view: &PublicView, lang: Language) -> maud::Markup {
    let t = texts(lang);
    let letter = &view.letter;
    let text = text_in(letter, lang);
    let slug = &letter.slug;
    let lang_code = i18n::code(lang);
    let coordinators: Vec<&str> = view.coordinators.iter().map(|c| c.name.as_str()).collect();
    html! {
        @if text.language != lang { p.notice lang=(t.code) { (t.not_in_your_language) } }
        article lang=(i18n::code(text.language)) {
            p.meta { (t.led_by) ": " (coordinators.join(", ")) }
            h1 { (text.title) }
            @if !text.addressees.is_empty() {
                p.addressees { strong { (t.addressed_to) ": " } (text.addressees) }
            }
            div.letter { (PreEscaped(to_safe_html(&text.body))) }
        }
        p.meta {
            strong { (count_text(lang, view.approved())) }
            " · " a href=(format!("/l/{slug}/signatories?lang={lang_code}")) { (t.see_signatories) }
        }
    }
}

/// `?lang=&ref=` on a page with the sign-on form.
#[derive(Debug, Default, Deserialize)]
pub struct FormQuery {
    /// `en` or `es`.
    pub lang: Option<String>,
    /// The code of the partner whose link this is.
    #[serde(rename = "ref")]
    pub partner_ref: Option<String>,
}

impl FormQuery {
    /// The language part.
    pub fn lang(&self) -> LangQuery {
        LangQuery {
            lang: self.lang.clone(),
        }
    }

    /// The form as it starts: empty, carrying the partner's code when the link has a well
    /// formed one.
    pub fn form(&self) -> FormState {
        FormState {
            partner_ref: form::partner_ref(self.partner_ref.as_deref()),
            ..Default::default()
        }
    }
}

/// `GET /l/{slug}`: the letter, and its form while it takes signatures. The page holds
/// nothing particular to the visitor (the form's trap field is the same for everyone), so it
/// is rendered once per version, language and state of the form, and may be cached; a
/// partner's link (`?ref=`) adds its code to the form, and is rendered each time.
#[handler]
pub async fn letter_page(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<FormQuery>,
) -> Response {
    let path = format!("/l/{slug}");
    let lang_query = query.lang();
    let view = match state.public_views.get(&state.db, &slug).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => {
            return not_found(language(req, &lang_query, Language::En), &path);
        }
        Err(err) => return server_error(err, language(req, &lang_query, Language::En), &path),
    };
    let lang = language(req, &lang_query, view.letter.language);
    // The deadline closes the form without a change to the letter: the tag names the state.
    let accepting = letters::accepting_signatures(&view.letter, Utc::now());
    let form = query.form();
    let mut detail = String::from(if accepting { "open" } else { "shut" });
    if let Some(code) = &form.partner_ref {
        detail = format!("{detail}-ref-{code}");
    }
    let etag = http_cache::etag(&view, lang, &detail);
    cacheable(req, &etag, || {
        let render = || render_letter(&view, lang, accepting, Some(&form)).into_string();
        // Partners' links are many and each is rare: only the plain page is kept.
        match form.partner_ref {
            Some(_) => render(),
            None => view.rendered(&etag, render),
        }
    })
}

/// How long browsers and caches may keep a delivered letter's PDF before asking again (a
/// cheap `304` by its `ETag`): the file never changes.
const FROZEN_MAX_AGE_SECONDS: u32 = 86_400;

/// `GET /l/{slug}/letter.pdf?lang=`: the PDF frozen when the letter was delivered, byte for
/// byte, in the language asked for when the letter has it (else its own); no letter until
/// it is delivered. Its `ETag` is the file's SHA-256.
#[handler]
pub async fn delivered_pdf(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/l/{slug}/letter.pdf");
    let asked = query.lang.as_deref().and_then(i18n::parse_code);
    let pdf = match exports::public_pdf(&state.db, &slug, asked).await {
        Ok(pdf) => pdf,
        Err(AppError::NotFound(_)) => return not_found(language(req, &query, Language::En), &path),
        Err(err) => return server_error(err, language(req, &query, Language::En), &path),
    };
    let etag = format!("\"{}\"", pdf.sha256);
    let cache = format!("public, max-age={FROZEN_MAX_AGE_SECONDS}");
    if http_cache::client_has(http_cache::if_none_match(req.headers()), &etag) {
        return StatusCode::NOT_MODIFIED
            .with_header(header::ETAG, etag)
            .with_header(header::CACHE_CONTROL, cache)
            .into_response();
    }
    pdf.content
        .with_content_type("application/pdf")
        .with_header(header::ETAG, etag)
        .with_header(header::CACHE_CONTROL, cache)
        .with_header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}\"", pdf.file_name),
        )
        .into_response()
}

/// A public page marked for caches, or `304` when the visitor already holds it.
pub(super) fn cacheable(req: &Request, etag: &str, render: impl FnOnce() -> String) -> Response {
    if http_cache::client_has(http_cache::if_none_match(req.headers()), etag) {
        return http_cache::not_modified(etag);
    }
    let mut response = (StatusCode::OK, Html(render())).into_response();
    http_cache::mark(&mut response, etag);
    response
}

/// What became of a submission of the sign-on form, for the page that answers it: the letter's
/// own page, or the embeddable form's.
pub(super) enum Submitted {
    /// Recorded: the signer is told to check their email.
    Signed(entity::letter::Model, Language),
    /// The form again with `status`: the letter closed meanwhile (no form), or the values kept
    /// and each bad field marked.
    Again {
        /// The reader's language.
        lang: Language,
        /// 409 (closed) or 422 (invalid).
        status: StatusCode,
        /// What was typed, with its errors.
        form: Option<FormState>,
    },
    /// A page already made: too many submissions, no such letter, a failure.
    Page(Response),
}

/// `POST /l/{slug}/sign`: records the signature and says to check the email, or shows the form
/// again (422) with the values kept and each bad field marked.
#[handler]
pub async fn sign(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
    Form(submitted): Form<SignForm>,
) -> Response {
    let path = format!("/l/{slug}");
    match submit(&state, req, &slug, &query, &submitted).await {
        Submitted::Signed(letter, lang) => {
            check_email_page(&letter, lang, state.settings.token_lifetime.num_days())
        }
        Submitted::Again { lang, status, form } => {
            letter_again(&state, &slug, lang, status, form.as_ref(), &path).await
        }
        Submitted::Page(page) => page,
    }
}

/// Checks and records a submission of the sign-on form, wherever the form was shown.
pub(super) async fn submit(
    state: &AppState,
    req: &Request,
    slug: &str,
    query: &LangQuery,
    submitted: &SignForm,
) -> Submitted {
    let path = format!("/l/{slug}");
    // The limit comes before any database work, so a flood costs nothing but this check.
    let client = ClientInfo::of(req);
    if let Err(wait) = state.sign_rate.check(client.ip) {
        return Submitted::Page(rate_limited(
            language(req, query, Language::En),
            wait,
            &path,
        ));
    }
    // Only the letter is needed to sign; its coordinators and counts are loaded just when the
    // page has to be shown again.
    let letter = match letters::published(&state.db, slug).await {
        Ok(letter) => letter,
        Err(AppError::NotFound(_)) => {
            return Submitted::Page(not_found(language(req, query, Language::En), &path));
        }
        Err(err) => {
            return Submitted::Page(server_error(err, language(req, query, Language::En), &path));
        }
    };
    let lang = language(req, query, letter.language);
    let again = |status, form| Submitted::Again { lang, status, form };
    if !letters::accepting_signatures(&letter, Utc::now()) {
        return again(StatusCode::CONFLICT, None);
    }
    let mut form_state = FormState {
        input: submitted.input.clone(),
        partner_ref: form::partner_ref(submitted.partner_ref.as_deref()),
        ..Default::default()
    };
    let errors = match checked_draft(submitted, &letter, lang, &mut form_state) {
        Ok(draft) => match record(state, &client, &letter, lang, draft, submitted).await {
            Ok(()) => return Submitted::Signed(letter, lang),
            Err(AppError::Invalid { fields, .. }) => fields.into_map(),
            Err(AppError::Conflict { .. }) => return again(StatusCode::CONFLICT, None),
            Err(AppError::NotFound(_)) => return Submitted::Page(not_found(lang, &path)),
            Err(err) => return Submitted::Page(server_error(err, lang, &path)),
        },
        Err(errors) => errors.into_map(),
    };
    for (field, message) in errors {
        form_state
            .errors
            .add(&field, i18n::field_error(&message, lang));
    }
    again(StatusCode::UNPROCESSABLE_ENTITY, Some(form_state))
}

/// Hands a checked submission to the writer, with the partner its link names, if any.
async fn record(
    state: &AppState,
    client: &ClientInfo,
    letter: &entity::letter::Model,
    lang: Language,
    draft: SignatureDraft,
    submitted: &SignForm,
) -> Result<(), AppError> {
    let partner_id =
        partners::resolve(&state.db, &letter.slug, submitted.partner_ref.as_deref()).await?;
    let (network_hash, agent_hash) = client.hashes(&state.keys);
    state
        .writer
        .sign(SignRequest {
            slug: letter.slug.clone(),
            draft,
            language: Some(lang),
            network_hash,
            agent_hash,
            honeypot: submitted.honeypot_filled(),
            contact_verified: false,
            partner_id,
        })
        .await
}

/// The "too many submissions" page, with when to try again.
fn rate_limited(lang: Language, wait: std::time::Duration, path: &str) -> Response {
    let t = texts(lang);
    let mut response = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        lang,
        t.sign_heading,
        t.rate_limited,
        path,
    );
    response.headers_mut().insert(
        poem::http::header::RETRY_AFTER,
        wait.as_secs()
            .max(1)
            .to_string()
            .parse()
            .expect("digits are a valid header value"),
    );
    response
}

/// The submission as this letter takes it, or the fields to mark: an individual where the letter
/// wants organizations, or an email that looks mistyped. The typo is asked about once: the form
/// then carries `email_checked`, and the suggestion goes into `form_state` to be shown.
fn checked_draft(
    submitted: &SignForm,
    letter: &entity::letter::Model,
    lang: Language,
    form_state: &mut FormState,
) -> Result<SignatureDraft, FieldErrors> {
    let t = texts(lang);
    let draft = submitted.input.parse(Intake::Public)?;
    let mut errors = FieldErrors::default();
    if draft.kind == SignatureKind::Individual && !letter.accept_individuals {
        errors.add("kind", t.individuals_not_accepted);
        return Err(errors);
    }
    let typo = draft
        .contact
        .as_ref()
        .and_then(|c| suggest_correction(&c.email));
    if let Some(suggestion) = typo.filter(|_| submitted.email_checked.is_none()) {
        errors.add(
            "contact_email",
            fill(t.did_you_mean, &[("suggestion", suggestion.as_str())]),
        );
        form_state.suggestion = Some(suggestion);
        return Err(errors);
    }
    Ok(draft)
}

/// The letter page again after a submission: closed in the meantime, or the form with errors.
/// It holds what the visitor typed, so it is neither kept nor cacheable.
async fn letter_again(
    state: &AppState,
    slug: &str,
    lang: Language,
    status: StatusCode,
    form: Option<&FormState>,
    path: &str,
) -> Response {
    match state.public_views.get(&state.db, slug).await {
        Ok(view) => {
            let accepting = letters::accepting_signatures(&view.letter, Utc::now());
            html_response(status, render_letter(&view, lang, accepting, form))
        }
        Err(AppError::NotFound(_)) => not_found(lang, path),
        Err(err) => server_error(err, lang, path),
    }
}

fn check_email_page(letter: &entity::letter::Model, lang: Language, valid_days: i64) -> Response {
    let t = texts(lang);
    let slug = &letter.slug;
    let text = text_in(letter, lang);
    let days = valid_days.to_string();
    let content = html! {
        h1 { (t.check_email_title) }
        div.ok role="status" { p { (fill(t.check_email_body, &[("days", &days)])) } }
        p { (t.check_email_spam) }
        p { a href=(format!("/l/{slug}?lang={}", i18n::code(lang))) { (t.back_to_letter) ": " (text.title) } }
    };
    html_response(
        StatusCode::OK,
        page(lang, t.check_email_title, &format!("/l/{slug}"), content),
    )
}

/// How many signatories a page of the public list shows.
const PAGE_SIZE: usize = 100;

/// The longest search kept; longer ones are cut.
const MAX_SEARCH_CHARS: usize = 100;

/// `?lang=&page=&q=` on the public list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `en` or `es`.
    lang: Option<String>,
    /// The page, from 1; anything else is the first.
    page: Option<String>,
    /// Search by name, city or country.
    q: Option<String>,
}

/// `GET /l/{slug}/signatories`: the approved signatories with their count, a page at a time,
/// searchable; served from the letter's cached view.
#[handler]
pub async fn signatories_page(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    let path = format!("/l/{slug}/signatories");
    let lang_query = LangQuery {
        lang: query.lang.clone(),
    };
    let view = match state.public_views.get(&state.db, &slug).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => {
            return not_found(language(req, &lang_query, Language::En), &path);
        }
        Err(err) => return server_error(err, language(req, &lang_query, Language::En), &path),
    };
    let lang = language(req, &lang_query, view.letter.language);
    let search: Option<String> = query
        .q
        .as_deref()
        .map(|q| q.trim().chars().take(MAX_SEARCH_CHARS).collect())
        .filter(|q: &String| !q.is_empty());
    let wanted = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let etag = http_cache::etag(
        &view,
        lang,
        &match &search {
            Some(q) => format!("list-{wanted}-{}", http_cache::digest(q)),
            None => format!("list-{wanted}"),
        },
    );
    cacheable(req, &etag, || {
        let render = || render_list(&view, lang, search.as_deref(), wanted).into_string();
        // Searches are many and each is rare: only the plain pages are kept.
        match search {
            Some(_) => render(),
            None => view.rendered(&etag, render),
        }
    })
}

/// One page of the list: organizations, then individuals, each numbered through the list.
fn render_list(view: &PublicView, lang: Language, search: Option<&str>, wanted: usize) -> Markup {
    let t = texts(lang);
    let slug = &view.letter.slug;
    let text = text_in(&view.letter, lang);
    let lang_code = i18n::code(lang);
    let path = format!("/l/{slug}/signatories");
    let first = view.page(search, 0, 0);
    let pages = first.matching.div_ceil(PAGE_SIZE).max(1);
    let page_no = wanted.min(pages);
    let list = view.page(search, (page_no - 1) * PAGE_SIZE, PAGE_SIZE);
    let link = |n: usize| {
        let mut href = format!("{path}?lang={lang_code}&page={n}");
        if let Some(q) = search {
            href.push_str("&q=");
            href.extend(url::form_urlencoded::byte_serialize(q.as_bytes()));
        }
        href
    };
    let content = html! {
        p.meta { a href=(format!("/l/{slug}?lang={lang_code}")) { "← " (t.back_to_letter) } }
        h1 { (t.signatories_title) ": " (text.title) }
        p.meta { strong { (count_text(lang, view.approved())) } }
        form method="get" action=(path) role="search" {
            input type="hidden" name="lang" value=(lang_code);
            label for="q" { (t.search_label) }
            input type="search" id="q" name="q" value=(search.unwrap_or_default()) maxlength=(MAX_SEARCH_CHARS);
            button type="submit" { (t.search_button) }
        }
        @if let Some(q) = search {
            p role="status" {
                (fill(t.search_matches, &[("q", q), ("n", &list.matching.to_string())]))
                " " a href=(format!("{path}?lang={lang_code}")) { (t.show_all) }
            }
        }
        @if list.items.is_empty() {
            p { (if search.is_some() { t.search_no_match } else { t.no_signatories }) }
        }
        @for group in list.items.chunk_by(|a, b| a.signatory.kind == b.signatory.kind) {
            (render_group(group, lang, search.is_some()))
        }
        @if pages > 1 {
            nav aria-label=(t.pages_label) {
                p {
                    @if page_no > 1 { a rel="prev" href=(link(page_no - 1)) { "← " (t.previous_page) } " · " }
                    (fill(t.page_of, &[("page", &page_no.to_string()), ("pages", &pages.to_string())]))
                    @if page_no < pages { " · " a rel="next" href=(link(page_no + 1)) { (t.next_page) " →" } }
                }
            }
        }
    };
    page(lang, t.signatories_title, &path, content)
}

/// A run of signatories of one kind, numbered as on the whole list (unnumbered in a search,
/// where the numbers would skip).
fn render_group(group: &[Listed<'_>], lang: Language, searching: bool) -> Markup {
    let t = texts(lang);
    let individuals = group
        .first()
        .is_some_and(|l| l.signatory.kind == SignatureKind::Individual);
    let start = group.first().map_or(1, |l| l.number);
    let items = html! {
        @for listed in group {
            @let public = &listed.signatory.public;
            @if individuals {
                li { (public.name) @if let Some(affiliation) = &public.affiliation { span.meta { " — " (affiliation) } } }
            } @else {
                @let where_ = place(&public.city, &public.country, lang);
                li { (public.name) @if !where_.is_empty() { span.meta { " — " (where_) } } }
            }
        }
    };
    html! {
        h2 { (if individuals { t.individuals } else { t.organizations }) }
        @if individuals { p.meta { em { (t.affiliation_note) } } }
        @if searching { ul.signatories { (items) } } @else { ol.signatories start=(start) { (items) } }
    }
}

/// Where an organization is: its city and country, the country named in `lang`.
fn place(city: &Option<String>, country: &Option<String>, lang: Language) -> String {
    let country = country.as_deref().map(|c| {
        crate::export::country_label(Some(c), lang)
            .map(|l| l.into_owned())
            .unwrap_or_else(|| c.to_owned())
    });
    [city.clone(), country]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}
