//! Test-only: the recorded fabric-ca 1.5.5 exchanges and identities in `tests/fixtures/fabric/`
//! (provenance in its README), read by every module's golden tests.

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fabric");

/// The fixture at `path` (relative to `tests/fixtures/fabric/`), as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{path}")).unwrap()
}

/// The fixture at `path`, as bytes.
pub fn read_bytes(path: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{path}")).unwrap()
}
