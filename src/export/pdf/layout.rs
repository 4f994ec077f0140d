//! Typesetting: breaking styled text into lines by measured widths, and placing lines on pages,
//! full width or in two columns.

use std::borrow::Cow;

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Op, PdfFontHandle, Point, Pt, TextItem, TextMatrix,
};

use super::fonts::{Face, Fonts};

/// Slack for comparing accumulated float widths and heights.
const EPSILON: f32 = 0.01;

/// How a piece of text looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    /// Regular, bold, italic or both.
    pub face: Face,
    /// Font size in points.
    pub size: f32,
    /// Gray level of the ink: 0 is black, 1 is white.
    pub ink: f32,
}

impl Style {
    /// Black text in `face` at `size` points.
    pub(crate) const fn new(face: Face, size: f32) -> Self {
        Self {
            face,
            size,
            ink: 0.0,
        }
    }

    /// The same style in a gray ink.
    pub(crate) const fn ink(self, ink: f32) -> Self {
        Self { ink, ..self }
    }
}

/// Text in one style, before line breaking.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    /// The text; a line feed forces a line break.
    pub text: String,
    /// How all of it looks.
    pub style: Style,
}

impl Span {
    /// `text` in `style`.
    pub(crate) fn new(text: impl Into<String>, style: Style) -> Self {
        Self {
            text: text.into(),
            style,
        }
    }
}

/// Text in one style placed on a line, `x` points from the line's start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    /// Where the run starts, in points from the line's start.
    pub x: f32,
    /// The characters, spaces included.
    pub text: String,
    /// How they look.
    pub style: Style,
}

/// One line of set text.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TextLine {
    /// The runs, left to right.
    pub runs: Vec<Run>,
    /// Where the last glyph ends, from the line's start.
    pub width: f32,
}

impl TextLine {
    /// The line's characters, for tests and debugging.
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        self.runs.iter().map(|run| run.text.as_str()).collect()
    }
}

enum Token {
    /// Characters with no break opportunity between them, possibly in several styles.
    Word(Vec<(String, Style)>),
    Space(Style),
    Break,
}

/// Splits spans at spaces (break opportunities) and line feeds (forced breaks). A no-break
/// space joins its neighbors into one word and prints as a plain space, so its glyph never
/// stands in for the space in extracted text.
fn tokenize(spans: &[Span]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word: Vec<(String, Style)> = Vec::new();
    let flush = |word: &mut Vec<(String, Style)>, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for span in spans {
        for c in span.text.chars() {
            match c {
                '\n' => {
                    flush(&mut word, &mut tokens);
                    tokens.push(Token::Break);
                }
                '\u{A0}' | '\u{202F}' | '\u{2007}' => push_char(&mut word, ' ', span.style),
                c if c.is_whitespace() => {
                    flush(&mut word, &mut tokens);
                    if !matches!(tokens.last(), Some(Token::Space(_))) {
                        tokens.push(Token::Space(span.style));
                    }
                }
                // Other control characters (and soft hyphens) have nothing to print.
                c if c.is_control() || c == '\u{AD}' => {}
                c => push_char(&mut word, c, span.style),
            }
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn push_char(word: &mut Vec<(String, Style)>, c: char, style: Style) {
    match word.last_mut() {
        Some((text, last_style)) if *last_style == style => text.push(c),
        _ => word.push((c.to_string(), style)),
    }
}

/// A word cut after each slash or hyphen that has more of the word after it.
fn segments(pieces: &[(String, Style)]) -> Vec<Vec<(String, Style)>> {
    let mut segments = vec![Vec::new()];
    let total: usize = pieces.iter().map(|(text, _)| text.chars().count()).sum();
    let mut seen = 0;
    for (text, style) in pieces {
        for c in text.chars() {
            seen += 1;
            if let Some(segment) = segments.last_mut() {
                push_char(segment, c, *style);
            }
            if matches!(c, '/' | '-') && seen > 1 && seen < total {
                segments.push(Vec::new());
            }
        }
    }
    segments
}

/// Lines being filled, left to right.
struct Wrapper<'a> {
    fonts: &'a Fonts,
    width: f32,
    hanging: f32,
    lines: Vec<TextLine>,
    line: TextLine,
    x: f32,
    has_text: bool,
}

impl Wrapper<'_> {
    fn push(&mut self, text: &str, style: Style, width: f32) {
        match self.line.runs.last_mut() {
            Some(run) if run.style == style => run.text.push_str(text),
            _ => self.line.runs.push(Run {
                x: self.x,
                text: text.to_owned(),
                style,
            }),
        }
        self.x += width;
        self.line.width = self.x;
        self.has_text = true;
    }

    fn push_word(&mut self, pieces: &[(String, Style)]) {
        for (text, style) in pieces {
            let width = self.fonts.width(text, style.face, style.size);
            self.push(text, *style, width);
        }
    }

    /// For a word longer than a whole line: break it after a slash or hyphen ("AID/WATCH",
    /// "IMT-UNTREF"), and only where a piece is still too long, between characters.
    fn push_broken_word(&mut self, pieces: &[(String, Style)]) {
        for segment in segments(pieces) {
            let width: f32 = segment
                .iter()
                .map(|(text, style)| self.fonts.width(text, style.face, style.size))
                .sum();
            if self.has_text && self.x + width > self.width + EPSILON {
                self.finish_line();
            }
            if self.x + width <= self.width + EPSILON {
                self.push_word(&segment);
                continue;
            }
            for (text, style) in &segment {
                for c in text.chars() {
                    let mut buffer = [0; 4];
                    let c = c.encode_utf8(&mut buffer);
                    let width = self.fonts.width(c, style.face, style.size);
                    if self.has_text && self.x + width > self.width + EPSILON {
                        self.finish_line();
                    }
                    self.push(c, *style, width);
                }
            }
        }
    }

    fn finish_line(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.x = self.hanging;
        self.has_text = false;
    }
}

/// Breaks `spans` into lines at most `width` points wide, only at spaces (inside a word only
/// when the word alone is wider than a line). Lines after the first start `hanging` points in.
pub(crate) fn wrap(fonts: &Fonts, spans: &[Span], width: f32, hanging: f32) -> Vec<TextLine> {
    let mut wrapper = Wrapper {
        fonts,
        width,
        hanging: hanging.clamp(0.0, width / 2.0),
        lines: Vec::new(),
        line: TextLine::default(),
        x: 0.0,
        has_text: false,
    };
    let mut pending_space: Option<Style> = None;
    for token in tokenize(spans) {
        match token {
            Token::Space(style) => {
                if wrapper.has_text {
                    pending_space = Some(style);
                }
            }
            Token::Break => {
                wrapper.finish_line();
                pending_space = None;
            }
            Token::Word(pieces) => {
                let word_width: f32 = pieces
                    .iter()
                    .map(|(text, style)| fonts.width(text, style.face, style.size))
                    .sum();
                if wrapper.has_text {
                    let space = pending_space
                        .map(|style| (style, fonts.width(" ", style.face, style.size)));
                    let space_width = space.map_or(0.0, |(_, width)| width);
                    if wrapper.x + space_width + word_width <= width + EPSILON {
                        if let Some((style, space_width)) = space {
                            wrapper.push(" ", style, space_width);
                        }
                        wrapper.push_word(&pieces);
                        pending_space = None;
                        continue;
                    }
                    wrapper.finish_line();
                }
                pending_space = None;
                if wrapper.x + word_width <= width + EPSILON {
                    wrapper.push_word(&pieces);
                } else {
                    wrapper.push_broken_word(&pieces);
                }
            }
        }
    }
    if wrapper.has_text {
        wrapper.finish_line();
    }
    wrapper.lines
}

/// Horizontal placement of a line in its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Against the left edge (and the indent).
    Left,
    /// Centered between the edges.
    Center,
    /// Against the right edge.
    Right,
}

/// Lines set full width, as one unit of the flow (a paragraph, a heading, a list item).
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// The set lines.
    pub lines: Vec<TextLine>,
    /// Distance between baselines.
    pub leading: f32,
    /// Vertical space above, dropped at the top of a page.
    pub space_before: f32,
    /// Left indent from the frame.
    pub indent: f32,
    /// Where each line sits between the indent and the right edge.
    pub align: Align,
    /// Never the last thing on a page (headings).
    pub keep_with_next: bool,
    /// A bullet or number hung to the left of the first line.
    pub marker: Option<TextLine>,
}

impl Block {
    /// A left-aligned block with no marker.
    pub(crate) fn new(lines: Vec<TextLine>, leading: f32, space_before: f32) -> Self {
        Self {
            lines,
            leading,
            space_before,
            indent: 0.0,
            align: Align::Left,
            keep_with_next: false,
            marker: None,
        }
    }

    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.leading
    }

    /// The height that must fit on a page before the block starts there: its first two lines,
    /// so a paragraph never leaves a single line behind.
    fn opening_height(&self) -> f32 {
        self.lines.len().min(2) as f32 * self.leading
    }
}

/// A unit of the flow.
#[derive(Debug, Clone)]
pub(crate) enum Flow {
    /// Lines of text.
    Text(Block),
    /// A thin horizontal line across the frame.
    Rule {
        /// Vertical space above, dropped at the top of a page.
        space_before: f32,
    },
}

/// One item of a two-column list (an entry or a group heading), never split across columns.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The set lines, at most a column wide.
    pub lines: Vec<TextLine>,
    /// Distance between baselines.
    pub leading: f32,
    /// Vertical space above, dropped at the top of a column.
    pub space_before: f32,
    /// Never the last item of a column (group headings).
    pub keep_with_next: bool,
}

impl Entry {
    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.leading
    }
}

/// The area of a page that holds the flow, in points from the page's lower left corner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// The left edge.
    pub left: f32,
    /// The right edge.
    pub right: f32,
    /// The top edge.
    pub top: f32,
    /// The bottom edge.
    pub bottom: f32,
}

impl Frame {
    /// The distance between the left and right edges.
    pub(crate) fn width(&self) -> f32 {
        self.right - self.left
    }
}

/// The pages being filled, top to bottom. Each page is handed on as soon as it is full, so
/// that a long list is never laid out whole in memory.
pub(crate) struct Pages<'a> {
    frame: Frame,
    font_ids: &'a [FontId; 4],
    /// Takes each finished page's content.
    done: &'a mut dyn FnMut(Vec<Op>),
    /// How many pages were handed on.
    count: usize,
    ops: Vec<Op>,
    /// The top of the free space on the current page.
    y: f32,
}

impl<'a> Pages<'a> {
    /// No pages yet; the first starts at the top of `frame`, drawing with `font_ids` (one per
    /// face, in the order of `Face::ALL`); `done` takes each page when it is full.
    pub(crate) fn new(
        frame: Frame,
        font_ids: &'a [FontId; 4],
        done: &'a mut dyn FnMut(Vec<Op>),
    ) -> Self {
        Self {
            frame,
            font_ids,
            done,
            count: 0,
            ops: Vec::new(),
            y: frame.top,
        }
    }

    fn at_top(&self) -> bool {
        (self.y - self.frame.top).abs() < EPSILON
    }

    fn room(&self) -> f32 {
        self.y - self.frame.bottom
    }

    fn new_page(&mut self) {
        (self.done)(std::mem::take(&mut self.ops));
        self.count += 1;
        self.y = self.frame.top;
    }

    fn space(&mut self, height: f32) {
        if !self.at_top() {
            self.y -= height;
        }
    }

    /// Places blocks one after the other, full width, breaking pages between lines; `then` is
    /// the height of what comes after the last block, kept with it if it is a heading.
    pub(crate) fn flow(&mut self, items: &[Flow], then: f32) {
        for (index, item) in items.iter().enumerate() {
            match item {
                Flow::Rule { space_before } => {
                    self.space(*space_before);
                    if self.room() < 1.0 {
                        self.new_page();
                    }
                    let (left, right, y) = (self.frame.left, self.frame.right, self.y);
                    self.ops.extend(rule_ops(left, right, y, 0.6, 0.55));
                    self.y -= 1.0;
                }
                Flow::Text(block) => {
                    let following = if block.keep_with_next {
                        kept_after(items.get(index + 1..).unwrap_or_default(), then)
                    } else {
                        0.0
                    };
                    self.place_block(block, following);
                }
            }
        }
    }

    fn place_block(&mut self, block: &Block, following: f32) {
        self.space(block.space_before);
        let needed = if block.keep_with_next {
            block.height() + following
        } else {
            block.opening_height()
        };
        if self.room() + EPSILON < needed && !self.at_top() {
            self.new_page();
        }
        let box_left = self.frame.left + block.indent;
        let box_width = self.frame.width() - block.indent;
        for (index, line) in block.lines.iter().enumerate() {
            if self.room() + EPSILON < block.leading && !self.at_top() {
                self.new_page();
            }
            let offset = match block.align {
                Align::Left => 0.0,
                Align::Center => (box_width - line.width).max(0.0) / 2.0,
                Align::Right => (box_width - line.width).max(0.0),
            };
            let baseline = baseline(self.y, block.leading, line);
            self.ops
                .extend(line_ops(line, box_left + offset, baseline, self.font_ids));
            if let (0, Some(marker)) = (index, &block.marker) {
                let x = box_left - marker.width - MARKER_GAP;
                self.ops
                    .extend(line_ops(marker, x, baseline, self.font_ids));
            }
            self.y -= block.leading;
        }
    }

    /// Places entries in two columns `gutter` points apart, filling the left column before the
    /// right one, and balancing both where the list ends on a page.
    pub(crate) fn columns(&mut self, entries: &[Entry], gutter: f32, space_before: f32) {
        self.space(space_before);
        let column_width = (self.frame.width() - gutter) / 2.0;
        let entries = split_oversized(entries, self.frame.top - self.frame.bottom);
        let largest_gap = entries
            .iter()
            .map(|entry| entry.space_before)
            .fold(0.0_f32, f32::max);
        let mut rest: &[Entry] = &entries;
        while !rest.is_empty() {
            let room = self.room();
            if let Some((left_count, height)) = balanced_split(rest, room, largest_gap) {
                let (left, right) = rest.split_at(left_count);
                self.draw_column(left, self.frame.left);
                self.draw_column(right, self.frame.left + column_width + gutter);
                self.y -= height;
                return;
            }
            let mut left_count = fill(rest, room);
            if left_count == 0 {
                if !self.at_top() {
                    self.new_page();
                    continue;
                }
                // Cannot happen after `split_oversized`; guarantees progress regardless.
                left_count = 1;
            }
            let (left, after_left) = rest.split_at(left_count);
            let (right, after_right) = after_left.split_at(fill(after_left, room));
            self.draw_column(left, self.frame.left);
            self.draw_column(right, self.frame.left + column_width + gutter);
            rest = after_right;
            self.new_page();
        }
    }

    fn draw_column(&mut self, entries: &[Entry], x: f32) {
        let mut y = self.y;
        for (index, entry) in entries.iter().enumerate() {
            if index > 0 {
                y -= entry.space_before;
            }
            for line in &entry.lines {
                let baseline = baseline(y, entry.leading, line);
                self.ops.extend(line_ops(line, x, baseline, self.font_ids));
                y -= entry.leading;
            }
        }
    }

    /// Hands on the last page (a document has at least one); returns the number of pages.
    pub(crate) fn finish(mut self) -> usize {
        if !self.ops.is_empty() || self.count == 0 {
            self.new_page();
        }
        self.count
    }
}

/// The height that must follow a heading on its page: the headings right after it, whole,
/// and the opening lines of the first block that is not a heading (or `then` at the end).
fn kept_after(following: &[Flow], then: f32) -> f32 {
    let mut height = 0.0;
    for item in following {
        match item {
            Flow::Text(next) if next.keep_with_next => {
                height += next.space_before + next.height();
            }
            Flow::Text(next) => return height + next.space_before + next.opening_height(),
            Flow::Rule { .. } => return height,
        }
    }
    height + then
}

/// Space between a list marker and the text.
const MARKER_GAP: f32 = 5.0;

/// How many entries fit in a column of height `room`, keeping headings with what follows.
fn fill(entries: &[Entry], room: f32) -> usize {
    let mut used = 0.0;
    for (index, entry) in entries.iter().enumerate() {
        let gap = if index == 0 { 0.0 } else { entry.space_before };
        let height = gap + entry.height();
        if used + height > room + EPSILON {
            return index;
        }
        if entry.keep_with_next
            && let Some(next) = entries.get(index + 1)
            && used + height + next.space_before + next.height() > room + EPSILON
        {
            return index;
        }
        used += height;
    }
    entries.len()
}

/// When all `entries` fit in two columns of height `room`, how many go in the left column so
/// that the taller column is as short as possible, and that height.
/// `largest_gap` is the largest `space_before` among them.
fn balanced_split(entries: &[Entry], room: f32, largest_gap: f32) -> Option<(usize, f32)> {
    // Two columns hold at most 2 × room plus the two gaps dropped at their tops; give up as
    // soon as the entries stack higher, so a long list costs a page's worth of work per page.
    let limit = 2.0 * (room + largest_gap) + EPSILON;
    // prefix[i]: height of entries[..i] stacked with every gap counted.
    let mut prefix = Vec::with_capacity(entries.len() + 1);
    prefix.push(0.0_f32);
    for entry in entries {
        let last = prefix.last().copied().unwrap_or(0.0);
        let next = last + entry.space_before + entry.height();
        if next > limit {
            return None;
        }
        prefix.push(next);
    }
    // A column's first entry has no gap above it.
    let column = |from: usize, to: usize| -> f32 {
        match (prefix.get(from), prefix.get(to), entries.get(from)) {
            (Some(start), Some(end), Some(first)) if to > from => end - start - first.space_before,
            _ => 0.0,
        }
    };
    let count = entries.len();
    let mut best: Option<(usize, f32)> = None;
    for left in 1..=count {
        if left < count
            && entries
                .get(left - 1)
                .is_some_and(|entry| entry.keep_with_next)
        {
            continue;
        }
        let left_height = column(0, left);
        if left_height > room + EPSILON {
            break;
        }
        let right_height = column(left, count);
        if right_height > room + EPSILON {
            continue;
        }
        let height = left_height.max(right_height);
        // On a tie, prefer the fuller left column: readers expect the left to be the longer.
        if best.is_none_or(|(_, best_height)| height <= best_height + EPSILON) {
            best = Some((left, height));
        }
    }
    best
}

/// Entries taller than a whole column, cut into column-sized pieces: the only place an entry
/// may split, since there is no other way to print it.
fn split_oversized(entries: &[Entry], column_height: f32) -> Cow<'_, [Entry]> {
    if entries
        .iter()
        .all(|entry| entry.height() <= column_height + EPSILON)
    {
        return Cow::Borrowed(entries);
    }
    let mut result = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.height() <= column_height + EPSILON {
            result.push(entry.clone());
            continue;
        }
        let per_column = ((column_height / entry.leading).floor() as usize).max(1);
        for (index, lines) in entry.lines.chunks(per_column).enumerate() {
            result.push(Entry {
                lines: lines.to_vec(),
                space_before: if index == 0 { entry.space_before } else { 0.0 },
                ..entry.clone()
            });
        }
    }
    Cow::Owned(result)
}

/// The baseline of a line whose box starts at `top`: the text sits centered in its leading.
fn baseline(top: f32, leading: f32, line: &TextLine) -> f32 {
    let size = line
        .runs
        .iter()
        .map(|run| run.style.size)
        .fold(0.0_f32, f32::max);
    top - (leading - size) / 2.0 - size * 0.8
}

/// The operations that draw one line with its left end at `x`.
pub(crate) fn line_ops(line: &TextLine, x: f32, baseline: f32, font_ids: &[FontId; 4]) -> Vec<Op> {
    let mut ops = Vec::with_capacity(2 + line.runs.len() * 4);
    ops.push(Op::StartTextSection);
    let mut current: Option<Style> = None;
    for run in &line.runs {
        if current.is_none_or(|style| style.face != run.style.face || style.size != run.style.size)
        {
            let font_id = match run.style.face {
                Face::Regular => &font_ids[0],
                Face::Bold => &font_ids[1],
                Face::Italic => &font_ids[2],
                Face::BoldItalic => &font_ids[3],
            };
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font_id.clone()),
                size: Pt(run.style.size),
            });
        }
        if current.is_none_or(|style| style.ink != run.style.ink) {
            ops.push(Op::SetFillColor {
                col: gray(run.style.ink),
            });
        }
        current = Some(run.style);
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(x + run.x), Pt(baseline)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(run.text.clone())],
        });
    }
    ops.push(Op::EndTextSection);
    ops
}

/// The operations that draw a horizontal line.
pub(crate) fn rule_ops(left: f32, right: f32, y: f32, thickness: f32, ink: f32) -> Vec<Op> {
    let point = |x: f32| LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    };
    vec![
        Op::SaveGraphicsState,
        Op::SetOutlineColor { col: gray(ink) },
        Op::SetOutlineThickness { pt: Pt(thickness) },
        Op::DrawLine {
            line: Line {
                points: vec![point(left), point(right)],
                is_closed: false,
            },
        },
        Op::RestoreGraphicsState,
    ]
}

fn gray(ink: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: ink.clamp(0.0, 1.0),
        icc_profile: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLE: Style = Style::new(Face::Regular, 10.0);

    fn lines(text: &str, width: f32) -> Vec<String> {
        let fonts = Fonts::get().unwrap();
        wrap(fonts, &[Span::new(text, STYLE)], width, 0.0)
            .iter()
            .map(TextLine::text)
            .collect()
    }

    #[test]
    fn lines_break_between_words_and_fit_their_width() {
        let fonts = Fonts::get().unwrap();
        let text = "Asociación Civil Sin Fronteras A.C. and the Red Latinoamericana por el Acceso a Medicamentos (RedLAM)";
        let width = 120.0;
        let wrapped = wrap(fonts, &[Span::new(text, STYLE)], width, 0.0);
        assert!(wrapped.len() > 2);
        for line in &wrapped {
            assert!(
                line.width <= width + EPSILON,
                "{} is {}",
                line.text(),
                line.width
            );
            assert!(!line.text().starts_with(' ') && !line.text().ends_with(' '));
        }
        let joined: Vec<String> = wrapped.iter().map(TextLine::text).collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_as_a_last_resort() {
        let word = "Donaudampfschifffahrtsgesellschaftskapitänsmütze";
        let broken = lines(&format!("Die {word} ist"), 60.0);
        assert!(broken.len() >= 3);
        assert_eq!(broken[0], "Die");
        assert_eq!(broken.concat().replace(' ', ""), format!("Die{word}ist"));
    }

    #[test]
    fn a_long_word_breaks_after_a_slash_before_breaking_between_letters() {
        let word = "Entrepueblos/Entrepobles/Entrepobos/Herriarte";
        let broken = lines(word, 150.0);
        assert_eq!(
            broken,
            ["Entrepueblos/Entrepobles/", "Entrepobos/Herriarte"]
        );
    }

    #[test]
    fn line_feeds_force_breaks_and_blank_lines_survive() {
        assert_eq!(
            lines("Ministra\nSecretaría\n\nPresente", 500.0),
            ["Ministra", "Secretaría", "", "Presente"]
        );
    }

    #[test]
    fn a_no_break_space_keeps_words_together_and_prints_as_a_space() {
        let fonts = Fonts::get().unwrap();
        let text = "aaaa bbbb\u{a0}cccc";
        let width = fonts.width("aaaa bbbb", Face::Regular, 10.0) + 1.0;
        let wrapped = wrap(fonts, &[Span::new(text, STYLE)], width, 0.0);
        let texts: Vec<String> = wrapped.iter().map(TextLine::text).collect();
        assert_eq!(texts, ["aaaa", "bbbb cccc"]);
    }

    #[test]
    fn styles_change_within_a_word_without_breaking_it() {
        let fonts = Fonts::get().unwrap();
        let bold = Style::new(Face::Bold, 10.0);
        let wrapped = wrap(
            fonts,
            &[
                Span::new("un", STYLE),
                Span::new("believ", bold),
                Span::new("able story", STYLE),
            ],
            500.0,
            0.0,
        );
        assert_eq!(wrapped.len(), 1);
        let runs = &wrapped[0].runs;
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[1].text, "believ");
        assert!((runs[1].x - fonts.width("un", Face::Regular, 10.0)).abs() < EPSILON);
        assert_eq!(runs[2].text, "able story");
    }

    fn entry(lines: usize, keep_with_next: bool) -> Entry {
        Entry {
            lines: vec![TextLine::default(); lines],
            leading: 10.0,
            space_before: 2.0,
            keep_with_next,
        }
    }

    #[test]
    fn columns_balance_and_headings_stay_with_their_entries() {
        let entries = vec![
            entry(1, false),
            entry(2, false),
            entry(1, true),
            entry(1, false),
        ];
        // Heights 10, 2+20, 2+10, 2+10: best split is 2 | 2 at height 32 vs 22.
        let (left, height) = balanced_split(&entries, 1000.0, 2.0).unwrap();
        assert_eq!(left, 2);
        assert!((height - 32.0).abs() < EPSILON);
        assert_eq!(balanced_split(&entries, 20.0, 2.0), None);
        // A heading never ends a column.
        assert_eq!(fill(&entries, 44.0), 2);
        assert_eq!(fill(&entries, 56.0), 4);
    }

    #[test]
    fn an_entry_taller_than_a_column_is_cut_into_pieces() {
        let entries = [entry(25, false)];
        let pieces = split_oversized(&entries, 100.0);
        assert_eq!(
            pieces.iter().map(|p| p.lines.len()).collect::<Vec<_>>(),
            [10, 10, 5]
        );
    }
}
