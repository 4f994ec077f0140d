//! A signature as submitted through the form or the API, parsed into valid parts.

use entity::SignatureKind;

use super::fields::{FieldErrors, bounded_text, optional_text};
use super::letter::MAX_NAME_CHARS;
use super::{CountryCode, Email};

/// Longest comment to the coordinators, in characters.
pub const MAX_COMMENT_CHARS: usize = 5_000;
/// Longest place names, titles and organization types, in characters.
pub const MAX_SHORT_CHARS: usize = 200;

/// The fields of a submission as typed; every field may be missing or wrong.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SignatureInput {
    /// `organization` or `individual`.
    pub kind: Option<String>,
    /// The organization's name, or the individual's full name.
    pub name: Option<String>,
    /// An individual's institution, for identification only.
    pub affiliation: Option<String>,
    /// The kind of organization (NGO, shelter, network, faith group...).
    pub org_type: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// The organization's website.
    pub website: Option<String>,
    /// The contact person's name.
    pub contact_name: Option<String>,
    /// The contact person's title.
    pub contact_title: Option<String>,
    /// The contact person's email.
    pub contact_email: Option<String>,
    /// The contact person's phone.
    pub contact_phone: Option<String>,
    /// A note to the coordinators, never public.
    pub comment: Option<String>,
    /// Whether the signer agrees to be listed.
    pub consent: bool,
}

/// The public part of a signature: what appears on the list and in exports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicDetails {
    /// The organization's or person's name.
    pub name: String,
    /// An individual's institution.
    pub affiliation: Option<String>,
    /// The kind of organization.
    pub org_type: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Website, normalized to an absolute http(s) URL.
    pub website: Option<String>,
}

/// The private part of a signature: personal data of the contact person.
///
/// `Debug` prints nothing of it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    /// The contact person's name.
    pub name: String,
    /// Their title.
    pub title: Option<String>,
    /// Their email.
    pub email: Email,
    /// Their phone.
    pub phone: Option<String>,
    /// A note to the coordinators.
    pub comment: Option<String>,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contact(<redacted>)")
    }
}

/// A valid submission.
#[derive(Debug, Clone)]
pub struct SignatureDraft {
    /// Organization or individual.
    pub kind: SignatureKind,
    /// What will be public.
    pub public: PublicDetails,
    /// Who to contact; always there for public submissions, optional for rows staff vouch for.
    pub contact: Option<Contact>,
}

/// Who is submitting, which decides what is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// The public form or API: a contact email and consent are required.
    Public,
    /// Staff adding or importing rows they vouch for: contact details are optional.
    Vouched,
}

impl SignatureInput {
    /// Parses every field, collecting every error, so the signer fixes them all at once.
    pub fn parse(&self, intake: Intake) -> Result<SignatureDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") | Some("organization") => Some(SignatureKind::Organization),
            Some("individual") => Some(SignatureKind::Individual),
            Some(_) => {
                errors.add("kind", "Choose organization or individual.");
                None
            }
        };
        let name = errors.check("name", required(&self.name, MAX_NAME_CHARS));
        let affiliation = errors.check("affiliation", optional(&self.affiliation, MAX_NAME_CHARS));
        let org_type = errors.check("org_type", optional(&self.org_type, MAX_SHORT_CHARS));
        let city = errors.check("city", optional(&self.city, MAX_SHORT_CHARS));
        let region = errors.check("region", optional(&self.region, MAX_SHORT_CHARS));
        let country = errors.check("country", parse_country(self.country.as_deref()));
        let website = errors.check("website", parse_website(self.website.as_deref()));
        let public_intake = intake == Intake::Public;
        let contact_name = match kind {
            // An individual is their own contact person, and staff may not know one.
            Some(SignatureKind::Organization) if public_intake => errors.check(
                "contact_name",
                required(&self.contact_name, MAX_NAME_CHARS).map(Some),
            ),
            _ => errors.check("contact_name", optional(&self.contact_name, MAX_NAME_CHARS)),
        };
        let contact_title = errors.check(
            "contact_title",
            optional(&self.contact_title, MAX_SHORT_CHARS),
        );
        let email_typed = self
            .contact_email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty());
        let email = if public_intake || email_typed {
            errors.check(
                "contact_email",
                Email::parse(self.contact_email.as_deref().unwrap_or_default()).map(Some),
            )
        } else {
            Some(None)
        };
        let phone = errors.check("contact_phone", parse_phone(self.contact_phone.as_deref()));
        let comment = errors.check(
            "comment",
            optional_text(self.comment.as_deref(), MAX_COMMENT_CHARS, true),
        );
        if public_intake && !self.consent {
            errors.add(
                "consent",
                "Tick the box to agree to be listed as a signatory.",
            );
        }
        let (
            Some(kind),
            Some(name),
            Some(affiliation),
            Some(org_type),
            Some(city),
            Some(region),
            Some(country),
            Some(website),
            Some(contact_name),
            Some(title),
            Some(email),
            Some(phone),
            Some(comment),
            true,
        ) = (
            kind,
            name,
            affiliation,
            org_type,
            city,
            region,
            country,
            website,
            contact_name,
            contact_title,
            email,
            phone,
            comment,
            errors.is_empty(),
        )
        else {
            return Err(errors);
        };
        let contact = email.map(|email| Contact {
            name: contact_name.unwrap_or_else(|| name.clone()),
            title,
            email,
            phone,
            comment,
        });
        Ok(SignatureDraft {
            kind,
            public: PublicDetails {
                name,
                affiliation,
                org_type,
                city,
                region,
                country: country.map(|c| c.as_str().to_owned()),
                website,
            },
            contact,
        })
    }
}

fn required(value: &Option<String>, max: usize) -> Result<String, String> {
    bounded_text(value.as_deref().unwrap_or_default(), max)
}

fn optional(value: &Option<String>, max: usize) -> Result<Option<String>, String> {
    optional_text(value.as_deref(), max, false)
}

/// An optional country code.
pub fn parse_country(value: Option<&str>) -> Result<Option<CountryCode>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(code) => CountryCode::parse(code).map(Some),
    }
}

/// An optional website; "www.example.org" becomes "https://www.example.org/".
pub fn parse_website(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let invalid = || "Enter a web address such as https://www.example.org.".to_owned();
    if text.len() > 500 || text.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|_| invalid())?;
    let host_ok = url
        .host_str()
        .is_some_and(|h| h.contains('.') && !h.starts_with('.') && !h.ends_with('.'));
    if !matches!(url.scheme(), "http" | "https") || !host_ok {
        return Err(invalid());
    }
    Ok(Some(url.to_string()))
}

/// An optional phone number: free form, as people write them, with at least six digits.
pub fn parse_phone(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed =
        |c: char| c.is_ascii_digit() || " +-().,/#*".contains(c) || c.is_ascii_alphabetic();
    if text.chars().count() > 40 || digits < 6 || !text.chars().all(allowed) {
        return Err("Enter a phone number such as +52 55 1234 5678.".into());
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organization() -> SignatureInput {
        SignatureInput {
            kind: Some("organization".into()),
            name: Some("  Asociación Civil Sin Fronteras, A.C. ".into()),
            country: Some("mx".into()),
            website: Some("www.sinfronteras.org.mx".into()),
            contact_name: Some("Ana Pérez".into()),
            contact_email: Some("ana@sinfronteras.org.mx".into()),
            consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_organization_parses() {
        let draft = organization().parse(Intake::Public).unwrap();
        assert_eq!(draft.kind, SignatureKind::Organization);
        assert_eq!(draft.public.name, "Asociación Civil Sin Fronteras, A.C.");
        assert_eq!(draft.public.country.as_deref(), Some("MX"));
        assert_eq!(
            draft.public.website.as_deref(),
            Some("https://www.sinfronteras.org.mx/")
        );
        assert_eq!(draft.contact.unwrap().name, "Ana Pérez");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let input = SignatureInput {
            kind: Some("robot".into()),
            name: Some("x".repeat(301)),
            country: Some("XX".into()),
            website: Some("javascript:alert(1)".into()),
            contact_email: Some("not an email".into()),
            contact_phone: Some("call me".into()),
            consent: false,
            ..Default::default()
        };
        let errors = input.parse(Intake::Public).unwrap_err();
        for field in [
            "kind",
            "name",
            "country",
            "website",
            "contact_email",
            "contact_phone",
            "consent",
        ] {
            assert!(errors.as_map().contains_key(field), "{field} in {errors:?}");
        }
    }

    #[test]
    fn an_individual_is_their_own_contact() {
        let input = SignatureInput {
            kind: Some("individual".into()),
            name: Some("María José Ortega".into()),
            affiliation: Some("UNAM".into()),
            contact_email: Some("mj@example.org".into()),
            consent: true,
            ..Default::default()
        };
        let draft = input.parse(Intake::Public).unwrap();
        assert_eq!(draft.contact.unwrap().name, "María José Ortega");
        assert_eq!(draft.public.affiliation.as_deref(), Some("UNAM"));
    }

    #[test]
    fn an_organization_needs_a_contact_person() {
        let mut input = organization();
        input.contact_name = None;
        assert!(
            input
                .parse(Intake::Public)
                .unwrap_err()
                .as_map()
                .contains_key("contact_name")
        );
    }

    #[test]
    fn staff_may_add_a_signature_without_contact_or_consent() {
        let input = SignatureInput {
            name: Some("Red Jesuita con Migrantes".into()),
            ..Default::default()
        };
        assert!(input.parse(Intake::Public).is_err());
        let draft = input.parse(Intake::Vouched).unwrap();
        assert!(draft.contact.is_none());
    }

    #[test]
    fn phones_and_websites_are_checked_leniently() {
        assert!(
            parse_phone(Some("+52 (55) 1234-5678 ext. 12"))
                .unwrap()
                .is_some()
        );
        assert!(parse_phone(Some("12")).is_err());
        assert!(parse_website(Some("http://localhost")).is_err());
        assert!(parse_website(Some("ftp://example.org")).is_err());
        assert_eq!(parse_website(Some("")).unwrap(), None);
    }
}
