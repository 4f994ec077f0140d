//! The count badge partners embed on their own sites: "123 signatories", nothing else.

use entity::Language;
use maud::html;
use poem::http::header;
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Request, Response, handler};

use super::letter::count_text;
use super::{LangQuery, language, not_found, server_error};
use crate::error::AppError;
use crate::i18n;
use crate::state::AppState;

/// How long browsers and caches may keep a badge: fresh enough for a campaign page, and a
/// popular page costs the database one count a minute per cache.
const BADGE_MAX_AGE_SECONDS: u32 = 60;

/// The badge for a count, as an SVG image; only our own words and a number go in it.
fn badge_svg(text: &str) -> String {
    // A width estimate for 11 px sans-serif, which averages about 6.5 px a character.
    let width = 16 + (text.chars().count() as u32 * 13).div_ceil(2);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(width) height="20" viewBox=(format!("0 0 {width} 20")) role="img" aria-label=(text) {
            title { (text) }
            rect width=(width) height="20" rx="3" fill="#0b57a4" {}
            text x=(width / 2) y="14" fill="#fff" text-anchor="middle"
                font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" { (text) }
        }
    }
    .into_string()
}

/// `GET /l/{slug}/badge.svg?lang=`: the approved count of a published letter. The language is
/// the one asked for, else the letter's own, never the visitor's browser: caches keep one
/// answer per address.
#[handler]
pub async fn badge(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let path = format!("/l/{slug}/badge.svg");
    match state.public_views.get(&state.db, &slug).await {
        Ok(view) => {
            let lang = query
                .lang
                .as_deref()
                .and_then(i18n::parse_code)
                .unwrap_or(view.letter.language);
            badge_svg(&count_text(lang, view.approved()))
                .with_content_type("image/svg+xml")
                .with_header(
                    header::CACHE_CONTROL,
                    format!("public, max-age={BADGE_MAX_AGE_SECONDS}"),
                )
                .into_response()
        }
        Err(AppError::NotFound(_)) => not_found(language(req, &query, Language::En), &path),
        Err(err) => server_error(err, language(req, &query, Language::En), &path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_an_svg_that_says_the_count() {
        let svg = badge_svg("1234 firmantes");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(">1234 firmantes</text>"));
    }
}
