//! What every request handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::rate_limit::{LoginLimit, RateLimit};
use crate::service::keys::Keys;
use crate::service::outbox::MailCopies;
use crate::service::public_view::PublicViews;
use crate::service::signing::SigningContext;
use crate::service::writer::SignatureWriter;

/// Shared by all requests.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The settings the service was started with.
    pub settings: Arc<Settings>,
    /// The public address of the service, for links in emails and the dashboard's cookies.
    pub base_url: url::Url,
    /// Keys of keyed hashes and of the encryption of contact data.
    pub keys: Arc<Keys>,
    /// The one writer of signatures.
    pub writer: SignatureWriter,
    /// The per-network limit on public submissions.
    pub sign_rate: Arc<RateLimit>,
    /// The limit on sign-in attempts, shared by the API and the dashboard.
    pub login_limit: Arc<LoginLimit>,
    /// What the public sees of each letter, kept between changes.
    pub public_views: PublicViews,
}

impl AppState {
    /// The copies of sent emails, which erasing a contact removes with it.
    pub fn mail_copies(&self) -> MailCopies {
        MailCopies::in_folder(self.settings.mail.dir.clone())
    }

    /// What the services that write emailed links need: keys, address, link lifetime.
    pub fn signing_context(&self) -> SigningContext {
        SigningContext {
            keys: self.keys.clone(),
            base_url: self.base_url.clone(),
            token_lifetime: self.settings.token_lifetime,
        }
    }
}
