//! An enrollment secret: sent to the CA, kept in state where the resource must, never shown in
//! Debug or Display (so never in logs or diagnostics by accident).

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A fresh secret of `len` ASCII letters, the alphabet of fabric-ca's generated secrets
    /// (docs/dev/fabric-ca.md#generated-secrets), from the system's random source.
    pub fn generate(len: usize) -> Self {
        use rand::Rng as _;
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut rng = rand::rng();
        let text = (0..len)
            .map(|_| char::from(LETTERS[rng.random_range(0..LETTERS.len())]))
            .collect();
        Self(text)
    }

    /// The secret itself, for the request or the state that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_shows_only_when_exposed() {
        let s = Secret::from("org1adminpw");
        assert_eq!(format!("{s:?} {s}"), "Secret(redacted) [redacted]");
        assert_eq!(s.expose(), "org1adminpw");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"org1adminpw\"");
    }

    #[test]
    fn generated_secrets_are_letters_and_differ() {
        let (a, b) = (Secret::generate(24), Secret::generate(24));
        assert_eq!(a.expose().len(), 24);
        assert!(a.expose().chars().all(|c| c.is_ascii_alphabetic()));
        assert_ne!(a, b);
    }
}
