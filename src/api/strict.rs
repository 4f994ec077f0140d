//! Request bodies that refuse fields their schema does not declare.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, Type};
use serde_json::Value;

/// A JSON body that refuses any field its schema does not declare, as
/// `#[oai(deny_unknown_fields)]` does. poem-openapi allows that attribute only on objects
/// without `#[oai(flatten)]` fields; the signature bodies flatten the field groups declared once
/// in the domain, and a new letter the settings it shares with an edit, so this checks against
/// the whole schema instead, flattened fields included. The answer is the same as with the
/// attribute; the published schema says `additionalProperties: false` (see `super::spec`).
pub struct Strict<T>(pub T);

impl<T: Type> Type for Strict<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_raw_value()
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        self.0.raw_element_iter()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Strict<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        // poem-openapi reads a number or a boolean as the text of a string field (or of a
        // list's string); the schema says string, so a field given one is a wrong type.
        let fields: Vec<(String, Given)> = match &value {
            Some(Value::Object(fields)) => fields
                .iter()
                .map(|(key, given)| (key.clone(), Given::of(given)))
                .collect(),
            _ => Vec::new(),
        };
        let parsed = T::parse_from_json(value).map_err(ParseError::propagate)?;
        let declared = Registry::new().create_fake_schema::<T>().properties;
        for (key, given) in &fields {
            let Some((_, schema)) = declared.iter().find(|(name, _)| name == key) else {
                return Err(ParseError::custom(format!("unknown field `{key}`.")));
            };
            if given.breaks(schema) {
                return Err(ParseError::custom(format!(
                    "`{key}` must be text, or a list of texts, as its schema says."
                )));
            }
        }
        Ok(Self(parsed))
    }
}

/// What a body gives for a field, as far as string fields are concerned.
enum Given {
    /// A number or a boolean.
    Scalar,
    /// A list with a number or a boolean in it.
    ListWithScalar,
    /// Anything else, which poem-openapi checks itself.
    Other,
}

impl Given {
    fn of(value: &Value) -> Self {
        let scalar = |value: &Value| matches!(value, Value::Number(_) | Value::Bool(_));
        match value {
            value if scalar(value) => Self::Scalar,
            Value::Array(items) if items.iter().any(scalar) => Self::ListWithScalar,
            _ => Self::Other,
        }
    }

    /// Whether this is a scalar where `schema` says string, or in a list of strings.
    fn breaks(&self, schema: &MetaSchemaRef) -> bool {
        let MetaSchemaRef::Inline(schema) = schema else {
            return false;
        };
        let string_items = || matches!(schema.items.as_deref(), Some(MetaSchemaRef::Inline(items)) if items.ty == "string");
        match self {
            Self::Scalar => schema.ty == "string",
            Self::ListWithScalar => schema.ty == "array" && string_items(),
            Self::Other => false,
        }
    }
}
