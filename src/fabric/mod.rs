//! Clients of the Fabric components themselves (beside the console client, below the
//! resources): the Fabric CA REST API now; register, enroll and the orderer and peer gRPC
//! services next.

pub mod ca;

pub use ca::{CaInfo, FabricCaClient, FabricCaConfig, FabricCaError};
