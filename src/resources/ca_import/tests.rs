//! `blockchain_ca_import` unit tests.
use super::*;
