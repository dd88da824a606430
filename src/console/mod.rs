//! REST client for the IBM Blockchain Platform / Fabric Operations Console API
//! (`/ak/api/v3`), plus the Fabric CA `/cainfo` readiness probe. It knows
//! nothing about Terraform: callers get typed models and [`ConsoleError`]s
//! whose `Display` is a complete sentence for the user.
//!
//! Layout: `config` (settings, [`Secret`]), `auth` (Basic / Bearer / IAM token
//! cache), `retry` (the pure retry policy), `client` (HTTP core), `models`
//! (typed bodies), `components`, `create` and `ca` (the calls), `snapshot` (the list a
//! run's reads share). TLS trust lives below, in `crate::net`; the Fabric CA client beside
//! this one, in `crate::fabric`.

mod auth;
mod ca;
mod client;
mod components;
mod config;
mod create;
mod credentials;
mod error;
mod models;
pub mod retry;
mod snapshot;

pub use crate::net::tls::parse_certificates;
pub(crate) use ca::unique_id;
pub use ca::{derive_component_id, is_valid_component_id};
pub use client::ConsoleClient;
pub use config::{ConsoleConfig, Credentials, Secret, IBM_CLOUD_IAM_TOKEN_URL};
pub use create::{CreateError, Expected, NameLock};
pub use error::ConsoleError;
pub use models::{
    admin_registry, part_section, CaUpdate, Component, ComponentMsp, CreateCaRequest,
    CreatePeerRequest, EditComponentRequest, FabricVersion, FabricVersions, FabricVersionsByType,
    GetOptions, ImportCaMsp, ImportCaRequest, ImportMspCa, ImportMspComponent, MspCa, MspComponent,
    PeerUpdate,
};

#[cfg(test)]
pub(crate) mod testutil;
