//! Who is at the dashboard and whether their form posts are genuine.
//!
//! One middleware in front of every `/admin` page works out the reader's language, recognizes
//! the session cookie, reads a one-time notice left by the previous page, and guards every
//! POST: the `Origin` (or `Referer`) must be this site, and the form must carry the anti-forgery
//! token tied to this browser's session (or, before sign-in, to its pre-sign-in cookie). Pages
//! then take a [`PageContext`] or, when they need a signed-in staff member, a [`Signed`].

use std::sync::Arc;

use entity::Language;
use poem::http::{Method, StatusCode, header};
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::{Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response};

use super::error::PageError;
use crate::domain::Token;
use crate::i18n;
use crate::service::accounts::{self, Staff};
use crate::service::digest;
use crate::state::AppState;

/// The form field (or, for file uploads, the query parameter) that carries the token.
pub const CSRF_FIELD: &str = "csrf";

/// A message for the next page a browser opens, after a redirect.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Whether something failed.
    pub is_error: bool,
    /// What to say.
    pub text: String,
}

/// What every dashboard page knows about its request.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// The reader's language.
    pub lang: Language,
    /// The signed-in staff member, if any.
    pub staff: Option<Staff>,
    /// The anti-forgery token to put in every form.
    pub csrf: String,
    /// The notice left by the previous page.
    pub notice: Option<Notice>,
    /// The path of this page, for the language switch and returning after sign-in.
    pub path: String,
    /// Whether cookies must be `Secure` (the service is reached over https).
    pub secure: bool,
}

impl PageContext {
    /// The English or the Spanish text, in the reader's language.
    pub fn t<'a>(&self, en: &'a str, es: &'a str) -> &'a str {
        crate::i18n::pick(self.lang, en, es)
    }
}

/// A page that needs a signed-in staff member; others are sent to sign in first.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The staff member.
    pub staff: Staff,
    /// The rest of the request's context.
    pub ctx: PageContext,
}

impl std::ops::Deref for Signed {
    type Target = PageContext;

    fn deref(&self) -> &PageContext {
        &self.ctx
    }
}

impl<'a> FromRequest<'a> for PageContext {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(req
            .extensions()
            .get::<Arc<PageContext>>()
            .map(|ctx| ctx.as_ref().clone())
            .expect("the session middleware runs in front of every dashboard page"))
    }
}

impl<'a> FromRequest<'a> for Signed {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let ctx = PageContext::from_request(req, body).await?;
        match ctx.staff.clone() {
            Some(staff) => Ok(Self { staff, ctx }),
            None => Err(PageError::SignIn {
                next: req
                    .original_uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/admin".into()),
            }
            .into()),
        }
    }
}

/// The cookie names: with `__Host-` over https, which browsers only accept from this very host.
pub fn cookie_name(secure: bool, base: &str) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

const SESSION: &str = "signon_session";
const PRE_SESSION: &str = "signon_csrf";
const LANGUAGE: &str = "signon_lang";
const NOTICE: &str = "signon_notice";

fn cookie(name: String, value: &str, secure: bool) -> Cookie {
    let mut cookie = Cookie::new_with_str(name, value);
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(secure);
    cookie
}

fn removal(name: String, secure: bool) -> Cookie {
    let mut gone = cookie(name, "", secure);
    gone.make_removal();
    gone
}

/// Starts a browser session after a successful sign-in.
pub fn set_session(jar: &CookieJar, secure: bool, token: &str) {
    jar.add(cookie(cookie_name(secure, SESSION), token, secure));
}

/// Forgets the browser's session cookie.
pub fn clear_session(jar: &CookieJar, secure: bool) {
    jar.add(removal(cookie_name(secure, SESSION), secure));
}

/// The browser's session secret, if it sent one.
pub fn session_secret(jar: &CookieJar, secure: bool) -> Option<String> {
    jar.get(&cookie_name(secure, SESSION))
        .map(|c| c.value_str().to_owned())
        .filter(|v| !v.is_empty())
}

/// Leaves a notice for the next page the browser opens.
pub fn leave_notice(jar: &CookieJar, secure: bool, notice: &Notice) {
    let value = format!("{}{}", if notice.is_error { "!" } else { "=" }, notice.text);
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    jar.add(cookie(cookie_name(secure, NOTICE), &encoded, secure));
}

fn take_notice(jar: &CookieJar, secure: bool) -> Option<Notice> {
    let name = cookie_name(secure, NOTICE);
    let raw = jar.get(&name)?.value_str().to_owned();
    jar.add(removal(name, secure));
    let decoded: String = url::form_urlencoded::parse(format!("n={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let (flag, text) = decoded.split_at_checked(1)?;
    Some(Notice {
        is_error: flag == "!",
        text: text.chars().take(500).collect(),
    })
}

/// The reader's language: `?lang=` (remembered in a cookie), then the cookie, then the browser;
/// and whether the reader chose it just now with `?lang=`.
fn page_language(req: &Request, jar: &CookieJar, secure: bool) -> (Language, bool) {
    let chosen = req
        .uri()
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned())
        })
        .and_then(|code| i18n::parse_code(&code));
    let name = cookie_name(secure, LANGUAGE);
    if let Some(language) = chosen {
        let mut remembered = cookie(name, i18n::code(language), secure);
        remembered.set_max_age(std::time::Duration::from_secs(365 * 24 * 3600));
        jar.add(remembered);
        return (language, true);
    }
    let remembered = jar.get(&name).and_then(|c| i18n::parse_code(c.value_str()));
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let language = remembered.unwrap_or_else(|| i18n::negotiate(None, accept, Language::En));
    (language, false)
}

/// The reader's language for a page shown before the session middleware runs: the remembered
/// choice from the raw Cookie header, then the browser's preference.
pub fn language_before_session(req: &Request) -> Language {
    let headers = req.headers();
    let remembered = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANGUAGE || *name == cookie_name(true, LANGUAGE))
        .and_then(|(_, value)| i18n::parse_code(value));
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    remembered.unwrap_or_else(|| i18n::negotiate(None, accept, Language::En))
}

/// The secret the anti-forgery token is tied to: the session when signed in, otherwise a
/// random pre-sign-in cookie, created on the first page a browser opens.
fn csrf_binding(jar: &CookieJar, secure: bool, creates: bool) -> Option<String> {
    if let Some(session) = session_secret(jar, secure) {
        return Some(session);
    }
    let name = cookie_name(secure, PRE_SESSION);
    if let Some(existing) = jar.get(&name).map(|c| c.value_str().to_owned())
        && !existing.is_empty()
    {
        return Some(existing);
    }
    if !creates {
        return None;
    }
    let fresh = Token::generate().expose().to_owned();
    jar.add(cookie(name, &fresh, secure));
    Some(fresh)
}

/// The middleware in front of every dashboard page (see the module's header).
pub async fn guard<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let state = req
        .data::<AppState>()
        .cloned()
        .expect("the application state is attached to every route");
    let secure = state.base_url.scheme() == "https";
    let jar = req.cookie().clone();
    let (lang, chosen) = page_language(&req, &jar, secure);
    let is_post = req.method() == Method::POST;
    let Some(binding) = csrf_binding(&jar, secure, !is_post) else {
        return Ok(PageError::Forgery.render(lang));
    };
    let csrf = state.keys.csrf_token(&binding);
    if is_post {
        let origin_ok = same_origin(&req, &state.base_url);
        if !(origin_ok && carries_token(&mut req, &csrf).await?) {
            tracing::warn!(
                path = req.original_uri().path(),
                origin_ok,
                "dashboard post refused: forged or expired form"
            );
            return Ok(PageError::Forgery.render(lang));
        }
    }
    let staff = match session_secret(&jar, secure) {
        Some(secret) => {
            match accounts::authenticate_session(
                &state.db,
                &secret,
                state.settings.session_idle_timeout,
            )
            .await
            {
                Ok(staff) => staff,
                Err(err) => return Ok(PageError::App(err).render(lang)),
            }
        }
        None => None,
    };
    if let Some(staff) = staff.as_ref().filter(|_| chosen) {
        // The staff member's emails (the daily digest) follow the dashboard's language; the
        // page itself does not depend on remembering it.
        if let Err(err) = digest::remember_language(&state.db, staff, lang).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "the chosen language was not remembered"
            );
        }
    }
    let notice = if is_post {
        None
    } else {
        take_notice(&jar, secure)
    };
    let ctx = PageContext {
        lang,
        staff,
        csrf,
        notice,
        path: req.original_uri().path().to_owned(),
        secure,
    };
    req.extensions_mut().insert(Arc::new(ctx));
    let mut response = match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(err) => match err.downcast_ref::<PageError>() {
            Some(page_error) => page_error.render(lang),
            None => err.into_response(),
        },
    };
    // Dashboard pages show contact data: never kept by a browser or proxy cache.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// A browser's POST names its page's origin; one from another site is refused. A client that
/// sends neither header (not a browser) still needs the token.
fn same_origin(req: &Request, base_url: &url::Url) -> bool {
    let headers = req.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(claimed) = claimed else {
        return true;
    };
    let Ok(claimed) = url::Url::parse(claimed) else {
        return false;
    };
    let same_site = |other: &url::Url| {
        claimed.host_str().is_some()
            && other.host_str() == claimed.host_str()
            && other.port_or_known_default() == claimed.port_or_known_default()
    };
    // The address the browser used (Host), or the configured public address behind a proxy.
    let used = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|host| url::Url::parse(&format!("{}://{host}", claimed.scheme())).ok());
    used.as_ref().is_some_and(same_site) || same_site(base_url)
}

/// Whether the form carries the expected token: in the body of an ordinary form, in the query
/// of a file upload (whose body the page reads itself).
async fn carries_token(req: &mut Request, expected: &str) -> poem::Result<bool> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let presented = if content_type.starts_with("application/x-www-form-urlencoded") {
        let state = req.data::<AppState>().cloned();
        let limit = state.map_or(1024 * 1024, |s| s.settings.max_body_bytes);
        let body = req
            .take_body()
            .into_bytes_limit(limit)
            .await
            .map_err(|_| poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE))?;
        let found = field_value(&body, CSRF_FIELD);
        req.set_body(body);
        found
    } else if content_type.starts_with("multipart/form-data") {
        req.uri()
            .query()
            .and_then(|q| field_value(q.as_bytes(), CSRF_FIELD))
    } else {
        None
    };
    Ok(presented.is_some_and(|token| constant_time_eq(token.as_bytes(), expected.as_bytes())))
}

fn field_value(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
