//! Cross-cutting HTTP concerns: body size, request logs without secrets, one error shape.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Instant;

use futures_util::StreamExt;
use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response, Result};

/// The body limit of one request: the small one for everybody at the edge, raised by a route
/// only once it knows who is asking, so that an anonymous client can never make the server
/// hold a large upload. A handler reaches it with `Data<&BodyLimit>`.
#[derive(Clone)]
pub struct BodyLimit(Arc<LimitState>);

struct LimitState {
    max_bytes: AtomicUsize,
    exceeded: AtomicBool,
    /// The Content-Length the client sent, if any.
    declared: Option<u64>,
}

impl BodyLimit {
    fn new(max_bytes: usize, declared: Option<u64>) -> Self {
        Self(Arc::new(LimitState {
            max_bytes: AtomicUsize::new(max_bytes),
            exceeded: AtomicBool::new(false),
            declared,
        }))
    }

    /// Raises this request's limit to `max_bytes`. Call it only after the caller was
    /// authenticated, before the body is read.
    pub fn raise_to(&self, max_bytes: usize) {
        self.0.max_bytes.fetch_max(max_bytes, Ordering::Relaxed);
    }

    /// This request's limit now.
    pub fn max_bytes(&self) -> usize {
        self.0.max_bytes.load(Ordering::Relaxed)
    }

    /// Whether `bytes` fit; when they do not, remembers it so the request is answered 413.
    fn admits(&self, bytes: u64) -> bool {
        let fits = bytes <= self.0.max_bytes.load(Ordering::Relaxed) as u64;
        if !fits {
            self.0.exceeded.store(true, Ordering::Relaxed);
        }
        fits
    }

    fn was_exceeded(&self) -> bool {
        self.0.exceeded.load(Ordering::Relaxed)
    }
}

/// Why a body could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Larger than the limit.
    #[error(
        "The request body is larger than the {} MiB allowed here.",
        .max_bytes.div_ceil(1024 * 1024)
    )]
    TooLarge {
        /// The limit.
        max_bytes: usize,
    },
    /// The connection broke off.
    #[error("The request body could not be read.")]
    Unreadable,
}

/// Holds every request body to `max_bytes` while it is read, whether or not the client declared
/// a length, and answers 413 when a handler tried to read past it. Nothing is read here: a
/// route that refuses the request first (no valid token) never reads the body at all.
pub async fn limit_body<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    max_bytes: usize,
) -> Result<Response> {
    let limit = BodyLimit::new(max_bytes, declared_length(&req));
    let body = limited(req.take_body(), limit.clone());
    req.set_body(body);
    req.extensions_mut().insert(limit.clone());
    let result = next.call(req).await.map(IntoResponse::into_response);
    let already_413 = matches!(&result, Ok(resp) if resp.status() == StatusCode::PAYLOAD_TOO_LARGE);
    if limit.was_exceeded() && !already_413 {
        return Err(BodyTooLarge {
            max_bytes: limit.max_bytes(),
        }
        .into());
    }
    result
}

/// A body over the request's limit, answered 413; it tells the limit in force, which a route
/// may have raised, so the answer can say how large a body may be.
#[derive(Debug, thiserror::Error)]
#[error("the request body is larger than {max_bytes} bytes")]
pub struct BodyTooLarge {
    /// The limit in force for the request.
    pub max_bytes: usize,
}

impl poem::error::ResponseError for BodyTooLarge {
    fn status(&self) -> StatusCode {
        StatusCode::PAYLOAD_TOO_LARGE
    }
}

fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The body, failing as soon as its declared length or the bytes read so far pass the limit.
fn limited(body: Body, limit: BodyLimit) -> Body {
    let declared = limit.0.declared;
    let mut chunks = Box::pin(body.into_bytes_stream());
    let mut read: u64 = 0;
    let too_large = || std::io::Error::other("the request body is too large");
    Body::from_bytes_stream(futures_util::stream::poll_fn(move |cx| {
        if !limit.admits(declared.unwrap_or(0).max(read)) {
            return Poll::Ready(Some(Err(too_large())));
        }
        let next = std::task::ready!(chunks.poll_next_unpin(cx));
        if let Some(Ok(chunk)) = &next {
            read += chunk.len() as u64;
            if !limit.admits(read) {
                return Poll::Ready(Some(Err(too_large())));
            }
        }
        Poll::Ready(next)
    }))
}

/// Raises the request's body limit to `max_bytes` and reads the body into one buffer. For an
/// authenticated upload: call it only once the caller is known.
pub async fn read_raised_body(
    body: Body,
    limit: &BodyLimit,
    max_bytes: usize,
) -> std::result::Result<Vec<u8>, BodyError> {
    limit.raise_to(max_bytes);
    // One buffer of the declared size, not a list of chunks joined at the end.
    let capacity = limit.0.declared.unwrap_or(0).min(max_bytes as u64) as usize;
    let mut bytes = Vec::with_capacity(capacity);
    let mut chunks = body.into_bytes_stream();
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(_) if limit.was_exceeded() => return Err(BodyError::TooLarge { max_bytes }),
            Err(_) => return Err(BodyError::Unreadable),
        }
    }
    Ok(bytes)
}

/// Logs one line per request: method, path with secrets masked, status and duration.
/// Query strings are never logged, since searches may hold names or emails.
pub async fn log_request<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = redact_path(req.uri().path());
    let result = next.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(resp) => resp.status(),
        Err(err) => err.status(),
    };
    tracing::info!(
        %method,
        path,
        status = status.as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    result
}

/// Path segments that follow these carry single-use secrets.
const SECRET_AFTER: [&str; 7] = [
    "verify",
    "withdraw",
    "verifications",
    "withdrawals",
    "password",
    // A personal invitation's link, and an unsubscribe link.
    "i",
    "unsubscribe",
];

fn redact_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for segment in path.split('/') {
        if hide_next && !segment.is_empty() {
            out.push("***");
        } else {
            out.push(segment);
        }
        hide_next = SECRET_AFTER.contains(&segment);
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn secrets_in_paths_are_masked() {
        assert_eq!(redact_path("/verify/abc123"), "/verify/***");
        assert_eq!(
            redact_path("/api/v1/public/withdrawals/xyz"),
            "/api/v1/public/withdrawals/***"
        );
        assert_eq!(redact_path("/l/my-letter/sign"), "/l/my-letter/sign");
        assert_eq!(redact_path("/i/tok/decline"), "/i/***/decline");
        assert_eq!(redact_path("/unsubscribe/i1-mac"), "/unsubscribe/***");
    }
}
