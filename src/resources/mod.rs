//! The Terraform resource types, one file each. Adding a type is one file plus one line in `all`.

use std::sync::Arc;

use crate::framework::{typed, Resource};

pub mod ca;
pub mod ca_identity;
pub mod ca_import;
pub mod enrolled_identity;
pub mod export;
pub mod fabric_ca;
pub mod identity_file;
pub mod identity_import;
pub mod lifecycle;
pub mod msp;
pub mod msp_definition;
pub mod msp_import;
pub mod ordering_service_import;
pub mod peer;
pub mod peer_import;
pub mod pem;
pub mod records;
pub mod semantic;
#[cfg(test)]
mod test_util;

/// Every resource type this provider serves.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![
        typed(ca::CaResource),
        typed(ca_import::CaImportResource),
        typed(ca_identity::CaIdentityResource),
        typed(enrolled_identity::EnrolledIdentityResource),
        typed(msp_import::MspImportResource),
        typed(msp::MspResource),
        typed(peer_import::PeerImportResource),
        typed(ordering_service_import::OrderingServiceImportResource),
        typed(identity_import::IdentityImportResource),
        typed(peer::PeerResource),
    ]
}
