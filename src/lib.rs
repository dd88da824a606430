//! terraform-provider-blockchain: a Terraform provider (plugin protocol 5) for the
//! IBM Blockchain Platform console and the Hyperledger Fabric Operations Console.
//!
//! Layers, each depending only on the ones below it:
//! - `plugin`: the go-plugin process contract (handshake, AutoMTLS, shutdown, logs).
//! - `framework`: schemas, values, diagnostics, plans and the tfplugin5 service;
//!   knows nothing about blockchains.
//! - `net`: TLS trust shared by the clients.
//! - `console` and `fabric`: the console REST client and the Fabric CA client; they know
//!   nothing about Terraform.
//! - `clients`: what a configured provider block hands the resources (one of each client).
//! - `resources`: the Terraform types, one file each, over the shared `resources::lifecycle`.
//! - `data_sources`: the Terraform data source types, one file each, beside `resources`.
//! - `provider`: the provider block; builds `clients` and lists the resources and data sources.

// No unwrap/expect where user input or a server's answer could reach it (tests may).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod clients;
pub mod console;
pub mod data_sources;
pub mod fabric;
pub mod framework;
pub mod net;
pub mod plugin;
pub mod proto;
pub mod provider;
pub mod resources;
