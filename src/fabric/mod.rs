//! Clients of the Fabric components themselves (beside the console client, below the
//! resources): the Fabric CA REST API (cainfo, enroll, reenroll, register, identities, revoke)
//! with the key, CSR, token and certificate handling it needs; the orderer and peer gRPC
//! services next.

pub mod ca;
pub mod csr;
pub mod ecdsa;
pub mod identity;
pub mod token;

pub use ca::{CaInfo, FabricCaClient, FabricCaConfig, FabricCaError};
pub use csr::{KeyError, PrivateKey};
pub use identity::{Certificate, CertificateInfo, IdentityError, SigningIdentity};
