//! The one error shape of the API and how service errors map to HTTP statuses.

use std::collections::BTreeMap;

use poem::Response;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::error::AppError;

/// Every error answer of the API.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename = "Error")]
pub struct ErrorBody {
    /// A stable code for programs: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `gone`, `payload_too_large`, `unsupported_media_type`,
    /// `validation_failed`, `rate_limited`, `internal`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// What is wrong with each field of the request, by field name; empty when no field is at fault.
    pub fields: BTreeMap<String, String>,
}

impl ErrorBody {
    /// An error with no field details.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: code.to_owned(),
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }
}

/// The errors any operation may answer with.
#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// The request could not be read: malformed JSON, a wrong type, a bad parameter.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No valid access token, or a failed login.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The caller may not do this (not a coordinator of the letter, or a role too low).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Nothing here.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request conflicts with the current state: a taken slug, an illegal status change.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The link was already used or has expired.
    #[oai(status = 410)]
    Gone(Json<ErrorBody>),
    /// The request body is too large.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// Some fields are invalid; `fields` says what is wrong with each.
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Too many submissions from this network; try again after `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// Something failed on our side; the details are in the server's log.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound(message) => {
                Self::NotFound(Json(ErrorBody::new("not_found", message)))
            }
            AppError::Unauthorized(message) => {
                Self::Unauthorized(Json(ErrorBody::new("unauthorized", message)))
            }
            AppError::Forbidden(message) => {
                Self::Forbidden(Json(ErrorBody::new("forbidden", message)))
            }
            AppError::Gone(message) => Self::Gone(Json(ErrorBody::new("gone", message))),
            AppError::Conflict { message, field } => {
                let mut body = ErrorBody::new("conflict", message.clone());
                if let Some(field) = field {
                    body.fields.insert(field, message);
                }
                Self::Conflict(Json(body))
            }
            AppError::Invalid { message, fields } => Self::Unprocessable(Json(ErrorBody {
                error: "validation_failed".into(),
                message,
                fields: fields.into_map(),
            })),
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed");
                Self::Internal(Json(ErrorBody::new(
                    "internal",
                    "Something went wrong on our side. Please try again; if it keeps happening, tell the coordinators.",
                )))
            }
        }
    }
}

impl From<super::middleware::BodyError> for ApiError {
    fn from(err: super::middleware::BodyError) -> Self {
        match err {
            super::middleware::BodyError::TooLarge { .. } => {
                Self::PayloadTooLarge(Json(ErrorBody::new("payload_too_large", err.to_string())))
            }
            super::middleware::BodyError::Unreadable => {
                Self::BadRequest(Json(ErrorBody::new("bad_request", err.to_string())))
            }
        }
    }
}

impl ApiError {
    /// A 429 telling the client when to try again.
    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        Self::TooManyRequests(
            Json(ErrorBody::new(
                "rate_limited",
                "Too many submissions from your network. Please wait a minute and try again.",
            )),
            retry_after.as_secs().max(1),
        )
    }
}

impl ApiError {
    /// A 429 for too many sign-in attempts.
    pub fn too_many_logins(retry_after: std::time::Duration) -> Self {
        Self::TooManyRequests(
            Json(ErrorBody::new(
                "rate_limited",
                "Too many sign-in attempts. Please wait a few minutes and try again.",
            )),
            retry_after.as_secs().max(1),
        )
    }
}

/// Gives errors raised outside our handlers (unknown route, unparsable body, missing token,
/// oversized body) the same JSON shape as our own.
pub fn render_poem_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::GONE => "gone",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_client_error() => "bad_request",
        _ => "internal",
    };
    let message = match status {
        StatusCode::NOT_FOUND => "Nothing here.".to_owned(),
        StatusCode::UNAUTHORIZED => {
            "Send a valid access token: Authorization: Bearer TOKEN.".to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.".to_owned(),
        s if s.is_server_error() => {
            tracing::error!(error = %err, "request failed outside a handler");
            "Something went wrong on our side.".to_owned()
        }
        _ => err.to_string(),
    };
    let body = serde_json::to_string(&serde_json::json!({
        "error": code,
        "message": message,
        "fields": {},
    }))
    .expect("a JSON literal always serializes");
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body)
}
