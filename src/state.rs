//! What every request handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;

/// Shared by all requests: the database pool and the settings.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The settings the service was started with.
    pub settings: Arc<Settings>,
}
