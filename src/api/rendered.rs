//! A JSON answer serialized once and sent many times: the public list's pages are the same
//! bytes for every reader of a version, and building them per request cost most of its time.

use std::marker::PhantomData;

use poem::http::header;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};

/// JSON text of a `T`, documented in the spec exactly as `Json<T>` is.
pub struct RenderedJson<T> {
    text: String,
    kind: PhantomData<fn() -> T>,
}

impl<T: ToJSON> RenderedJson<T> {
    /// The JSON text of `value`, for keeping.
    pub fn text_of(value: &T) -> String {
        value.to_json_string()
    }

    /// An answer with JSON text made by [`RenderedJson::text_of`].
    pub fn from_text(text: String) -> Self {
        Self {
            text,
            kind: PhantomData,
        }
    }
}

impl<T: Type> Payload for RenderedJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for RenderedJson<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(self.text)
    }
}
