//! The dashboard's home: the letters of the caller's organizations, with what waits for them.

use maud::{Markup, html};
use poem::handler;
use poem::web::Data;

use super::error::PageError;
use super::layout::{page, status_badge};
use super::session::Signed;
use crate::i18n::long_date;
use crate::service::access;
use crate::service::letters::{self, LetterView};
use crate::state::AppState;

/// How many letters the home page lists; coalitions run a handful at a time.
const LETTERS_SHOWN: u64 = 200;

/// `GET /admin`: the caller's letters, most recently changed first.
#[handler]
pub async fn home(state: Data<&AppState>, page_ctx: Signed) -> Result<Markup, PageError> {
    let (views, total) = letters::list(&state.db, &page_ctx.staff, LETTERS_SHOWN, 0).await?;
    let ctx = &page_ctx;
    let title = ctx.t("Your letters", "Sus cartas");
    Ok(page(
        ctx,
        title,
        html! {
            h1 { (title) }
            @if ctx.staff.memberships.is_empty() {
                p.notice { (ctx.t(
                    "Your account belongs to no organization yet. Ask an owner of your organization to add you.",
                    "Su cuenta aún no pertenece a ninguna organización. Pida a quien administra su organización que le agregue.",
                )) }
            } @else if access::writing_memberships(&ctx.staff).next().is_some() {
                p.actions { a.button href="/admin/letters/new" { (ctx.t("Write a new letter", "Escribir una carta nueva")) } }
            }
            @if views.is_empty() {
                p { (ctx.t("No letters yet.", "Todavía no hay cartas.")) }
            } @else {
                p.meta { (total) " " (ctx.t("letters", "cartas")) }
                (letters_table(ctx, &views))
            }
        },
    ))
}

fn letters_table(ctx: &Signed, views: &[LetterView]) -> Markup {
    let headings = [
        ctx.t("Letter", "Carta"),
        ctx.t("Status", "Estado"),
        ctx.t("Deadline", "Fecha límite"),
        ctx.t("To confirm", "Por confirmar"),
        ctx.t("To moderate", "Por moderar"),
        ctx.t("Approved", "Aprobadas"),
        ctx.t("Rejected", "Rechazadas"),
        ctx.t("Withdrawn", "Retiradas"),
    ];
    html! {
        table.list {
            thead { tr { @for heading in headings { th scope="col" { (heading) } } } }
            tbody {
                @for view in views {
                    @let letter = &view.letter;
                    @let counts = &view.counts;
                    tr {
                        td data-label=(headings[0]) {
                            a href=(format!("/admin/letters/{}", letter.id)) { (letter.title) }
                            br; span.meta { "/l/" (letter.slug) }
                        }
                        td data-label=(headings[1]) { (status_badge(ctx, letter.status)) }
                        td data-label=(headings[2]) {
                            @match letter.deadline {
                                Some(deadline) => (long_date(deadline.date_naive(), ctx.lang)),
                                None => "—",
                            }
                        }
                        td data-label=(headings[3]) { (counts.pending_verification) }
                        td data-label=(headings[4]) {
                            @if counts.verified > 0 {
                                a href=(format!("/admin/letters/{}/signatures?status=verified", letter.id)) { strong { (counts.verified) } }
                            } @else { "0" }
                        }
                        td data-label=(headings[5]) { (counts.approved) }
                        td data-label=(headings[6]) { (counts.rejected) }
                        td data-label=(headings[7]) { (counts.withdrawn) }
                    }
                }
            }
        }
    }
}
