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
