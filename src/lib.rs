//! terraform-provider-blockchain: a Terraform provider (plugin protocol 5) for the
//! IBM Blockchain Platform console and the Hyperledger Fabric Operations Console.
//!
//! Layers, each depending only on the ones below it:
//! - `plugin`: the go-plugin process contract (handshake, AutoMTLS, shutdown, logs).
//! - `framework`: schemas, values, diagnostics, plans and the tfplugin5 service;
//!   knows nothing about blockchains.
//! - `console`: the console REST client; knows nothing about Terraform.
//! - `provider` and `resources`: the Terraform types, one file each.

// No unwrap/expect where user input or a server's answer could reach it (tests may).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod console;
pub mod framework;
pub mod plugin;
pub mod proto;
pub mod provider;
pub mod resources;
