//! Cross-cutting HTTP concerns: body size, request logs without secrets, one error shape.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};

/// Refuses bodies over `max_bytes` with 413, whether or not the client declared a length,
/// before any handler reads them.
pub async fn limit_body<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    max_bytes: usize,
) -> Result<Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > max_bytes as u64 => {
            return Err(poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE));
        }
        Some(_) => {}
        None if req.method() == Method::GET || req.method() == Method::HEAD => {}
        None => {
            // A chunked body has no declared length: read it here, with the limit.
            let body = req
                .take_body()
                .into_bytes_limit(max_bytes)
                .await
                .map_err(|_| poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE))?;
            req.set_body(body);
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
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
const SECRET_AFTER: [&str; 5] = [
    "verify",
    "withdraw",
    "verifications",
    "withdrawals",
    "password",
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
    }
}
