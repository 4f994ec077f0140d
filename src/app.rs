//! Builds the running service from settings: database, routes, listener; runs until stopped.

use std::future::Future;

use anyhow::Context;
use poem::endpoint::make_sync;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{Html, Json};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, get, handler, http::StatusCode};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

use crate::api::spec::{self, AllowedMethods};
use crate::api::{self, API_PREFIX, middleware};
use crate::config::Settings;
use crate::db;
use crate::mail::{self, Transport};
use crate::rate_limit::{LoginLimit, RateLimit};
use crate::service::key_store;
use crate::service::outbox::MailCopies;
use crate::service::public_view::PublicViews;
use crate::service::signing::SigningContext;
use crate::service::writer::SignatureWriter;
use crate::state::AppState;
use tokio::sync::Notify;

/// A service ready to serve: migrated database, bound port.
pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies pending migrations and binds the listening socket,
    /// so that every configuration problem shows up before the first request.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database_url).await?;
        db::migrate(&db).await?;
        Self::with_database(settings, db).await
    }

    /// Like [`Application::build`], over a database that is already connected and migrated:
    /// loads the keys, starts the signature writer and the mail worker, binds the socket.
    pub async fn with_database(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let transport = Arc::new(Transport::from_settings(&settings.mail)?);
        let keys = Arc::new(key_store::load(&db, &settings.database_url, &settings.keys).await?);
        let acceptor = TcpListener::bind(settings.bind.clone())
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = *acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr())
            .context("the listener has no socket address")?;
        let port = address.port();
        let base_url = match &settings.base_url {
            Some(url) => url.clone(),
            None => listened_url(address)?,
        };
        let committed = Arc::new(Notify::new());
        let signing = SigningContext {
            keys: keys.clone(),
            base_url: base_url.clone(),
            token_lifetime: settings.token_lifetime,
        };
        let writer = SignatureWriter::start(db.clone(), signing.clone(), committed.clone());
        crate::service::reminders::start(db.clone(), signing.clone(), Arc::new(chrono::Utc::now));
        crate::service::digest::start(db.clone(), signing, Arc::new(chrono::Utc::now));
        mail::start(
            db.clone(),
            transport,
            keys.clone(),
            committed,
            settings.outbox_lease,
        );
        crate::service::retention::start(
            db.clone(),
            MailCopies::in_folder(settings.mail.dir.clone()),
            settings.retention_every,
        );
        Ok(Self {
            acceptor,
            port,
            state: AppState {
                db,
                keys,
                writer,
                base_url,
                sign_rate: Arc::new(RateLimit::per_minute(settings.sign_rate_per_minute)),
                login_limit: Arc::new(LoginLimit::new(
                    settings.login_attempts_per_account,
                    settings.login_attempts_per_network,
                )),
                settings: Arc::new(settings),
                public_views: PublicViews::default(),
            },
        })
    }

    /// The port actually listened on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state, for callers that need the database too.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish within the grace period.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let grace = self.state.settings.shutdown_grace;
        tracing::info!(port = self.port, "serving");
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes(self.state), shutdown, Some(grace))
            .await
    }
}

/// `http://HOST:PORT/` for the address listened on; a wildcard address becomes loopback.
fn listened_url(address: std::net::SocketAddr) -> anyhow::Result<url::Url> {
    let host = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        std::net::IpAddr::V4(v4) => v4.to_string(),
    };
    Ok(url::Url::parse(&format!(
        "http://{host}:{}/",
        address.port()
    ))?)
}

/// Every route of the service, with its middleware.
pub fn routes(state: AppState) -> impl poem::Endpoint {
    let allowed = AllowedMethods::from_document(&spec::openapi_document());
    let api = api::openapi_service()
        .around(move |next, req| spec::allow_header(next, req, allowed.clone()));
    let document = spec::openapi_json();
    let docs = spec::swagger_ui_html();
    let max_body_bytes = state.settings.max_body_bytes;
    Route::new()
        .nest("/", crate::pages::routes())
        .nest("/admin", crate::pages::admin::routes())
        .nest(API_PREFIX, api)
        .at(
            "/api/openapi.json",
            get(make_sync(move |_| {
                Response::builder()
                    .content_type("application/json")
                    .body(document.clone())
            })),
        )
        .nest(
            "/api/docs",
            Route::new().at("/", get(make_sync(move |_| Html(docs.clone())))),
        )
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        // The same small limit for every route; an authenticated upload raises its own.
        .around(move |next, req| middleware::limit_body(next, req, max_body_bytes))
        .around(crate::pages::admin::error::oversized_as_page)
        .catch_all_error(|err| async move { api::error::render_poem_error(err) })
        .around(middleware::log_request)
        .data(state)
}

/// The process is up.
#[handler]
fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The database answers.
#[handler]
async fn readyz(state: poem::web::Data<&AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({
                    "error": "unavailable",
                    "message": "The database does not answer.",
                    "fields": {},
                })),
            )
                .into_response()
        }
    }
}
