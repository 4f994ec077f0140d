//! The letter as a PDF fit to deliver: letterhead, date, addressees, title, body, and the
//! signatories in two columns, with page numbers, in embedded fonts so every name prints and
//! copies out exactly as written.

mod fonts;
mod layout;
mod markdown;

use std::collections::{BTreeSet, HashSet};

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

/// Renders the letter with its signatories, already in list order (see
/// [`super::order_signatories`]); `order` decides the group headings.
pub fn render(
    doc: &LetterDocument,
    ordered: &[Signatory],
    order: ListOrder,
) -> Result<Vec<u8>, ExportError> {
    let fonts = Fonts::get()?;
    let labels = Labels::of(doc.language);
    let (page_width, page_height) = match doc.paper {
        Paper::Letter => (612.0, 792.0),
        Paper::A4 => (595.276, 841.89),
    };
    let frame = Frame {
        left: MARGIN_SIDE,
        right: page_width - MARGIN_SIDE,
        top: page_height - MARGIN_TOP,
        bottom: MARGIN_BOTTOM,
    };
    let font_ids = Face::ALL.map(|face| FontId(face.postscript_name().to_owned()));
    let mut pages = Pages::new(frame, font_ids.clone());
    pages.flow(&letter_blocks(fonts, doc, &labels, frame.width()), 0.0);
    place_signatories(
        &mut pages,
        fonts,
        doc,
        ordered,
        order,
        &labels,
        frame.width(),
    );

    let contents = pages.finish();
    let total = contents.len();
    let pdf_pages: Vec<PdfPage> = contents
        .into_iter()
        .enumerate()
        .map(|(index, mut ops)| {
            let number = Span::new(
                (labels.page)(index + 1, total),
                Style::new(Face::Regular, 8.5).ink(0.4),
            );
            if let Some(line) = wrap(fonts, &[number], frame.width(), 0.0).first() {
                let x = (page_width - line.width) / 2.0;
                ops.extend(line_ops(line, x, FOOTER_BASELINE, &font_ids));
            }
            PdfPage::new(Mm::from(Pt(page_width)), Mm::from(Pt(page_height)), ops)
        })
        .collect();

    let mut pdf = PdfDocument::new(&doc.title);
    for (face, font_id) in Face::ALL.into_iter().zip(font_ids) {
        let used = characters_used(&pdf_pages, &font_id);
        if !used.is_empty() {
            let font = PdfFont::new(fonts.subset(face, &used));
            pdf.resources.fonts.map.insert(font_id, font);
        }
    }
    let options = PdfSaveOptions {
        // Already subset: printpdf's own subsetting needs its text_layout feature.
        subset_fonts: false,
        ..PdfSaveOptions::default()
    };
    Ok(deterministic_bytes(pdf.with_pages(pdf_pages), &options))
}

/// Saves the document with its file identifier derived from its content rather than drawn at
/// random, so the same letter and list always give the same bytes (an export can be checked
/// against the delivered copy, and the command line and the API agree byte for byte).
fn deterministic_bytes(pdf: &PdfDocument, options: &PdfSaveOptions) -> Vec<u8> {
    let mut document = pdf.to_lopdf_document(options, &mut Vec::new());
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
    save(&mut document, &digest[..32])
}

/// The signatory list: organizations (with the leads first), then individuals under the note
/// on affiliations, each section in two columns.
fn place_signatories(
    pages: &mut Pages,
    fonts: &Fonts,
    doc: &LetterDocument,
    ordered: &[Signatory],
    order: ListOrder,
    labels: &Labels,
    width: f32,
) {
    let column_width = (width - GUTTER) / 2.0;
    let (first, individuals) = signatory_entries(fonts, doc, ordered, order, labels, column_width);
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
            pages.flow(&[heading(labels.organizations, 12.0)], first_height(&first));
        }
        pages.columns(&first, GUTTER, 6.0);
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
            first_height(&individuals),
        );
        pages.columns(&individuals, GUTTER, 6.0);
    }
}

/// Every character the pages show in the font `font_id`.
fn characters_used(pages: &[PdfPage], font_id: &FontId) -> BTreeSet<char> {
    let mut used = BTreeSet::new();
    for page in pages {
        let mut in_font = false;
        for op in &page.ops {
            match op {
                Op::SetFont { font, .. } => {
                    in_font = matches!(font, PdfFontHandle::External(id) if id == font_id);
                }
                Op::ShowText { items } if in_font => {
                    for item in items {
                        if let TextItem::Text(text) = item {
                            used.extend(text.chars());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    used
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
                    entries.push(Entry {
                        lines: wrap(
                            fonts,
                            &[Span::new(
                                single_line(text),
                                Style::new(Face::Bold, LIST_SIZE),
                            )],
                            column_width,
                            LIST_HANGING,
                        ),
                        leading: LIST_LEADING,
                        space_before: GROUP_GAP,
                        keep_with_next: true,
                    });
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
