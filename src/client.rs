//! Who is asking: the client's address and user agent, for rate limits and abuse review.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use poem::http::HeaderMap;
use poem::http::header::{FORWARDED, USER_AGENT};

use crate::service::keys::Keys;
use crate::state::AppState;

/// What the HTTP request tells about the client.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The client's address: the peer's, or the one a trusted proxy forwarded.
    pub ip: Option<IpAddr>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// Reads the client address and user agent off a request. The forwarding headers count only
    /// when the peer is one of the trusted proxies of the [`AppState`] attached to the request.
    pub fn of(req: &poem::Request) -> Self {
        let trusted = req
            .data::<AppState>()
            .map(|state| state.settings.trusted_proxies.as_slice())
            .unwrap_or_default();
        let peer = req
            .remote_addr()
            .as_socket_addr()
            .map(|addr| addr.ip().to_canonical());
        Self {
            ip: peer.map(|peer| client_address(peer, trusted, req.headers())),
            user_agent: req
                .headers()
                .get(USER_AGENT)
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

/// The peer, unless it is a trusted proxy: then the nearest address in the forwarding chain
/// that is not itself a trusted proxy. Everything left of that address was written by the
/// client and proves nothing.
fn client_address(peer: IpAddr, trusted: &[IpNet], headers: &HeaderMap) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let origin = |chain: Vec<Option<IpAddr>>| nearest_untrusted(chain, &is_trusted);
    let forwarded = hops(headers, FORWARDED.as_str(), forwarded_for).map(origin);
    let x_forwarded_for = hops(headers, "x-forwarded-for", parse_node).map(origin);
    // A proxy writes one of the two headers; a client may forge the other. When both are
    // there and disagree, which one the proxy wrote is unknown: fall back to the peer.
    let found = match (forwarded, x_forwarded_for) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => one,
        (Some(a), Some(b)) => a.filter(|_| a == b),
    };
    found.unwrap_or(peer)
}

/// The hops of a forwarding header, oldest first, across all its lines; `None` when the header
/// is absent. A hop that names no address ("unknown", an obfuscated name) is `None`.
fn hops(
    headers: &HeaderMap,
    name: &str,
    parse: fn(&str) -> Option<IpAddr>,
) -> Option<Vec<Option<IpAddr>>> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    Some(
        lines
            .flat_map(|line| line.to_str().unwrap_or("unknown").split(','))
            .map(parse)
            .collect(),
    )
}

/// Walks the chain from the newest hop back: trusted proxies are skipped, and the first other
/// hop is the client. A hop without an address there means the client cannot be told.
fn nearest_untrusted(
    chain: Vec<Option<IpAddr>>,
    is_trusted: &impl Fn(&IpAddr) -> bool,
) -> Option<IpAddr> {
    let oldest = chain.first().copied().flatten();
    for hop in chain.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(&ip) => continue,
            other => return other,
        }
    }
    // Every hop is a trusted proxy: the request began inside the trusted networks.
    oldest
}

/// The `for=` address of one `Forwarded` element (RFC 7239).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value))
            .flatten()
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`, possibly quoted.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    let ip = match text.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0.parse().ok()?,
        None => text
            .parse::<IpAddr>()
            .or_else(|_| text.parse::<SocketAddr>().map(|addr| addr.ip()))
            .ok()?,
    };
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy = ip("10.0.0.1");
        let cases: [(&[(&'static str, &str)], &str); 8] = [
            (&[], "10.0.0.1"),
            (&[("x-forwarded-for", "1.2.3.4, 5.6.7.8")], "5.6.7.8"),
            (
                &[
                    ("x-forwarded-for", "1.2.3.4"),
                    ("x-forwarded-for", "5.6.7.8, 10.1.1.1"),
                ],
                "5.6.7.8",
            ),
            (&[("x-forwarded-for", "5.6.7.8:4711")], "5.6.7.8"),
            (
                &[(
                    "forwarded",
                    "for=1.2.3.4, for=\"[2001:db8::1]:80\";proto=https",
                )],
                "2001:db8::1",
            ),
            (&[("forwarded", "for=unknown")], "10.0.0.1"),
            (
                &[("forwarded", "for=1.2.3.4"), ("x-forwarded-for", "5.6.7.8")],
                "10.0.0.1",
            ),
            (
                &[("forwarded", "for=5.6.7.8"), ("x-forwarded-for", "5.6.7.8")],
                "5.6.7.8",
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                client_address(proxy, &trusted, &headers(pairs)),
                ip(expected),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_writes() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let map = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=1.2.3.4")]);
        assert_eq!(client_address(ip("5.6.7.8"), &trusted, &map), ip("5.6.7.8"));
        assert_eq!(client_address(ip("10.0.0.1"), &[], &map), ip("10.0.0.1"));
    }
}
