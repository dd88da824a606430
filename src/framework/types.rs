//! Terraform's type system (cty types) and their JSON spelling used in schemas and in
//! `dynamic` values.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::framework::codec::CodecError;

/// Deepest type nesting accepted from the wire, so hostile input cannot exhaust the stack.
pub(crate) const MAX_TYPE_DEPTH: usize = 64;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `bool`
    Bool,
    /// `number` (arbitrary precision in Terraform)
    Number,
    /// `string`
    String,
    /// `["list", T]`
    List(Box<Type>),
    /// `["set", T]`
    Set(Box<Type>),
    /// `["map", T]`
    Map(Box<Type>),
    /// `["object", {name: T}]`
    Object(BTreeMap<String, Type>),
    /// `["tuple", [T…]]`
    Tuple(Vec<Type>),
    /// `"dynamic"`: any type, carried with the value.
    Dynamic,
}

impl Type {
    /// `list(string)`, the most common collection in schemas.
    pub fn list_of_strings() -> Self {
        Type::List(Box::new(Type::String))
    }

    /// `set(string)`.
    pub fn set_of_strings() -> Self {
        Type::Set(Box::new(Type::String))
    }

    /// `map(string)`.
    pub fn map_of_strings() -> Self {
        Type::Map(Box::new(Type::String))
    }

    /// An object type from `(name, type)` pairs.
    pub fn object<I, S>(attrs: I) -> Self
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The JSON form used in schemas (`"string"`, `["list","string"]`, …).
    pub fn to_json_value(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec![Json::from("list"), t.to_json_value()]),
            Type::Set(t) => Json::Array(vec![Json::from("set"), t.to_json_value()]),
            Type::Map(t) => Json::Array(vec![Json::from("map"), t.to_json_value()]),
            Type::Object(attrs) => {
                let obj = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json_value()))
                    .collect::<serde_json::Map<_, _>>();
                Json::Array(vec![Json::from("object"), Json::Object(obj)])
            }
            Type::Tuple(elems) => Json::Array(vec![
                Json::from("tuple"),
                Json::Array(elems.iter().map(Type::to_json_value).collect()),
            ]),
        }
    }

    /// The JSON bytes used in `Schema.Attribute.type`.
    pub fn to_json(&self) -> Vec<u8> {
        self.to_json_value().to_string().into_bytes()
    }

    /// Parses the JSON type syntax.
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        let json: Json =
            serde_json::from_slice(bytes).map_err(|e| CodecError::InvalidType(e.to_string()))?;
        Self::from_json_value(&json)
    }

    /// Parses an already-decoded JSON type.
    pub fn from_json_value(json: &Json) -> Result<Type, CodecError> {
        Self::parse(json, 0)
    }

    fn parse(json: &Json, depth: usize) -> Result<Type, CodecError> {
        if depth > MAX_TYPE_DEPTH {
            return Err(CodecError::InvalidType("type nested too deeply".into()));
        }
        let bad = |what: &str| CodecError::InvalidType(what.to_string());
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(bad(&format!("unknown primitive type {other:?}"))),
            },
            Json::Array(parts) => {
                let kind = parts
                    .first()
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("type array must start with a kind name"))?;
                let arg = parts
                    .get(1)
                    .ok_or_else(|| bad("type array needs an argument"))?;
                match (kind, parts.len()) {
                    ("list", 2) => Ok(Type::List(Box::new(Self::parse(arg, depth + 1)?))),
                    ("set", 2) => Ok(Type::Set(Box::new(Self::parse(arg, depth + 1)?))),
                    ("map", 2) => Ok(Type::Map(Box::new(Self::parse(arg, depth + 1)?))),
                    // A third element lists optional attributes (type constraints only); the
                    // concrete type is the same.
                    ("object", 2 | 3) => {
                        let attrs = arg
                            .as_object()
                            .ok_or_else(|| bad("object type needs a JSON object of attributes"))?;
                        let mut out = BTreeMap::new();
                        for (k, v) in attrs {
                            out.insert(k.clone(), Self::parse(v, depth + 1)?);
                        }
                        Ok(Type::Object(out))
                    }
                    ("tuple", 2) => {
                        let elems = arg
                            .as_array()
                            .ok_or_else(|| bad("tuple type needs a JSON array of types"))?;
                        elems
                            .iter()
                            .map(|e| Self::parse(e, depth + 1))
                            .collect::<Result<Vec<_>, _>>()
                            .map(Type::Tuple)
                    }
                    (k, n) => Err(bad(&format!("unknown type kind {k:?} with {n} parts"))),
                }
            }
            _ => Err(bad("a type must be a JSON string or array")),
        }
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_of_every_kind() {
        let ty = Type::object([
            ("a", Type::String),
            ("b", Type::List(Box::new(Type::Number))),
            ("c", Type::Set(Box::new(Type::Bool))),
            ("d", Type::Map(Box::new(Type::Dynamic))),
            ("e", Type::Tuple(vec![Type::String, Type::Number])),
            ("f", Type::object([("g", Type::String)])),
        ]);
        let json = ty.to_json();
        assert_eq!(Type::from_json(&json).unwrap(), ty);
        assert_eq!(Type::String.to_json(), b"\"string\"");
        assert_eq!(Type::list_of_strings().to_json(), br#"["list","string"]"#);
        assert_eq!(
            Type::object([("a", Type::String)]).to_json(),
            br#"["object",{"a":"string"}]"#
        );
    }

    #[test]
    fn rejects_malformed_types() {
        for bad in [
            &b"\"strng\""[..],
            b"[\"list\"]",
            b"[\"list\",\"string\",1]",
            b"[\"object\",[]]",
            b"[\"tuple\",{}]",
            b"42",
            b"[",
            b"[1,2]",
        ] {
            assert!(
                Type::from_json(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn accepts_optional_attribute_marker() {
        let t = Type::from_json(br#"["object",{"a":"string"},["a"]]"#).unwrap();
        assert_eq!(t, Type::object([("a", Type::String)]));
    }

    #[test]
    fn rejects_absurd_nesting() {
        let mut s = String::new();
        for _ in 0..200 {
            s.push_str("[\"list\",");
        }
        s.push_str("\"string\"");
        for _ in 0..200 {
            s.push(']');
        }
        assert!(Type::from_json(s.as_bytes()).is_err());
    }
}
