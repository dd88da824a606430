//! blockchain-emulator: a loopback-only stand-in for Fabric Operations Consoles and
//! the Fabric CAs they create, for the provider's tests and demo.

pub mod fabric_ca;
