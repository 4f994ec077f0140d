//! Spreading a letter: the sign-on link to copy, its QR code for printed flyers, and the count
//! badge other sites can embed.

use entity::{Language, LetterStatus};
use maud::{Markup, PreEscaped, html};
use poem::http::header;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::error::PageError;
use super::layout::{LetterTab, letter_header, page};
use super::letter::public_url;
use super::session::Signed;
use crate::error::AppError;
use crate::i18n;
use crate::service::letters;
use crate::state::AppState;

/// The QR code of an address as an SVG document. Medium error correction survives a creased or
/// smudged flyer; the white margin is what phone cameras need to find the code.
fn qr_svg(address: &str) -> Result<String, AppError> {
    let code = QrCode::with_error_correction_level(address.as_bytes(), EcLevel::M)
        .map_err(|err| anyhow::anyhow!("no QR code for {address}: {err}"))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(232, 232)
        .quiet_zone(true)
        .build())
}

/// The same code for use inside an HTML page, which takes no XML declaration.
fn inline_svg(document: &str) -> &str {
    document
        .split_once("?>")
        .map_or(document, |(_, svg)| svg.trim_start())
}

/// The HTML another site pastes to show the letter's count, linked to the letter.
fn badge_snippet(address: &str, title: &str, lang: Language) -> String {
    let code = i18n::code(lang);
    let badge = format!("{}/badge.svg?lang={code}", address.trim_end_matches('/'));
    let alt = match lang {
        Language::En => format!("Signatories of “{title}”"),
        Language::Es => format!("Firmantes de «{title}»"),
    };
    html! { a href=(format!("{address}?lang={code}")) { img src=(badge) alt=(alt) height="20"; } }
        .into_string()
}

/// `GET /admin/letters/{id}/share`.
#[handler]
pub async fn share_page(
    state: Data<&AppState>,
    page_ctx: Signed,
    Path(id): Path<i64>,
) -> Result<Markup, PageError> {
    let view = letters::get(&state.db, &page_ctx.staff, id).await?;
    let ctx = &page_ctx;
    let letter = &view.letter;
    let address = public_url(&state, &letter.slug);
    let qr = qr_svg(&address)?;
    Ok(page(
        ctx,
        &letter.title,
        html! {
            (letter_header(ctx, letter, LetterTab::Share))
            @if letter.status == LetterStatus::Draft {
                p.notice { (ctx.t(
                    "This letter is a draft: the link, the QR code and the badge work once you open it for signatures.",
                    "Esta carta es un borrador: el enlace, el código QR y la insignia funcionan cuando la abra a firmas.",
                )) }
            }
            section.card aria-labelledby="link-heading" {
                h2 #link-heading { (ctx.t("Sign-on link", "Enlace para firmar")) }
                div.field {
                    label for="share-link" { (ctx.t("Copy this link into emails and posts", "Copie este enlace en correos y publicaciones")) }
                    input type="text" id="share-link" readonly value=(address);
                }
                p.meta { (ctx.t("Readers choose English or Spanish on the page; add ?lang=es to send them straight to Spanish.", "Quien lee elige inglés o español en la página; agregue ?lang=es para llevarle directo al español.")) }
            }
            section.card aria-labelledby="qr-heading" {
                h2 #qr-heading { (ctx.t("QR code for printed flyers", "Código QR para volantes impresos")) }
                div role="img" aria-label=(ctx.t("QR code of the sign-on link", "Código QR del enlace para firmar")) {
                    (PreEscaped(inline_svg(&qr)))
                }
                p { a href=(format!("/admin/letters/{id}/qr.svg")) download { (ctx.t("Download the QR code (SVG, prints sharp at any size)", "Descargar el código QR (SVG, nítido a cualquier tamaño)")) } }
            }
            section.card aria-labelledby="badge-heading" {
                h2 #badge-heading { (ctx.t("Count badge for websites", "Insignia con el conteo para sitios web")) }
                p { (ctx.t("Partners can show how many have signed, updated every minute, with this HTML:", "Las organizaciones aliadas pueden mostrar cuántas han firmado, al día cada minuto, con este HTML:")) }
                @if letter.status != LetterStatus::Draft {
                    p { img src=(format!("/l/{}/badge.svg?lang={}", letter.slug, i18n::code(ctx.lang))) alt=(ctx.t("The badge as it looks now", "La insignia como se ve ahora")) height="20"; }
                }
                div.field {
                    label for="badge-en" { (ctx.t("In English", "En inglés")) }
                    textarea id="badge-en" readonly rows="4" { (badge_snippet(&address, &letters::text_in(letter, Language::En).title, Language::En)) }
                }
                div.field {
                    label for="badge-es" { (ctx.t("In Spanish", "En español")) }
                    textarea id="badge-es" readonly rows="4" { (badge_snippet(&address, &letters::text_in(letter, Language::Es).title, Language::Es)) }
                }
            }
        },
    ))
}

/// `GET /admin/letters/{id}/qr.svg`: the QR code as a file, for printing.
#[handler]
pub async fn qr_download(
    state: Data<&AppState>,
    page_ctx: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let view = letters::get(&state.db, &page_ctx.staff, id).await?;
    let svg = qr_svg(&public_url(&state, &view.letter.slug))?;
    Ok(svg
        .with_content_type("image/svg+xml")
        .with_header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-qr.svg\"", view.letter.slug),
        )
        .into_response())
}
