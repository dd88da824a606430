//! Typed models: Rust structs that are both a resource's value and its schema.
//!
//! A resource declares its state once with [`tf_model!`](crate::tf_model): each field becomes an
//! attribute (or a nested block) whose name is the field's name and whose type comes from the
//! field's Rust type, so the schema and the struct cannot drift apart. Values decode into the
//! struct with errors that carry the attribute path, and encode back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::path::AttributePath;
use crate::framework::schema::{Attribute, Block, NestedBlock};
use crate::framework::types::Type;
use crate::framework::value::{Number, Value};

/// A value that may be null or unknown, like terraform-plugin-framework's `types.String`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Tf<T> {
    /// Not set.
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
    /// A known value.
    Known(T),
}

impl<T> Tf<T> {
    /// The value, if known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Tf::Known(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if known.
    pub fn into_known(self) -> Option<T> {
        match self {
            Tf::Known(v) => Some(v),
            _ => None,
        }
    }

    /// True when null.
    pub fn is_null(&self) -> bool {
        matches!(self, Tf::Null)
    }

    /// True when unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Tf::Unknown)
    }

    /// True when known.
    pub fn is_known(&self) -> bool {
        matches!(self, Tf::Known(_))
    }

    /// `None` becomes null.
    pub fn from_option(o: Option<T>) -> Self {
        o.map_or(Tf::Null, Tf::Known)
    }

    /// Maps a known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tf<U> {
        match self {
            Tf::Null => Tf::Null,
            Tf::Unknown => Tf::Unknown,
            Tf::Known(v) => Tf::Known(f(v)),
        }
    }

    /// A borrowing view.
    pub fn as_ref(&self) -> Tf<&T> {
        match self {
            Tf::Null => Tf::Null,
            Tf::Unknown => Tf::Unknown,
            Tf::Known(v) => Tf::Known(v),
        }
    }

    /// This value if known, else `other`.
    #[must_use]
    pub fn or_known(self, other: Tf<T>) -> Tf<T> {
        if self.is_known() {
            self
        } else {
            other
        }
    }
}

impl Tf<String> {
    /// The known string.
    pub fn as_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

impl<T> From<T> for Tf<T> {
    fn from(v: T) -> Self {
        Tf::Known(v)
    }
}

impl From<&str> for Tf<String> {
    fn from(s: &str) -> Self {
        Tf::Known(s.to_string())
    }
}

/// Why a value did not decode into a model field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelErrorKind {
    /// Null where the field cannot hold null.
    Null,
    /// Unknown where the field cannot hold unknown.
    Unknown,
    /// A value of another type.
    Type,
}

/// A value that does not fit a model, at its attribute path.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    /// Where in the value.
    pub path: AttributePath,
    /// What kind of mismatch.
    pub kind: ModelErrorKind,
    /// What was expected and found.
    pub message: String,
}

impl ModelError {
    /// A mismatch at `path`.
    pub fn new(path: &AttributePath, kind: ModelErrorKind, message: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            kind,
            message: message.into(),
        }
    }

    fn found(path: &AttributePath, expected: &str, v: &Value) -> Self {
        let (kind, found) = match v {
            Value::Null => (ModelErrorKind::Null, "null"),
            Value::Unknown(_) => (ModelErrorKind::Unknown, "a value not known until apply"),
            _ => (ModelErrorKind::Type, kind_name(v)),
        };
        Self::new(path, kind, format!("expected {expected}, found {found}"))
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Set(_) => "a set",
        Value::Map(_) => "a map",
        Value::Object(_) => "an object",
        Value::Tuple(_) => "a tuple",
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ModelError {}

impl From<ModelError> for Diagnostic {
    fn from(e: ModelError) -> Self {
        Diagnostic::error(
            "Invalid value",
            format!("Provider bug or unexpected value: {e}."),
        )
        .at(e.path)
    }
}

impl From<ModelError> for Diagnostics {
    fn from(e: ModelError) -> Self {
        Diagnostic::from(e).into()
    }
}

/// A Rust type that maps to a Terraform type and converts values both ways.
pub trait TfValue: Sized {
    /// The Terraform type of this Rust type.
    fn tf_type() -> Type;
    /// Decodes `v`, found at `path` (errors carry the path).
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError>;
    /// Encodes the value.
    fn to_tf(&self) -> Value;
}

impl TfValue for String {
    fn tf_type() -> Type {
        Type::String
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| ModelError::found(path, "a string", v))
    }
    fn to_tf(&self) -> Value {
        Value::String(self.clone())
    }
}

impl TfValue for bool {
    fn tf_type() -> Type {
        Type::Bool
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_bool()
            .ok_or_else(|| ModelError::found(path, "a bool", v))
    }
    fn to_tf(&self) -> Value {
        Value::Bool(*self)
    }
}

impl TfValue for i64 {
    fn tf_type() -> Type {
        Type::Number
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::Number(n) => n.as_i64().ok_or_else(|| {
                ModelError::new(
                    path,
                    ModelErrorKind::Type,
                    format!("expected a whole number within 64 bits, found {n}"),
                )
            }),
            _ => Err(ModelError::found(path, "a number", v)),
        }
    }
    fn to_tf(&self) -> Value {
        Value::int(*self)
    }
}

impl TfValue for f64 {
    fn tf_type() -> Type {
        Type::Number
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_number()
            .map(Number::as_f64)
            .ok_or_else(|| ModelError::found(path, "a number", v))
    }
    fn to_tf(&self) -> Value {
        Value::Number(Number::Float(*self))
    }
}

impl<T: TfValue> TfValue for Tf<T> {
    fn tf_type() -> Type {
        T::tf_type()
    }
    /// Null and unknown decode as such; a collection that is only partly known (an unknown
    /// element the inner type cannot hold) decodes as unknown as a whole.
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::Null => Ok(Tf::Null),
            Value::Unknown(_) => Ok(Tf::Unknown),
            _ => match T::from_tf(v, path) {
                Ok(t) => Ok(Tf::Known(t)),
                Err(e) if e.kind == ModelErrorKind::Unknown && !v.is_wholly_known() => {
                    Ok(Tf::Unknown)
                }
                Err(e) => Err(e),
            },
        }
    }
    fn to_tf(&self) -> Value {
        match self {
            Tf::Null => Value::Null,
            Tf::Unknown => Value::unknown(),
            Tf::Known(t) => t.to_tf(),
        }
    }
}

impl<T: TfValue> TfValue for Vec<T> {
    fn tf_type() -> Type {
        Type::List(Box::new(T::tf_type()))
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::List(items) | Value::Tuple(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_tf(item, &path.clone().index(i as i64)))
                .collect(),
            _ => Err(ModelError::found(path, "a list", v)),
        }
    }
    fn to_tf(&self) -> Value {
        Value::List(self.iter().map(TfValue::to_tf).collect())
    }
}

impl<T: TfValue + Ord> TfValue for BTreeSet<T> {
    fn tf_type() -> Type {
        Type::Set(Box::new(T::tf_type()))
    }
    /// Protocol 5 cannot address a set element, so element errors point at the set.
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::Set(items) | Value::List(items) => {
                items.iter().map(|item| T::from_tf(item, path)).collect()
            }
            _ => Err(ModelError::found(path, "a set", v)),
        }
    }
    fn to_tf(&self) -> Value {
        Value::Set(self.iter().map(TfValue::to_tf).collect())
    }
}

impl<T: TfValue> TfValue for BTreeMap<String, T> {
    fn tf_type() -> Type {
        Type::Map(Box::new(T::tf_type()))
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::Map(m) => m
                .iter()
                .map(|(k, item)| Ok((k.clone(), T::from_tf(item, &path.clone().key(k.clone()))?)))
                .collect(),
            _ => Err(ModelError::found(path, "a map", v)),
        }
    }
    fn to_tf(&self) -> Value {
        Value::Map(self.iter().map(|(k, v)| (k.clone(), v.to_tf())).collect())
    }
}

/// A struct that is both an object value and the block describing it; declare one with
/// [`tf_model!`](crate::tf_model).
pub trait Model: TfValue + Clone + Send + Sync + 'static {
    /// The attributes and nested blocks, in declaration order (the block's description is empty).
    fn block() -> Block;

    /// The attributes alone.
    fn attributes() -> Vec<Attribute> {
        Self::block().attributes
    }

    /// Decodes a whole object value.
    fn from_value(v: &Value) -> Result<Self, ModelError> {
        Self::from_tf(v, &AttributePath::root())
    }

    /// Encodes as an object value.
    fn to_value(&self) -> Value {
        self.to_tf()
    }
}

/// A model field that is a nested block rather than an attribute: `Tf<M>` or `Option<M>`
/// (a single block, null when absent) or `Vec<M>` (a list of blocks).
pub trait BlockValue: Sized {
    /// The nested block, before the field's builder closure adjusts it.
    fn nested_block(name: &str) -> NestedBlock;
    /// Decodes the block value found at `path`.
    fn from_block(v: &Value, path: &AttributePath) -> Result<Self, ModelError>;
    /// Encodes the block value.
    fn to_block(&self) -> Value;
}

impl<M: Model> BlockValue for Tf<M> {
    fn nested_block(name: &str) -> NestedBlock {
        NestedBlock::single(name, M::block())
    }
    fn from_block(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        Tf::<M>::from_tf(v, path)
    }
    fn to_block(&self) -> Value {
        self.to_tf()
    }
}

impl<M: Model> BlockValue for Option<M> {
    fn nested_block(name: &str) -> NestedBlock {
        NestedBlock::single(name, M::block())
    }
    /// An unknown block decodes as `None` (only configuration can hold one, before apply).
    fn from_block(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::Null | Value::Unknown(_) => Ok(None),
            _ => M::from_tf(v, path).map(Some),
        }
    }
    fn to_block(&self) -> Value {
        self.as_ref().map_or(Value::Null, TfValue::to_tf)
    }
}

impl<M: Model> BlockValue for Vec<M> {
    fn nested_block(name: &str) -> NestedBlock {
        NestedBlock::list(name, M::block())
    }
    /// No blocks (null or unknown) decodes as an empty list.
    fn from_block(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match v {
            Value::Null | Value::Unknown(_) => Ok(Vec::new()),
            _ => Vec::<M>::from_tf(v, path),
        }
    }
    fn to_block(&self) -> Value {
        self.to_tf()
    }
}

/// The attribute name of a model field: its identifier, without the `r#` of a raw one (so a
/// field `r#type` is the attribute `type`).
#[doc(hidden)]
pub fn field_name(ident: &'static str) -> &'static str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// The object attribute `name` of `v` (null when `v` is no object or lacks it).
#[doc(hidden)]
pub fn field<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get(name)
}

/// Checks that `v` is an object (the value of a model) before fields are read from it.
#[doc(hidden)]
pub fn expect_object(v: &Value, path: &AttributePath) -> Result<(), ModelError> {
    match v {
        Value::Object(_) => Ok(()),
        _ => Err(ModelError::found(path, "an object", v)),
    }
}

/// Builds an attribute from its field's type and the field's builder closure.
#[doc(hidden)]
pub fn build_attribute<T: TfValue>(
    name: &str,
    build: impl FnOnce(Attribute) -> Attribute,
) -> Attribute {
    build(Attribute::new(name, T::tf_type()))
}

/// Builds a nested block from its field's type and the field's builder closure.
#[doc(hidden)]
pub fn build_block<T: BlockValue>(
    name: &str,
    build: impl FnOnce(NestedBlock) -> NestedBlock,
) -> NestedBlock {
    build(T::nested_block(name))
}

/// Declares a model struct and its schema in one place.
///
/// ```ignore
/// tf_model! {
///     #[derive(Debug, Clone, Default, PartialEq)]
///     pub struct Thing {
///         pub id: Tf<String> => |a| a.computed().description("Id."),
///         pub name: Tf<String> => |a| a.required().description("Name."),
///         pub timeouts: Tf<TimeoutsModel> => block |b| b,
///     }
/// }
/// ```
/// Each field's ident is its attribute name, its Terraform type comes from its Rust type, and
/// the closure receives the attribute (`=> |a| …`) or the nested block (`=> block |b| …`).
#[macro_export]
macro_rules! tf_model {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident { $($body:tt)* }
    ) => {
        $crate::tf_model!(@parse [$(#[$meta])*] [$vis] $name [] $($body)*);
    };
    // A nested block field.
    (@parse $meta:tt $vis:tt $name:ident [$($done:tt)*]
        $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty => block $build:expr
        $(, $($rest:tt)*)?
    ) => {
        $crate::tf_model!(@parse $meta $vis $name
            [$($done)* (block [$(#[$fmeta])*] [$fvis] $field [$fty] [$build])]
            $($($rest)*)?);
    };
    // An attribute field.
    (@parse $meta:tt $vis:tt $name:ident [$($done:tt)*]
        $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty => $build:expr
        $(, $($rest:tt)*)?
    ) => {
        $crate::tf_model!(@parse $meta $vis $name
            [$($done)* (attr [$(#[$fmeta])*] [$fvis] $field [$fty] [$build])]
            $($($rest)*)?);
    };
    (@parse [$(#[$meta:meta])*] [$vis:vis] $name:ident
        [$(($kind:ident [$(#[$fmeta:meta])*] [$fvis:vis] $field:ident [$fty:ty] [$build:expr]))*]
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $fty,)*
        }

        impl $crate::framework::model::TfValue for $name {
            fn tf_type() -> $crate::framework::Type {
                <$name as $crate::framework::model::Model>::block().implied_type()
            }
            fn from_tf(
                v: &$crate::framework::Value,
                path: &$crate::framework::AttributePath,
            ) -> ::std::result::Result<Self, $crate::framework::model::ModelError> {
                $crate::framework::model::expect_object(v, path)?;
                ::std::result::Result::Ok(Self {
                    $($field: $crate::tf_model!(@decode $kind $fty, v, path, $field)?,)*
                })
            }
            fn to_tf(&self) -> $crate::framework::Value {
                let mut attrs = ::std::collections::BTreeMap::new();
                $(attrs.insert(
                    ::std::string::String::from($crate::framework::model::field_name(stringify!($field))),
                    $crate::tf_model!(@encode $kind $fty, &self.$field),
                );)*
                $crate::framework::Value::Object(attrs)
            }
        }

        impl $crate::framework::model::Model for $name {
            fn block() -> $crate::framework::Block {
                let mut block = $crate::framework::Block::default();
                $($crate::tf_model!(@schema block $kind $fty, $field, $build);)*
                block
            }
        }
    };
    (@decode attr $fty:ty, $v:ident, $path:ident, $field:ident) => {
        <$fty as $crate::framework::model::TfValue>::from_tf(
            $crate::framework::model::field($v, $crate::framework::model::field_name(stringify!($field))),
            &$path.clone().attr($crate::framework::model::field_name(stringify!($field))),
        )
    };
    (@decode block $fty:ty, $v:ident, $path:ident, $field:ident) => {
        <$fty as $crate::framework::model::BlockValue>::from_block(
            $crate::framework::model::field($v, $crate::framework::model::field_name(stringify!($field))),
            &$path.clone().attr($crate::framework::model::field_name(stringify!($field))),
        )
    };
    (@encode attr $fty:ty, $value:expr) => {
        <$fty as $crate::framework::model::TfValue>::to_tf($value)
    };
    (@encode block $fty:ty, $value:expr) => {
        <$fty as $crate::framework::model::BlockValue>::to_block($value)
    };
    (@schema $block:ident attr $fty:ty, $field:ident, $build:expr) => {
        $block.attributes.push($crate::framework::model::build_attribute::<$fty>(
            $crate::framework::model::field_name(stringify!($field)),
            $build,
        ));
    };
    (@schema $block:ident block $fty:ty, $field:ident, $build:expr) => {
        $block.blocks.push($crate::framework::model::build_block::<$fty>(
            $crate::framework::model::field_name(stringify!($field)),
            $build,
        ));
    };
}

/// The path of a model's field, checked at compile time: `attr!(CaModel, display_name)`.
#[macro_export]
macro_rules! attr {
    ($model:ty, $field:ident) => {{
        let _ = |m: &$model| {
            let _ = &m.$field;
        };
        $crate::framework::AttributePath::attribute($crate::framework::model::field_name(
            stringify!($field),
        ))
    }};
}

#[cfg(test)]
mod tests;
