//! The dashboard's page shell and the small pieces every dashboard page shares: the navigation,
//! the notice left by the previous page, the anti-forgery field, a letter's tabs, redirects.

use entity::{Language, LetterStatus};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use poem::web::Redirect;
use poem::web::cookie::CookieJar;
use poem::{IntoResponse, Response};

use super::session::{CSRF_FIELD, Notice, PageContext, leave_notice};
use crate::i18n;
use crate::pages::layout::STYLE;

/// What the dashboard adds to the public pages' styles: wider pages, tables that become cards
/// on a phone, status badges, secondary and dangerous buttons.
const ADMIN_STYLE: &str = r#"
main,header.site{max-width:72rem}
header.site{flex-wrap:wrap;gap:.4rem 1rem;border-bottom:1px solid #ddd;background:#fff}
header.site nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:center}
header.site form{margin:0}
header.site button{padding:.3rem .8rem;font-size:.9rem}
.brand{font-weight:700;text-decoration:none}
table.list{width:100%;border-collapse:collapse;background:#fff;margin:0 0 1rem}
table.list th,table.list td{padding:.45rem .55rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
table.list th{font-size:.9rem;background:#f0f0ea}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:1rem;font-size:.85rem;background:#e8e8e4;color:#1b1b1b;white-space:nowrap}
.badge.open,.badge.approved{background:#d7efdb}
.badge.closed,.badge.pending_verification,.badge.verified{background:#fff0c2}
.badge.delivered{background:#dbe7f7}
.badge.rejected,.badge.withdrawn{background:#f6dcd9}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0}
.actions form{margin:0}
button.secondary,a.button.secondary{background:#fff;color:#0b57a4;border:2px solid #0b57a4}
button.secondary:hover{background:#eef4fb}
button.danger{background:#b3261e}
button.danger:hover{background:#8c1d17}
a.button{display:inline-block;font-weight:600;background:#0b57a4;color:#fff;border-radius:4px;padding:.6rem 1.1rem;text-decoration:none}
ul.counts{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;margin:.4rem 0;padding:0;list-style:none}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
.card h2,.card h3{margin-top:0}
nav.tabs ul{display:flex;flex-wrap:wrap;gap:.3rem 1.1rem;margin:.2rem 0 1.2rem;padding:0 0 .4rem;list-style:none;border-bottom:1px solid #ddd}
nav.tabs a[aria-current=page]{font-weight:700;text-decoration:none;color:#1b1b1b}
.sidebyside{display:grid;gap:1rem}
.preview{background:#fff;border:1px dashed #888;border-radius:6px;padding:.8rem 1rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.4rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
input[type=date],input[type=time],input[type=number]{font:inherit;padding:.5rem .6rem;border:1px solid #888;border-radius:4px;background:#fff}
input[readonly],textarea[readonly]{background:#f0f0ea}
del{background:#f6dcd9}
ins{background:#d7efdb;text-decoration:none}
@media (min-width:48rem){.sidebyside{grid-template-columns:1fr 1fr}}
@media (max-width:40rem){
 table.list thead{display:none}
 table.list tr{display:block;border:1px solid #ddd;border-radius:6px;margin:0 0 .8rem;background:#fff}
 table.list td{display:block;border:0;padding:.25rem .6rem}
 table.list td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
}
"#;

fn other(language: Language) -> Language {
    match language {
        Language::En => Language::Es,
        Language::Es => Language::En,
    }
}

/// A dashboard page: the navigation for a signed-in member, the notice, then `content`.
pub fn page(ctx: &PageContext, title: &str, content: Markup) -> Markup {
    let switch_to = other(ctx.lang);
    let switch_texts = i18n::texts(switch_to);
    html! {
        (DOCTYPE)
        html lang=(i18n::code(ctx.lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · signon" }
                style { (PreEscaped(STYLE)) (PreEscaped(ADMIN_STYLE)) }
            }
            body {
                header.site {
                    a.brand href="/admin" { "signon" }
                    nav aria-label=(ctx.t("Main", "Principal")) {
                        @if let Some(staff) = &ctx.staff {
                            a href="/admin" { (ctx.t("Letters", "Cartas")) }
                            a href="/admin/members" { (ctx.t("Members", "Miembros")) }
                            a.meta href="/admin/account" title=(ctx.t("Your settings", "Su configuración")) { (staff.name) }
                        }
                        a href=(format!("{}?lang={}", ctx.path, switch_texts.code)) lang=(switch_texts.code) hreflang=(switch_texts.code) {
                            (switch_texts.language_name)
                        }
                        @if ctx.staff.is_some() {
                            form method="post" action="/admin/logout" {
                                (csrf_field(ctx))
                                button.secondary type="submit" { (ctx.t("Sign out", "Cerrar sesión")) }
                            }
                        }
                    }
                }
                main {
                    @if let Some(notice) = &ctx.notice {
                        @if notice.is_error {
                            div.errors role="alert" { p { (notice.text) } }
                        } @else {
                            div.ok role="status" { p { (notice.text) } }
                        }
                    }
                    (content)
                }
            }
        }
    }
}

/// A page with no navigation, for failures rendered before anything is known of the reader.
pub fn bare(lang: Language, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(i18n::code(lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · signon" }
                style { (PreEscaped(STYLE)) (PreEscaped(ADMIN_STYLE)) }
            }
            body {
                header.site { a.brand href="/admin" { "signon" } }
                main { (content) }
            }
        }
    }
}

/// The hidden anti-forgery field every state-changing form carries.
pub fn csrf_field(ctx: &PageContext) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf); }
}

/// The action of a file-upload form, which carries the anti-forgery token in its query.
pub fn upload_action(ctx: &PageContext, path: &str) -> String {
    format!("{path}?{CSRF_FIELD}={}", ctx.csrf)
}

/// After a form post: back to a page, with a notice that says what happened.
pub fn redirect_with_notice(
    jar: &CookieJar,
    ctx: &PageContext,
    location: &str,
    text: impl Into<String>,
) -> Response {
    leave_notice(
        jar,
        ctx.secure,
        &Notice {
            is_error: false,
            text: text.into(),
        },
    );
    Redirect::see_other(location).into_response()
}

/// After a form post that could not be applied: back to a page that says why.
pub fn redirect_with_error(
    jar: &CookieJar,
    ctx: &PageContext,
    location: &str,
    text: impl Into<String>,
) -> Response {
    leave_notice(
        jar,
        ctx.secure,
        &Notice {
            is_error: true,
            text: text.into(),
        },
    );
    Redirect::see_other(location).into_response()
}

/// A letter's status, as a coloured word.
pub fn status_badge(ctx: &PageContext, status: LetterStatus) -> Markup {
    let (class, en, es) = match status {
        LetterStatus::Draft => ("draft", "Draft", "Borrador"),
        LetterStatus::Open => ("open", "Open", "Abierta"),
        LetterStatus::Closed => ("closed", "Closed", "Cerrada"),
        LetterStatus::Delivered => ("delivered", "Delivered", "Entregada"),
    };
    html! { span class=(format!("badge {class}")) { (ctx.t(en, es)) } }
}

/// The pages of one letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterTab {
    /// Status, counts, coordinators, status changes.
    Overview,
    /// The text and settings.
    Edit,
    /// The moderation queue.
    Signatures,
    /// CSV import.
    Import,
    /// PDF and CSV downloads.
    Exports,
    /// The audit trail.
    Audit,
    /// The sign-on link, QR code and badge.
    Share,
    /// Personal invitations and reminders.
    Invitations,
    /// Partner links, their counts and the embeddable form.
    Partners,
}

impl LetterTab {
    const ALL: [LetterTab; 9] = [
        Self::Overview,
        Self::Edit,
        Self::Signatures,
        Self::Invitations,
        Self::Partners,
        Self::Import,
        Self::Exports,
        Self::Audit,
        Self::Share,
    ];

    /// The tab's address for a letter.
    pub fn path(self, letter_id: i64) -> String {
        let suffix = match self {
            Self::Overview => "",
            Self::Edit => "/edit",
            Self::Signatures => "/signatures",
            Self::Import => "/import",
            Self::Exports => "/exports",
            Self::Audit => "/audit",
            Self::Share => "/share",
            Self::Invitations => "/invitations",
            Self::Partners => "/partners",
        };
        format!("/admin/letters/{letter_id}{suffix}")
    }

    fn label(self, ctx: &PageContext) -> &'static str {
        match self {
            Self::Overview => ctx.t("Overview", "Resumen"),
            Self::Edit => ctx.t("Text and settings", "Texto y ajustes"),
            Self::Signatures => ctx.t("Signatures", "Firmas"),
            Self::Import => ctx.t("Import", "Importar"),
            Self::Exports => ctx.t("Exports", "Exportar"),
            Self::Audit => ctx.t("History", "Historial"),
            Self::Share => ctx.t("Share", "Compartir"),
            Self::Invitations => ctx.t("Invitations", "Invitaciones"),
            Self::Partners => ctx.t("Partners", "Aliadas"),
        }
    }
}

/// The heading of a letter's page with its tabs, the current one marked.
pub fn letter_header(
    ctx: &PageContext,
    letter: &entity::letter::Model,
    current: LetterTab,
) -> Markup {
    html! {
        p.meta { a href="/admin" { "← " (ctx.t("All letters", "Todas las cartas")) } }
        h1 { (letter.title) " " (status_badge(ctx, letter.status)) }
        nav.tabs aria-label=(ctx.t("This letter", "Esta carta")) {
            ul {
                @for tab in LetterTab::ALL {
                    li {
                        a href=(tab.path(letter.id)) aria-current=[(tab == current).then_some("page")] {
                            (tab.label(ctx))
                        }
                    }
                }
            }
        }
    }
}
