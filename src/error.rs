//! The one error type of the service layer. `api::error` maps it to HTTP answers.

use sea_orm::{DbErr, SqlErr, TransactionError};

use crate::domain::FieldErrors;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// A link that worked once and no longer does (used, expired, or its letter delivered).
    #[error("{0}")]
    Gone(String),
    /// The request conflicts with the current state (a taken slug, an illegal transition).
    #[error("{message}")]
    Conflict {
        /// What a person should read.
        message: String,
        /// The field at fault, when there is one.
        field: Option<String>,
    },
    /// Some fields of the request are invalid.
    #[error("{message}")]
    Invalid {
        /// A summary.
        message: String,
        /// What is wrong with each field.
        fields: FieldErrors,
    },
    /// Anything else: logged with its cause, answered without details.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 404 with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// A 409 about the state of things, not about one field.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            field: None,
        }
    }

    /// A 409 naming the field whose value is taken.
    pub fn taken(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// A 422 for one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::default();
        fields.add(field, message);
        Self::invalid(fields)
    }

    /// A 422 for the collected field errors.
    pub fn invalid(fields: FieldErrors) -> Self {
        Self::Invalid {
            message: "Some fields are invalid; see `fields`.".into(),
            fields,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // A unique violation that a service did not foresee is still the client's conflict,
        // not a server fault; the services check the likely ones first to name the field.
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::conflict("This already exists.");
        }
        Self::Internal(anyhow::Error::new(err))
    }
}

impl From<TransactionError<AppError>> for AppError {
    fn from(err: TransactionError<AppError>) -> Self {
        match err {
            TransactionError::Connection(db) => db.into(),
            TransactionError::Transaction(app) => app,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(fields: FieldErrors) -> Self {
        Self::invalid(fields)
    }
}

/// The result of a use case.
pub type AppResult<T> = Result<T, AppError>;
