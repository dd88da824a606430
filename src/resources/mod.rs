//! The Terraform resource types, one file each. Adding a type is one file plus one line in `all`.

use std::sync::Arc;

use crate::framework::{typed, Resource};

pub mod ca;
pub mod export;
pub mod identity_file;
pub mod identity_import;
pub mod lifecycle;
pub mod pem;
pub mod semantic;

/// Every resource type this provider serves.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![
        typed(ca::CaResource),
        typed(identity_import::IdentityImportResource),
    ]
}
