//! The page shell every public page shares: language, switch, styles.

use entity::Language;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::i18n::texts;

/// Readable on a phone and on a desktop, with visible focus and clearly marked errors.
pub(crate) const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.55;color:#1b1b1b;background:#fafaf7}
main{max-width:44rem;margin:0 auto;padding:1rem 1.1rem 4rem}
header.site{display:flex;justify-content:space-between;align-items:center;max-width:44rem;margin:0 auto;padding:.6rem 1.1rem;font-size:.95rem}
header.site a{color:#1b1b1b}
h1{font-size:1.6rem;line-height:1.25;margin:.6rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .8rem}
a{color:#0b57a4}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f2a900;outline-offset:2px}
.meta{color:#444;font-size:.95rem}
.addressees{white-space:pre-line;font-style:italic}
.letter{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem 1.2rem}
.notice{background:#fff4d6;border-left:4px solid #f2a900;padding:.7rem 1rem;margin:1rem 0}
.ok{background:#e3f4e6;border-left:4px solid #2e7d32;padding:.7rem 1rem;margin:1rem 0}
.errors{background:#fdecea;border-left:4px solid #b3261e;padding:.7rem 1rem;margin:1rem 0}
.field{margin:0 0 1rem}
label,legend{display:block;font-weight:600;margin-bottom:.25rem}
.hint{display:block;font-weight:normal;color:#555;font-size:.9rem}
input[type=text],input[type=email],input[type=tel],input[type=url],select,textarea{width:100%;font:inherit;padding:.55rem .6rem;border:1px solid #888;border-radius:4px;background:#fff}
textarea{min-height:6rem}
.invalid input,.invalid select,.invalid textarea{border:2px solid #b3261e}
.error{color:#b3261e;font-weight:600;display:block;margin:.2rem 0}
fieldset{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
.choice{display:flex;gap:.5rem;align-items:flex-start;font-weight:normal}
.choice input{margin-top:.35rem;width:1.1rem;height:1.1rem}
button{font:inherit;font-weight:600;background:#0b57a4;color:#fff;border:0;border-radius:4px;padding:.75rem 1.4rem;cursor:pointer}
button:hover{background:#084481}
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
ol.signatories,ul.signatories{padding-left:1.4rem}
.signatories li{margin:.15rem 0}
@media (min-width:40rem){h1{font-size:2rem}}
"#;

/// A public page in `language`; `switch_path` is the page's own address (a query included),
/// for the language switch.
pub fn page(language: Language, title: &str, switch_path: &str, content: Markup) -> Markup {
    shell(language, title, switch_path, "", content)
}

/// What the embeddable form changes of the styles: less room around it, a smaller title, so
/// that it fits a partner's page.
const EMBED_STYLE: &str = r#"
main{padding:.4rem .8rem 1rem}
header.site{padding:.3rem .8rem}
h1{font-size:1.3rem;margin:.3rem 0 .5rem}
@media (min-width:40rem){h1{font-size:1.4rem}}
"#;

/// A page of the embeddable form, shown in a frame on a partner's site.
pub fn embedded(language: Language, title: &str, switch_path: &str, content: Markup) -> Markup {
    shell(language, title, switch_path, EMBED_STYLE, content)
}

fn shell(
    language: Language,
    title: &str,
    switch_path: &str,
    extra_style: &str,
    content: Markup,
) -> Markup {
    let t = texts(language);
    let other = match language {
        Language::En => Language::Es,
        Language::Es => Language::En,
    };
    let other_texts = texts(other);
    let joiner = if switch_path.contains('?') { '&' } else { '?' };
    html! {
        (DOCTYPE)
        html lang=(t.code) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(extra_style)) }
            }
            body {
                header.site {
                    span { "signon" }
                    a href=(format!("{switch_path}{joiner}lang={}", other_texts.code)) lang=(other_texts.code) hreflang=(other_texts.code) {
                        (other_texts.language_name)
                    }
                }
                main { (content) }
            }
        }
    }
}
