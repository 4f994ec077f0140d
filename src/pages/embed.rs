//! The sign-on form for partner sites' frames: the letter's title, a link to the whole letter and
//! the form, compact, and framable only by signon itself and the origins the letter lists. Its
//! answers (the form again with errors, "check your email") stay in the same compact page and
//! under the same framing rule, so a signer never leaves the partner's page to sign. Every other
//! public page refuses all frames (see [`super::routes`]).

use chrono::Utc;
use entity::{Language, LetterStatus, letter};
use maud::{Markup, html};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};

use super::form::{self, FormContext, FormState, SignForm};
use super::layout::embedded;
use super::letter::{FormQuery, Submitted, cacheable, count_text, submit};
use super::{LangQuery, html_response, language, not_found, server_error};
use crate::domain::{EmbedOrigins, Intake};
use crate::error::AppError;
use crate::http_cache;
use crate::i18n::{self, fill, texts};
use crate::service::letters::{self, text_in};
use crate::service::public_view::PublicView;
use crate::state::AppState;

/// `GET /l/{slug}/embed?lang=&ref=`: the compact form. Like the letter's page it is the same
/// for every visitor, so it is cached per version, language and state of the form.
#[handler]
pub async fn embed_page(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<FormQuery>,
) -> Response {
    let path = format!("/l/{slug}/embed");
    let lang_query = query.lang();
    let view = match state.public_views.get(&state.db, &slug).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => {
            return framed(
                not_found(language(req, &lang_query, Language::En), &path),
                None,
            );
        }
        Err(err) => {
            let lang = language(req, &lang_query, Language::En);
            return framed(server_error(err, lang, &path), None);
        }
    };
    let lang = language(req, &lang_query, view.letter.language);
    let accepting = letters::accepting_signatures(&view.letter, Utc::now());
    let form = query.form();
    let mut detail = String::from(if accepting {
        "embed-open"
    } else {
        "embed-shut"
    });
    if let Some(code) = &form.partner_ref {
        detail = format!("{detail}-ref-{code}");
    }
    let etag = http_cache::etag(&view, lang, &detail);
    let response = cacheable(req, &etag, || {
        let render = || render(&view, lang, accepting, Some(&form)).into_string();
        match form.partner_ref {
            Some(_) => render(),
            None => view.rendered(&etag, render),
        }
    });
    framed(response, Some(&view.letter))
}

/// `POST /l/{slug}/embed`: the same submission as `POST /l/{slug}/sign`, answered in the
/// compact page.
#[handler]
pub async fn embed_sign(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
    Form(submitted): Form<SignForm>,
) -> Response {
    let path = format!("/l/{slug}/embed");
    let outcome = submit(&state, req, &slug, &query, &submitted).await;
    // The letter as it is now, for who may frame the answer and to show the form again.
    let view = state.public_views.get(&state.db, &slug).await.ok();
    let response = match outcome {
        Submitted::Signed(letter, lang) => {
            let code = form::partner_ref(submitted.partner_ref.as_deref());
            let days = state.settings.token_lifetime.num_days();
            done_page(&letter, lang, days, code.as_deref())
        }
        Submitted::Again { lang, status, form } => match &view {
            Some(view) => {
                let accepting = letters::accepting_signatures(&view.letter, Utc::now());
                html_response(status, render(view, lang, accepting, form.as_ref()))
            }
            None => not_found(lang, &path),
        },
        Submitted::Page(page) => page,
    };
    framed(response, view.as_ref().map(|view| &view.letter))
}

/// The headers of every answer of the embeddable form: frames allowed to signon itself and to
/// the letter's listed origins (only to signon when there is no letter), never sniffed, never
/// naming the page to other sites. No `X-Frame-Options`: its only values would forbid the
/// partners' frames, and browsers that know `frame-ancestors` follow that instead.
fn framed(mut response: Response, letter: Option<&letter::Model>) -> Response {
    let origins = letter
        .map(|letter| EmbedOrigins::from_json(&letter.embed_origins))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; {}",
        origins.frame_ancestors()
    );
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The origins were checked to be `https://host[:port]` when they were saved.
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The letter's own page, opened outside the frame, keeping the partner's code.
fn letter_address(slug: &str, lang: Language, partner: Option<&str>) -> String {
    let mut address = format!("/l/{slug}?lang={}", i18n::code(lang));
    if let Some(code) = partner {
        address.push_str("&ref=");
        address.push_str(code);
    }
    address
}

/// The embed's own address for the language switch, keeping the partner's code.
fn switch_path(slug: &str, partner: Option<&str>) -> String {
    match partner {
        Some(code) => format!("/l/{slug}/embed?ref={code}"),
        None => format!("/l/{slug}/embed"),
    }
}

/// A link that leaves the frame for a tab of its own: the letter's pages refuse frames.
fn out_of_frame(href: &str, text: &str, lang: Language) -> Markup {
    let t = texts(lang);
    html! {
        a href=(href) target="_blank" rel="noopener" { (text) span.hint style="display:inline" { " (" (t.opens_in_new_tab) ")" } }
    }
}

/// The compact page: title, count, the link to the whole letter, and the form while the letter
/// takes signatures.
fn render(view: &PublicView, lang: Language, accepting: bool, state: Option<&FormState>) -> Markup {
    let t = texts(lang);
    let letter = &view.letter;
    let text = text_in(letter, lang);
    let slug = &letter.slug;
    let partner = state.and_then(|s| s.partner_ref.as_deref());
    let countries = form::country_options(lang);
    let empty = FormState::default();
    let content = html! {
        h1 lang=(i18n::code(text.language)) { (text.title) }
        p.meta {
            strong { (count_text(lang, view.approved())) }
            " · " (out_of_frame(&letter_address(slug, lang, partner), t.read_full_letter, lang))
        }
        @if accepting {
            (form::render(&FormContext {
                action: &format!("/l/{slug}/embed?lang={}", i18n::code(lang)),
                accept_individuals: letter.accept_individuals,
                language: lang,
                countries: &countries,
                intake: Intake::Public,
                fixed_email: false,
            }, state.unwrap_or(&empty)))
        } @else if letter.status == LetterStatus::Delivered {
            p.notice { (t.letter_delivered) }
        } @else {
            p.notice { (t.letter_closed) }
        }
    };
    embedded(lang, &text.title, &switch_path(slug, partner), content)
}

/// "Check your email", in the frame.
fn done_page(
    letter: &letter::Model,
    lang: Language,
    valid_days: i64,
    partner: Option<&str>,
) -> Response {
    let t = texts(lang);
    let text = text_in(letter, lang);
    let days = valid_days.to_string();
    let content = html! {
        h1 { (t.check_email_title) }
        div.ok role="status" { p { (fill(t.check_email_body, &[("days", &days)])) } }
        p { (t.check_email_spam) }
        p { (out_of_frame(&letter_address(&letter.slug, lang, partner), &format!("{}: {}", t.read_full_letter, text.title), lang)) }
    };
    let switch = switch_path(&letter.slug, partner);
    html_response(
        StatusCode::OK,
        embedded(lang, t.check_email_title, &switch, content),
    )
}
