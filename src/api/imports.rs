//! Importing signatures from a CSV file.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::{ApiError, ErrorBody};
use super::middleware::{BodyLimit, read_raised_body};
use crate::service::import::{self, ImportOptions, ImportReport, Outcome};
use crate::state::AppState;

/// A CSV file with a header row: the signature fields (`name`, `country`, `contact_email`, ...,
/// case-insensitive) or usual spreadsheet headers ("Organization name", "Email address",
/// "Country"); an optional `status` column (default `approved`).
#[derive(ApiRequest)]
enum ImportFile {
    /// UTF-8 CSV, with or without a byte-order mark.
    #[oai(content_type = "text/csv")]
    Csv(Binary<poem::Body>),
}

/// What happened to one row.
#[derive(Object)]
#[oai(rename = "ImportRow")]
struct RowDto {
    /// The line in the file (the header is line 1).
    line: u64,
    /// The name as written.
    name: String,
    /// `imported`, `duplicate` or `invalid`.
    outcome: String,
    /// For a duplicate: the signature already on the letter.
    #[oai(nullable)]
    duplicate_of: Option<i64>,
    /// For a duplicate: the earlier line of the file.
    #[oai(nullable)]
    duplicate_of_line: Option<u64>,
    /// For an invalid row: what is wrong with each field.
    errors: BTreeMap<String, String>,
    /// Things worth a look that did not stop the row.
    warnings: Vec<String>,
}

/// The report of an import.
#[derive(Object)]
#[oai(rename = "ImportReport")]
struct ReportDto {
    /// Whether the rows were written (false for a dry run).
    committed: bool,
    /// Rows imported, or that would be.
    imported: u64,
    /// Rows skipped because the signatory is already there.
    duplicates: u64,
    /// Rows that cannot be imported as they are.
    invalid: u64,
    /// Columns of the file that were not used.
    ignored_columns: Vec<String>,
    /// Every row, in file order.
    rows: Vec<RowDto>,
}

impl From<ImportReport> for ReportDto {
    fn from(report: ImportReport) -> Self {
        Self {
            committed: report.committed,
            imported: report.imported() as u64,
            duplicates: report.duplicates() as u64,
            invalid: report.invalid() as u64,
            ignored_columns: report.ignored_columns,
            rows: report
                .rows
                .into_iter()
                .map(|row| {
                    let (outcome, duplicate_of, duplicate_of_line, errors) = match row.outcome {
                        Outcome::Imported => ("imported", None, None, BTreeMap::new()),
                        Outcome::Duplicate {
                            of_signature,
                            of_line,
                        } => ("duplicate", of_signature, of_line, BTreeMap::new()),
                        Outcome::Invalid(errors) => ("invalid", None, None, errors),
                    };
                    RowDto {
                        line: row.line,
                        name: row.name,
                        outcome: outcome.to_owned(),
                        duplicate_of,
                        duplicate_of_line,
                        errors,
                        warnings: row.warnings,
                    }
                })
                .collect(),
        }
    }
}

#[derive(ApiResponse)]
enum ImportResponse {
    /// The report: with `dry_run=true` nothing was written; otherwise every importable row was.
    #[oai(status = 200)]
    Ok(Json<ReportDto>),
}

pub struct ImportsApi;

#[OpenApi(tag = "ApiTags::Signatures")]
impl ImportsApi {
    /// Import signatures from CSV
    ///
    /// Imported rows are vouched for by staff: they enter as `approved` with source `import`
    /// unless a `status` column says otherwise. Duplicates (the same contact email, or the same
    /// normalized name and country, on the letter or earlier in the file) are skipped. A real
    /// import is all-or-nothing: if any row is invalid, nothing is written and the answer is 422
    /// naming each bad line; `dry_run=true` reports every row and writes nothing. A file with
    /// more rows than the server's limit (`SIGNON_MAX_IMPORT_ROWS`, 100,000 by default) is
    /// refused whole with 422.
    #[oai(
        path = "/letters/:id/imports",
        method = "post",
        operation_id = "import_signatures"
    )]
    async fn import(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// Report only, write nothing (default false).
        dry_run: Query<Option<bool>>,
        body_limit: Data<&BodyLimit>,
        file: ImportFile,
    ) -> Result<ImportResponse, ApiError> {
        // The token was checked before this line: only now may the upload be large.
        let ImportFile::Csv(Binary(body)) = file;
        let bytes = read_raised_body(body, &body_limit, state.settings.max_import_bytes).await?;
        let dry_run = dry_run.0.unwrap_or(false);
        let options = ImportOptions {
            dry_run,
            max_rows: state.settings.max_import_rows,
        };
        let report =
            import::import_for_staff(&state.db, &state.keys, &auth.0, id.0, bytes, options).await?;
        if !dry_run && !report.committed {
            let mut body = ErrorBody::new(
                "validation_failed",
                format!(
                    "{} rows are invalid, so nothing was imported. Fix them, or send the file with dry_run=true for the full report.",
                    report.invalid()
                ),
            );
            for row in &report.rows {
                if let Outcome::Invalid(errors) = &row.outcome {
                    for (field, message) in errors {
                        body.fields
                            .insert(format!("line {}: {field}", row.line), message.clone());
                    }
                }
            }
            return Err(ApiError::Unprocessable(Json(body)));
        }
        Ok(ImportResponse::Ok(Json(report.into())))
    }
}
