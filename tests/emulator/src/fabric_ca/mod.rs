//! A Fabric-CA-compatible HTTPS server (one server, two CAs: `ca` and `tlsca`), as an
//! IBM Blockchain Platform CA exposes it.
//!
//! Behaviour follows the recordings of fabric-ca-server 1.5.5 in
//! `tests/emulator/fixtures/fabric/ca/` (copied from the shared fixtures) and the cited
//! fabric-ca v1.5.5 sources, summarised in `docs/dev/fabric-ca.md`. The console part of the
//! emulator creates a [`FabricCaState`] per created CA, persists it, and runs it with [`serve`].

mod attr_rules;
mod authority;
mod certs;
mod crl;
mod der;
mod endpoint;
mod enroll;
mod error;
#[cfg(test)]
mod golden_tests;
mod identities;
mod profiles;
mod query;
mod register;
mod responses;
mod revoke;
mod server;
mod settings;
mod signer;
mod state;
pub mod token;

pub use error::CaError;
pub use server::{serve, CaServerHandle};
pub use settings::CaSettings;
pub use signer::{is_low_s, signature_of};
pub use state::{BootstrapIdentity, FabricCaState, Identity, IdentityAttr};
pub use token::{build_signed_payload, verify_token, TokenError, VerifiedCaller};

/// The common name and SANs of a CSR, for tests of the clients that make them.
#[cfg(test)]
pub(crate) fn parse_csr_for_tests(pem: &str) -> (Option<String>, Vec<String>) {
    let csr = certs::parse_csr(pem).expect("a valid CSR");
    (csr.common_name, csr.subject_alt_names)
}
