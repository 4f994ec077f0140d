//! What an email address tells about its owner: the same person under another spelling,
//! a free-mail provider, a likely typo in the domain.

use super::Email;

/// Providers that deliver `first.last+tag@` to `firstlast@`: dots and tags are ignored.
const DOTS_AND_TAGS_IGNORED: [&str; 2] = ["gmail.com", "googlemail.com"];
/// Providers that deliver `name+tag@` to `name@`.
const TAGS_IGNORED: [&str; 12] = [
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "yandex.com",
];
/// Domains anyone can get an address at; such an address does not show who an organization is.
const FREE_MAIL: [&str; 34] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.com.mx",
    "yahoo.es",
    "yahoo.fr",
    "yahoo.co.uk",
    "ymail.com",
    "hotmail.com",
    "hotmail.es",
    "hotmail.fr",
    "outlook.com",
    "outlook.es",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "zoho.com",
    "fastmail.com",
    "tutanota.com",
];
/// Domains that typos are compared against.
const COMMON_DOMAINS: [&str; 16] = [
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "yahoo.com.mx",
    "yahoo.es",
    "hotmail.es",
    "outlook.es",
    "msn.com",
    "mail.com",
];

/// The address as its provider sees it, lowercased: two spellings that reach the same
/// mailbox give the same canonical form, so one person cannot sign twice.
pub fn canonical_email(email: &Email) -> String {
    let lowered = email.as_str().to_lowercase();
    let Some((local, domain)) = lowered.rsplit_once('@') else {
        return lowered;
    };
    if DOTS_AND_TAGS_IGNORED.contains(&domain) {
        let untagged = local.split('+').next().unwrap_or(local);
        return format!("{}@gmail.com", untagged.replace('.', ""));
    }
    if TAGS_IGNORED.contains(&domain) {
        let untagged = local.split('+').next().unwrap_or(local);
        return format!("{untagged}@{domain}");
    }
    lowered
}

/// The domain part, lowercased.
pub fn email_domain(email: &Email) -> &str {
    email
        .as_str()
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or_default()
}

/// Whether anyone can get an address at this email's domain.
pub fn is_free_mail(email: &Email) -> bool {
    FREE_MAIL.contains(&email_domain(email))
}

/// When the domain looks like a misspelling of a common one ("gmial.com"), the address with
/// the likely domain.
pub fn suggest_correction(email: &Email) -> Option<String> {
    let domain = email_domain(email);
    if COMMON_DOMAINS.contains(&domain) || FREE_MAIL.contains(&domain) {
        return None;
    }
    let (best, distance) = COMMON_DOMAINS
        .iter()
        .map(|candidate| (*candidate, strsim::damerau_levenshtein(domain, candidate)))
        .min_by_key(|(_, distance)| *distance)?;
    let local = email
        .as_str()
        .rsplit_once('@')
        .map(|(l, _)| l)
        .unwrap_or_default();
    (distance <= 2 && domain.len() > 4).then(|| format!("{local}@{best}"))
}

/// Whether the email's domain is the website's host or a subdomain of it, or the other way
/// round: a sign that the contact person works there.
pub fn email_matches_website(email: &Email, website: &str) -> bool {
    let Ok(url) = url::Url::parse(website) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches("www.").to_lowercase();
    let domain = email_domain(email);
    domain == host || domain.ends_with(&format!(".{host}")) || host.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn gmail_ignores_dots_tags_and_case() {
        assert_eq!(
            canonical_email(&email("Ana.Perez+mpp@GMail.com")),
            "anaperez@gmail.com"
        );
        assert_eq!(
            canonical_email(&email("anaperez@googlemail.com")),
            "anaperez@gmail.com"
        );
        assert_eq!(
            canonical_email(&email("ana+x@outlook.com")),
            "ana@outlook.com"
        );
        assert_eq!(
            canonical_email(&email("Ana.Perez+x@wola.org")),
            "ana.perez+x@wola.org"
        );
    }

    #[test]
    fn likely_typos_are_pointed_out() {
        assert_eq!(
            suggest_correction(&email("ana@gmial.com")).as_deref(),
            Some("ana@gmail.com")
        );
        assert_eq!(
            suggest_correction(&email("ana@hotmial.com")).as_deref(),
            Some("ana@hotmail.com")
        );
        assert_eq!(
            suggest_correction(&email("ana@yaho.com")).as_deref(),
            Some("ana@yahoo.com")
        );
        assert_eq!(suggest_correction(&email("ana@gmail.com")), None);
        assert_eq!(suggest_correction(&email("ana@wola.org")), None);
        assert_eq!(suggest_correction(&email("ana@sinfronteras.org.mx")), None);
    }

    #[test]
    fn signals_about_the_domain() {
        assert!(is_free_mail(&email("ana@gmail.com")));
        assert!(!is_free_mail(&email("ana@wola.org")));
        assert!(email_matches_website(
            &email("ana@wola.org"),
            "https://www.wola.org/about"
        ));
        assert!(email_matches_website(
            &email("ana@mx.wola.org"),
            "https://wola.org"
        ));
        assert!(!email_matches_website(
            &email("ana@gmail.com"),
            "https://wola.org"
        ));
    }
}
