//! The embedded DejaVu Sans faces, and measuring text with their real advance widths so lines
//! break where the printed text actually ends.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use allsorts::tag;
use printpdf::ParsedFont;

use crate::export::ExportError;

const REGULAR: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Oblique.ttf");
const BOLD_ITALIC: &[u8] = include_bytes!("../../../fonts/DejaVuSans-BoldOblique.ttf");

/// One of the four faces of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Face {
    /// All faces, in the order `Fonts::faces` holds them.
    pub(crate) const ALL: [Face; 4] = [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic];

    /// This face with bold and italic switched on or off.
    pub(crate) fn with(bold: bool, italic: bool) -> Face {
        match (bold, italic) {
            (false, false) => Face::Regular,
            (true, false) => Face::Bold,
            (false, true) => Face::Italic,
            (true, true) => Face::BoldItalic,
        }
    }

    /// The face's PostScript name.
    pub(crate) fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "DejaVuSans",
            Face::Bold => "DejaVuSans-Bold",
            Face::Italic => "DejaVuSans-Oblique",
            Face::BoldItalic => "DejaVuSans-BoldOblique",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
            Face::Italic => ITALIC,
            Face::BoldItalic => BOLD_ITALIC,
        }
    }

    fn index(self) -> usize {
        match self {
            Face::Regular => 0,
            Face::Bold => 1,
            Face::Italic => 2,
            Face::BoldItalic => 3,
        }
    }
}

/// The parsed faces, ready to measure text and to be added to a document.
pub(crate) struct Fonts {
    faces: [ParsedFont; 4],
}

/// Parsed once per process: parsing is the slowest part of a small export, and the bytes never
/// change.
static FONTS: LazyLock<Result<Fonts, &'static str>> = LazyLock::new(|| {
    let parse = |bytes: &[u8], name: &'static str| {
        ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(name)
    };
    Ok(Fonts {
        faces: [
            parse(REGULAR, "DejaVuSans.ttf")?,
            parse(BOLD, "DejaVuSans-Bold.ttf")?,
            parse(ITALIC, "DejaVuSans-Oblique.ttf")?,
            parse(BOLD_ITALIC, "DejaVuSans-BoldOblique.ttf")?,
        ],
    })
});

impl Fonts {
    /// The embedded faces.
    pub(crate) fn get() -> Result<&'static Fonts, ExportError> {
        FONTS.as_ref().map_err(|name| ExportError::Font(name))
    }

    /// The parsed font of a face.
    pub(crate) fn face(&self, face: Face) -> &ParsedFont {
        &self.faces[face.index()]
    }

    /// How wide `text` is, in points, set in `face` at `size` points.
    pub(crate) fn width(&self, text: &str, face: Face, size: f32) -> f32 {
        let font = self.face(face);
        let units: u32 = text
            .chars()
            .map(|c| {
                // A character the font lacks prints as glyph 0, so it takes glyph 0's width.
                let glyph = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                u32::from(font.get_glyph_width(glyph).unwrap_or(0))
            })
            .sum();
        units as f32 * size / f32::from(font.units_per_em.max(1))
    }

    /// The face cut down to the glyphs of `used`, to embed: a letter uses a few hundred of
    /// DejaVu's 6,000 glyphs, so this keeps the PDF small. Falls back to the whole face if the
    /// subset cannot be made, which only costs size.
    pub(crate) fn subset(&self, face: Face, used: &BTreeSet<char>) -> ParsedFont {
        let full = self.face(face);
        // Glyph 0 (.notdef) must come first; every glyph once.
        let glyphs: BTreeSet<u16> = used
            .iter()
            .filter_map(|c| full.lookup_glyph_index(u32::from(*c)))
            .filter(|glyph| *glyph != 0)
            .collect();
        let ids: Vec<u16> = std::iter::once(0).chain(glyphs.iter().copied()).collect();
        let subset_font = subset_bytes(face.bytes(), &ids)
            .and_then(|bytes| ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()));
        match subset_font {
            Some(mut font) => {
                // ISO 32000 9.6.4: a subset's name starts with a six-letter tag.
                font.font_name = Some(format!(
                    "{}+{}",
                    subset_tag(face, &ids),
                    face.postscript_name()
                ));
                font
            }
            None => {
                let mut font = full.clone();
                font.font_name = Some(face.postscript_name().to_owned());
                font
            }
        }
    }

    /// Whether the font draws `c` (everything else prints as an empty box).
    #[cfg(test)]
    pub(crate) fn has_glyph(&self, c: char) -> bool {
        self.face(Face::Regular)
            .lookup_glyph_index(u32::from(c))
            .is_some_and(|glyph| glyph != 0)
    }
}

/// The TrueType font `bytes` with only the glyphs `ids`, keeping the tables a PDF reader
/// uses: outlines, metrics, hinting, a Unicode cmap, names and OS/2.
fn subset_bytes(bytes: &[u8], ids: &[u16]) -> Option<Vec<u8>> {
    let font = ReadScope::new(bytes).read::<FontData<'_>>().ok()?;
    let provider = font.table_provider(0).ok()?;
    let tables = vec![
        tag::CMAP,
        tag::HEAD,
        tag::CVT,
        tag::FPGM,
        tag::HHEA,
        tag::HMTX,
        tag::MAXP,
        tag::NAME,
        tag::OS_2,
        tag::POST,
        tag::PREP,
    ];
    subset(
        &provider,
        ids,
        &SubsetProfile::Custom(tables),
        CmapTarget::Unicode,
    )
    .ok()
}

/// Six capital letters that differ between different subsets of a face.
fn subset_tag(face: Face, ids: &[u16]) -> String {
    // FNV-1a: any stable hash does; it only has to tell subsets apart.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = face
        .postscript_name()
        .bytes()
        .chain(ids.iter().flat_map(|id| id.to_be_bytes()));
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..6)
        .map(|_| {
            let letter = char::from(b'A' + (hash % 26) as u8);
            hash /= 26;
            letter
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font() {
        let fonts = Fonts::get().unwrap();
        let narrow = fonts.width("iiii", Face::Regular, 10.0);
        let wide = fonts.width("WWWW", Face::Regular, 10.0);
        assert!(narrow > 0.0 && wide > 2.0 * narrow, "{narrow} {wide}");
        assert!(
            fonts.width("Sample", Face::Bold, 10.0) > fonts.width("Sample", Face::Regular, 10.0)
        );
        // Scales with the size.
        let ten = fonts.width("Łódź", Face::Regular, 10.0);
        let twenty = fonts.width("Łódź", Face::Regular, 20.0);
        assert!((twenty - 2.0 * ten).abs() < 0.01);
        for c in "ÁÉÍÓÚáéíóúñÑüÜçÇłŁźŹòãõßœ—–“”‘’«»•€".chars()
        {
            assert!(fonts.has_glyph(c), "{c}");
        }
    }

    #[test]
    fn a_subset_keeps_the_used_glyphs_and_their_widths() {
        let fonts = Fonts::get().unwrap();
        let text = "Łódź — São Paulo, Grüße";
        let used: BTreeSet<char> = text.chars().collect();
        let subset = fonts.subset(Face::Bold, &used);
        assert!(subset.original_bytes.len() < BOLD.len() / 10);
        let name = subset.font_name.clone().unwrap();
        assert!(
            name.ends_with("+DejaVuSans-Bold") && name.len() == 6 + 1 + 15,
            "{name}"
        );
        let full = fonts.face(Face::Bold);
        for c in used {
            let glyph = subset.lookup_glyph_index(u32::from(c)).unwrap();
            assert_ne!(glyph, 0, "{c}");
            let full_glyph = full.lookup_glyph_index(u32::from(c)).unwrap();
            assert_eq!(
                subset.get_glyph_width(glyph),
                full.get_glyph_width(full_glyph),
                "{c}"
            );
        }
        assert!(matches!(
            subset.lookup_glyph_index(u32::from('Q')),
            None | Some(0)
        ));
    }
}
