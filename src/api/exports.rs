//! Downloads of the final letter: the PDF to deliver and the CSV lists.

use entity::Language;
use futures_util::TryStreamExt;
use poem::Body;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Binary;
use poem_openapi::{ApiResponse, Enum, OpenApi};

use super::ApiTags;
use super::auth::StaffAuth;
use super::error::ApiError;
use crate::error::AppError;
use crate::service::exports::{self, ExportBody, ExportFile, ExportKind};
use crate::state::AppState;

/// Which CSV.
#[derive(Enum, Clone, Copy, Default)]
#[oai(rename_all = "lowercase")]
enum CsvScope {
    /// Approved signatories, public fields only.
    #[default]
    Public,
    /// Every signature with its state, source, timestamps and contact details (editors and owners).
    Staff,
}

#[derive(ApiResponse)]
enum PdfResponse {
    /// The letter with its approved signatories. For a delivered letter, the frozen copy.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        /// `attachment; filename="SLUG-LANG.pdf"`.
        #[oai(header = "Content-Disposition")]
        String,
        /// Hex SHA-256 of the file: the same for every download of a delivered letter.
        #[oai(header = "X-Content-SHA256")]
        String,
    ),
}

#[derive(ApiResponse)]
enum CsvResponse {
    /// UTF-8 with a byte-order mark, so spreadsheets read accents right; cells that a
    /// spreadsheet would run as a formula start with a `'`.
    /// The file is sent as it is read from the database, so a list of any length starts at
    /// once and takes little memory.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        Binary<Body>,
        /// `attachment; filename="..."`.
        #[oai(header = "Content-Disposition")]
        String,
        /// Hex SHA-256 of the file, for the copies frozen when the letter was delivered; a
        /// list made as it is sent has none (its end is not known when the headers go out).
        #[oai(header = "X-Content-SHA256")]
        Option<String>,
    ),
}

fn disposition(file: &ExportFile) -> String {
    format!("attachment; filename=\"{}\"", file.file_name)
}

/// An export as an HTTP body, and its SHA-256 when it was made whole. A CSV that fails after
/// its first bytes went out can only be cut off: the error is logged and the body ends early,
/// which the client sees as an incomplete download rather than a whole file.
pub(crate) fn http_body(body: ExportBody) -> (Body, Option<String>) {
    match body {
        ExportBody::Whole { content, sha256 } => (Body::from(content), Some(sha256)),
        ExportBody::Streamed(stream) => {
            let stream = stream.map_err(|error| {
                tracing::error!(error = %error, "an export stopped while it was being sent");
                std::io::Error::other("the export stopped")
            });
            (Body::from_bytes_stream(stream), None)
        }
    }
}

pub struct ExportsApi;

#[OpenApi(tag = "ApiTags::Letters")]
impl ExportsApi {
    /// Export the letter as PDF
    ///
    /// The letterhead, date, addressees, body and the approved signatories in the letter's
    /// order; `lang` picks the translation. A delivered letter returns the copy frozen at delivery.
    #[oai(
        path = "/letters/:id/export.pdf",
        method = "get",
        operation_id = "export_pdf"
    )]
    async fn pdf(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// `en` or `es`; default: the letter's language.
        lang: Query<Option<Language>>,
    ) -> Result<PdfResponse, ApiError> {
        let file = exports::for_staff(
            &state.db,
            &state.keys,
            &auth.0,
            id.0,
            ExportKind::Pdf,
            lang.0,
        )
        .await?;
        let disposition = disposition(&file);
        let ExportBody::Whole { content, sha256 } = file.body else {
            return Err(AppError::Internal(anyhow::anyhow!("a PDF is always made whole")).into());
        };
        Ok(PdfResponse::Ok(Binary(content), disposition, sha256))
    }

    /// Export the signatories as CSV
    ///
    /// `scope=public`: approved signatories, public fields. `scope=staff`: every signature with
    /// its status and contact fields (editors and owners only).
    #[oai(
        path = "/letters/:id/export.csv",
        method = "get",
        operation_id = "export_csv"
    )]
    async fn csv(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
        /// `public` (default) or `staff`.
        scope: Query<Option<CsvScope>>,
        /// `en` or `es`, for country names; default: the letter's language.
        lang: Query<Option<Language>>,
    ) -> Result<CsvResponse, ApiError> {
        let kind = match scope.0.unwrap_or_default() {
            CsvScope::Public => ExportKind::PublicCsv,
            CsvScope::Staff => ExportKind::StaffCsv,
        };
        let file = exports::for_staff(&state.db, &state.keys, &auth.0, id.0, kind, lang.0).await?;
        let disposition = disposition(&file);
        let (body, sha256) = http_body(file.body);
        Ok(CsvResponse::Ok(Binary(body), disposition, sha256))
    }
}
