//! The OpenAPI document as published: poem-openapi's, finished in this one place where it has
//! no option for what the API does. `/api/openapi.json`, `/api/docs`, `signon openapi` and the
//! committed `openapi/openapi.json` all come from [`openapi_json`].

use std::collections::BTreeSet;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use serde_json::{Map, Value, json};

use super::{API_PREFIX, openapi_service};
use crate::domain::signature::{MAX_COMMENT_CHARS, MAX_SHORT_CHARS};
use crate::domain::{
    AddresseeEmails, CountryCode, EmbedOrigins, LeadSignatories, MAX_ADDRESSEES_CHARS,
    MAX_BODY_CHARS, MAX_COVER_NOTE_CHARS, MAX_NAME_CHARS, PartnerCode, Password,
};
use entity::Language;

/// The API's OpenAPI document, pretty-printed JSON.
pub fn openapi_json() -> String {
    serde_json::to_string_pretty(&openapi_document()).expect("a JSON value always serializes")
}

/// The same document as YAML.
pub fn openapi_yaml() -> String {
    serde_yaml::to_string(&openapi_document()).expect("a JSON value always serializes as YAML")
}

/// The browsable documentation (Swagger UI) over the finished document.
pub fn swagger_ui_html() -> String {
    // poem-openapi embeds its own document in the page: put the finished one in its place.
    let service = openapi_service();
    service
        .swagger_ui_html()
        .replacen(&service.spec(), &openapi_json(), 1)
}

/// The document poem-openapi generates, with the corrections below.
pub fn openapi_document() -> Value {
    let mut doc: Value =
        serde_json::from_str(&openapi_service().spec()).expect("poem-openapi writes valid JSON");
    unwrap_described_refs(&mut doc);
    require_public_fields(&mut doc);
    state_field_rules(&mut doc);
    close_request_bodies(&mut doc);
    document_unsupported_media_type(&mut doc);
    doc
}

/// The schema of a public signature: the staff's, with what the public must also give.
const PUBLIC_SUBMISSION: &str = "PublicSignatureSubmission";

/// Public signing reads the staff's signature fields and a partner's code, but the public must
/// give a contact email and their consent (`Intake::Public`): its schema says so.
fn require_public_fields(doc: &mut Value) {
    if let Some(object) = doc["components"]["schemas"][PUBLIC_SUBMISSION].as_object_mut() {
        object.insert(
            "required".into(),
            json!(["name", "contact_email", "consent"]),
        );
    }
}

/// A rule the domain checks of a request field (src/domain), as the document states it.
#[derive(Clone, Copy)]
enum Rule {
    /// A required single line: not blank, at most this many characters, no control characters
    /// (`bounded_text`).
    Line(usize),
    /// An optional single line: blank means absent (`optional_text`, single line).
    OptionalLine(usize),
    /// An optional text of several lines: tabs and line breaks allowed (`optional_text`).
    Text(usize),
    /// A letter's slug (`Slug::parse`, which lowercases it).
    Slug,
    /// An email address (`Email::parse`).
    Email,
    /// An email address or blank, from staff who may not know one: its form is checked
    /// (`Email::parse`) but only its length is stated, as a schema cannot say "an email or
    /// nothing" in a way every client generator reads.
    OptionalEmail,
    /// A staff password (`Password::parse`).
    Password,
    /// A box that must be ticked.
    True,
    /// An assigned ISO 3166-1 alpha-2 code, or blank (`parse_country`).
    Country,
    /// A phone number with at least six digits, or blank (`parse_phone`).
    Phone,
    /// A web address, with or without its scheme, or blank (`parse_website`).
    Website,
    /// Lead signatories: at most `LeadSignatories::MAX` names, blank ones skipped.
    LeadSignatories,
    /// Days between 0 and 3650 (`RetentionDays::parse`).
    RetentionDays,
    /// Translations keyed by a language the service speaks (`i18n::parse_code`).
    Translations,
    /// A language code the service speaks, or blank for the letter's (`parse_invitee`).
    OptionalLanguage,
    /// A number of days from 1 to `reminders::MAX_DAYS` (`ReminderSettings::check`).
    ReminderDays,
    /// From one to `invitations::MAX_PER_BATCH` invitees (`parse_invitees`).
    Invitees,
    /// At most `AddresseeEmails::MAX` email addresses (`AddresseeEmails::parse`).
    AddresseeEmails,
    /// A partner's code (`PartnerCode::parse`, which lowercases it).
    PartnerCode,
    /// Origins that may frame the embeddable form (`EmbedOrigins::parse`).
    EmbedOrigins,
}

/// Every field rule the document states: (schema, field, rule). The handlers answer 422 with
/// per-field messages for values outside these, so a value the document allows is one the
/// domain takes.
#[rustfmt::skip]
const FIELD_RULES: &[(&str, &str, Rule)] = &[
    ("LetterInput", "slug", Rule::Slug),
    ("LetterInput", "title", Rule::Line(MAX_NAME_CHARS)),
    ("LetterInput", "body", Rule::Text(MAX_BODY_CHARS)),
    ("LetterInput", "addressees", Rule::Text(MAX_ADDRESSEES_CHARS)),
    ("LetterInput", "lead_signatories", Rule::LeadSignatories),
    ("LetterInput", "retention_days", Rule::RetentionDays),
    ("LetterInput", "translations", Rule::Translations),
    ("LetterInput", "addressee_emails", Rule::AddresseeEmails),
    ("LetterInput", "cover_note", Rule::Text(MAX_COVER_NOTE_CHARS)),
    ("LetterChanges", "slug", Rule::Slug),
    ("LetterChanges", "title", Rule::Line(MAX_NAME_CHARS)),
    ("LetterChanges", "body", Rule::Text(MAX_BODY_CHARS)),
    ("LetterChanges", "addressees", Rule::Text(MAX_ADDRESSEES_CHARS)),
    ("LetterChanges", "lead_signatories", Rule::LeadSignatories),
    ("LetterChanges", "retention_days", Rule::RetentionDays),
    ("LetterChanges", "translations", Rule::Translations),
    ("LetterChanges", "addressee_emails", Rule::AddresseeEmails),
    ("LetterChanges", "cover_note", Rule::Text(MAX_COVER_NOTE_CHARS)),
    ("LetterTranslation", "title", Rule::Line(MAX_NAME_CHARS)),
    ("LetterTranslation", "body", Rule::Text(MAX_BODY_CHARS)),
    ("LetterTranslation", "addressees", Rule::Text(MAX_ADDRESSEES_CHARS)),
    ("SignatureSubmission", "name", Rule::Line(MAX_NAME_CHARS)),
    ("SignatureSubmission", "contact_name", Rule::OptionalLine(MAX_NAME_CHARS)),
    ("SignatureSubmission", "contact_email", Rule::OptionalEmail),
    ("SignatureChanges", "name", Rule::Line(MAX_NAME_CHARS)),
    // A change names a contact or clears it (null); it cannot blank the name.
    ("SignatureChanges", "contact_name", Rule::Line(MAX_NAME_CHARS)),
    ("SignatureChanges", "contact_email", Rule::Email),
    ("SignatureChanges", "verification_note", Rule::Line(1000)),
    (PUBLIC_SUBMISSION, "name", Rule::Line(MAX_NAME_CHARS)),
    (PUBLIC_SUBMISSION, "contact_name", Rule::OptionalLine(MAX_NAME_CHARS)),
    (PUBLIC_SUBMISSION, "contact_email", Rule::Email),
    (PUBLIC_SUBMISSION, "consent", Rule::True),
    ("DecisionRequest", "reason", Rule::Text(1000)),
    ("CoordinatorRequest", "organization", Rule::Line(MAX_NAME_CHARS)),
    ("NewMember", "email", Rule::Email),
    ("NewMember", "name", Rule::Line(MAX_NAME_CHARS)),
    ("NewMember", "password", Rule::Password),
    ("NewInvitation", "organization", Rule::Line(MAX_NAME_CHARS)),
    ("NewInvitation", "contact_name", Rule::Line(MAX_NAME_CHARS)),
    ("NewInvitation", "contact_email", Rule::Email),
    ("NewInvitation", "language", Rule::OptionalLanguage),
    ("NewInvitations", "invitations", Rule::Invitees),
    ("ReminderSettings", "invitation_reminder_days_before_deadline", Rule::ReminderDays),
    ("ReminderSettings", "confirmation_reminder_days", Rule::ReminderDays),
    ("NewPartner", "code", Rule::PartnerCode),
    ("NewPartner", "name", Rule::Line(MAX_NAME_CHARS)),
    ("LetterInput", "embed_origins", Rule::EmbedOrigins),
    ("LetterChanges", "embed_origins", Rule::EmbedOrigins),
];

/// The fields a request must give, beyond those poem-openapi marks required: (schema, fields).
/// A new letter needs its slug and title (`parse_new`), every signature its name.
const REQUIRED_FIELDS: &[(&str, &[&str])] = &[
    ("LetterInput", &["slug", "title"]),
    ("SignatureSubmission", &["name"]),
];

/// The fields every signature schema shares, and their rules.
const SIGNATURE_FIELD_RULES: &[(&str, Rule)] = &[
    ("affiliation", Rule::OptionalLine(MAX_NAME_CHARS)),
    ("city", Rule::OptionalLine(MAX_SHORT_CHARS)),
    ("region", Rule::OptionalLine(MAX_SHORT_CHARS)),
    ("org_type", Rule::OptionalLine(MAX_SHORT_CHARS)),
    ("country", Rule::Country),
    ("website", Rule::Website),
    ("contact_title", Rule::OptionalLine(MAX_SHORT_CHARS)),
    ("contact_phone", Rule::Phone),
    ("comment", Rule::Text(MAX_COMMENT_CHARS)),
];

/// The end of the text. `$` would also match before a final line break in Python's `re`
/// (which schemathesis draws values from); this reads the same there and in ECMA-262.
const END: &str = r"(?![\s\S])";
/// Characters `char::is_control` refuses.
const CONTROLS: &str = r"\x00-\x1f\x7f-\x9f";
/// Control characters other than tab and line breaks.
const CONTROLS_BUT_BREAKS: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";
/// The characters a phone number may have besides digits (`parse_phone`).
const PHONE_SIGNS: &str = r" +\-().,/#*A-Za-z";

impl Rule {
    /// The schema keywords that state the rule.
    fn keywords(self) -> Value {
        match self {
            Rule::Line(max) => json!({
                "minLength": 1,
                "maxLength": max,
                "pattern": format!("^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*{END}"),
            }),
            Rule::OptionalLine(max) => json!({
                "maxLength": max,
                "pattern": format!("^[^{CONTROLS}]*{END}"),
            }),
            Rule::Text(max) => json!({
                "maxLength": max,
                "pattern": format!("^[^{CONTROLS_BUT_BREAKS}]*{END}"),
            }),
            Rule::Slug => json!({
                "minLength": 3,
                "maxLength": 80,
                "pattern": format!("^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*{END}"),
            }),
            Rule::LeadSignatories | Rule::Invitees | Rule::AddresseeEmails | Rule::EmbedOrigins => {
                self.list_keywords().unwrap_or_default()
            }
            Rule::PartnerCode => json!({
                "minLength": PartnerCode::MIN_CHARS,
                "maxLength": PartnerCode::MAX_CHARS,
                "pattern": format!("^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*{END}"),
            }),
            Rule::Email => json!({ "format": "email", "maxLength": 254 }),
            Rule::OptionalEmail => json!({ "maxLength": 254 }),
            Rule::Password => json!({
                "minLength": Password::MIN_CHARS,
                "maxLength": Password::MAX_CHARS,
            }),
            Rule::True => json!({ "enum": [true] }),
            Rule::Country => {
                let codes: Vec<String> = CountryCode::all().map(|c| c.to_string()).collect();
                json!({ "pattern": format!("^(?:{})?{END}", codes.join("|")) })
            }
            Rule::Phone => json!({
                "maxLength": 40,
                "pattern": format!(
                    "^(?: *|[{PHONE_SIGNS}]*(?:[0-9][{PHONE_SIGNS}]*){{6}}[0-9{PHONE_SIGNS}]*){END}"
                ),
            }),
            Rule::Website => json!({
                "maxLength": 500,
                "pattern": format!(
                    "^(?:|(?:https?://)?[a-z0-9]+(?:-[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-[a-z0-9]+)*)*\\.[a-z]{{2,}}(?:/[A-Za-z0-9._~/-]*)?){END}"
                ),
            }),
            Rule::RetentionDays => json!({ "minimum": 0, "maximum": 3650 }),
            Rule::Translations => {
                let translation = json!({ "$ref": "#/components/schemas/LetterTranslation" });
                let properties: Map<String, Value> = [Language::En, Language::Es]
                    .into_iter()
                    .map(|language| (crate::i18n::code(language).to_owned(), translation.clone()))
                    .collect();
                json!({ "properties": properties, "additionalProperties": false })
            }
            Rule::OptionalLanguage => {
                let codes: Vec<&str> = [Language::En, Language::Es]
                    .into_iter()
                    .map(crate::i18n::code)
                    .collect();
                json!({ "pattern": format!("^(?:{})?{END}", codes.join("|")) })
            }
            Rule::ReminderDays => json!({
                "minimum": 1,
                "maximum": crate::service::reminders::MAX_DAYS,
            }),
        }
    }

    /// The schema keywords of the rules on lists; none for the other rules.
    fn list_keywords(self) -> Option<Value> {
        let keywords = match self {
            Rule::LeadSignatories => json!({
                "maxItems": LeadSignatories::MAX,
                "items": {
                    "type": "string",
                    "maxLength": MAX_NAME_CHARS,
                    "pattern": format!("^[^{CONTROLS}]*{END}"),
                },
            }),
            Rule::Invitees => json!({
                "minItems": 1,
                "maxItems": crate::service::invitations::MAX_PER_BATCH,
            }),
            Rule::AddresseeEmails => json!({
                "maxItems": AddresseeEmails::MAX,
                "items": { "type": "string", "format": "email", "maxLength": 254 },
            }),
            Rule::EmbedOrigins => {
                let label = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
                let port = "[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]";
                json!({
                    "maxItems": EmbedOrigins::MAX,
                    "items": {
                        "type": "string",
                        "maxLength": EmbedOrigins::MAX_CHARS,
                        "pattern": format!("^https://{label}(?:\\.{label})*(?::(?:{port}))?{END}"),
                    },
                })
            }
            _ => return None,
        };
        Some(keywords)
    }
}

/// Writes [`FIELD_RULES`] and [`SIGNATURE_FIELD_RULES`] into the schemas.
fn state_field_rules(doc: &mut Value) {
    let signature_schemas = ["SignatureSubmission", "SignatureChanges", PUBLIC_SUBMISSION];
    let shared = signature_schemas.iter().flat_map(|schema| {
        SIGNATURE_FIELD_RULES
            .iter()
            .map(move |(field, rule)| (*schema, *field, *rule))
    });
    let schemas = &mut doc["components"]["schemas"];
    for (schema, fields) in REQUIRED_FIELDS {
        if let Some(object) = schemas[*schema].as_object_mut() {
            object.insert("required".into(), json!(fields));
        }
    }
    for (schema, field, rule) in FIELD_RULES.iter().copied().chain(shared) {
        let property = &mut schemas[schema]["properties"][field];
        let (Some(property), Value::Object(keywords)) = (property.as_object_mut(), rule.keywords())
        else {
            continue;
        };
        if keywords.contains_key("properties") {
            property.remove("additionalProperties");
        }
        property.extend(keywords);
    }
}

/// poem-openapi writes a described reference as `allOf: [{$ref}, {description}]`, repeating the
/// description beside `allOf`. Client generators such as openapi-python-client refuse `allOf`
/// over an enum ("Cannot take allOf a non-object") and drop every operation that uses it, so
/// the repeated member goes: `{description, allOf: [{$ref}]}` keeps the field's description.
fn unwrap_described_refs(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let outer = object.clone();
            if let Some(Value::Array(members)) = object.get_mut("allOf") {
                members.retain(|member| !repeats_siblings(member, &outer));
            }
            object.values_mut().for_each(unwrap_described_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_described_refs),
        _ => {}
    }
}

/// Whether `member` is an inline schema that only repeats what its parent already says.
fn repeats_siblings(member: &Value, parent: &Map<String, Value>) -> bool {
    match member.as_object() {
        Some(fields) => {
            !fields.contains_key("$ref")
                && fields
                    .iter()
                    .all(|(key, value)| key != "allOf" && parent.get(key) == Some(value))
        }
        None => false,
    }
}

/// Every request body refuses fields its schema does not declare (`deny_unknown_fields`, or
/// [`super::strict::Strict`] where fields are flattened). poem-openapi has no way to say so, so
/// every object schema a JSON request body reaches is closed here with
/// `additionalProperties: false`.
fn close_request_bodies(doc: &mut Value) {
    let mut names = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (_, body) in paths
            .values()
            .filter_map(Value::as_object)
            .flat_map(|operations| operations.values())
            .filter_map(|operation| operation["requestBody"]["content"].as_object())
            .flat_map(|content| content.iter())
            .filter(|(media_type, _)| media_type.starts_with("application/json"))
        {
            collect_refs(&body["schema"], &mut names);
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    let mut pending: Vec<String> = names.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let mut found = BTreeSet::new();
        collect_refs(&schemas[name.as_str()], &mut found);
        for name in found {
            if names.insert(name.clone()) {
                pending.push(name);
            }
        }
    }
    for name in names {
        if let Some(schema) = schemas[name.as_str()].as_object_mut() {
            close_object(schema);
            allow_null_when_optional(schema);
        }
    }
}

fn close_object(schema: &mut Map<String, Value>) {
    if schema.contains_key("properties") && !schema.contains_key("additionalProperties") {
        schema.insert("additionalProperties".into(), Value::Bool(false));
    }
    // Inline objects (a list of objects, a field of one) are closed too.
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties
            .values_mut()
            .filter_map(Value::as_object_mut)
            .for_each(close_object);
    }
    if let Some(items) = schema.get_mut("items").and_then(Value::as_object_mut) {
        close_object(items);
    }
}

/// poem-openapi reads an optional field without a default (an `Option`) as absent when it is
/// `null`, so such a property of a request body's schema says `nullable`. The keys of an
/// inline object (the translations by language) are values of a map, never `null`.
fn allow_null_when_optional(schema: &mut Map<String, Value>) {
    let required: BTreeSet<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let Some(property) = property.as_object_mut() else {
            continue;
        };
        if required.contains(name) || property.contains_key("default") {
            continue;
        }
        // `nullable` beside a bare `$ref` would be ignored: the reference goes into `allOf`.
        if let Some(reference) = property.remove("$ref") {
            property.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
        if (property.contains_key("type") && !property.contains_key("enum"))
            || property.contains_key("allOf")
        {
            property.insert("nullable".into(), Value::Bool(true));
        }
    }
}

/// The names of the component schemas `value` refers to.
fn collect_refs(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            if let Some(name) = object
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                names.insert(name.to_owned());
            }
            object.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

/// poem-openapi answers 415 before any handler runs when a body comes without the media type
/// its operation reads (or without `Content-Type`); every operation with a body says so.
fn document_unsupported_media_type(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        .filter(|operation| operation.get("requestBody").is_some())
    {
        let types: Vec<&str> = operation["requestBody"]["content"]
            .as_object()
            .map(|content| content.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let description = format!(
            "The body is not of the media type this operation reads ({}), or has no `Content-Type`.",
            types.join(", ")
        );
        if let Some(responses) = operation["responses"].as_object_mut() {
            responses.entry("415").or_insert_with(|| {
                json!({
                    "description": description,
                    "content": {
                        "application/json; charset=utf-8": {
                            "schema": { "$ref": "#/components/schemas/Error" }
                        }
                    }
                })
            });
        }
    }
}

/// The methods each path of the API answers, from the document, to name them in `Allow`.
#[derive(Clone)]
pub struct AllowedMethods(Vec<(Vec<String>, String)>);

impl AllowedMethods {
    /// Reads the paths and their methods from the document.
    pub fn from_document(doc: &Value) -> Self {
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        Self(
            paths
                .iter()
                .map(|(path, operations)| {
                    let mut methods: Vec<String> = operations
                        .as_object()
                        .map(|ops| ops.keys().map(|m| m.to_uppercase()).collect())
                        .unwrap_or_default();
                    // poem answers HEAD wherever GET is declared.
                    if methods.iter().any(|m| m == "GET") {
                        methods.push("HEAD".into());
                    }
                    (segments(path), methods.join(", "))
                })
                .collect(),
        )
    }

    /// The `Allow` value for a path under the API's prefix, if the API has that path.
    fn for_path(&self, path: &str) -> Option<&str> {
        let path = path.strip_prefix(API_PREFIX)?;
        let asked = segments(path);
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == asked.len()
                    && template.iter().zip(&asked).all(|(t, a)| {
                        (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a
                    })
            })
            .map(|(_, allow)| allow.as_str())
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// Answers a method the path does not have with 405, the JSON error body and the `Allow`
/// header naming the methods it has (RFC 9110); poem's router leaves `Allow` out.
pub async fn allow_header<E: Endpoint>(
    next: std::sync::Arc<E>,
    req: Request,
    allowed: AllowedMethods,
) -> Result<Response> {
    let path = req.original_uri().path().to_owned();
    let result = next.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(resp) => resp.status(),
        Err(err) => err.status(),
    };
    if status != StatusCode::METHOD_NOT_ALLOWED {
        return result;
    }
    let mut resp = match result {
        Ok(resp) => resp,
        Err(err) => super::error::render_poem_error(err),
    };
    if let Some(allow) = allowed
        .for_path(&path)
        .and_then(|allow| HeaderValue::from_str(allow).ok())
    {
        resp.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(resp)
}
