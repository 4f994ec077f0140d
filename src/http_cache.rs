//! HTTP caching of what anyone may read: an `ETag` naming the version of the letter an answer
//! was made from, `Cache-Control` that lets a browser or a CDN keep it a few seconds, and
//! `If-None-Match` answered `304 Not Modified` without a body.

use entity::Language;
use poem::http::{HeaderMap, HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::i18n;
use crate::service::public_view::PublicView;

/// Shared caches may keep a public answer five seconds, then must ask again (a cheap `304`
/// while nothing changed): a withdrawn name stays out of sight at most that long.
pub const CACHE_CONTROL: &str = "public, max-age=5, must-revalidate";

/// The answers differ by the language the browser asks for.
pub const VARY: &str = "Accept-Language";

/// The entity tag of an answer made from `view` in `language`; `detail` names what else
/// chose it (the page, the search, whether the form shows). The program's version is part of
/// it, so an upgrade that changes the markup is not answered from an old copy.
pub fn etag(view: &PublicView, language: Language, detail: &str) -> String {
    format!(
        "\"{}-{}-{}-{}-{detail}\"",
        env!("CARGO_PKG_VERSION"),
        view.letter.id,
        view.version(),
        i18n::code(language),
    )
}

/// A short, header-safe digest of a visitor's text (a search), for an entity tag.
pub fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

/// Whether the client already holds `etag`: its `If-None-Match` lists it (compared weakly,
/// as for a `GET`) or is `*`.
pub fn client_has(if_none_match: Option<&str>, etag: &str) -> bool {
    let strip = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = strip(etag);
    if_none_match
        .into_iter()
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == "*" || strip(tag) == wanted)
}

/// The `If-None-Match` header of a request.
pub fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
}

/// Adds `ETag`, `Cache-Control` and `Vary` to an answer.
pub fn mark(response: &mut Response, etag: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
}

/// `304 Not Modified` with the caching headers and no body.
pub fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    mark(&mut response, etag);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_tag_matches_weakly_and_another_does_not() {
        assert!(client_has(Some("\"a\", W/\"b\""), "\"b\""));
        assert!(client_has(Some("*"), "\"b\""));
        assert!(!client_has(Some("\"a\""), "\"b\""));
        assert!(!client_has(None, "\"b\""));
    }
}
