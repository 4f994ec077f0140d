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
        let keys: Vec<String> = match &value {
            Some(Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let parsed = T::parse_from_json(value).map_err(ParseError::propagate)?;
        let declared = Registry::new().create_fake_schema::<T>().properties;
        match keys
            .iter()
            .find(|key| !declared.iter().any(|(name, _)| name == key))
        {
            Some(unknown) => Err(ParseError::custom(format!("unknown field `{unknown}`."))),
            None => Ok(Self(parsed)),
        }
    }
}
