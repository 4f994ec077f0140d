//! The pages behind the emailed links. A GET only shows what the link would do (mail scanners
//! follow links); the button's POST does it.

use entity::{Language, Moderation, TokenPurpose};
use maud::html;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};

use super::layout::page;
use super::{LangQuery, html_response, language, message_page, server_error};
use crate::error::AppResult;
use crate::i18n::{self, Texts, fill, texts};
use crate::service::emails::change_table;
use crate::service::verification::{self, LinkProblem, LinkTarget};
use crate::state::AppState;

/// The two kinds of emailed link.
#[derive(Clone, Copy)]
enum Link {
    Verify,
    Withdraw,
}

impl Link {
    fn purpose(self) -> TokenPurpose {
        match self {
            Self::Verify => TokenPurpose::Verify,
            Self::Withdraw => TokenPurpose::Withdraw,
        }
    }

    fn path(self, token: &str) -> String {
        match self {
            Self::Verify => format!("/verify/{token}"),
            Self::Withdraw => format!("/withdraw/{token}"),
        }
    }

    fn title(self, t: &Texts) -> &'static str {
        match self {
            Self::Verify => t.verify_title,
            Self::Withdraw => t.withdraw_title,
        }
    }

    /// Whether the link confirms a change to an entry rather than a signature.
    fn confirms_change(self, target: &LinkTarget) -> bool {
        matches!(self, Self::Verify) && target.change.is_some()
    }

    /// The page's title, once what the link is about is known.
    fn title_for(self, t: &Texts, target: &LinkTarget) -> &'static str {
        if self.confirms_change(target) {
            t.verify_change_title
        } else {
            self.title(t)
        }
    }

    /// What the page asks before the button is pressed.
    fn question(self, t: &Texts, target: &LinkTarget) -> String {
        let template = match self {
            Self::Verify if target.change.is_some() => t.verify_change_question,
            Self::Verify => t.verify_question,
            Self::Withdraw => t.withdraw_question,
        };
        fill(
            template,
            &[("name", &target.signatory), ("title", &target.letter_title)],
        )
    }

    fn button(self, t: &Texts, target: &LinkTarget) -> &'static str {
        match self {
            Self::Verify if target.change.is_some() => t.verify_change_button,
            Self::Verify => t.verify_button,
            Self::Withdraw => t.withdraw_button,
        }
    }

    /// What the page says once done.
    fn done(self, t: &Texts, target: &LinkTarget) -> String {
        let template = match self {
            Self::Verify if target.change_awaiting_review => t.change_in_review,
            Self::Verify if target.change.is_some() && target.approved => t.change_applied,
            Self::Verify if target.approved || target.moderation == Moderation::Auto => {
                t.verified_public
            }
            Self::Verify => t.verified_moderated,
            Self::Withdraw => t.withdrawn,
        };
        fill(template, &[("name", &target.signatory)])
    }

    async fn act(
        self,
        state: &AppState,
        token: &str,
        lang: Language,
    ) -> AppResult<Result<LinkTarget, LinkProblem>> {
        match self {
            Self::Verify => verification::confirm(&state.db, token, lang).await,
            Self::Withdraw => verification::withdraw(&state.db, token, lang).await,
        }
    }
}

fn problem_page(problem: LinkProblem, lang: Language, title: &str, path: &str) -> Response {
    let t = texts(lang);
    let (status, message) = match problem {
        LinkProblem::Unknown => (StatusCode::NOT_FOUND, t.link_unknown),
        LinkProblem::Used => (StatusCode::GONE, t.link_used),
        LinkProblem::Expired => (StatusCode::GONE, t.link_expired),
        LinkProblem::Delivered => (StatusCode::GONE, t.letter_already_delivered),
        LinkProblem::Withdrawn => (StatusCode::GONE, t.signature_withdrawn_already),
    };
    message_page(status, lang, title, message, path)
}

/// The GET: what the link is about, and a button.
async fn show(
    link: Link,
    state: &AppState,
    req: &Request,
    token: &str,
    query: &LangQuery,
) -> Response {
    let lang = language(req, query, Language::En);
    let t = texts(lang);
    let path = link.path(token);
    match verification::inspect(&state.db, token, link.purpose(), lang).await {
        Ok(Ok(target)) => {
            let title = link.title_for(t, &target);
            let content = html! {
                h1 { (title) }
                p { (link.question(t, &target)) }
                @if let Some(change) = target.change.as_ref().filter(|_| link.confirms_change(&target)) {
                    (change_table(lang, change))
                }
                form method="post" action=(format!("{path}?lang={}", i18n::code(lang))) {
                    button type="submit" { (link.button(t, &target)) }
                }
            };
            html_response(StatusCode::OK, page(lang, title, &path, content))
        }
        Ok(Err(problem)) => problem_page(problem, lang, link.title(t), &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// The POST: does what the link is for.
async fn act(
    link: Link,
    state: &AppState,
    req: &Request,
    token: &str,
    query: &LangQuery,
) -> Response {
    let lang = language(req, query, Language::En);
    let t = texts(lang);
    let path = link.path(token);
    match link.act(state, token, lang).await {
        Ok(Ok(target)) => {
            let title = link.title_for(t, &target);
            let content = html! {
                h1 { (title) }
                div.ok role="status" { p { (link.done(t, &target)) } }
                p { a href=(format!("/l/{}?lang={}", target.letter_slug, i18n::code(lang))) { (t.back_to_letter) ": " (target.letter_title) } }
            };
            html_response(StatusCode::OK, page(lang, title, &path, content))
        }
        Ok(Err(problem)) => problem_page(problem, lang, link.title(t), &path),
        Err(err) => server_error(err, lang, &path),
    }
}

/// `GET /verify/{token}`: a Confirm button; nothing changes yet.
#[handler]
pub async fn verify_page(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    show(Link::Verify, &state, req, &token, &query).await
}

/// `POST /verify/{token}`: confirms the contact person.
#[handler]
pub async fn verify(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    act(Link::Verify, &state, req, &token, &query).await
}

/// `GET /withdraw/{token}`: a Withdraw button; nothing changes yet.
#[handler]
pub async fn withdraw_page(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    show(Link::Withdraw, &state, req, &token, &query).await
}

/// `POST /withdraw/{token}`: withdraws the signature.
#[handler]
pub async fn withdraw(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    act(Link::Withdraw, &state, req, &token, &query).await
}
