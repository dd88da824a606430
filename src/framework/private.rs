//! Private state: bytes Terraform keeps per resource instance for the provider alone, never
//! shown to the user (ReadResource `private`, PlanResourceChange `prior_private` /
//! `planned_private`, ApplyResourceChange `planned_private` / `private`, import).
//!
//! This framework stores a JSON object in them, so resources keep typed facts under names
//! (for example that a create was sent but never confirmed) instead of inferring them from
//! attributes.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A resource instance's private state: named JSON values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Private(BTreeMap<String, serde_json::Value>);

impl Private {
    /// An empty private state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the bytes Terraform carries. Empty bytes, or bytes that are not a JSON object
    /// (written by something else), read as empty.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        match serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(bytes) {
            Ok(m) => Self(m),
            Err(e) => {
                tracing::warn!(error = %e, "private state is not a JSON object; ignoring it");
                Self::default()
            }
        }
    }

    /// The bytes to hand back to Terraform; empty for an empty state.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.0).unwrap_or_default()
    }

    /// The value under `key`, if present and of type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Stores `value` under `key` (a value that cannot be serialized is not stored).
    pub fn set<T: Serialize>(&mut self, key: &str, value: T) {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.0.insert(key.to_string(), v);
            }
            Err(e) => tracing::warn!(key, error = %e, "private state value not stored"),
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let mut p = Private::new();
        assert!(p.to_bytes().is_empty());
        p.set("create_unconfirmed", true);
        p.set("attempt", 3u32);
        let bytes = p.to_bytes();
        let back = Private::from_bytes(&bytes);
        assert_eq!(back, p);
        assert_eq!(back.get::<bool>("create_unconfirmed"), Some(true));
        assert_eq!(back.get::<u32>("attempt"), Some(3));
        assert_eq!(back.get::<String>("attempt"), None);
        assert_eq!(back.get::<bool>("missing"), None);
        let mut back = back;
        back.remove("attempt");
        back.remove("create_unconfirmed");
        assert!(back.is_empty() && back.to_bytes().is_empty());
    }

    #[test]
    fn foreign_bytes_read_as_empty() {
        assert!(Private::from_bytes(b"\x00\x01not json").is_empty());
        assert!(Private::from_bytes(b"[1,2]").is_empty());
        assert!(Private::from_bytes(b"").is_empty());
    }
}
