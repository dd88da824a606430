//! Terraform values (cty values) independent of their wire encoding.
//!
//! A [`Value`] does not carry its type: the schema supplies it when encoding. Unknown values
//! keep the refinements Terraform sent so they can be echoed back unchanged.

use std::collections::BTreeMap;
use std::fmt;

use crate::framework::path::{AttributePath, PathStep};

/// A number kept exactly as it arrived: Terraform numbers are arbitrary precision.
#[derive(Debug, Clone)]
pub enum Number {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    /// A binary floating point number.
    Float(f64),
    /// A decimal number that fits neither integer type (cty sends these as strings).
    Decimal(String),
}

/// A comparable form of a number.
enum NumKey {
    Int(i128),
    Float(f64),
}

impl Number {
    /// Parses a decimal string (as cty writes big numbers); rejects `inf`, `NaN` and junk.
    pub fn parse_decimal(s: &str) -> Option<Number> {
        let t = s.trim();
        let valid = !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
            && t.bytes().any(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Number::Int(i));
        }
        if let Ok(u) = t.parse::<u64>() {
            return Some(Number::UInt(u));
        }
        t.parse::<f64>().ok()?;
        Some(Number::Decimal(t.to_string()))
    }

    /// The value as `i64` if it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::UInt(u) => i64::try_from(*u).ok(),
            Number::Float(f) => float_to_i64(*f),
            Number::Decimal(s) => s
                .parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_to_i64)),
        }
    }

    /// The value as `f64` (possibly rounded).
    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::UInt(u) => *u as f64,
            Number::Float(f) => *f,
            Number::Decimal(s) => s.parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    fn key(&self) -> NumKey {
        match self {
            Number::Int(i) => NumKey::Int(i128::from(*i)),
            Number::UInt(u) => NumKey::Int(i128::from(*u)),
            Number::Float(f) => NumKey::Float(*f),
            Number::Decimal(s) => match s.parse::<i128>() {
                Ok(i) => NumKey::Int(i),
                Err(_) => NumKey::Float(self.as_f64()),
            },
        }
    }
}

fn float_to_i64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable as f64; anything at or above it does not fit.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

impl PartialEq for Number {
    /// Numeric equality: `Int(5) == Float(5.0) == Decimal("5")`.
    fn eq(&self, other: &Self) -> bool {
        match (self.key(), other.key()) {
            (NumKey::Int(a), NumKey::Int(b)) => a == b,
            // A whole float within i128 range converts exactly, so this comparison is exact.
            (NumKey::Int(a), NumKey::Float(b)) | (NumKey::Float(b), NumKey::Int(a)) => {
                b.is_finite() && b.fract() == 0.0 && b.abs() < 1.0e38 && (b as i128) == a
            }
            (NumKey::Float(a), NumKey::Float(b)) => a == b,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::UInt(u) => write!(f, "{u}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number::Int(i)
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Self {
        i64::try_from(u).map_or(Number::UInt(u), Number::Int)
    }
}

impl From<f64> for Number {
    fn from(f: f64) -> Self {
        Number::Float(f)
    }
}

/// What Terraform knows about an unknown value (cty refinements, msgpack ext 12).
///
/// The default is a plain unknown. Fields are kept verbatim so a plan can echo them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// Key 1: `Some(false)` means "definitely not null".
    pub nullness: Option<bool>,
    /// Key 2: a known prefix of an unknown string.
    pub string_prefix: Option<String>,
    /// Key 3: lower bound of an unknown number, with "inclusive".
    pub number_lower: Option<(Number, bool)>,
    /// Key 4: upper bound of an unknown number, with "inclusive".
    pub number_upper: Option<(Number, bool)>,
    /// Key 5: lower bound of the length of an unknown collection.
    pub length_lower: Option<i64>,
    /// Key 6: upper bound of the length of an unknown collection.
    pub length_upper: Option<i64>,
}

impl Refinements {
    /// True for a plain, unrefined unknown.
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A Terraform value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// Null (of whatever type the schema says).
    #[default]
    Null,
    /// Not known until apply.
    Unknown(Refinements),
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// A set: compared without regard to order.
    Set(Vec<Value>),
    /// A map.
    Map(BTreeMap<String, Value>),
    /// An object (or a nested block).
    Object(BTreeMap<String, Value>),
    /// A tuple.
    Tuple(Vec<Value>),
}

static NULL: Value = Value::Null;

impl Value {
    /// A plain unknown.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for an unknown (at this level only).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True unless this value is unknown (nested parts may still be unknown).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// True if neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An object attribute; `Null` if absent or if this is not an object.
    pub fn get(&self, attr: &str) -> &Value {
        match self {
            Value::Object(m) => m.get(attr).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// A nested part; `Null` where the path leads nowhere.
    pub fn get_path(&self, path: &AttributePath) -> &Value {
        let mut cur = self;
        for step in path.steps() {
            cur = match (step, cur) {
                (PathStep::Attribute(a), Value::Object(m)) => m.get(a).unwrap_or(&NULL),
                (PathStep::ElementKey(k), Value::Map(m)) => m.get(k).unwrap_or(&NULL),
                (PathStep::ElementIndex(i), Value::List(v) | Value::Set(v) | Value::Tuple(v)) => {
                    usize::try_from(*i)
                        .ok()
                        .and_then(|i| v.get(i))
                        .unwrap_or(&NULL)
                }
                _ => &NULL,
            };
        }
        cur
    }

    /// Sets an object attribute. Does nothing unless this is an object.
    pub fn set(&mut self, attr: &str, v: Value) {
        if let Value::Object(m) = self {
            m.insert(attr.to_string(), v);
        } else {
            tracing::debug!(attr, "Value::set on a non-object value ignored");
        }
    }

    /// A mutable nested part, if the path exists.
    pub fn get_path_mut(&mut self, path: &AttributePath) -> Option<&mut Value> {
        let mut cur = self;
        for step in path.steps() {
            cur = match (step, cur) {
                (PathStep::Attribute(a), Value::Object(m)) => m.get_mut(a)?,
                (PathStep::ElementKey(k), Value::Map(m)) => m.get_mut(k)?,
                (PathStep::ElementIndex(i), Value::List(v) | Value::Set(v) | Value::Tuple(v)) => {
                    v.get_mut(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as `i64`, if it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The known strings of a list/set (non-strings are skipped).
    pub fn as_strings(&self) -> Option<Vec<String>> {
        self.as_list().map(|v| {
            v.iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect()
        })
    }

    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A string value, or null for `None`.
    pub fn string_or_null(s: Option<String>) -> Value {
        s.map_or(Value::Null, Value::String)
    }

    /// A number value from an integer.
    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    /// A boolean value.
    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    /// A list of strings.
    pub fn list_of_strings(items: impl IntoIterator<Item = String>) -> Value {
        Value::List(items.into_iter().map(Value::String).collect())
    }

    /// A set of strings (duplicates removed, as a set holds each value once).
    pub fn set_of_strings(items: impl IntoIterator<Item = String>) -> Value {
        let mut v: Vec<String> = items.into_iter().collect();
        v.sort();
        v.dedup();
        Value::Set(v.into_iter().map(Value::String).collect())
    }

    /// A map of strings.
    pub fn map_of_strings(m: BTreeMap<String, String>) -> Value {
        Value::Map(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    }

    /// An object.
    pub fn object(attrs: BTreeMap<String, Value>) -> Value {
        Value::Object(attrs)
    }

    /// This value with every unknown (at any depth) replaced by null; used where Terraform
    /// forbids unknowns (apply results after an error, read, import).
    #[must_use]
    pub fn unknown_as_null(self) -> Value {
        match self {
            Value::Unknown(_) => Value::Null,
            Value::List(v) => Value::List(v.into_iter().map(Value::unknown_as_null).collect()),
            Value::Set(v) => Value::Set(v.into_iter().map(Value::unknown_as_null).collect()),
            Value::Tuple(v) => Value::Tuple(v.into_iter().map(Value::unknown_as_null).collect()),
            Value::Map(m) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| (k, v.unknown_as_null()))
                    .collect(),
            ),
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k, v.unknown_as_null()))
                    .collect(),
            ),
            other => other,
        }
    }
}

fn set_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(
        |x| match b.iter().enumerate().position(|(i, y)| !used[i] && x == y) {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        },
    )
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Unknown(a), Value::Unknown(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => set_eq(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::int(i)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn sets_compare_without_order() {
        let a = Value::Set(vec![Value::string("a"), Value::string("b")]);
        let b = Value::Set(vec![Value::string("b"), Value::string("a")]);
        assert_eq!(a, b);
        let c = Value::Set(vec![Value::string("a"), Value::string("a")]);
        assert_ne!(a, c);
        let l1 = Value::List(vec![Value::string("a"), Value::string("b")]);
        let l2 = Value::List(vec![Value::string("b"), Value::string("a")]);
        assert_ne!(l1, l2);
    }

    #[test]
    fn numbers_compare_numerically() {
        assert_eq!(Number::Int(5), Number::Float(5.0));
        assert_eq!(Number::Int(5), Number::Decimal("5".into()));
        assert_eq!(
            Number::UInt(u64::MAX),
            Number::Decimal(u64::MAX.to_string())
        );
        assert_ne!(Number::Int(5), Number::Float(5.5));
        assert_ne!(
            Number::Int(i64::MAX),
            Number::Float(9_223_372_036_854_775_808.0)
        );
        assert_eq!(Value::int(3).as_i64(), Some(3));
        assert_eq!(Value::Number(Number::Float(3.5)).as_i64(), None);
        assert_eq!(
            Number::parse_decimal("1e400").map(|n| matches!(n, Number::Decimal(_))),
            Some(true)
        );
        assert!(Number::parse_decimal("inf").is_none());
        assert!(Number::parse_decimal("NaN").is_none());
        assert!(Number::parse_decimal("").is_none());
    }

    #[test]
    fn accessors_and_paths() {
        let v = obj(&[
            ("name", Value::string("x")),
            (
                "tags",
                Value::list_of_strings(["a".to_string(), "b".to_string()]),
            ),
            ("t", obj(&[("create", Value::string("5m"))])),
        ]);
        assert_eq!(v.get("name").as_str(), Some("x"));
        assert!(v.get("missing").is_null());
        assert!(Value::string("s").get("x").is_null());
        let p = AttributePath::root().attr("tags").index(1);
        assert_eq!(v.get_path(&p).as_str(), Some("b"));
        let p = AttributePath::root().attr("t").attr("create");
        assert_eq!(v.get_path(&p).as_str(), Some("5m"));
        assert!(v
            .get_path(&AttributePath::root().attr("tags").index(9))
            .is_null());
        assert!(v
            .get_path(&AttributePath::root().attr("tags").index(-1))
            .is_null());
        assert_eq!(v.get("tags").as_strings().map(|s| s.len()), Some(2));
    }

    #[test]
    fn knownness() {
        let v = obj(&[("a", Value::List(vec![Value::unknown()]))]);
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        let n = v.clone().unknown_as_null();
        assert!(n.is_wholly_known());
        assert_eq!(n.get("a").as_list().map(|l| l[0].is_null()), Some(true));
        let mut m = obj(&[]);
        m.set("x", Value::bool(true));
        assert_eq!(m.get("x").as_bool(), Some(true));
        let mut s = Value::string("q");
        s.set("x", Value::Null);
        assert_eq!(s, Value::string("q"));
    }

    #[test]
    fn builders() {
        assert!(Value::string_or_null(None).is_null());
        let s = Value::set_of_strings(["b".to_string(), "a".to_string(), "a".to_string()]);
        assert_eq!(s.as_list().map(<[Value]>::len), Some(2));
        let m = Value::map_of_strings([("k".to_string(), "v".to_string())].into());
        assert_eq!(
            m.as_map().and_then(|m| m.get("k")).and_then(Value::as_str),
            Some("v")
        );
    }
}
