//! Strict string fields of request bodies.
//!
//! poem-openapi's `String` turns a JSON number or boolean into its text, so `{"title": 5}` would
//! create a post titled "5". [`StrictString`] accepts a JSON string only, and documents itself
//! in the OpenAPI schema exactly as `String` (or, for passwords, as poem-openapi's `Password`)
//! does. Its marker type names the field, so that [`field_error`] can turn a rejection into a
//! 400 `validation-error` naming that field: poem-openapi reports only the message of a failed
//! field, not its name.
//!
//! NOTE: a body with a duplicate key is accepted and its last value wins, because serde_json
//! keeps the last entry of a map. The request validation inspects that same last value.

use std::borrow::Cow;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// The start of every rejection message, which [`field_error`] looks for.
const MARKER: &str = "request field `";

/// A request body field: its JSON name, and the OpenAPI format of its schema.
pub(crate) trait FieldName: Send + Sync + 'static {
    /// The field's JSON name.
    const NAME: &'static str;
    /// The `format` of its schema, such as `password`; `None` for a plain string.
    const FORMAT: Option<&'static str> = None;
}

/// Declares one uninhabited marker type per request body field.
macro_rules! field_names {
    ($($(#[$doc:meta])* $marker:ident = $name:literal $(as $format:literal)?),+ $(,)?) => {
        $(
            $(#[$doc])*
            pub(crate) enum $marker {}

            impl FieldName for $marker {
                const NAME: &'static str = $name;
                $(const FORMAT: Option<&'static str> = Some($format);)?
            }
        )+
    };
}

/// The string fields of the request bodies.
pub(crate) mod fields {
    use super::FieldName;

    field_names! {
        Username = "username",
        Email = "email",
        Password = "password" as "password",
        RefreshToken = "refresh_token",
        CurrentPassword = "current_password" as "password",
        NewPassword = "new_password" as "password",
        Title = "title",
        Body = "body",
        Name = "name",
    }
}

/// A request body string that rejects any other JSON type instead of converting it.
pub(crate) struct StrictString<F: FieldName> {
    value: String,
    field: PhantomData<fn() -> F>,
}

impl<F: FieldName> StrictString<F> {
    /// Returns the string.
    pub(crate) fn into_inner(self) -> String {
        self.value
    }

    /// Returns the string.
    pub(crate) fn as_str(&self) -> &str {
        &self.value
    }
}

/// Shows the field name only, because the value may be a password.
impl<F: FieldName> std::fmt::Debug for StrictString<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrictString")
            .field("field", &F::NAME)
            .finish_non_exhaustive()
    }
}

/// Returns the JSON type of a value, for rejection messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Builds the rejection message of `field`; `problem` must not contain a period.
fn rejection(field: &str, problem: &str) -> String {
    format!("{MARKER}{field}` {problem}.")
}

/// Finds the field and problem in the message of a rejected body, when a [`StrictString`]
/// rejected it.
pub(crate) fn field_error(reason: &str) -> Option<(String, String)> {
    let (_, rest) = reason.split_once(MARKER)?;
    let (field, rest) = rest.split_once('`')?;
    let (problem, _) = rest.trim_start().split_once('.')?;
    if field.is_empty() || field.len() > 64 {
        return None;
    }
    Some((field.to_owned(), problem.to_owned()))
}

impl<F: FieldName> Type for StrictString<F> {
    const IS_REQUIRED: bool = true;

    type RawValueType = String;

    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        match F::FORMAT {
            Some(format) => format!("string_{format}").into(),
            None => "string".into(),
        }
    }

    fn schema_ref() -> MetaSchemaRef {
        let schema = match F::FORMAT {
            Some(format) => MetaSchema::new_with_format("string", format),
            None => MetaSchema::new("string"),
        };
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.value)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }

    fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
}

impl<F: FieldName> ParseFromJSON for StrictString<F> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(value)) => Ok(Self {
                value,
                field: PhantomData,
            }),
            Some(other) => Err(ParseError::custom(rejection(
                F::NAME,
                &format!("must be a string, not {}", json_type(&other)),
            ))),
            None => Err(ParseError::custom(rejection(F::NAME, "is required"))),
        }
    }
}

impl<F: FieldName> ToJSON for StrictString<F> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.value.clone()))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::MaybeUndefined;
    use serde_json::json;

    use super::fields::{Password, Title};
    use super::*;

    fn reason_of<T: ParseFromJSON>(value: Option<Value>) -> String {
        match T::parse_from_json(value) {
            Ok(_) => panic!("value was accepted"),
            Err(error) => error.into_message(),
        }
    }

    #[test]
    fn string_is_accepted() {
        let parsed = StrictString::<Title>::parse_from_json(Some(json!("Hello"))).unwrap();

        assert_eq!(parsed.as_str(), "Hello");
    }

    #[test]
    fn number_is_rejected_naming_field() {
        let reason = reason_of::<StrictString<Title>>(Some(json!(5)));

        let found = field_error(&reason);

        assert_eq!(
            found,
            Some((
                "title".to_owned(),
                "must be a string, not a number".to_owned()
            ))
        );
    }

    #[test]
    fn boolean_and_null_are_rejected() {
        for value in [json!(false), json!(null), json!(["x"]), json!({"x": 1})] {
            let reason = reason_of::<StrictString<Title>>(Some(value.clone()));

            assert!(field_error(&reason).is_some(), "{value} gave {reason}");
        }
    }

    #[test]
    fn missing_field_is_required() {
        let reason = reason_of::<StrictString<Title>>(None);

        let found = field_error(&reason);

        assert_eq!(found, Some(("title".to_owned(), "is required".to_owned())));
    }

    #[test]
    fn optional_field_names_field() {
        let reason = reason_of::<Option<StrictString<Title>>>(Some(json!(1.5)));

        let found = field_error(&reason).map(|(field, _)| field);

        assert_eq!(found.as_deref(), Some("title"));
    }

    #[test]
    fn maybe_undefined_keeps_null_apart() {
        let parsed = MaybeUndefined::<StrictString<Title>>::parse_from_json(Some(json!(null)));

        assert!(matches!(parsed, Ok(MaybeUndefined::Null)));
    }

    #[test]
    fn schemas_match_poem_types() {
        let plain = StrictString::<Title>::schema_ref();
        let password = StrictString::<Password>::schema_ref();

        assert_eq!(plain, String::schema_ref());
        assert_eq!(password, poem_openapi::types::Password::schema_ref());
    }

    #[test]
    fn other_messages_name_no_field() {
        assert_eq!(field_error("expected value at line 1 column 1"), None);
    }
}
