//! Letter bodies are Markdown written by coordinators; they are shown as HTML with no raw HTML
//! passing through and only web and mail links kept.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown to safe HTML: raw HTML is shown as text, images as their description,
/// and links other than http(s) and mailto as plain text.
pub fn to_safe_html(markdown: &str) -> String {
    let mut dropped_links = 0usize;
    let mut in_image = 0usize;
    let events =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                None
            }
            Event::End(TagEnd::Image) => {
                in_image = in_image.saturating_sub(1);
                None
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if is_safe_link(&dest_url) {
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }))
                } else {
                    dropped_links += 1;
                    None
                }
            }
            Event::End(TagEnd::Link) if dropped_links > 0 => {
                dropped_links -= 1;
                None
            }
            Event::Text(text) if in_image > 0 => Some(Event::Text(text)),
            other => Some(other),
        });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

fn is_safe_link(url: &CowStr<'_>) -> bool {
    let lowered = url.trim().to_ascii_lowercase();
    lowered.starts_with("https://")
        || lowered.starts_with("http://")
        || lowered.starts_with("mailto:")
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_renders_with_emphasis_lists_and_links() {
        let html =
            to_safe_html("Dear **President**,\n\n- *one*\n- two\n\n[WOLA](https://www.wola.org)");
        assert!(html.contains("<strong>President</strong>"));
        assert!(html.contains("<li><em>one</em></li>"));
        assert!(html.contains("<a href=\"https://www.wola.org\">WOLA</a>"));
    }

    #[test]
    fn raw_html_scripts_and_unsafe_links_never_pass() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![pic](https://t.example/p.png)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("pic"), "{html}");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::to_safe_html;

    /// The tags Markdown itself produces; anything else came from the input.
    const TAGS: [&str; 20] = [
        "p",
        "em",
        "strong",
        "del",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "br",
        "s",
    ];
    /// The attributes Markdown itself produces.
    const ATTRIBUTES: [&str; 4] = ["href", "title", "start", "class"];

    /// Pieces of hostile Markdown, joined at random: raw HTML, event handlers, script links
    /// with their case, whitespace and entity disguises, and the Markdown around them.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "<script>alert(1)</script>",
            "<SCRIPT src=x>",
            "<scr<script>ipt>",
            "<img src=x onerror=alert(1)>",
            "<IMG SRC=\"x\"\nonerror=\"alert(1)\">",
            "<iframe src=x>",
            "<svg onload=alert(1)>",
            "<a href=\"javascript:x\">",
            "<!-- c -->",
            "<div>",
            "</p>",
            "<",
            ">",
            "[x](",
            "](",
            ")",
            "[y]: ",
            "![p](",
            "<javascript:alert(1)>",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:x",
            "java\tscript:x",
            "java\nscript:x",
            "&#106;avascript:x",
            "&#x6A;avascript:x",
            "javascript&colon;x",
            "&#0000106avascript:x",
            "vbscript:msgbox(1)",
            "VBScript:x",
            "data:text/html;base64,PHNjcmlwdD4=",
            "DATA:image/svg+xml,<svg>",
            "\u{0}javascript:x",
            "\u{1}java\u{0}script:x",
            "%6Aavascript:x",
            "https://ok.example/a?b=c&d",
            "http://ok.example",
            "mailto:a@b.org",
            "<https://ok.example>",
            "<a@b.org>",
            "\"title\"",
            "'t'",
            "\\",
            "`",
            "```",
            "*",
            "_",
            "~~",
            "\n",
            "\n\n",
            " ",
            "    ",
            "> ",
            "- ",
            "1. ",
            "#",
            "&amp;",
            "&lt;script&gt;",
            "onerror=",
            "\u{2028}",
        ]);
        prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
    }

    /// Every tag in rendered HTML: its name and its attributes' names and values. Text is
    /// escaped, so every `<` opens a tag.
    fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut found = Vec::new();
        for chunk in html.split('<').skip(1) {
            let tag = chunk.split('>').next().unwrap_or_default();
            let tag = tag.trim_start_matches('/').trim_end_matches('/');
            let (name, mut rest) = tag.split_once(' ').unwrap_or((tag, ""));
            let mut attributes = Vec::new();
            while let Some((attribute, after)) = rest.trim_start().split_once("=\"") {
                let (value, after) = after.split_once('"').unwrap_or((after, ""));
                attributes.push((attribute.to_owned(), value.to_owned()));
                rest = after;
            }
            found.push((name.to_owned(), attributes));
        }
        found
    }

    /// What a browser takes as the scheme of an href: entities decoded, tabs, newlines and
    /// leading controls or spaces dropped, lowercased. `None` for a relative link.
    fn scheme(href: &str) -> Option<String> {
        let decoded = href
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let cleaned: String = decoded
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let (scheme, _) = cleaned.split_once(':')?;
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        is_scheme.then(|| scheme.to_ascii_lowercase())
    }

    fn check(markdown: &str) -> Result<(), TestCaseError> {
        let html = to_safe_html(markdown);
        for (name, attributes) in tags(&html) {
            prop_assert!(
                TAGS.contains(&name.as_str()),
                "<{}> from {:?}: {}",
                name,
                markdown,
                html
            );
            for (attribute, value) in attributes {
                prop_assert!(
                    ATTRIBUTES.contains(&attribute.as_str()),
                    "{}= from {:?}: {}",
                    attribute,
                    markdown,
                    html
                );
                if attribute == "href" {
                    let scheme = scheme(&value);
                    prop_assert!(
                        matches!(scheme.as_deref(), None | Some("http" | "https" | "mailto")),
                        "a {:?} link from {:?}: {}",
                        scheme,
                        markdown,
                        html
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_checks_see_what_a_browser_would_run() {
        let found = tags("<p>a <img src=\"x\" onerror=\"alert(1)\" /></p>");
        assert_eq!(found[1].0, "img");
        assert_eq!(found[1].1[1], ("onerror".to_owned(), "alert(1)".to_owned()));
        assert_eq!(
            scheme(" \u{1}JaVa\tScript:x").as_deref(),
            Some("javascript")
        );
        assert_eq!(scheme("DATA&amp;:x"), None);
        assert_eq!(scheme("/relative:path"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn hostile_markdown_renders_no_raw_html_and_no_script_link(markdown in hostile()) {
            check(&markdown)?;
        }

        #[test]
        fn any_text_renders_without_panic_or_raw_html(markdown in any::<String>()) {
            check(&markdown)?;
        }
    }
}
