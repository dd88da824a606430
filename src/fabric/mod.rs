//! Clients of the Fabric components themselves (beside the console client, below the
//! resources): the Fabric CA REST API (cainfo, enroll, reenroll, register, identities, revoke)
//! with the key, CSR, token and certificate handling it needs; the operations endpoint
//! (`/healthz`) of peers and ordering nodes; the orderer and peer gRPC services next. No
//! Terraform knowledge here.

pub mod ca;
pub mod csr;
pub mod ecdsa;
pub mod enroll;
pub mod error;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod identity;
pub mod operations;
pub mod registry;
pub mod secret;
pub mod token;

pub use ca::{CaEndpoint, CaInfo, FabricCaClient, FabricCaConfig};
pub use csr::{KeyError, PrivateKey};
pub use enroll::{AttributeRequest, EnrollRequest, Enrollment, ReenrollRequest};
pub use error::{FabricCaError, Refusal};
pub use identity::{Certificate, CertificateInfo, IdentityError, SigningIdentity};
pub use operations::{Health, HealthError};
pub use registry::{
    Attribute, IdentityInfo, ModifyIdentityRequest, RegisterRequest, Revocation, RevokeRequest,
    RevokedCert,
};
pub use secret::Secret;
