//! A letter's downloads: the PDF to deliver in each of its languages, the signatory lists as
//! CSV and, for a delivered letter, the fingerprints of the copies frozen at delivery.

use entity::{Language, LetterStatus};
use maud::{Markup, html};
use poem::http::header;
use poem::web::{Data, Path};
use poem::{Response, handler};

use super::error::PageError;
use super::layout::{LetterTab, letter_header};
use super::session::Signed;
use crate::error::AppError;
use crate::i18n;
use crate::service::exports::{self, ExportChoices, ExportKind, FrozenCopy};
use crate::state::AppState;

/// The dashboard's name of a download, the last segment of its address.
fn file_name(kind: ExportKind, language: Language) -> String {
    let code = i18n::code(language);
    match kind {
        ExportKind::Pdf => format!("letter-{code}.pdf"),
        ExportKind::PublicCsv => format!("signatories-{code}.csv"),
        ExportKind::StaffCsv => "staff.csv".to_owned(),
    }
}

/// The export a download's name asks for; the staff CSV has no language.
fn parse_file_name(name: &str) -> Option<(ExportKind, Option<Language>)> {
    if name == "staff.csv" {
        return Some((ExportKind::StaffCsv, None));
    }
    let (kind, code) = if let Some(code) = name
        .strip_prefix("letter-")
        .and_then(|rest| rest.strip_suffix(".pdf"))
    {
        (ExportKind::Pdf, code)
    } else {
        let code = name
            .strip_prefix("signatories-")
            .and_then(|rest| rest.strip_suffix(".csv"))?;
        (ExportKind::PublicCsv, code)
    };
    Some((kind, Some(i18n::parse_code(code)?)))
}

fn download_path(letter_id: i64, kind: ExportKind, language: Language) -> String {
    format!(
        "/admin/letters/{letter_id}/download/{}",
        file_name(kind, language)
    )
}

fn language_name(page: &Signed, language: Language) -> &'static str {
    match language {
        Language::En => page.t("English", "inglés"),
        Language::Es => page.t("Spanish", "español"),
    }
}

/// `GET /admin/letters/{id}/exports`.
#[handler]
pub async fn exports_page(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
) -> Result<Markup, PageError> {
    let choices = exports::choices(&state.db, &page.staff, letter_id).await?;
    let letter = &choices.letter;
    let title = page.t("Exports", "Exportar");
    Ok(super::layout::page(
        &page,
        &format!("{title} · {}", letter.title),
        html! {
            (letter_header(&page, letter, LetterTab::Exports))
            @if letter.status == LetterStatus::Delivered {
                div.notice { p { (page.t(
                    "This letter was delivered: the PDF and the public list are the copies frozen at delivery, byte for byte.",
                    "Esta carta ya se entregó: el PDF y la lista pública son las copias congeladas en la entrega, idénticas byte a byte.",
                )) } }
            }
            (downloads(&page, &choices))
            @if !choices.frozen.is_empty() {
                (frozen_copies(&page, letter.id, &choices.frozen))
            }
        },
    ))
}

fn downloads(page: &Signed, choices: &ExportChoices) -> Markup {
    let id = choices.letter.id;
    let allowed = |kind| choices.kinds.contains(&kind);
    html! {
        section.card {
            h2 { (page.t("The letter as PDF", "La carta en PDF")) }
            p { (page.t(
                "The letter with its approved signatories, ready to deliver.",
                "La carta con sus firmantes aprobados, lista para entregar.",
            )) }
            p.actions {
                @for language in &choices.languages {
                    a.button href=(download_path(id, ExportKind::Pdf, *language)) download {
                        (page.t("PDF in", "PDF en")) " " (language_name(page, *language))
                    }
                }
            }
        }
        section.card {
            h2 { (page.t("The signatories as a spreadsheet (CSV)", "Los firmantes en hoja de cálculo (CSV)")) }
            p { (page.t(
                "The approved signatories with their public details, in the letter's order; country names in the language chosen.",
                "Los firmantes aprobados con sus datos públicos, en el orden de la carta; los países en el idioma elegido.",
            )) }
            p.actions {
                @for language in &choices.languages {
                    a.button.secondary href=(download_path(id, ExportKind::PublicCsv, *language)) download {
                        (page.t("Public list in", "Lista pública en")) " " (language_name(page, *language))
                    }
                }
            }
            @if allowed(ExportKind::StaffCsv) {
                h3 { (page.t("For staff only", "Solo para el equipo")) }
                p { (page.t(
                    "Every signature with its state and the contact person's email and phone. Keep this file private and delete it when you no longer need it.",
                    "Todas las firmas con su estado y el correo y teléfono de la persona de contacto. Guarde este archivo en privado y bórrelo cuando ya no lo necesite.",
                )) }
                p.actions {
                    a.button.secondary href=(format!("/admin/letters/{id}/download/{}", file_name(ExportKind::StaffCsv, Language::En))) download {
                        (page.t("Every signature with contacts (CSV)", "Todas las firmas con contactos (CSV)"))
                    }
                }
            }
        }
    }
}

fn frozen_copies(page: &Signed, letter_id: i64, frozen: &[FrozenCopy]) -> Markup {
    let headings = [
        page.t("File", "Archivo"),
        page.t("Language", "Idioma"),
        page.t("Frozen on", "Congelado el"),
        page.t("Fingerprint (SHA-256)", "Huella (SHA-256)"),
    ];
    html! {
        section {
            h2 { (page.t("Copies frozen at delivery", "Copias congeladas en la entrega")) }
            p { (page.t(
                "Anyone can check that a file is the one delivered: its SHA-256 fingerprint must be the one below.",
                "Cualquiera puede comprobar que un archivo es el entregado: su huella SHA-256 debe ser la de abajo.",
            )) }
            table.list {
                thead { tr { @for heading in headings { th scope="col" { (heading) } } } }
                tbody {
                    @for copy in frozen {
                        tr {
                            td data-label=(headings[0]) {
                                a href=(download_path(letter_id, copy.kind, copy.language)) download {
                                    @match copy.kind {
                                        ExportKind::Pdf => (page.t("The letter (PDF)", "La carta (PDF)")),
                                        _ => (page.t("Public list (CSV)", "Lista pública (CSV)")),
                                    }
                                }
                            }
                            td data-label=(headings[1]) { (language_name(page, copy.language)) }
                            td data-label=(headings[2]) { (i18n::long_date(copy.frozen_at.date_naive(), page.lang)) }
                            td data-label=(headings[3]) { code style="word-break:break-all" { (copy.sha256) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin/letters/{id}/download/{file}`: the file itself, as an attachment.
#[handler]
pub async fn download(
    state: Data<&AppState>,
    page: Signed,
    Path((letter_id, name)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let (kind, language) =
        parse_file_name(&name).ok_or_else(|| AppError::not_found("There is no such download."))?;
    let file = exports::for_staff(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        kind,
        language,
    )
    .await?;
    let disposition = format!("attachment; filename=\"{}\"", file.file_name);
    let (body, sha256) = crate::api::exports::http_body(file.body);
    let mut response = Response::builder()
        .content_type(file.content_type)
        .header(header::CONTENT_DISPOSITION, disposition);
    if let Some(sha256) = sha256 {
        response = response.header("X-Content-SHA256", sha256);
    }
    Ok(response.body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_download_name_reads_back_as_its_export() {
        for kind in [ExportKind::Pdf, ExportKind::PublicCsv] {
            for language in [Language::En, Language::Es] {
                assert_eq!(
                    parse_file_name(&file_name(kind, language)),
                    Some((kind, Some(language)))
                );
            }
        }
        assert_eq!(
            parse_file_name("staff.csv"),
            Some((ExportKind::StaffCsv, None))
        );
        assert_eq!(parse_file_name("letter-fr.pdf"), None);
        assert_eq!(parse_file_name("../etc/passwd"), None);
    }
}
