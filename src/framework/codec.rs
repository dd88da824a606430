//! Wire encodings of Terraform values: cty's msgpack (what we always send) and JSON (what
//! Terraform sends for stored state and may send in `DynamicValue.json`).
//!
//! The msgpack reader is hand-written over a byte slice so that every malformed input is a
//! [`CodecError`] (never a panic, never an allocation sized by an untrusted length) and so that
//! decoding is driven by the schema type, the way cty does it.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use thiserror::Error;

use crate::framework::path::{AttributePath, PathStep};
use crate::framework::types::{Type, MAX_TYPE_DEPTH};
use crate::framework::value::{Number, Refinements, Value};
use crate::proto::tfplugin5;

/// cty's msgpack extension code for a refined unknown value.
const EXT_REFINED_UNKNOWN: i8 = 12;

/// Deepest value nesting we follow; a bound on recursion for hostile input.
const MAX_VALUE_DEPTH: usize = MAX_TYPE_DEPTH * 2;

/// A value could not be decoded or encoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The msgpack input ended in the middle of a value.
    #[error("msgpack: unexpected end of input")]
    Truncated,
    /// Bytes follow the value.
    #[error("msgpack: {count} unexpected bytes after the value")]
    TrailingBytes {
        /// How many bytes are left.
        count: usize,
    },
    /// A value of the wrong kind for the schema type.
    #[error("at {path}: expected {expected}, found {found}")]
    Unexpected {
        /// Where in the value.
        path: String,
        /// What the type required.
        expected: String,
        /// What the input held (a kind, never the value itself).
        found: String,
    },
    /// An object with the wrong number of attributes.
    #[error("at {path}: object has {found} attributes, the schema has {expected}")]
    AttributeCount {
        /// Where in the value.
        path: String,
        /// Attributes in the schema.
        expected: usize,
        /// Attributes in the input.
        found: usize,
    },
    /// An object attribute the schema does not have.
    #[error("at {path}: unsupported attribute {name:?}")]
    UnknownAttribute {
        /// Where in the value.
        path: String,
        /// The attribute name.
        name: String,
    },
    /// A map or object key given twice.
    #[error("at {path}: duplicate key {key:?}")]
    DuplicateKey {
        /// Where in the value.
        path: String,
        /// The repeated key.
        key: String,
    },
    /// A tuple with the wrong number of elements.
    #[error("at {path}: tuple has {found} elements, the type has {expected}")]
    TupleLength {
        /// Where in the value.
        path: String,
        /// Elements in the type.
        expected: usize,
        /// Elements in the input.
        found: usize,
    },
    /// A string that should hold a number does not.
    #[error("at {path}: invalid number")]
    InvalidNumber {
        /// Where in the value.
        path: String,
    },
    /// A string that is not UTF-8.
    #[error("at {path}: string is not valid UTF-8")]
    InvalidUtf8 {
        /// Where in the value.
        path: String,
    },
    /// Nesting deeper than any real schema.
    #[error("at {path}: value nested too deeply")]
    TooDeep {
        /// Where in the value.
        path: String,
    },
    /// A malformed JSON type.
    #[error("invalid type: {0}")]
    InvalidType(String),
    /// Malformed JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A value that cannot be written (too large, or unknown in JSON).
    #[error("at {path}: {reason}")]
    Unencodable {
        /// Where in the value.
        path: String,
        /// Why.
        reason: String,
    },
}

fn fmt_path(steps: &[PathStep]) -> String {
    if steps.is_empty() {
        "the root value".to_string()
    } else {
        AttributePath(steps.to_vec()).to_string()
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::List(_) => "list".into(),
        Type::Set(_) => "set".into(),
        Type::Map(_) => "map".into(),
        Type::Object(_) => "object".into(),
        Type::Tuple(_) => "tuple".into(),
        Type::Dynamic => "[type, value] pair for a dynamic value".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack reading

/// One msgpack item header; containers report only their length.
enum Head<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'a [u8]),
}

impl Head<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool(_) => "bool",
            Head::Int(_) | Head::UInt(_) => "integer",
            Head::Float(_) => "float",
            Head::Str(_) => "string",
            Head::Bin(_) => "binary",
            Head::Array(_) => "array",
            Head::Map(_) => "map",
            Head::Ext(..) => "extension",
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    path: Vec<PathStep>,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            path: Vec::new(),
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::Truncated);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn len8(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(self.byte()?))
    }

    fn len16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn len32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.array()?)).map_err(|_| CodecError::Truncated)
    }

    /// A container length, refused early if the input cannot possibly hold that many items
    /// (each item takes at least `min_item_bytes`).
    fn container(&self, len: usize, min_item_bytes: usize) -> Result<usize, CodecError> {
        if len.saturating_mul(min_item_bytes) > self.remaining() {
            return Err(CodecError::Truncated);
        }
        Ok(len)
    }

    fn head(&mut self) -> Result<Head<'a>, CodecError> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => Head::Int(i64::from(m)),
            0x80..=0x8f => Head::Map(self.container(usize::from(m & 0x0f), 2)?),
            0x90..=0x9f => Head::Array(self.container(usize::from(m & 0x0f), 1)?),
            0xa0..=0xbf => Head::Str(self.take(usize::from(m & 0x1f))?),
            0xc0 => Head::Nil,
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => {
                let n = self.len8()?;
                Head::Bin(self.take(n)?)
            }
            0xc5 => {
                let n = self.len16()?;
                Head::Bin(self.take(n)?)
            }
            0xc6 => {
                let n = self.len32()?;
                Head::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = match m {
                    0xc7 => self.len8()?,
                    0xc8 => self.len16()?,
                    _ => self.len32()?,
                };
                let code = i8::from_be_bytes([self.byte()?]);
                Head::Ext(code, self.take(n)?)
            }
            0xca => Head::Float(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Head::Float(f64::from_be_bytes(self.array()?)),
            0xcc => Head::Int(i64::from(self.byte()?)),
            0xcd => Head::Int(i64::from(u16::from_be_bytes(self.array()?))),
            0xce => Head::Int(i64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Head::UInt(u64::from_be_bytes(self.array()?)),
            0xd0 => Head::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Head::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Head::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Head::Int(i64::from_be_bytes(self.array()?)),
            0xd4..=0xd8 => {
                let n = 1usize << (m - 0xd4);
                let code = i8::from_be_bytes([self.byte()?]);
                Head::Ext(code, self.take(n)?)
            }
            0xd9 => {
                let n = self.len8()?;
                Head::Str(self.take(n)?)
            }
            0xda => {
                let n = self.len16()?;
                Head::Str(self.take(n)?)
            }
            0xdb => {
                let n = self.len32()?;
                Head::Str(self.take(n)?)
            }
            0xdc => {
                let n = self.len16()?;
                Head::Array(self.container(n, 1)?)
            }
            0xdd => {
                let n = self.len32()?;
                Head::Array(self.container(n, 1)?)
            }
            0xde => {
                let n = self.len16()?;
                Head::Map(self.container(n, 2)?)
            }
            0xdf => {
                let n = self.len32()?;
                Head::Map(self.container(n, 2)?)
            }
            0xe0..=0xff => Head::Int(i64::from(i8::from_be_bytes([m]))),
            // 0xc1 is reserved ("never used") by the msgpack spec.
            _ => {
                return Err(CodecError::Unexpected {
                    path: fmt_path(&self.path),
                    expected: "a msgpack value".into(),
                    found: format!("reserved byte 0x{m:02x}"),
                })
            }
        })
    }

    /// Skips one complete item (used for refinement keys we do not know).
    fn skip(&mut self, depth: usize) -> Result<(), CodecError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(self.too_deep());
        }
        match self.head()? {
            Head::Array(n) => (0..n).try_for_each(|_| self.skip(depth + 1)),
            Head::Map(n) => (0..n * 2).try_for_each(|_| self.skip(depth + 1)),
            _ => Ok(()),
        }
    }

    fn too_deep(&self) -> CodecError {
        CodecError::TooDeep {
            path: fmt_path(&self.path),
        }
    }

    fn unexpected(&self, ty: &Type, h: &Head<'_>) -> CodecError {
        CodecError::Unexpected {
            path: fmt_path(&self.path),
            expected: type_name(ty),
            found: h.kind().to_string(),
        }
    }

    fn utf8(&self, b: &'a [u8]) -> Result<&'a str, CodecError> {
        std::str::from_utf8(b).map_err(|_| CodecError::InvalidUtf8 {
            path: fmt_path(&self.path),
        })
    }

    fn key(&mut self) -> Result<String, CodecError> {
        match self.head()? {
            Head::Str(b) | Head::Bin(b) => Ok(self.utf8(b)?.to_string()),
            h => Err(CodecError::Unexpected {
                path: fmt_path(&self.path),
                expected: "a string key".into(),
                found: h.kind().to_string(),
            }),
        }
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(self.too_deep());
        }
        let h = self.head()?;
        match h {
            Head::Nil => return Ok(Value::Null),
            Head::Ext(code, data) => return Ok(Value::Unknown(decode_refinements(code, data))),
            _ => {}
        }
        match (ty, h) {
            (Type::Bool, Head::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Number, Head::Int(i)) => Ok(Value::Number(Number::Int(i))),
            (Type::Number, Head::UInt(u)) => Ok(Value::Number(Number::from(u))),
            (Type::Number, Head::Float(f)) => Ok(Value::Number(Number::Float(f))),
            (Type::Number, Head::Str(b)) => {
                let s = self.utf8(b)?;
                Number::parse_decimal(s).map(Value::Number).ok_or_else(|| {
                    CodecError::InvalidNumber {
                        path: fmt_path(&self.path),
                    }
                })
            }
            (Type::String, Head::Str(b) | Head::Bin(b)) => {
                Ok(Value::String(self.utf8(b)?.to_string()))
            }
            (Type::List(et), Head::Array(n)) => Ok(Value::List(self.elements(et, n, depth)?)),
            (Type::Set(et), Head::Array(n)) => Ok(Value::Set(self.elements(et, n, depth)?)),
            (Type::Tuple(ets), Head::Array(n)) => {
                if n != ets.len() {
                    return Err(CodecError::TupleLength {
                        path: fmt_path(&self.path),
                        expected: ets.len(),
                        found: n,
                    });
                }
                let mut out = Vec::with_capacity(n);
                for (i, et) in ets.iter().enumerate() {
                    self.path.push(PathStep::ElementIndex(i as i64));
                    out.push(self.value(et, depth + 1)?);
                    self.path.pop();
                }
                Ok(Value::Tuple(out))
            }
            (Type::Map(et), Head::Map(n)) => {
                let mut out = BTreeMap::new();
                for _ in 0..n {
                    let k = self.key()?;
                    self.path.push(PathStep::ElementKey(k.clone()));
                    let v = self.value(et, depth + 1)?;
                    self.path.pop();
                    if out.insert(k.clone(), v).is_some() {
                        return Err(CodecError::DuplicateKey {
                            path: fmt_path(&self.path),
                            key: k,
                        });
                    }
                }
                Ok(Value::Map(out))
            }
            (Type::Object(attrs), Head::Map(n)) => {
                if n != attrs.len() {
                    return Err(CodecError::AttributeCount {
                        path: fmt_path(&self.path),
                        expected: attrs.len(),
                        found: n,
                    });
                }
                let mut out = BTreeMap::new();
                for _ in 0..n {
                    let k = self.key()?;
                    let Some(at) = attrs.get(&k) else {
                        return Err(CodecError::UnknownAttribute {
                            path: fmt_path(&self.path),
                            name: k,
                        });
                    };
                    self.path.push(PathStep::Attribute(k.clone()));
                    let v = self.value(at, depth + 1)?;
                    self.path.pop();
                    if out.insert(k.clone(), v).is_some() {
                        return Err(CodecError::DuplicateKey {
                            path: fmt_path(&self.path),
                            key: k,
                        });
                    }
                }
                Ok(Value::Object(out))
            }
            (Type::Dynamic, Head::Array(2)) => {
                let ty_bytes = match self.head()? {
                    Head::Str(b) | Head::Bin(b) => b,
                    h => {
                        return Err(CodecError::Unexpected {
                            path: fmt_path(&self.path),
                            expected: "JSON type bytes of a dynamic value".into(),
                            found: h.kind().to_string(),
                        })
                    }
                };
                let inner = Type::from_json(ty_bytes)?;
                self.value(&inner, depth + 1)
            }
            (ty, h) => Err(self.unexpected(ty, &h)),
        }
    }

    fn elements(&mut self, et: &Type, n: usize, depth: usize) -> Result<Vec<Value>, CodecError> {
        let mut out = Vec::with_capacity(n.min(self.remaining()));
        for i in 0..n {
            self.path.push(PathStep::ElementIndex(i as i64));
            out.push(self.value(et, depth + 1)?);
            self.path.pop();
        }
        Ok(out)
    }
}

/// Reads a refinement payload (cty/msgpack/unknown.go). Anything other than a well-formed
/// ext 12 map is treated as a plain unknown: the value is unknown either way.
fn decode_refinements(code: i8, data: &[u8]) -> Refinements {
    if code != EXT_REFINED_UNKNOWN {
        return Refinements::default();
    }
    read_refinements(data).unwrap_or_default()
}

fn read_refinements(data: &[u8]) -> Result<Refinements, CodecError> {
    let mut r = Reader::new(data);
    let mut out = Refinements::default();
    let Head::Map(n) = r.head()? else {
        return Err(CodecError::Truncated);
    };
    for _ in 0..n {
        let key = match r.head()? {
            Head::Int(i) => i,
            _ => return Err(CodecError::Truncated),
        };
        match key {
            1 => match r.head()? {
                Head::Bool(b) => out.nullness = Some(b),
                _ => return Err(CodecError::Truncated),
            },
            2 => match r.head()? {
                Head::Str(b) => out.string_prefix = Some(r.utf8(b)?.to_string()),
                _ => return Err(CodecError::Truncated),
            },
            3 | 4 => {
                let bound = read_bound(&mut r)?;
                if key == 3 {
                    out.number_lower = Some(bound);
                } else {
                    out.number_upper = Some(bound);
                }
            }
            5 | 6 => {
                let len = match r.head()? {
                    Head::Int(i) => i,
                    Head::UInt(u) => i64::try_from(u).unwrap_or(i64::MAX),
                    _ => return Err(CodecError::Truncated),
                };
                if key == 5 {
                    out.length_lower = Some(len);
                } else {
                    out.length_upper = Some(len);
                }
            }
            _ => r.skip(0)?,
        }
    }
    Ok(out)
}

fn read_bound(r: &mut Reader<'_>) -> Result<(Number, bool), CodecError> {
    let Head::Array(2) = r.head()? else {
        return Err(CodecError::Truncated);
    };
    let n = match r.value(&Type::Number, 0)? {
        Value::Number(n) => n,
        _ => return Err(CodecError::Truncated),
    };
    let Head::Bool(inclusive) = r.head()? else {
        return Err(CodecError::Truncated);
    };
    Ok((n, inclusive))
}

// ---------------------------------------------------------------------------------------------
// msgpack writing

struct Writer {
    out: Vec<u8>,
    path: Vec<PathStep>,
}

impl Writer {
    fn too_large(&self) -> CodecError {
        CodecError::Unencodable {
            path: fmt_path(&self.path),
            reason: "too large for msgpack".into(),
        }
    }

    fn nil(&mut self) {
        self.out.push(0xc0);
    }

    fn bool(&mut self, b: bool) {
        self.out.push(if b { 0xc3 } else { 0xc2 });
    }

    fn uint(&mut self, u: u64) {
        if u < 0x80 {
            self.out.push(u as u8);
        } else if let Ok(b) = u8::try_from(u) {
            self.out.extend_from_slice(&[0xcc, b]);
        } else if let Ok(s) = u16::try_from(u) {
            self.out.push(0xcd);
            self.out.extend_from_slice(&s.to_be_bytes());
        } else if let Ok(w) = u32::try_from(u) {
            self.out.push(0xce);
            self.out.extend_from_slice(&w.to_be_bytes());
        } else {
            self.out.push(0xcf);
            self.out.extend_from_slice(&u.to_be_bytes());
        }
    }

    fn int(&mut self, i: i64) {
        if let Ok(u) = u64::try_from(i) {
            self.uint(u);
        } else if i >= -32 {
            self.out.push(i.to_be_bytes()[7]);
        } else if let Ok(b) = i8::try_from(i) {
            self.out.push(0xd0);
            self.out.extend_from_slice(&b.to_be_bytes());
        } else if let Ok(s) = i16::try_from(i) {
            self.out.push(0xd1);
            self.out.extend_from_slice(&s.to_be_bytes());
        } else if let Ok(w) = i32::try_from(i) {
            self.out.push(0xd2);
            self.out.extend_from_slice(&w.to_be_bytes());
        } else {
            self.out.push(0xd3);
            self.out.extend_from_slice(&i.to_be_bytes());
        }
    }

    fn float(&mut self, f: f64) {
        self.out.push(0xcb);
        self.out.extend_from_slice(&f.to_be_bytes());
    }

    fn sized(
        &mut self,
        len: usize,
        small: Option<(u8, usize)>,
        m8: Option<u8>,
        m16: u8,
        m32: u8,
    ) -> Result<(), CodecError> {
        match small {
            Some((base, limit)) if len < limit => {
                self.out.push(base | len as u8);
                return Ok(());
            }
            _ => {}
        }
        if let (Some(m), Ok(b)) = (m8, u8::try_from(len)) {
            self.out.extend_from_slice(&[m, b]);
        } else if let Ok(s) = u16::try_from(len) {
            self.out.push(m16);
            self.out.extend_from_slice(&s.to_be_bytes());
        } else {
            let w = u32::try_from(len).map_err(|_| self.too_large())?;
            self.out.push(m32);
            self.out.extend_from_slice(&w.to_be_bytes());
        }
        Ok(())
    }

    fn str(&mut self, s: &str) -> Result<(), CodecError> {
        self.sized(s.len(), Some((0xa0, 32)), Some(0xd9), 0xda, 0xdb)?;
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn bin(&mut self, b: &[u8]) -> Result<(), CodecError> {
        self.sized(b.len(), None, Some(0xc4), 0xc5, 0xc6)?;
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn array_len(&mut self, n: usize) -> Result<(), CodecError> {
        self.sized(n, Some((0x90, 16)), None, 0xdc, 0xdd)
    }

    fn map_len(&mut self, n: usize) -> Result<(), CodecError> {
        self.sized(n, Some((0x80, 16)), None, 0xde, 0xdf)
    }

    fn ext(&mut self, code: i8, data: &[u8]) -> Result<(), CodecError> {
        let fixed = match data.len() {
            1 => Some(0xd4),
            2 => Some(0xd5),
            4 => Some(0xd6),
            8 => Some(0xd7),
            16 => Some(0xd8),
            _ => None,
        };
        match fixed {
            Some(m) => self.out.push(m),
            None => self.sized(data.len(), None, Some(0xc7), 0xc8, 0xc9)?,
        }
        self.out.extend_from_slice(&code.to_be_bytes());
        self.out.extend_from_slice(data);
        Ok(())
    }

    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        match n {
            Number::Int(i) => self.int(*i),
            Number::UInt(u) => self.uint(*u),
            Number::Float(f) => match n.as_i64() {
                Some(i) => self.int(i),
                None => self.float(*f),
            },
            Number::Decimal(s) => self.str(s)?,
        }
        Ok(())
    }

    fn unknown(&mut self, r: &Refinements) -> Result<(), CodecError> {
        if r.is_empty() {
            return self.ext(0, &[0]);
        }
        let mut p = Writer {
            out: Vec::new(),
            path: Vec::new(),
        };
        let count = [
            r.nullness.is_some(),
            r.string_prefix.is_some(),
            r.number_lower.is_some(),
            r.number_upper.is_some(),
            r.length_lower.is_some(),
            r.length_upper.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        p.map_len(count)?;
        if let Some(b) = r.nullness {
            p.int(1);
            p.bool(b);
        }
        if let Some(s) = &r.string_prefix {
            p.int(2);
            p.str(s)?;
        }
        for (key, bound) in [(3, &r.number_lower), (4, &r.number_upper)] {
            if let Some((n, inclusive)) = bound {
                p.int(key);
                p.array_len(2)?;
                p.number(n)?;
                p.bool(*inclusive);
            }
        }
        for (key, len) in [(5, r.length_lower), (6, r.length_upper)] {
            if let Some(l) = len {
                p.int(key);
                p.int(l);
            }
        }
        self.ext(EXT_REFINED_UNKNOWN, &p.out)
    }

    fn mismatch(&self, ty: &Type, v: &Value) -> CodecError {
        CodecError::Unexpected {
            path: fmt_path(&self.path),
            expected: type_name(ty),
            found: value_kind(v).to_string(),
        }
    }

    fn value(&mut self, v: &Value, ty: &Type) -> Result<(), CodecError> {
        if self.path.len() > MAX_VALUE_DEPTH {
            return Err(CodecError::TooDeep {
                path: fmt_path(&self.path),
            });
        }
        match (ty, v) {
            (_, Value::Null) => self.nil(),
            (_, Value::Unknown(r)) => self.unknown(r)?,
            (Type::Dynamic, v) => {
                let inferred = infer_type(v);
                self.array_len(2)?;
                self.bin(&inferred.to_json())?;
                self.value(v, &inferred)?;
            }
            (Type::Bool, Value::Bool(b)) => self.bool(*b),
            (Type::Number, Value::Number(n)) => self.number(n)?,
            (Type::String, Value::String(s)) => self.str(s)?,
            (
                Type::List(et) | Type::Set(et),
                Value::List(items) | Value::Set(items) | Value::Tuple(items),
            ) => {
                self.array_len(items.len())?;
                for (i, item) in items.iter().enumerate() {
                    self.path.push(PathStep::ElementIndex(i as i64));
                    self.value(item, et)?;
                    self.path.pop();
                }
            }
            (Type::Tuple(ets), Value::List(items) | Value::Tuple(items)) => {
                if ets.len() != items.len() {
                    return Err(CodecError::TupleLength {
                        path: fmt_path(&self.path),
                        expected: ets.len(),
                        found: items.len(),
                    });
                }
                self.array_len(items.len())?;
                for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                    self.path.push(PathStep::ElementIndex(i as i64));
                    self.value(item, et)?;
                    self.path.pop();
                }
            }
            (Type::Map(et), Value::Map(m) | Value::Object(m)) => {
                self.map_len(m.len())?;
                for (k, item) in m {
                    self.str(k)?;
                    self.path.push(PathStep::ElementKey(k.clone()));
                    self.value(item, et)?;
                    self.path.pop();
                }
            }
            // Attributes missing from the value are written as null; extra ones are a bug.
            (Type::Object(attrs), Value::Object(m) | Value::Map(m)) => {
                if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                    return Err(CodecError::UnknownAttribute {
                        path: fmt_path(&self.path),
                        name: extra.clone(),
                    });
                }
                self.map_len(attrs.len())?;
                for (k, at) in attrs {
                    self.str(k)?;
                    self.path.push(PathStep::Attribute(k.clone()));
                    self.value(m.get(k).unwrap_or(&Value::Null), at)?;
                    self.path.pop();
                }
            }
            (ty, v) => return Err(self.mismatch(ty, v)),
        }
        Ok(())
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
    }
}

/// The most specific type for a value written where the schema says `dynamic`.
fn infer_type(v: &Value) -> Type {
    let elem = |items: &[Value]| {
        items
            .iter()
            .find(|e| !e.is_null() && !e.is_unknown())
            .map_or(Type::Dynamic, infer_type)
    };
    match v {
        Value::Null | Value::Unknown(_) => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::List(Box::new(elem(items))),
        Value::Set(items) => Type::Set(Box::new(elem(items))),
        Value::Map(m) => Type::Map(Box::new(elem(&m.values().cloned().collect::<Vec<_>>()))),
        Value::Object(m) => {
            Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect())
        }
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
    }
}

/// Decodes cty msgpack against `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader::new(bytes);
    let v = r.value(ty, 0)?;
    if r.remaining() > 0 {
        return Err(CodecError::TrailingBytes {
            count: r.remaining(),
        });
    }
    Ok(v)
}

/// Encodes a value as cty msgpack for `ty`.
pub fn encode_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut w = Writer {
        out: Vec::new(),
        path: Vec::new(),
    };
    w.value(v, ty)?;
    Ok(w.out)
}

// ---------------------------------------------------------------------------------------------
// JSON

struct JsonDecoder {
    lenient: bool,
    path: Vec<PathStep>,
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

impl JsonDecoder {
    fn unexpected(&self, ty: &Type, j: &Json) -> CodecError {
        CodecError::Unexpected {
            path: fmt_path(&self.path),
            expected: type_name(ty),
            found: json_kind(j).to_string(),
        }
    }

    fn elements(
        &mut self,
        et: &Type,
        items: &[Json],
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.path.push(PathStep::ElementIndex(i as i64));
            out.push(self.value(item, et, depth + 1)?);
            self.path.pop();
        }
        Ok(out)
    }

    fn value(&mut self, j: &Json, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(CodecError::TooDeep {
                path: fmt_path(&self.path),
            });
        }
        match (ty, j) {
            (_, Json::Null) => Ok(Value::Null),
            (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
            (Type::Bool, Json::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::Number, Json::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Ok(Value::int(i))
                } else if let Some(u) = n.as_u64() {
                    Ok(Value::Number(Number::from(u)))
                } else {
                    Number::parse_decimal(&n.to_string())
                        .map(Value::Number)
                        .ok_or_else(|| CodecError::InvalidNumber {
                            path: fmt_path(&self.path),
                        })
                }
            }
            (Type::Number, Json::String(s)) => Number::parse_decimal(s)
                .map(Value::Number)
                .ok_or_else(|| CodecError::InvalidNumber {
                    path: fmt_path(&self.path),
                }),
            (Type::String, Json::String(s)) => Ok(Value::String(s.clone())),
            // cty converts primitive JSON tokens to strings where a string is expected.
            (Type::String, Json::Number(n)) => Ok(Value::String(n.to_string())),
            (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::List(et), Json::Array(items)) => {
                Ok(Value::List(self.elements(et, items, depth)?))
            }
            (Type::Set(et), Json::Array(items)) => Ok(Value::Set(self.elements(et, items, depth)?)),
            (Type::Tuple(ets), Json::Array(items)) => {
                if ets.len() != items.len() {
                    return Err(CodecError::TupleLength {
                        path: fmt_path(&self.path),
                        expected: ets.len(),
                        found: items.len(),
                    });
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                    self.path.push(PathStep::ElementIndex(i as i64));
                    out.push(self.value(item, et, depth + 1)?);
                    self.path.pop();
                }
                Ok(Value::Tuple(out))
            }
            (Type::Map(et), Json::Object(m)) => {
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    self.path.push(PathStep::ElementKey(k.clone()));
                    out.insert(k.clone(), self.value(item, et, depth + 1)?);
                    self.path.pop();
                }
                Ok(Value::Map(out))
            }
            (Type::Object(attrs), Json::Object(m)) => {
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    let Some(at) = attrs.get(k) else {
                        if self.lenient {
                            continue;
                        }
                        return Err(CodecError::UnknownAttribute {
                            path: fmt_path(&self.path),
                            name: k.clone(),
                        });
                    };
                    self.path.push(PathStep::Attribute(k.clone()));
                    out.insert(k.clone(), self.value(item, at, depth + 1)?);
                    self.path.pop();
                }
                for k in attrs.keys() {
                    out.entry(k.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
            (Type::Dynamic, Json::Object(m)) => {
                let (Some(t), Some(v)) = (m.get("type"), m.get("value")) else {
                    return Err(self.unexpected(ty, j));
                };
                let inner = Type::from_json_value(t)?;
                self.value(v, &inner, depth + 1)
            }
            (ty, j) => Err(self.unexpected(ty, j)),
        }
    }
}

fn parse_json(bytes: &[u8]) -> Result<Json, CodecError> {
    serde_json::from_slice(bytes).map_err(|e| CodecError::Json(e.to_string()))
}

/// Decodes Terraform's JSON value encoding. Missing object attributes are null; attributes
/// not in the schema are an error.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    JsonDecoder {
        lenient: false,
        path: Vec::new(),
    }
    .value(&parse_json(bytes)?, ty, 0)
}

/// Like [`decode_json`], but silently drops object attributes the schema no longer has
/// (used to upgrade stored state written by an older schema).
pub fn decode_json_lenient(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    JsonDecoder {
        lenient: true,
        path: Vec::new(),
    }
    .value(&parse_json(bytes)?, ty, 0)
}

fn to_json(v: &Value, ty: &Type, path: &mut Vec<PathStep>) -> Result<Json, CodecError> {
    if path.len() > MAX_VALUE_DEPTH {
        return Err(CodecError::TooDeep {
            path: fmt_path(path),
        });
    }
    let mismatch = |path: &Vec<PathStep>| CodecError::Unexpected {
        path: fmt_path(path),
        expected: type_name(ty),
        found: value_kind(v).to_string(),
    };
    let elems =
        |items: &[Value], types: &mut dyn Iterator<Item = &Type>, path: &mut Vec<PathStep>| {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let et = types.next().unwrap_or(&Type::Dynamic);
                path.push(PathStep::ElementIndex(i as i64));
                out.push(to_json(item, et, path)?);
                path.pop();
            }
            Ok::<_, CodecError>(Json::Array(out))
        };
    Ok(match (ty, v) {
        (_, Value::Null) => Json::Null,
        (_, Value::Unknown(_)) => {
            return Err(CodecError::Unencodable {
                path: fmt_path(path),
                reason: "unknown values cannot be written as JSON".into(),
            })
        }
        (Type::Dynamic, v) => {
            let inferred = infer_type(v);
            let mut m = serde_json::Map::new();
            m.insert("value".into(), to_json(v, &inferred, path)?);
            m.insert("type".into(), inferred.to_json_value());
            Json::Object(m)
        }
        (Type::Bool, Value::Bool(b)) => Json::Bool(*b),
        (Type::Number, Value::Number(n)) => match n {
            Number::Int(i) => Json::from(*i),
            Number::UInt(u) => Json::from(*u),
            Number::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .ok_or_else(|| CodecError::Unencodable {
                    path: fmt_path(path),
                    reason: "non-finite number".into(),
                })?,
            Number::Decimal(s) => serde_json::from_str::<Json>(s)
                .ok()
                .filter(Json::is_number)
                .ok_or_else(|| CodecError::InvalidNumber {
                    path: fmt_path(path),
                })?,
        },
        (Type::String, Value::String(s)) => Json::String(s.clone()),
        (
            Type::List(et) | Type::Set(et),
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
        ) => elems(items, &mut std::iter::repeat(et.as_ref()), path)?,
        (Type::Tuple(ets), Value::List(items) | Value::Tuple(items)) => {
            if ets.len() != items.len() {
                return Err(CodecError::TupleLength {
                    path: fmt_path(path),
                    expected: ets.len(),
                    found: items.len(),
                });
            }
            elems(items, &mut ets.iter(), path)?
        }
        (Type::Map(et), Value::Map(m) | Value::Object(m)) => {
            let mut out = serde_json::Map::new();
            for (k, item) in m {
                path.push(PathStep::ElementKey(k.clone()));
                out.insert(k.clone(), to_json(item, et, path)?);
                path.pop();
            }
            Json::Object(out)
        }
        (Type::Object(attrs), Value::Object(m) | Value::Map(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnknownAttribute {
                    path: fmt_path(path),
                    name: extra.clone(),
                });
            }
            let mut out = serde_json::Map::new();
            for (k, at) in attrs {
                path.push(PathStep::Attribute(k.clone()));
                out.insert(
                    k.clone(),
                    to_json(m.get(k).unwrap_or(&Value::Null), at, path)?,
                );
                path.pop();
            }
            Json::Object(out)
        }
        _ => return Err(mismatch(path)),
    })
}

/// Encodes a wholly known value in Terraform's JSON value encoding.
pub fn encode_json(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let j = to_json(v, ty, &mut Vec::new())?;
    serde_json::to_vec(&j).map_err(|e| CodecError::Json(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// DynamicValue

/// Decodes a protocol `DynamicValue`: msgpack if present, else JSON; both empty means null.
pub fn decode_dynamic_value(dv: &tfplugin5::DynamicValue, ty: &Type) -> Result<Value, CodecError> {
    if !dv.msgpack.is_empty() {
        decode_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        decode_json(&dv.json, ty)
    } else {
        Ok(Value::Null)
    }
}

/// Decodes an optional `DynamicValue` field (absent means null).
pub fn decode_optional_dynamic_value(
    dv: Option<&tfplugin5::DynamicValue>,
    ty: &Type,
) -> Result<Value, CodecError> {
    dv.map_or(Ok(Value::Null), |dv| decode_dynamic_value(dv, ty))
}

/// Encodes a value as a msgpack `DynamicValue` (what we always send).
pub fn encode_dynamic_value(v: &Value, ty: &Type) -> Result<tfplugin5::DynamicValue, CodecError> {
    Ok(tfplugin5::DynamicValue {
        msgpack: encode_msgpack(v, ty)?,
        json: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
