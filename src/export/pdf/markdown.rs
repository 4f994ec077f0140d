//! The letter's Markdown body as blocks of styled text: paragraphs, headings, bullet and
//! numbered lists, quotes, bold, italic, and links printed as their text followed by the
//! address.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::fonts::{Face, Fonts};
use super::layout::{Block, Flow, Span, Style, wrap};

/// Body text size, in points.
pub(crate) const BODY_SIZE: f32 = 11.0;
/// Distance between body baselines, in points.
pub(crate) const BODY_LEADING: f32 = 15.5;
/// Space between paragraphs.
pub(crate) const PARAGRAPH_SPACE: f32 = 8.0;
/// Indent per level of list or quote.
const INDENT: f32 = 18.0;

/// What kind of block the pending text becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paragraph,
    Heading(HeadingLevel),
    Code,
}

struct Builder<'a> {
    fonts: &'a Fonts,
    width: f32,
    flow: Vec<Flow>,
    spans: Vec<Span>,
    bold: usize,
    italic: usize,
    heading: Option<HeadingLevel>,
    in_code_block: bool,
    quotes: usize,
    /// For each open list, the next number of an ordered list.
    lists: Vec<Option<u64>>,
    marker: Option<String>,
    /// The first block of a list gets paragraph spacing, its other items less.
    list_just_started: bool,
    /// Open links: their address and the text shown so far.
    links: Vec<(String, String)>,
}

/// Lays out `markdown` as blocks `width` points wide.
pub(crate) fn blocks(fonts: &Fonts, markdown: &str, width: f32) -> Vec<Flow> {
    let mut builder = Builder {
        fonts,
        width,
        flow: Vec::new(),
        spans: Vec::new(),
        bold: 0,
        italic: 0,
        heading: None,
        in_code_block: false,
        quotes: 0,
        lists: Vec::new(),
        marker: None,
        list_just_started: false,
        links: Vec::new(),
    };
    // No extensions: the author's characters print as typed (no curly quotes, no hidden
    // strikethrough).
    for event in Parser::new_ext(markdown, Options::empty()) {
        builder.event(event);
    }
    builder.flush(Kind::Paragraph);
    builder.flow
}

impl Builder<'_> {
    fn style(&self) -> Style {
        let (size, heading_bold) = match self.heading {
            Some(HeadingLevel::H1) => (14.0, true),
            Some(HeadingLevel::H2) => (12.5, true),
            Some(_) => (BODY_SIZE, true),
            None => (BODY_SIZE, false),
        };
        Style::new(
            Face::with(heading_bold || self.bold > 0, self.italic > 0),
            size,
        )
    }

    fn text(&mut self, text: &str) {
        for (_, shown) in &mut self.links {
            shown.push_str(text);
        }
        let style = self.style();
        match self.spans.last_mut() {
            Some(span) if span.style == style => span.text.push_str(text),
            _ => self.spans.push(Span::new(text, style)),
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.text(&text)
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.text("\n"),
            Event::Rule => {
                self.flush(Kind::Paragraph);
                self.flow.push(Flow::Rule {
                    space_before: PARAGRAPH_SPACE,
                });
            }
            Event::Html(html) => self.text(&strip_tags(&html)),
            Event::InlineHtml(html) => {
                if html
                    .trim_start_matches('<')
                    .to_ascii_lowercase()
                    .starts_with("br")
                {
                    self.text("\n");
                }
            }
            Event::FootnoteReference(label) => self.text(&format!("[{label}]")),
            Event::TaskListMarker(done) => self.text(if done { "☑ " } else { "☐ " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock | Tag::FootnoteDefinition(_) => {
                self.flush(Kind::Paragraph)
            }
            Tag::Heading { level, .. } => {
                self.flush(Kind::Paragraph);
                self.heading = Some(level);
            }
            Tag::BlockQuote(_) => {
                self.flush(Kind::Paragraph);
                self.quotes += 1;
            }
            Tag::CodeBlock(_) => {
                self.flush(Kind::Paragraph);
                self.in_code_block = true;
            }
            Tag::List(start) => {
                self.flush(Kind::Paragraph);
                self.lists.push(start);
                self.list_just_started = true;
            }
            Tag::Item => {
                self.flush(Kind::Paragraph);
                let marker = match self.lists.last_mut() {
                    Some(Some(number)) => {
                        let marker = format!("{number}.");
                        *number = number.saturating_add(1);
                        marker
                    }
                    _ => "•".to_owned(),
                };
                self.marker = Some(marker);
            }
            Tag::Emphasis => self.italic += 1,
            Tag::Strong => self.bold += 1,
            Tag::Link { dest_url, .. } => self.links.push((dest_url.to_string(), String::new())),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock | TagEnd::FootnoteDefinition => {
                self.flush(Kind::Paragraph)
            }
            TagEnd::Heading(level) => {
                self.flush(Kind::Heading(level));
                self.heading = None;
            }
            TagEnd::BlockQuote(_) => {
                self.flush(Kind::Paragraph);
                self.quotes = self.quotes.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                if let Some(span) = self.spans.last_mut() {
                    let trimmed = span.text.trim_end_matches('\n').len();
                    span.text.truncate(trimmed);
                }
                self.flush(Kind::Code);
                self.in_code_block = false;
            }
            TagEnd::List(_) => {
                self.flush(Kind::Paragraph);
                self.lists.pop();
            }
            TagEnd::Item => self.flush(Kind::Paragraph),
            TagEnd::Emphasis => self.italic = self.italic.saturating_sub(1),
            TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
            TagEnd::Link => {
                if let Some((url, shown)) = self.links.pop() {
                    let address = url.strip_prefix("mailto:").unwrap_or(&url);
                    // A printed letter cannot be clicked: give the address unless the text is it.
                    if !address.is_empty() && shown.trim() != address {
                        let style = Style::new(Face::with(false, self.italic > 0), BODY_SIZE);
                        self.spans.push(Span::new(format!(" ({address})"), style));
                    }
                }
            }
            _ => {}
        }
    }

    /// Turns the text gathered so far into a block.
    fn flush(&mut self, kind: Kind) {
        let spans = std::mem::take(&mut self.spans);
        if spans.iter().all(|span| span.text.trim().is_empty()) {
            return;
        }
        let indent = INDENT * (self.lists.len() + self.quotes) as f32;
        let width = (self.width - indent).max(INDENT);
        let lines = wrap(self.fonts, &spans, width, 0.0);
        let (leading, space_before) = match kind {
            Kind::Heading(HeadingLevel::H1) => (19.0, 16.0),
            Kind::Heading(HeadingLevel::H2) => (17.0, 14.0),
            Kind::Heading(_) => (BODY_LEADING, 12.0),
            Kind::Paragraph | Kind::Code => {
                let in_list_item = self.marker.is_some() && !self.list_just_started;
                (
                    BODY_LEADING,
                    if in_list_item { 3.0 } else { PARAGRAPH_SPACE },
                )
            }
        };
        self.list_just_started = false;
        let mut block = Block::new(lines, leading, space_before);
        block.indent = indent;
        block.keep_with_next = matches!(kind, Kind::Heading(_));
        block.marker = self.marker.take().and_then(|marker| {
            wrap(
                self.fonts,
                &[Span::new(marker, Style::new(Face::Regular, BODY_SIZE))],
                f32::MAX,
                0.0,
            )
            .into_iter()
            .next()
        });
        self.flow.push(Flow::Text(block));
    }
}

/// The text of an HTML block without its tags, so a stray tag does not print.
fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(markdown: &str) -> Vec<(String, Option<String>, f32)> {
        let fonts = Fonts::get().unwrap();
        blocks(fonts, markdown, 400.0)
            .into_iter()
            .filter_map(|flow| match flow {
                Flow::Text(block) => Some((
                    block
                        .lines
                        .iter()
                        .map(|line| line.text())
                        .collect::<Vec<_>>()
                        .join(" / "),
                    block.marker.map(|marker| marker.text()),
                    block.indent,
                )),
                Flow::Rule { .. } => None,
            })
            .collect()
    }

    #[test]
    fn paragraphs_lists_and_links_become_blocks() {
        let markdown = "We, the undersigned, **urge** you to *act*.\nNow.\n\n\
                        - First point\n- Second [point](https://example.org/a)\n\n\
                        1. One\n2. Two\n   - Nested\n\n\
                        > Quoted\n\n---\n\nWrite to [us](mailto:info@example.org).";
        assert_eq!(
            texts(markdown),
            [
                (
                    "We, the undersigned, urge you to act. Now.".into(),
                    None,
                    0.0
                ),
                ("First point".into(), Some("•".into()), 18.0),
                (
                    "Second point (https://example.org/a)".into(),
                    Some("•".into()),
                    18.0
                ),
                ("One".into(), Some("1.".into()), 18.0),
                ("Two".into(), Some("2.".into()), 18.0),
                ("Nested".into(), Some("•".into()), 36.0),
                ("Quoted".into(), None, 18.0),
                ("Write to us (info@example.org).".into(), None, 0.0),
            ]
        );
    }

    #[test]
    fn bold_and_italic_use_their_faces() {
        let fonts = Fonts::get().unwrap();
        let flow = blocks(fonts, "plain **bold *both*** _italic_", 400.0);
        let Some(Flow::Text(block)) = flow.first() else {
            panic!("expected a paragraph")
        };
        let faces: Vec<(String, Face)> = block.lines[0]
            .runs
            .iter()
            .map(|run| (run.text.clone(), run.style.face))
            .collect();
        assert_eq!(
            faces,
            [
                ("plain ".into(), Face::Regular),
                ("bold ".into(), Face::Bold),
                ("both".into(), Face::BoldItalic),
                (" ".into(), Face::Regular),
                ("italic".into(), Face::Italic),
            ]
        );
    }

    #[test]
    fn a_link_whose_text_is_its_address_is_not_repeated() {
        assert_eq!(
            texts("See <https://example.org>.")[0].0,
            "See https://example.org."
        );
    }

    #[test]
    fn raw_html_does_not_print_its_tags() {
        assert_eq!(texts("<div>Hello</div>")[0].0, "Hello");
        assert_eq!(texts("a<br>b")[0].0, "a / b");
    }
}
