//! Partner links and the embeddable form: a partner's code (`?ref=CODE`), and the origins whose
//! pages may frame a letter's form.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A partner's code: 2 to 40 lowercase ASCII letters, digits and single hyphens, such as
/// `sin-fronteras`. It travels in links, so it is short and needs no escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerCode(String);

impl PartnerCode {
    /// The longest code.
    pub const MAX_CHARS: usize = 40;
    /// The shortest code.
    pub const MIN_CHARS: usize = 2;

    /// What a refused code is told.
    pub const RULE: &'static str =
        "Use 2 to 40 letters, digits and single hyphens, such as \"sin-fronteras\".";

    /// Parses a code; letters are lowercased, so a link typed in capitals still counts.
    /// Surrounding spaces are refused, as the API document says; forms trim what is typed.
    pub fn parse(input: &str) -> Result<Self, String> {
        let code = input.to_ascii_lowercase();
        let well_formed = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !code.starts_with('-')
            && !code.ends_with('-')
            && !code.contains("--");
        if well_formed {
            Ok(Self(code))
        } else {
            Err(Self::RULE.into())
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartnerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origins (`https://host[:port]`) whose pages may show a letter's form in a frame, in
/// the order given, without repeats. Empty: only signon's own pages may frame it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedOrigins(Vec<String>);

impl EmbedOrigins {
    /// At most this many origins.
    pub const MAX: usize = 20;
    /// The longest origin, in characters.
    pub const MAX_CHARS: usize = 200;

    /// What a refused origin is told.
    pub const RULE: &'static str = "Write each origin as https:// and a host name, with an optional port and nothing after, such as https://www.example.org.";

    /// Checks each origin; host names are lowercased and repeats dropped.
    pub fn parse(origins: &[String]) -> Result<Self, String> {
        if origins.len() > Self::MAX {
            return Err(format!("At most {} origins.", Self::MAX));
        }
        let mut parsed: Vec<String> = Vec::with_capacity(origins.len());
        for origin in origins {
            let origin = parse_origin(origin).ok_or_else(|| Self::RULE.to_owned())?;
            if !parsed.contains(&origin) {
                parsed.push(origin);
            }
        }
        Ok(Self(parsed))
    }

    /// The origins, in order.
    pub fn origins(&self) -> &[String] {
        &self.0
    }

    /// The `frame-ancestors` directive that lets these origins, and signon itself, frame a page.
    pub fn frame_ancestors(&self) -> String {
        let mut directive = String::from("frame-ancestors 'self'");
        for origin in &self.0 {
            directive.push(' ');
            directive.push_str(origin);
        }
        directive
    }

    /// The stored form, a JSON array.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a list of strings always serializes")
    }

    /// Reads the stored form; an unreadable value (never written by us) reads as empty, so a
    /// damaged setting frames nothing rather than everything.
    pub fn from_json(stored: &str) -> Self {
        Self(serde_json::from_str(stored).unwrap_or_default())
    }
}

/// `https://host[:port]`, the host lowercased; `None` for anything else. Each label of the
/// host is letters, digits and inner hyphens (punycode's `xn--` included); the port has no
/// leading zero and is at most 65535. Only these characters reach a header.
fn parse_origin(input: &str) -> Option<String> {
    if input.chars().count() > EmbedOrigins::MAX_CHARS {
        return None;
    }
    let rest = input.strip_prefix("https://")?;
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !host.split('.').all(label_ok) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    match port {
        None => Some(format!("https://{host}")),
        Some(port) => {
            let number = port
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0 && n.to_string() == port)?;
            Some(format!("https://{host}:{number}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_codes_are_lowercased_and_checked() {
        assert_eq!(
            PartnerCode::parse("Sin-Fronteras-2").unwrap().as_str(),
            "sin-fronteras-2"
        );
        for bad in [
            "a",
            "-ab",
            "ab-",
            "a--b",
            "año",
            "a b",
            " ab",
            &"a".repeat(41),
        ] {
            assert!(
                PartnerCode::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn origins_are_https_hosts_with_an_optional_port() {
        let parsed = EmbedOrigins::parse(&[
            "https://WWW.Example.org".into(),
            "https://xn--bcher-kva.example:8443".into(),
            "https://www.example.org".into(),
        ])
        .unwrap();
        assert_eq!(
            parsed.origins(),
            [
                "https://www.example.org",
                "https://xn--bcher-kva.example:8443"
            ]
        );
        assert_eq!(
            parsed.frame_ancestors(),
            "frame-ancestors 'self' https://www.example.org https://xn--bcher-kva.example:8443"
        );
        for bad in [
            "http://example.org",
            "HTTPS://example.org",
            "https://example.org/",
            "https://example.org/path",
            "https://example.org:0",
            "https://example.org:080",
            "https://example.org:65536",
            "https://-example.org",
            "https://example..org",
            "https://exa mple.org",
            "https://example.org; script-src *",
            "https://*.example.org",
            " https://example.org",
            "https://",
        ] {
            assert!(
                EmbedOrigins::parse(&[bad.to_owned()]).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
