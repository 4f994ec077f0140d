//! The OpenAPI document as published: poem-openapi's, finished in this one place where it has
//! no option for what the API does. `/api/openapi.json`, `/api/docs`, `signon openapi` and the
//! committed `openapi/openapi.json` all come from [`openapi_json`].

use std::collections::BTreeSet;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use serde_json::{Map, Value, json};

use super::{API_PREFIX, openapi_service};

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
    close_request_bodies(&mut doc);
    document_unsupported_media_type(&mut doc);
    doc
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
