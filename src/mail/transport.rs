//! Where emails go: an SMTP server, or `.eml` files for a machine without one.

use std::path::PathBuf;

use anyhow::Context;
use entity::outbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::MailSettings;
use crate::domain::Email;
use crate::service::outbox::copy_file_name;

/// SMTP connections kept open and used at once: a batch of emails goes out over them in
/// parallel, without a new connection (and TLS handshake) per email.
const SMTP_CONNECTIONS: u32 = 4;
/// Files written at once: writing goes through tokio's blocking threads.
const FILES_AT_ONCE: usize = 4;

/// A file sent with an email: a frozen export, read once per batch of emails that name it.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The name the recipient sees.
    pub file_name: String,
    /// `application/pdf` or `text/csv; charset=utf-8`.
    pub content_type: &'static str,
    /// The bytes, exactly as frozen.
    pub content: Vec<u8>,
}

/// A configured way to send email.
pub enum Transport {
    /// Through an SMTP server.
    Smtp {
        /// The connection pool.
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        /// The From header.
        from: Mailbox,
    },
    /// As `.eml` files in a folder; each confirmation link is also logged so a developer can
    /// follow it without a mail client.
    Files {
        /// The folder.
        dir: PathBuf,
        /// The From header.
        from: Mailbox,
    },
}

impl Transport {
    /// Builds the transport the settings ask for; a bad SMTP URL or From address is an error.
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().with_context(|| {
            format!(
                "SIGNON_MAIL_FROM {:?} is not an email address",
                settings.from
            )
        })?;
        match &settings.smtp_url {
            Some(url) => {
                let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "SIGNON_SMTP_URL is not a valid SMTP URL (smtp://user:pass@host:587)"
                        )
                    })?
                    .pool_config(PoolConfig::new().max_size(SMTP_CONNECTIONS))
                    .build();
                Ok(Self::Smtp { mailer, from })
            }
            None => Ok(Self::Files {
                dir: settings.dir.clone(),
                from,
            }),
        }
    }

    /// How many emails this transport is given at once.
    pub fn parallelism(&self) -> usize {
        match self {
            Self::Smtp { .. } => SMTP_CONNECTIONS as usize,
            Self::Files { .. } => FILES_AT_ONCE,
        }
    }

    /// Sends one outbox email to its recipients, with its attachment if it has one. A refusal
    /// for good (an SMTP 5xx reply, to a recipient or to the message) is told apart from a
    /// failure worth trying again.
    pub async fn send(
        &self,
        email: &outbox::Model,
        recipients: &[Email],
        attachment: Option<&Attachment>,
    ) -> Result<(), SendError> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from.clone(),
        };
        let message = build(email, from, recipients, attachment)?;
        match self {
            Self::Smtp { mailer, .. } => {
                mailer.send(message).await.map_err(|err| SendError {
                    permanent: err.is_permanent(),
                    error: anyhow::anyhow!(smtp_failure(&err)),
                })?;
            }
            Self::Files { dir, .. } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("cannot create the mail folder {}", dir.display()))?;
                // A fixed name per email, and the file appears whole (renamed into place): one
                // that is there was delivered, and sending it again after a crash is not needed.
                let path = dir.join(copy_file_name(email.id, email.signature_id));
                if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    tracing::info!(outbox_id = email.id, file = %path.display(), "email already written");
                    return Ok(());
                }
                let partial = path.with_extension("eml.partial");
                tokio::fs::write(&partial, message.formatted()).await?;
                tokio::fs::rename(&partial, &path).await?;
                match email
                    .body_text
                    .lines()
                    .find(|line| line.contains("/verify/"))
                {
                    Some(link) => {
                        tracing::info!(outbox_id = email.id, file = %path.display(), link = link.trim(), "email written; confirmation link")
                    }
                    None => {
                        tracing::info!(outbox_id = email.id, file = %path.display(), "email written")
                    }
                }
            }
        }
        Ok(())
    }
}

/// Why an email was not sent.
#[derive(Debug)]
pub struct SendError {
    /// The receiving server refused it for good: sending it again would be refused again.
    pub permanent: bool,
    /// What went wrong, without the recipient's address.
    pub error: anyhow::Error,
}

impl From<anyhow::Error> for SendError {
    fn from(error: anyhow::Error) -> Self {
        Self {
            permanent: false,
            error,
        }
    }
}

impl From<std::io::Error> for SendError {
    fn from(error: std::io::Error) -> Self {
        anyhow::Error::from(error).into()
    }
}

/// What went wrong, told by the reply code and a class of error only: servers often quote the
/// recipient's address in their reply text, and this text goes to the log and the outbox table.
fn smtp_failure(err: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = err.status() {
        let class = if err.is_permanent() {
            "permanent"
        } else {
            "temporary"
        };
        return format!("the SMTP server refused the email ({class} failure, reply code {code})");
    }
    let class = if err.is_timeout() {
        "timed out"
    } else if err.is_tls() {
        "TLS failure"
    } else if err.is_response() {
        "unreadable reply"
    } else if err.is_client() || err.is_transport_shutdown() {
        "client failure"
    } else {
        "connection failure"
    };
    format!("the email could not be sent over SMTP ({class})")
}

fn build(
    email: &outbox::Model,
    from: Mailbox,
    recipients: &[Email],
    attachment: Option<&Attachment>,
) -> anyhow::Result<Message> {
    let domain = from.email.domain().to_owned();
    let mut builder = Message::builder()
        .from(from)
        .subject(email.subject.clone())
        // Stable per outbox row, so a receiver can tell a resend after a crash from a new email.
        .message_id(Some(format!("<outbox-{}@{domain}>", email.id)));
    for recipient in recipients {
        let to: Mailbox = recipient
            .as_str()
            .parse()
            .context("the recipient address is not valid")?;
        builder = builder.to(to);
    }
    if let Some(url) = &email.list_unsubscribe {
        // RFC 8058: the mail client offers "unsubscribe" and posts to the address in one click.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let bodies =
        MultiPart::alternative_plain_html(email.body_text.clone(), email.body_html.clone());
    let message = match attachment {
        None => builder.multipart(bodies),
        Some(file) => {
            let content_type = ContentType::parse(file.content_type)
                .map_err(|e| anyhow::anyhow!("bad attachment type: {e}"))?;
            let part = lettre::message::Attachment::new(file.file_name.clone())
                .body(file.content.clone(), content_type);
            builder.multipart(MultiPart::mixed().multipart(bodies).singlepart(part))
        }
    };
    message.map_err(|e| anyhow::anyhow!("cannot build the email: {e}"))
}
