//! Importing signatures from a spreadsheet: upload a CSV, read what the import would do row by
//! row, then confirm. The confirmation imports the file kept at the preview, not a new upload.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Multipart, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::{PageError, size_in_words};
use super::layout::{
    LetterTab, csrf_field, letter_header, redirect_with_error, redirect_with_notice, upload_action,
};
use super::session::Signed;
use crate::api::middleware::BodyLimit;
use crate::domain::check_changeable;
use crate::error::AppError;
use crate::i18n;
use crate::service::import::{self, ImportReport, Outcome, RowReport};
use crate::service::import_drafts::{self, Preview};
use crate::state::AppState;

/// The upload form's file field.
const FILE_FIELD: &str = "file";

/// Imported rows listed on the preview; problems are always all listed.
const IMPORTED_ROWS_SHOWN: usize = 500;

fn import_path(letter_id: i64) -> String {
    LetterTab::Import.path(letter_id)
}

/// `GET /admin/letters/{id}/import`: the upload form.
#[handler]
pub async fn import_page(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
) -> Result<Markup, PageError> {
    let letter = import::letter_for_import(&state.db, &page.staff, letter_id).await?;
    Ok(upload_page(
        &page,
        &letter,
        state.settings.max_import_bytes,
        None,
    ))
}

fn upload_page(
    page: &Signed,
    letter: &entity::letter::Model,
    limit_bytes: usize,
    error: Option<&str>,
) -> Markup {
    let title = page.t("Import signatures", "Importar firmas");
    page_shell(
        page,
        letter,
        title,
        html! {
            h2 { (title) }
            p { (page.t(
                "Upload a spreadsheet saved as CSV, with the column names on the first line: the organization's name (\"Name\" or \"Organization name\"), and any of country, city, website, contact name, contact email, contact phone. You will first see what the import would do; nothing is written until you confirm.",
                "Suba una hoja de cálculo guardada como CSV, con los nombres de las columnas en la primera línea: el nombre de la organización (\"Nombre\" u \"Organización\") y, si los tiene, país, ciudad, sitio web, nombre, correo y teléfono de contacto. Primero verá lo que haría la importación; no se guarda nada hasta que lo confirme.",
            )) }
            p.meta { (page.t(
                "Imported rows are approved unless a \"status\" column says otherwise; rows already on the letter are skipped.",
                "Las filas importadas quedan aprobadas salvo que una columna \"status\" diga otra cosa; las que ya están en la carta se omiten.",
            )) }
            @if check_changeable(letter.status).is_err() {
                div.notice { p { (page.t(
                    "This letter was delivered: its signatures can no longer change.",
                    "Esta carta ya se entregó: sus firmas ya no pueden cambiar.",
                )) } }
            } @else {
            form method="post" enctype="multipart/form-data" action=(upload_action(page, &import_path(letter.id))) {
                div.field.invalid[error.is_some()] {
                    label for="file" {
                        (page.t("CSV file", "Archivo CSV"))
                        span.hint { (page.t("At most", "Como máximo")) " " (size_in_words(limit_bytes)) }
                    }
                    @if let Some(error) = error { span.error id="file-error" { (error) } }
                    input type="file" id="file" name=(FILE_FIELD) accept=".csv,text/csv" required
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "file-error")];
                }
                button type="submit" { (page.t("Preview the import", "Ver la importación")) }
            }
            }
        },
    )
}

fn page_shell(
    page: &Signed,
    letter: &entity::letter::Model,
    title: &str,
    content: Markup,
) -> Markup {
    super::layout::page(
        page,
        &format!("{title} · {}", letter.title),
        html! {
            (letter_header(page, letter, LetterTab::Import))
            (content)
        },
    )
}

/// Reads the uploaded file out of the form.
async fn uploaded_file(mut form: Multipart) -> Result<Option<Vec<u8>>, AppError> {
    let unreadable = |_| AppError::invalid_field(FILE_FIELD, "The upload could not be read.");
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() == Some(FILE_FIELD) {
            let bytes = field.bytes().await.map_err(unreadable)?;
            return Ok(Some(bytes).filter(|b| !b.is_empty()));
        }
    }
    Ok(None)
}

/// `POST /admin/letters/{id}/import`: the dry run's report, and the confirmation when there is
/// something to import; or the form again, saying what is wrong with the file.
#[handler]
pub async fn preview(
    state: Data<&AppState>,
    page: Signed,
    Path(letter_id): Path<i64>,
    body_limit: Data<&BodyLimit>,
    form: Multipart,
) -> Result<Response, PageError> {
    let letter = import::letter_for_import(&state.db, &page.staff, letter_id).await?;
    // Only now that the caller may import does the upload get more than the edge's small limit.
    let limit = state.settings.max_import_bytes;
    body_limit.raise_to(limit);
    let refused = |message: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            upload_page(&page, &letter, limit, Some(message)),
        )
            .into_response()
    };
    let content = match uploaded_file(form).await {
        Ok(Some(content)) => content,
        Ok(None) => {
            return Ok(refused(
                page.t("Choose a CSV file.", "Elija un archivo CSV."),
            ));
        }
        Err(AppError::Invalid { fields, .. }) => {
            let message = fields.as_map().get(FILE_FIELD).cloned().unwrap_or_default();
            return Ok(refused(&message));
        }
        Err(err) => return Err(err.into()),
    };
    let max_rows = state.settings.max_import_rows;
    match import_drafts::preview(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        content,
        max_rows,
    )
    .await
    {
        Ok(preview) => Ok(preview_page(&page, &letter, &preview).into_response()),
        Err(AppError::Invalid { fields, .. }) if fields.as_map().contains_key(FILE_FIELD) => {
            Ok(refused(&fields.as_map()[FILE_FIELD]))
        }
        Err(err) => Err(err.into()),
    }
}

fn preview_page(page: &Signed, letter: &entity::letter::Model, shown: &Preview) -> Markup {
    let report = &shown.report;
    let title = page.t("What the import would do", "Lo que haría la importación");
    page_shell(
        page,
        letter,
        title,
        html! {
            h2 { (title) }
            (totals(page, report, &shown.sha256))
            @if report.invalid() > 0 {
                div.errors role="alert" {
                    p { (page.t(
                        "Some rows cannot be imported as they are, so nothing will be imported from this file. Correct the rows marked below in your spreadsheet, save it as CSV again and upload it.",
                        "Algunas filas no se pueden importar tal como están, así que no se importará nada de este archivo. Corrija en su hoja de cálculo las filas marcadas abajo, guárdela otra vez como CSV y súbala.",
                    )) }
                }
            } @else if report.imported() == 0 {
                div.notice { p { (page.t(
                    "Nothing new to import: every row is already on the letter or repeats an earlier row.",
                    "Nada nuevo que importar: cada fila ya está en la carta o repite una fila anterior.",
                )) } }
            }
            @if let Some(token) = &shown.token {
                form method="post" action=(format!("{}/confirm", import_path(letter.id))) {
                    (csrf_field(page))
                    input type="hidden" name="draft" value=(token.expose());
                    p.actions {
                        button type="submit" {
                            (page.t("Import these", "Importar estas")) " " (report.imported()) " " (page.t("rows", "filas"))
                        }
                        a href=(import_path(letter.id)) { (page.t("Upload another file", "Subir otro archivo")) }
                    }
                }
            } @else {
                p.actions { a.button href=(import_path(letter.id)) { (page.t("Upload a file", "Subir un archivo")) } }
            }
            (rows_table(page, letter.id, report))
        },
    )
}

fn totals(page: &Signed, report: &ImportReport, sha256: &str) -> Markup {
    html! {
        dl.facts {
            dt { (page.t("Rows in the file", "Filas en el archivo")) }
            dd { (report.rows.len()) }
            dt { (page.t("To import", "Para importar")) }
            dd { (report.imported()) }
            dt { (page.t("Already there (skipped)", "Ya están (se omiten)")) }
            dd { (report.duplicates()) }
            dt { (page.t("Cannot be imported", "No se pueden importar")) }
            dd { (report.invalid()) }
            dt { (page.t("File fingerprint (SHA-256)", "Huella del archivo (SHA-256)")) }
            dd { code style="word-break:break-all" { (sha256) } }
        }
        @if !report.ignored_columns.is_empty() {
            p.meta {
                (page.t("Columns not used:", "Columnas que no se usan:")) " "
                (report.ignored_columns.join(", "))
            }
        }
    }
}

fn rows_table(page: &Signed, letter_id: i64, report: &ImportReport) -> Markup {
    let headings = [
        page.t("Line", "Línea"),
        page.t("Name", "Nombre"),
        page.t("Outcome", "Resultado"),
        page.t("Details", "Detalles"),
    ];
    let mut imported_shown = 0;
    let shown: Vec<&RowReport> = report
        .rows
        .iter()
        .filter(|row| {
            if row.outcome != Outcome::Imported || !row.warnings.is_empty() {
                return true;
            }
            imported_shown += 1;
            imported_shown <= IMPORTED_ROWS_SHOWN
        })
        .collect();
    let hidden = report.rows.len() - shown.len();
    html! {
        table.list {
            caption.meta style="text-align:left" { (page.t("Every row of the file", "Cada fila del archivo")) }
            thead { tr { @for heading in headings { th scope="col" { (heading) } } } }
            tbody {
                @for row in shown {
                    tr {
                        td data-label=(headings[0]) { (row.line) }
                        td data-label=(headings[1]) { (row.name) }
                        td data-label=(headings[2]) { (outcome_badge(page, &row.outcome)) }
                        td data-label=(headings[3]) { (row_details(page, letter_id, row)) }
                    }
                }
            }
        }
        @if hidden > 0 {
            p.meta {
                (hidden) " " (page.t(
                    "more rows to import, without remarks, are not listed.",
                    "filas más para importar, sin observaciones, no se muestran.",
                ))
            }
        }
    }
}

fn outcome_badge(page: &Signed, outcome: &Outcome) -> Markup {
    let (class, text) = match outcome {
        Outcome::Imported => ("approved", page.t("To import", "Para importar")),
        Outcome::Duplicate { .. } => ("closed", page.t("Already there", "Ya está")),
        Outcome::Invalid(_) => (
            "rejected",
            page.t("Cannot be imported", "No se puede importar"),
        ),
    };
    html! { span class=(format!("badge {class}")) { (text) } }
}

fn row_details(page: &Signed, letter_id: i64, row: &RowReport) -> Markup {
    html! {
        @match &row.outcome {
            Outcome::Duplicate { of_signature: Some(id), .. } => {
                a href=(format!("/admin/letters/{letter_id}/signatures/{id}")) {
                    (page.t("Already on the letter: signature", "Ya está en la carta: firma")) " #" (id)
                }
            }
            Outcome::Duplicate { of_line: Some(line), .. } => {
                (page.t("Same signatory as line", "El mismo firmante que la línea")) " " (line)
            }
            Outcome::Invalid(errors) => {
                ul {
                    @for (field, message) in errors {
                        li { strong { (field_label(page, field)) } ": " (i18n::field_error(message, page.lang)) }
                    }
                }
            }
            _ => {
                @if row.warnings.is_empty() { "—" }
            }
        }
        @if !row.warnings.is_empty() {
            ul.meta { @for warning in &row.warnings { li { (warning) } } }
        }
    }
}

/// A column of the file as people name it.
fn field_label<'a>(page: &Signed, field: &'a str) -> &'a str {
    let (en, es) = match field {
        "kind" => ("Signs as", "Firma como"),
        "name" => ("Name", "Nombre"),
        "affiliation" => ("Affiliation", "Afiliación"),
        "org_type" => ("Type of organization", "Tipo de organización"),
        "city" => ("City", "Ciudad"),
        "region" => ("State or region", "Estado o región"),
        "country" => ("Country", "País"),
        "website" => ("Website", "Sitio web"),
        "contact_name" => ("Contact name", "Nombre de contacto"),
        "contact_title" => ("Contact's position", "Cargo del contacto"),
        "contact_email" => ("Contact email", "Correo de contacto"),
        "contact_phone" => ("Contact phone", "Teléfono de contacto"),
        "comment" => ("Comment", "Comentario"),
        "status" => ("Status", "Estado"),
        "line" => ("The line", "La línea"),
        other => return other,
    };
    page.t(en, es)
}

/// The confirmation as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    draft: Option<String>,
}

/// `POST /admin/letters/{id}/import/confirm`: imports the previewed file, once.
#[handler]
pub async fn confirm(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(letter_id): Path<i64>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let token = form.draft.unwrap_or_default();
    let imported = import_drafts::confirm(
        &state.db,
        &state.keys,
        &page.staff,
        letter_id,
        &token,
        state.settings.max_import_rows,
    )
    .await?;
    let report = &imported.report;
    if !report.committed {
        let text = page.t(
            "Nothing was imported: some rows of the file can no longer be imported. Upload it again to see why.",
            "No se importó nada: algunas filas del archivo ya no se pueden importar. Súbalo de nuevo para ver por qué.",
        );
        return Ok(redirect_with_error(
            jar,
            &page,
            &import_path(letter_id),
            text,
        ));
    }
    let text = match page.lang {
        entity::Language::En => format!(
            "Imported {} signatures; {} rows already there were skipped. File fingerprint (SHA-256): {}",
            report.imported(),
            report.duplicates(),
            imported.sha256
        ),
        entity::Language::Es => format!(
            "Se importaron {} firmas; se omitieron {} filas que ya estaban. Huella del archivo (SHA-256): {}",
            report.imported(),
            report.duplicates(),
            imported.sha256
        ),
    };
    Ok(redirect_with_notice(
        jar,
        &page,
        &import_path(letter_id),
        text,
    ))
}
