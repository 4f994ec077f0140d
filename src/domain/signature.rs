//! A signature as submitted through the form or the API, parsed into valid parts.

use entity::SignatureKind;
use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use serde::{Deserialize, Serialize};

use super::fields::{FieldErrors, bounded_text, optional_text};
use super::letter::MAX_NAME_CHARS;
use super::{CountryCode, Email};

/// Longest comment to the coordinators, in characters.
pub const MAX_COMMENT_CHARS: usize = 5_000;
/// Longest place names, titles and organization types, in characters.
pub const MAX_SHORT_CHARS: usize = 200;

/// What a field of [`PublicFields`] or [`ContactFields`] may be held as: the types also make up
/// the JSON API's schema, where the same structs are flattened into the request and answer bodies.
pub trait FieldValue: ParseFromJSON + ToJSON {}

impl<V: ParseFromJSON + ToJSON> FieldValue for V {}

/// The public fields of a signature, declared once for the form, the JSON API, the exports and
/// the stored changes, so that a new field is one line here plus its uses. `N` is how the name is
/// held and `T` how each other field is held:
/// - as typed (`Option<String>` both): anything may be missing or wrong;
/// - parsed and stored (`String`, `Option<String>`, the default);
/// - as a change (`Option<String>`, `Option<Option<String>>`): `None` leaves a field as it is,
///   `Some(None)` clears it; the name can be replaced but never cleared.
///
/// The kind (organization or individual) is declared beside it, because its type differs by
/// channel: free text in the HTML form (a wrong value is a field error), an enum in the API's
/// schema, and stored changes keep it apart from the details they describe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Object)]
pub struct PublicFields<N: FieldValue = String, T: FieldValue = Option<String>> {
    /// The organization's name, or the individual's full name; up to 300 characters.
    pub name: N,
    /// An individual's institution, listed for identification only.
    #[oai(nullable)]
    pub affiliation: T,
    /// The kind of organization (NGO, shelter, network, faith group...).
    #[oai(nullable)]
    pub org_type: T,
    /// City.
    #[oai(nullable)]
    pub city: T,
    /// State, province or region.
    #[oai(nullable)]
    pub region: T,
    /// ISO 3166-1 alpha-2 country code, such as `MX`.
    #[oai(nullable)]
    pub country: T,
    /// The organization's website, an absolute http(s) address once parsed.
    #[oai(nullable)]
    pub website: T,
}

/// The public part of a parsed signature: what the list and the exports are made from.
pub type PublicDetails = PublicFields;

/// The public fields as a change: `None` leaves a field as it is, `Some(None)` clears it.
pub type PublicChanges = PublicFields<Option<String>, Option<Option<String>>>;

impl<N: FieldValue, T: FieldValue> PublicFields<N, T> {
    /// The same fields held another way: the name through `name_as`, every other field through
    /// `value_as`, which is told the field's name.
    pub fn map<M: FieldValue, U: FieldValue>(
        self,
        name_as: impl FnOnce(N) -> M,
        mut value_as: impl FnMut(&'static str, T) -> U,
    ) -> PublicFields<M, U> {
        PublicFields {
            name: name_as(self.name),
            affiliation: value_as("affiliation", self.affiliation),
            org_type: value_as("org_type", self.org_type),
            city: value_as("city", self.city),
            region: value_as("region", self.region),
            country: value_as("country", self.country),
            website: value_as("website", self.website),
        }
    }

    /// Every field but the name, with its field name: for code that treats them all alike.
    pub fn optional_fields_mut(&mut self) -> [(&'static str, &mut T); 6] {
        let Self {
            name: _,
            affiliation,
            org_type,
            city,
            region,
            country,
            website,
        } = self;
        [
            ("affiliation", affiliation),
            ("org_type", org_type),
            ("city", city),
            ("region", region),
            ("country", country),
            ("website", website),
        ]
    }
}

impl PublicDetails {
    /// Fills each field this one lacks from `other` (merging two entries of one signatory).
    pub fn fill_from(&mut self, mut other: PublicDetails) {
        for ((_, mine), (_, theirs)) in self
            .optional_fields_mut()
            .into_iter()
            .zip(other.optional_fields_mut())
        {
            if mine.is_none() {
                *mine = theirs.take();
            }
        }
    }

    /// Applies a change: every field it gives replaces this one's.
    pub fn apply(&mut self, mut changes: PublicChanges) {
        if let Some(name) = changes.name.take() {
            self.name = name;
        }
        for ((_, field), (_, change)) in self
            .optional_fields_mut()
            .into_iter()
            .zip(changes.optional_fields_mut())
        {
            if let Some(value) = change.take() {
                *field = value;
            }
        }
    }
}

impl PublicChanges {
    /// Checks each field the change gives with the rules of a new signature, recording what is
    /// wrong in `errors`; the values come back normalized (country codes, web addresses).
    pub fn parse(mut self, errors: &mut FieldErrors) -> Self {
        self.name = self
            .name
            .and_then(|name| errors.check("name", bounded_text(&name, MAX_NAME_CHARS)));
        for (field, change) in self.optional_fields_mut() {
            if let Some(value) = change.take() {
                *change = errors.check(field, parse_public_field(field, value.as_deref()));
            }
        }
        self
    }
}

/// Checks and normalizes one of the optional public fields, by the rule its name calls for.
fn parse_public_field(field: &str, value: Option<&str>) -> Result<Option<String>, String> {
    match field {
        "affiliation" => optional_text(value, MAX_NAME_CHARS, false),
        "country" => parse_country(value).map(|code| code.map(|c| c.as_str().to_owned())),
        "website" => parse_website(value),
        _ => optional_text(value, MAX_SHORT_CHARS, false),
    }
}

/// The contact person's fields and the signer's note to the coordinators: personal data, never
/// public, declared once for the form, the JSON API and the staff exports. `T` is how each field
/// is held: `Option<String>` as typed and as shown to staff (`None` once erased), or
/// `Option<Option<String>>` as a change (`None` leaves it, `Some(None)` clears it; the name and
/// email can be replaced but never cleared).
///
/// `Debug` prints none of it, so it cannot reach a log by accident.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, Object)]
pub struct ContactFields<T: FieldValue = Option<String>> {
    /// The contact person's name: required when an organization signs through the public form;
    /// an individual is their own contact. Never published.
    #[oai(nullable)]
    pub contact_name: T,
    /// The contact person's title. Never published.
    #[oai(nullable)]
    pub contact_title: T,
    /// The contact person's email, where the confirmation link goes. Never published.
    #[oai(nullable)]
    pub contact_email: T,
    /// The contact person's phone. Never published.
    #[oai(nullable)]
    pub contact_phone: T,
    /// A note to the coordinators. Never published.
    #[oai(nullable)]
    pub comment: T,
}

/// The contact fields as a change: `None` leaves a field as it is, `Some(None)` clears it.
pub type ContactChanges = ContactFields<Option<Option<String>>>;

impl<T: FieldValue> std::fmt::Debug for ContactFields<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactFields(<redacted>)")
    }
}

impl<T: FieldValue> ContactFields<T> {
    /// The same fields held another way, each through `value_as`, which is told the field's name.
    pub fn map<U: FieldValue>(
        self,
        mut value_as: impl FnMut(&'static str, T) -> U,
    ) -> ContactFields<U> {
        ContactFields {
            contact_name: value_as("contact_name", self.contact_name),
            contact_title: value_as("contact_title", self.contact_title),
            contact_email: value_as("contact_email", self.contact_email),
            contact_phone: value_as("contact_phone", self.contact_phone),
            comment: value_as("comment", self.comment),
        }
    }
}

impl From<Contact> for ContactFields {
    fn from(contact: Contact) -> Self {
        Self {
            contact_name: Some(contact.name),
            contact_title: contact.title,
            contact_email: Some(contact.email.as_str().to_owned()),
            contact_phone: contact.phone,
            comment: contact.comment,
        }
    }
}

impl From<&Contact> for ContactFields {
    fn from(contact: &Contact) -> Self {
        Self {
            contact_name: Some(contact.name.clone()),
            contact_title: contact.title.clone(),
            contact_email: Some(contact.email.as_str().to_owned()),
            contact_phone: contact.phone.clone(),
            comment: contact.comment.clone(),
        }
    }
}

impl ContactChanges {
    /// Whether the change gives any contact field.
    pub fn any(&self) -> bool {
        self.clone().map(|_, change| change.is_some()) != ContactFields::default()
    }

    /// Checks each field the change gives with the rules of a new signature, recording what is
    /// wrong in `errors`. A clear of the name or email leaves them, as a contact needs both.
    pub fn parse(self, errors: &mut FieldErrors) -> Self {
        self.map(|field, change| {
            let parsed = match (field, change?) {
                ("contact_name" | "contact_email", None) => return None,
                ("contact_name", Some(name)) => bounded_text(&name, MAX_NAME_CHARS).map(Some),
                ("contact_email", Some(email)) => {
                    Email::parse(&email).map(|email| Some(email.as_str().to_owned()))
                }
                (field, value) => parse_contact_field(field, value.as_deref()),
            };
            errors.check(field, parsed)
        })
    }

    /// The contact after the change: `current` with each field given replaced or, when there
    /// was none, a new contact named after the `signatory` unless the change names them. A
    /// contact needs an email.
    pub fn apply(self, current: Option<Contact>, signatory: &str) -> Result<Contact, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = match self.contact_email {
            Some(Some(text)) => errors.check("contact_email", Email::parse(&text)),
            _ => None,
        };
        let mut contact = match (current, email) {
            (Some(mut contact), email) => {
                if let Some(email) = email {
                    contact.email = email;
                }
                contact
            }
            (None, Some(email)) => Contact {
                name: signatory.to_owned(),
                title: None,
                email,
                phone: None,
                comment: None,
            },
            (None, None) => {
                errors.add(
                    "contact_email",
                    "Give the contact's email along with their other details.",
                );
                return Err(errors);
            }
        };
        if let Some(Some(name)) = self.contact_name {
            contact.name = name;
        }
        for (current, change) in [
            (&mut contact.title, self.contact_title),
            (&mut contact.phone, self.contact_phone),
            (&mut contact.comment, self.comment),
        ] {
            if let Some(value) = change {
                *current = value;
            }
        }
        if errors.is_empty() {
            Ok(contact)
        } else {
            Err(errors)
        }
    }
}

/// Checks the contact fields other than the name and email, by the rule each one's name calls for.
fn parse_contact_field(field: &str, value: Option<&str>) -> Result<Option<String>, String> {
    match field {
        "contact_phone" => parse_phone(value),
        "comment" => optional_text(value, MAX_COMMENT_CHARS, true),
        _ => optional_text(value, MAX_SHORT_CHARS, false),
    }
}

/// The fields of a submission as typed; every field may be missing or wrong. Deserializes from
/// the HTML form's fields and a spreadsheet row's columns, by the same names.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SignatureInput {
    /// `organization` or `individual`.
    pub kind: Option<String>,
    /// The public fields.
    #[serde(flatten)]
    pub public: PublicFields<Option<String>>,
    /// The contact person and the note to the coordinators.
    #[serde(flatten)]
    pub contact: ContactFields,
    /// Whether the signer agrees to be listed: ticked, as an HTML checkbox posts it (any value
    /// but an empty one).
    #[serde(default, deserialize_with = "ticked")]
    pub consent: bool,
}

fn ticked<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.is_some_and(|v| !v.is_empty()))
}

/// The private part of a signature: personal data of the contact person, parsed (the email is
/// a valid address, and there is always a name).
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
        let name = errors.check("name", required(&self.public.name, MAX_NAME_CHARS));
        let public = self.public.clone().map(
            |_| name.clone().unwrap_or_default(),
            |field, value| {
                errors
                    .check(field, parse_public_field(field, value.as_deref()))
                    .flatten()
            },
        );
        let contact = self.parse_contact(kind, name.as_deref(), intake, &mut errors);
        if intake == Intake::Public && !self.consent {
            errors.add(
                "consent",
                "Tick the box to agree to be listed as a signatory.",
            );
        }
        match (kind, contact) {
            (Some(kind), Some(contact)) if errors.is_empty() => Ok(SignatureDraft {
                kind,
                public,
                contact,
            }),
            _ => Err(errors),
        }
    }

    /// The contact person: required from the public, optional for rows staff vouch for.
    fn parse_contact(
        &self,
        kind: Option<SignatureKind>,
        name: Option<&str>,
        intake: Intake,
        errors: &mut FieldErrors,
    ) -> Option<Option<Contact>> {
        let typed = &self.contact;
        let public_intake = intake == Intake::Public;
        let contact_name = match kind {
            // An individual is their own contact person, and staff may not know one.
            Some(SignatureKind::Organization) if public_intake => errors.check(
                "contact_name",
                required(&typed.contact_name, MAX_NAME_CHARS).map(Some),
            ),
            _ => errors.check(
                "contact_name",
                optional_text(typed.contact_name.as_deref(), MAX_NAME_CHARS, false),
            ),
        };
        let email_typed = typed
            .contact_email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty());
        let email = if public_intake || email_typed {
            errors.check(
                "contact_email",
                Email::parse(typed.contact_email.as_deref().unwrap_or_default()).map(Some),
            )
        } else {
            Some(None)
        };
        let [title, phone, comment] = [
            ("contact_title", &typed.contact_title),
            ("contact_phone", &typed.contact_phone),
            ("comment", &typed.comment),
        ]
        .map(|(field, value)| errors.check(field, parse_contact_field(field, value.as_deref())));
        let (contact_name, email, title, phone, comment) =
            (contact_name?, email?, title?, phone?, comment?);
        Some(email.map(|email| {
            Contact {
                name: contact_name
                    .or_else(|| name.map(str::to_owned))
                    .unwrap_or_default(),
                title,
                email,
                phone,
                comment,
            }
        }))
    }
}

fn required(value: &Option<String>, max: usize) -> Result<String, String> {
    bounded_text(value.as_deref().unwrap_or_default(), max)
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
    // A named host: "0" or "1.2" would otherwise read as an IP address.
    let host_ok = matches!(url.host(), Some(url::Host::Domain(h))
        if h.contains('.') && !h.starts_with('.') && !h.ends_with('.'));
    if !matches!(url.scheme(), "http" | "https") || !host_ok {
        return Err(invalid());
    }
    Ok(Some(url.to_string()))
}

/// An optional phone number: free form, as people write them, with at least six digits.
pub fn parse_phone(value: Option<&str>) -> Result<Option<String>, String> {
    let invalid = || "Enter a phone number such as +52 55 1234 5678.".to_owned();
    // Counted as given, spaces around included, as the published schema's `maxLength` counts.
    if value.is_some_and(|text| text.chars().count() > 40) {
        return Err(invalid());
    }
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed =
        |c: char| c.is_ascii_digit() || " +-().,/#*".contains(c) || c.is_ascii_alphabetic();
    if digits < 6 || !text.chars().all(allowed) {
        return Err(invalid());
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organization() -> SignatureInput {
        SignatureInput {
            kind: Some("organization".into()),
            public: PublicFields {
                name: Some("  Asociación Civil Sin Fronteras, A.C. ".into()),
                country: Some("mx".into()),
                website: Some("www.sinfronteras.org.mx".into()),
                ..Default::default()
            },
            contact: ContactFields {
                contact_name: Some("Ana Pérez".into()),
                contact_email: Some("ana@sinfronteras.org.mx".into()),
                ..Default::default()
            },
            consent: true,
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
            public: PublicFields {
                name: Some("x".repeat(301)),
                country: Some("XX".into()),
                website: Some("javascript:alert(1)".into()),
                ..Default::default()
            },
            contact: ContactFields {
                contact_email: Some("not an email".into()),
                contact_phone: Some("call me".into()),
                ..Default::default()
            },
            consent: false,
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
            public: PublicFields {
                name: Some("María José Ortega".into()),
                affiliation: Some("UNAM".into()),
                ..Default::default()
            },
            contact: ContactFields {
                contact_email: Some("mj@example.org".into()),
                ..Default::default()
            },
            consent: true,
        };
        let draft = input.parse(Intake::Public).unwrap();
        assert_eq!(draft.contact.unwrap().name, "María José Ortega");
        assert_eq!(draft.public.affiliation.as_deref(), Some("UNAM"));
    }

    #[test]
    fn an_organization_needs_a_contact_person() {
        let mut input = organization();
        input.contact.contact_name = None;
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
            public: PublicFields {
                name: Some("Red Jesuita con Migrantes".into()),
                ..Default::default()
            },
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
        assert!(
            parse_phone(Some(&" ".repeat(41))).is_err(),
            "longer than 40 as given"
        );
        assert!(parse_website(Some("http://localhost")).is_err());
        assert!(parse_website(Some("ftp://example.org")).is_err());
        assert!(
            parse_website(Some("0")).is_err(),
            "a number is not a web address"
        );
        assert!(parse_website(Some("192.168.0.1")).is_err());
        assert_eq!(parse_website(Some("")).unwrap(), None);
    }
}
