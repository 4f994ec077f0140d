//! The letter as a PDF fit to deliver: letterhead, date, addressees, title, body, and the
//! signatories in two columns, with page numbers, in embedded fonts so every name prints and
//! copies out exactly as written.

mod fonts;
mod layout;
mod markdown;

use std::collections::{BTreeSet, HashMap, HashSet};

use entity::{Language, ListOrder, SignatureKind};
use printpdf::{
    FontId, Mm, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, TextItem,
};
use sha2::Digest;

use super::{ExportError, LetterDocument, Paper, Signatory, country_label, group_label};
use fonts::{Face, Fonts};
use layout::{Align, Block, Entry, Flow, Frame, Pages, Span, Style, line_ops, wrap};
use markdown::{BODY_LEADING, BODY_SIZE};

/// Side margins, in points (one inch).
const MARGIN_SIDE: f32 = 72.0;
/// Top margin, in points.
const MARGIN_TOP: f32 = 64.0;
/// Bottom margin, in points; the page number sits inside it.
const MARGIN_BOTTOM: f32 = 64.0;
/// Baseline of the page number, from the bottom edge.
const FOOTER_BASELINE: f32 = 34.0;
/// Space between the two columns of signatories.
const GUTTER: f32 = 24.0;
/// Signatory list text size.
const LIST_SIZE: f32 = 10.0;
/// Distance between baselines in the signatory list.
const LIST_LEADING: f32 = 12.5;
/// Extra space above a group heading in the list. Text extractors (pdftotext, screen
/// readers) read a column as one block only while its baselines stay within 1.5 times the
/// font size of each other; a wider gap splits the column into blocks that they interleave
/// with the other column's, scrambling the order of names.
const GROUP_GAP: f32 = 2.0;
/// How far the second and later lines of a long entry are indented.
const LIST_HANGING: f32 = 10.0;

/// Pages whose content is serialized together: few enough that their drawing operations
/// take little memory, enough that the work per batch stays small.
const PAGE_BATCH: usize = 32;

/// The size of the paper and the area that holds the text.
#[derive(Debug, Clone, Copy)]
struct Sheet {
    width: f32,
    height: f32,
    frame: Frame,
}

impl Sheet {
    fn of(paper: Paper) -> Self {
        let (width, height) = match paper {
            Paper::Letter => (612.0, 792.0),
            Paper::A4 => (595.276, 841.89),
        };
        let frame = Frame {
            left: MARGIN_SIDE,
            right: width - MARGIN_SIDE,
            top: height - MARGIN_TOP,
            bottom: MARGIN_BOTTOM,
        };
        Self {
            width,
            height,
            frame,
        }
    }

    fn page(&self, ops: Vec<Op>) -> PdfPage {
        PdfPage::new(Mm::from(Pt(self.width)), Mm::from(Pt(self.height)), ops)
    }
}

/// Everything the pages show, set in lines, ready to be placed.
struct Content {
    letter: Vec<Flow>,
    organizations: Vec<Entry>,
    individuals: Vec<Entry>,
}

/// Renders the letter with its signatories, already in list order (see
/// [`super::order_signatories`]); `order` decides the group headings.
///
/// The pages are laid out twice: once to learn how many there are and which characters each
/// face prints (the fonts embedded are cut down to those, and every page's text is written in
/// the cut-down fonts' glyphs), and once to write them, a batch at a time, so that the drawing
/// operations of a list of any length are never all in memory.
pub fn render(
    doc: &LetterDocument,
    ordered: &[Signatory],
    order: ListOrder,
) -> Result<Vec<u8>, ExportError> {
    let fonts = Fonts::get()?;
    let labels = Labels::of(doc.language);
    let sheet = Sheet::of(doc.paper);
    let font_ids = Face::ALL.map(|face| FontId(face.postscript_name().to_owned()));
    let width = sheet.frame.width();
    let (organizations, individuals) =
        signatory_entries(fonts, doc, ordered, order, &labels, (width - GUTTER) / 2.0);
    let content = Content {
        letter: letter_blocks(fonts, doc, &labels, width),
        organizations,
        individuals,
    };
    let lay_out = |done: &mut dyn FnMut(Vec<Op>)| {
        let mut pages = Pages::new(sheet.frame, &font_ids, done);
        pages.flow(&content.letter, 0.0);
        place_signatories(&mut pages, fonts, &content, &labels, width);
        pages.finish()
    };
    let mut usage = Usage::default();
    let total = lay_out(&mut |ops| usage.add(&ops, &font_ids));
    let footer = |index: usize| page_number(fonts, &labels, sheet, index, total, &font_ids);
    for index in 0..total {
        usage.add(&footer(index), &font_ids);
    }

    let mut pdf = PdfDocument::new(&doc.title);
    for (index, (face, font_id)) in Face::ALL.into_iter().zip(&font_ids).enumerate() {
        let used = usage.characters(index);
        if !used.is_empty() {
            let font = PdfFont::new(fonts.subset(face, &used));
            pdf.resources.fonts.map.insert(font_id.clone(), font);
        }
    }
    let options = PdfSaveOptions {
        // Already subset: printpdf's own subsetting needs its text_layout feature.
        subset_fonts: false,
        ..PdfSaveOptions::default()
    };
    let mut writer = PageWriter::new(pdf, sheet, total, usage.shown_ops(&font_ids), options)?;
    let mut failed = None;
    lay_out(&mut |mut ops| {
        ops.extend(footer(writer.written + writer.batch.len()));
        if let Err(error) = writer.push(sheet.page(ops)) {
            failed.get_or_insert(error);
        }
    });
    if let Some(error) = failed {
        return Err(error);
    }
    writer.finish()
}

/// "Page N of M", centered in the bottom margin of page `index`.
fn page_number(
    fonts: &Fonts,
    labels: &Labels,
    sheet: Sheet,
    index: usize,
    total: usize,
    font_ids: &[FontId; 4],
) -> Vec<Op> {
    let number = Span::new(
        (labels.page)(index + 1, total),
        Style::new(Face::Regular, 8.5).ink(0.4),
    );
    match wrap(fonts, &[number], sheet.frame.width(), 0.0).first() {
        Some(line) => {
            let x = (sheet.width - line.width) / 2.0;
            line_ops(line, x, FOOTER_BASELINE, font_ids)
        }
        None => Vec::new(),
    }
}

/// Writes pages into a document whose structure is made first, from empty pages: printpdf
/// numbers a document's objects by its pages and the glyphs it shows, not by what the pages
/// draw, so each page's content serialized later takes the place of an empty page's, and the
/// file is the one printpdf would make of the whole document at once.
struct PageWriter {
    /// The fonts, and the batch of pages being serialized.
    pdf: PdfDocument,
    options: PdfSaveOptions,
    document: lopdf::Document,
    /// The content stream of each page of `document`, in page order.
    contents: Vec<lopdf::ObjectId>,
    batch: Vec<PdfPage>,
    /// Pages serialized so far.
    written: usize,
}

impl PageWriter {
    /// The structure of a document of `total` pages in the fonts of `pdf`; `shown` draws every
    /// character the pages show, in the order they are last shown, so that each font's tables
    /// come out as they would from the whole document.
    fn new(
        mut pdf: PdfDocument,
        sheet: Sheet,
        total: usize,
        shown: Vec<Op>,
        options: PdfSaveOptions,
    ) -> Result<Self, ExportError> {
        pdf.pages = std::iter::once(shown)
            .chain(std::iter::repeat_with(Vec::new))
            .take(total)
            .map(|ops| sheet.page(ops))
            .collect();
        let document = pdf.to_lopdf_document(&options, &mut Vec::new());
        pdf.pages.clear();
        let contents = content_streams(&document)?;
        Ok(Self {
            pdf,
            options,
            document,
            contents,
            batch: Vec::with_capacity(PAGE_BATCH),
            written: 0,
        })
    }

    fn push(&mut self, page: PdfPage) -> Result<(), ExportError> {
        self.batch.push(page);
        if self.batch.len() == PAGE_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Serializes the batch and puts each page's content in its place.
    fn flush(&mut self) -> Result<(), ExportError> {
        self.pdf.pages = std::mem::take(&mut self.batch);
        let mut part = self.pdf.to_lopdf_document(&self.options, &mut Vec::new());
        self.pdf.pages.clear();
        for id in content_streams(&part)? {
            let Some(lopdf::Object::Stream(mut stream)) = part.objects.remove(&id) else {
                return Err(ExportError::Pdf("a page has no content stream"));
            };
            if self.options.optimize {
                // Compressed now, to hold less; the document's compression skips it later.
                let _ = stream.compress();
            }
            let place = self
                .contents
                .get(self.written)
                .ok_or(ExportError::Pdf("more pages than were laid out"))?;
            self.document
                .objects
                .insert(*place, lopdf::Object::Stream(stream));
            self.written += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, ExportError> {
        self.flush()?;
        if self.written != self.contents.len() {
            return Err(ExportError::Pdf("fewer pages than were laid out"));
        }
        Ok(deterministic_bytes(self.document, &self.options))
    }
}

/// The content stream of each page of `document`, in page order.
fn content_streams(document: &lopdf::Document) -> Result<Vec<lopdf::ObjectId>, ExportError> {
    document
        .get_pages()
        .into_values()
        .map(|page| {
            document
                .get_dictionary(page)
                .and_then(|page| page.get(b"Contents"))
                .and_then(lopdf::Object::as_reference)
                .map_err(|_| ExportError::Pdf("a page has no content stream"))
        })
        .collect()
}

/// Saves the document with its file identifier derived from its content rather than drawn at
/// random, so the same letter and list always give the same bytes (an export can be checked
/// against the delivered copy, and the command line and the API agree byte for byte).
fn deterministic_bytes(mut document: lopdf::Document, options: &PdfSaveOptions) -> Vec<u8> {
    if options.optimize {
        document.compress();
    }
    let save = |document: &mut lopdf::Document, id: &str| {
        let id = || lopdf::Object::String(id.as_bytes().to_vec(), lopdf::StringFormat::Literal);
        document
            .trailer
            .set("ID", lopdf::Object::Array(vec![id(), id()]));
        let mut bytes = Vec::new();
        // Writing to memory cannot fail.
        let _ = document.save_to(&mut bytes);
        bytes
    };
    let draft = save(&mut document, "");
    let digest = hex::encode(sha2::Sha256::digest(&draft));
    drop(draft);
    save(&mut document, &digest[..32])
}

/// The signatory list: organizations (with the leads first), then individuals under the note
/// on affiliations, each section in two columns.
fn place_signatories(
    pages: &mut Pages,
    fonts: &Fonts,
    content: &Content,
    labels: &Labels,
    width: f32,
) {
    let (first, individuals) = (&content.organizations, &content.individuals);
    let heading = |text: &str, space_before: f32| {
        let style = Style::new(Face::Bold, 11.0);
        let mut block = Block::new(
            wrap(fonts, &[Span::new(text, style)], width, 0.0),
            15.0,
            space_before,
        );
        block.keep_with_next = true;
        Flow::Text(block)
    };
    if !first.is_empty() {
        // A heading only tells the sections apart; with no individuals it would be noise.
        if !individuals.is_empty() {
            pages.flow(&[heading(labels.organizations, 12.0)], first_height(first));
        }
        pages.columns(first, GUTTER, 6.0);
    }
    if !individuals.is_empty() {
        let style = Style::new(Face::Italic, LIST_SIZE).ink(0.3);
        let mut note = Block::new(
            wrap(
                fonts,
                &[Span::new(labels.affiliation_note, style)],
                width,
                0.0,
            ),
            LIST_LEADING,
            2.0,
        );
        note.keep_with_next = true;
        pages.flow(
            &[heading(labels.individuals, 16.0), Flow::Text(note)],
            first_height(individuals),
        );
        pages.columns(individuals, GUTTER, 6.0);
    }
}

/// The characters each face shows, and when each was last shown.
#[derive(Default)]
struct Usage {
    /// By face, in the order of `Face::ALL`: each character and the count of characters
    /// shown before its last showing.
    last_shown: [HashMap<char, u64>; 4],
    shown: u64,
}

impl Usage {
    /// Counts the characters a page shows, in the face each is set in.
    fn add(&mut self, ops: &[Op], font_ids: &[FontId; 4]) {
        let mut face = None;
        for op in ops {
            match op {
                Op::SetFont { font, .. } => {
                    face = match font {
                        PdfFontHandle::External(id) => font_ids.iter().position(|f| f == id),
                        PdfFontHandle::Builtin(_) => None,
                    };
                }
                Op::ShowText { items } => {
                    let Some(face) = face else { continue };
                    for item in items {
                        if let TextItem::Text(text) = item {
                            for c in text.chars() {
                                self.last_shown[face].insert(c, self.shown);
                                self.shown += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Every character shown in the face at `index` of `Face::ALL`.
    fn characters(&self, index: usize) -> BTreeSet<char> {
        self.last_shown[index].keys().copied().collect()
    }

    /// Operations that show every character once in its face, in the order of their last
    /// showing: where two characters share a glyph, the one shown last names it, as when
    /// printpdf reads the whole document.
    fn shown_ops(&self, font_ids: &[FontId; 4]) -> Vec<Op> {
        let mut ops = Vec::new();
        for (font_id, shown) in font_ids.iter().zip(&self.last_shown) {
            if shown.is_empty() {
                continue;
            }
            let mut characters: Vec<(u64, char)> = shown.iter().map(|(c, at)| (*at, *c)).collect();
            characters.sort_unstable();
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font_id.clone()),
                size: Pt(LIST_SIZE),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(characters.iter().map(|(_, c)| c).collect())],
            });
        }
        ops
    }
}

/// Everything above the signatures: letterhead, date, addressees, title, body, "Signed,".
fn letter_blocks(fonts: &Fonts, doc: &LetterDocument, labels: &Labels, width: f32) -> Vec<Flow> {
    let body = Style::new(Face::Regular, BODY_SIZE);
    let mut flow = Vec::new();
    let leads: Vec<&str> = doc
        .lead_organizations
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .collect();
    if !leads.is_empty() {
        let letterhead = Span::new(
            single_line(&leads.join(" · ")),
            Style::new(Face::Bold, 10.0).ink(0.15),
        );
        let mut block = Block::new(wrap(fonts, &[letterhead], width, 0.0), 13.5, 0.0);
        block.align = Align::Center;
        flow.push(Flow::Text(block));
        flow.push(Flow::Rule { space_before: 8.0 });
    }
    let date = Span::new(crate::i18n::long_date(doc.date, doc.language), body);
    let mut date = Block::new(wrap(fonts, &[date], width, 0.0), BODY_LEADING, 18.0);
    date.align = Align::Right;
    flow.push(Flow::Text(date));
    if !doc.addressees.trim().is_empty() {
        let addressees = Span::new(doc.addressees.trim(), body);
        flow.push(Flow::Text(Block::new(
            wrap(fonts, &[addressees], width, 0.0),
            BODY_LEADING,
            14.0,
        )));
    }
    let title = Span::new(single_line(&doc.title), Style::new(Face::Bold, 14.0));
    let mut title = Block::new(wrap(fonts, &[title], width, 0.0), 19.0, 20.0);
    title.keep_with_next = true;
    flow.push(Flow::Text(title));
    flow.extend(markdown::blocks(fonts, &doc.body_markdown, width));
    let signed = Span::new(labels.signed, Style::new(Face::Bold, 11.5));
    let mut signed = Block::new(wrap(fonts, &[signed], width, 0.0), 16.0, 22.0);
    signed.keep_with_next = true;
    flow.push(Flow::Text(signed));
    flow
}

/// The list entries: leads and organizations (with group headings), then individuals.
fn signatory_entries(
    fonts: &Fonts,
    doc: &LetterDocument,
    ordered: &[Signatory],
    order: ListOrder,
    labels: &Labels,
    column_width: f32,
) -> (Vec<Entry>, Vec<Entry>) {
    let lead_names: HashSet<&str> = doc.lead_organizations.iter().map(String::as_str).collect();
    let lead_count = ordered
        .iter()
        .take_while(|signatory| lead_names.contains(signatory.public.name.as_str()))
        .count();
    let (leads, rest) = ordered.split_at(lead_count);
    let (organizations, individuals): (Vec<&Signatory>, Vec<&Signatory>) = rest
        .iter()
        .partition(|signatory| signatory.kind == SignatureKind::Organization);

    let entry = |signatory: &Signatory, is_lead: bool, grouped_by_country: bool| {
        let name_style = Style::new(if is_lead { Face::Bold } else { Face::Regular }, LIST_SIZE);
        let details = details(signatory, doc.language, grouped_by_country);
        let mut spans = vec![Span::new(single_line(&signatory.public.name), name_style)];
        if !details.is_empty() {
            // The no-break space keeps the dash with the name, never at the start of a line.
            spans.push(Span::new(
                format!("\u{A0}— {}", single_line(&details)),
                Style::new(Face::Regular, LIST_SIZE).ink(0.35),
            ));
        }
        Entry {
            lines: wrap(fonts, &spans, column_width, LIST_HANGING),
            leading: LIST_LEADING,
            space_before: 0.0,
            keep_with_next: false,
        }
    };
    let section = |members: &[&Signatory], entries: &mut Vec<Entry>| {
        let grouped = order != ListOrder::Alphabetical
            && members
                .iter()
                .any(|signatory| group_label(signatory, order, doc.language).is_some());
        let mut current_group = None;
        for (index, signatory) in members.iter().enumerate() {
            if grouped {
                let group = group_label(signatory, order, doc.language);
                if index == 0 || group != current_group {
                    let missing = match order {
                        ListOrder::Country => labels.no_country,
                        _ => labels.no_org_type,
                    };
                    let text = group.as_deref().unwrap_or(missing);
                    entries.push(group_heading(fonts, text, column_width));
                    current_group = group;
                }
            }
            entries.push(entry(
                signatory,
                false,
                grouped && order == ListOrder::Country,
            ));
        }
    };

    let mut first: Vec<Entry> = leads
        .iter()
        .map(|signatory| entry(signatory, true, false))
        .collect();
    section(&organizations, &mut first);
    let mut second = Vec::new();
    section(&individuals, &mut second);
    (first, second)
}

/// The heading of a group of the list (a country or a type), kept with the names under it.
fn group_heading(fonts: &Fonts, text: &str, column_width: f32) -> Entry {
    let span = Span::new(single_line(text), Style::new(Face::Bold, LIST_SIZE));
    Entry {
        lines: wrap(fonts, &[span], column_width, LIST_HANGING),
        leading: LIST_LEADING,
        space_before: GROUP_GAP,
        keep_with_next: true,
    }
}

/// What follows a name: "City, Country" for an organization (no country under a country
/// heading), the affiliation for a person; only the parts that exist.
fn details(signatory: &Signatory, language: Language, grouped_by_country: bool) -> String {
    let present = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    match signatory.kind {
        SignatureKind::Organization => {
            let country = if grouped_by_country {
                None
            } else {
                country_label(signatory.public.country.as_deref(), language).map(|c| c.into_owned())
            };
            [present(&signatory.public.city), country]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        }
        SignatureKind::Individual => present(&signatory.public.affiliation).unwrap_or_default(),
    }
}

/// Text meant for one line (a name, a title): line feeds and tabs become spaces.
fn single_line(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn first_height(entries: &[Entry]) -> f32 {
    entries
        .first()
        .map_or(0.0, |entry| entry.lines.len() as f32 * entry.leading + 6.0)
}

/// The words printed around the letter, in its language.
struct Labels {
    signed: &'static str,
    organizations: &'static str,
    individuals: &'static str,
    affiliation_note: &'static str,
    no_country: &'static str,
    no_org_type: &'static str,
    page: fn(usize, usize) -> String,
}

impl Labels {
    fn of(language: Language) -> Self {
        match language {
            Language::En => Self {
                signed: "Signed,",
                organizations: "Organizations",
                individuals: "Individuals",
                affiliation_note: "Institutional affiliations are listed for identification purposes only.",
                no_country: "Country not given",
                no_org_type: "Other",
                page: |page, total| format!("Page {page} of {total}"),
            },
            Language::Es => Self {
                signed: "Firman:",
                organizations: "Organizaciones",
                individuals: "A título individual",
                affiliation_note: "Las afiliaciones institucionales se indican solo con fines de identificación.",
                no_country: "País no indicado",
                no_org_type: "Otras",
                page: |page, total| format!("Página {page} de {total}"),
            },
        }
    }
}

#[cfg(test)]
mod tests;
