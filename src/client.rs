//! Who is asking: the client's address and user agent, for rate limits and abuse review.

use std::net::IpAddr;

use crate::service::keys::Keys;

/// What the HTTP request tells about the client.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The peer's address.
    pub ip: Option<IpAddr>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// Reads the peer address and user agent off a request.
    pub fn of(req: &poem::Request) -> Self {
        Self {
            ip: req.remote_addr().as_socket_addr().map(|addr| addr.ip()),
            user_agent: req
                .headers()
                .get(poem::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// Keyed hashes of the network and user agent, as stored for abuse review.
    pub fn hashes(&self, keys: &Keys) -> (Option<String>, Option<String>) {
        (
            self.ip.map(|ip| keys.network_hash(ip)),
            self.user_agent.as_deref().map(|ua| keys.agent_hash(ua)),
        )
    }
}
