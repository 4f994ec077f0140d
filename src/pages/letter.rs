//! The letter page with its sign-on form, the form's submission, and the signatory list.

use chrono::Utc;
use entity::{Language, LetterStatus, SignatureKind};
use maud::{PreEscaped, html};
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};

use super::form::{self, FormContext, FormState, SignForm};
use super::layout::page;
use super::markdown::to_safe_html;
use super::{LangQuery, html_response, language, message_page, not_found, server_error};
use crate::client::ClientInfo;
use crate::domain::mailbox::suggest_correction;
use crate::domain::{FieldErrors, Intake};
use crate::error::AppError;
use crate::i18n::{self, fill, long_date, texts};
use crate::service::letters::{self, LetterView, text_in};
use crate::service::signatures;
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
    view: &LetterView,
    lang: Language,
    form_state: Option<&FormState>,
) -> maud::Markup {
    let t = texts(lang);
    let letter = &view.letter;
    let text = text_in(letter, lang);
    let slug = &letter.slug;
    let lang_code = i18n::code(lang);
    let now = Utc::now();
    let countries = form::country_options(lang);
    let content = html! {
        (letter_article(view, lang))
        @if view.accepting_signatures(now) {
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
        } @else {
            p.notice { (t.letter_closed) }
        }
    };
    page(lang, &text.title, &format!("/l/{slug}"), content)
}

/// The letter's text, who leads it and its count of signatories: the top of its page.
pub(super) fn letter_article(view: &LetterView, lang: Language) -> maud::Markup {
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
            strong { (count_text(lang, view.counts.approved)) }
            " · " a href=(format!("/l/{slug}/signatories?lang={lang_code}")) { (t.see_signatories) }
        }
    }
}

/// `GET /l/{slug}`: the letter, and its form while it takes signatures.
#[handler]
pub async fn letter_page(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/l/{slug}");
    match letters::public_by_slug(&state.db, &slug).await {
        Ok(view) => {
            let lang = language(req, &query, view.letter.language);
            html_response(StatusCode::OK, render_letter(&view, lang, None))
        }
        Err(AppError::NotFound(_)) => not_found(language(req, &query, Language::En), &path),
        Err(err) => server_error(err, language(req, &query, Language::En), &path),
    }
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
    // The limit comes before any database work, so a flood costs nothing but this check.
    let client = ClientInfo::of(req);
    if let Err(wait) = state.sign_rate.check(client.ip) {
        let lang = language(req, &query, Language::En);
        let t = texts(lang);
        let mut response = message_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            t.sign_heading,
            t.rate_limited,
            &path,
        );
        response.headers_mut().insert(
            poem::http::header::RETRY_AFTER,
            wait.as_secs()
                .max(1)
                .to_string()
                .parse()
                .expect("digits are a valid header value"),
        );
        return response;
    }
    // Only the letter is needed to sign; its coordinators and counts are loaded just when the
    // page has to be shown again.
    let letter = match letters::published(&state.db, &slug).await {
        Ok(letter) => letter,
        Err(AppError::NotFound(_)) => return not_found(language(req, &query, Language::En), &path),
        Err(err) => return server_error(err, language(req, &query, Language::En), &path),
    };
    let lang = language(req, &query, letter.language);
    let t = texts(lang);
    if !letters::accepting_signatures(&letter, Utc::now()) {
        return letter_again(&state, letter, lang, StatusCode::CONFLICT, None, &path).await;
    }
    let mut state_for_form = FormState {
        input: submitted.input.clone(),
        ..Default::default()
    };
    let errors = match submitted.input.parse(Intake::Public) {
        Ok(draft) if draft.kind == SignatureKind::Individual && !letter.accept_individuals => {
            let mut errors = FieldErrors::default();
            errors.add("kind", t.individuals_not_accepted);
            errors
        }
        Ok(draft) => {
            let typo = draft
                .contact
                .as_ref()
                .and_then(|c| suggest_correction(&c.email));
            match typo {
                Some(suggestion) if submitted.email_checked.is_none() => {
                    state_for_form.suggestion = Some(suggestion);
                    let mut errors = FieldErrors::default();
                    errors.add(
                        "contact_email",
                        fill(
                            t.did_you_mean,
                            &[(
                                "suggestion",
                                state_for_form.suggestion.as_deref().unwrap_or_default(),
                            )],
                        ),
                    );
                    errors
                }
                _ => {
                    let (network_hash, agent_hash) = client.hashes(&state.keys);
                    let honeypot = submitted
                        .fax
                        .as_deref()
                        .is_some_and(|v| !v.trim().is_empty());
                    let outcome = state
                        .writer
                        .sign(SignRequest {
                            slug: slug.clone(),
                            draft,
                            language: Some(lang),
                            network_hash,
                            agent_hash,
                            honeypot,
                            contact_verified: false,
                        })
                        .await;
                    match outcome {
                        Ok(()) => {
                            return check_email_page(
                                &letter,
                                lang,
                                state.settings.token_lifetime.num_days(),
                            );
                        }
                        Err(AppError::Invalid { fields, .. }) => fields,
                        Err(AppError::Conflict { .. }) => {
                            return letter_again(
                                &state,
                                letter,
                                lang,
                                StatusCode::CONFLICT,
                                None,
                                &path,
                            )
                            .await;
                        }
                        Err(AppError::NotFound(_)) => return not_found(lang, &path),
                        Err(err) => return server_error(err, lang, &path),
                    }
                }
            }
        }
        Err(errors) => errors,
    };
    for (field, message) in errors.into_map() {
        state_for_form
            .errors
            .add(&field, i18n::field_error(&message, lang));
    }
    letter_again(
        &state,
        letter,
        lang,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(&state_for_form),
        &path,
    )
    .await
}

/// The letter page again after a submission: closed in the meantime, or the form with errors.
async fn letter_again(
    state: &AppState,
    letter: entity::letter::Model,
    lang: Language,
    status: StatusCode,
    form: Option<&FormState>,
    path: &str,
) -> Response {
    match letters::details(&state.db, letter).await {
        Ok(view) => html_response(status, render_letter(&view, lang, form)),
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

/// `GET /l/{slug}/signatories`: the approved signatories with their count.
#[handler]
pub async fn signatories_page(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/l/{slug}/signatories");
    let (letter, rows) = match signatures::public_list(&state.db, &slug).await {
        Ok(found) => found,
        Err(AppError::NotFound(_)) => return not_found(language(req, &query, Language::En), &path),
        Err(err) => return server_error(err, language(req, &query, Language::En), &path),
    };
    let lang = language(req, &query, letter.language);
    let t = texts(lang);
    let text = text_in(&letter, lang);
    let (organizations, individuals): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|r| r.kind == SignatureKind::Organization);
    let place = |city: &Option<String>, country: &Option<String>| {
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
    };
    let content = html! {
        p.meta { a href=(format!("/l/{slug}?lang={}", i18n::code(lang))) { "← " (t.back_to_letter) } }
        h1 { (t.signatories_title) ": " (text.title) }
        p.meta { strong { (count_text(lang, rows.len() as u64)) } }
        @if rows.is_empty() { p { (t.no_signatories) } }
        @if !organizations.is_empty() {
            h2 { (t.organizations) }
            ol.signatories {
                @for row in &organizations {
                    @let where_ = place(&row.public.city, &row.public.country);
                    li { (row.public.name) @if !where_.is_empty() { span.meta { " — " (where_) } } }
                }
            }
        }
        @if !individuals.is_empty() {
            h2 { (t.individuals) }
            p.meta { em { (t.affiliation_note) } }
            ol.signatories {
                @for row in &individuals {
                    li { (row.public.name) @if let Some(affiliation) = &row.public.affiliation { span.meta { " — " (affiliation) } } }
                }
            }
        }
    };
    html_response(
        StatusCode::OK,
        page(lang, t.signatories_title, &path, content),
    )
}
