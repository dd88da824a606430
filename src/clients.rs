//! What a configured provider block hands every resource: one client per service it reaches.
//!
//! Layers point one way: `provider.rs` builds this in Configure; resources only read it; the
//! clients below (`console`, `fabric`) know nothing of Terraform.

use crate::console::ConsoleClient;
use crate::fabric::FabricCaClient;
use crate::framework::{Diagnostics, ResourceContext};

/// The clients of one provider block.
pub struct Clients {
    /// The console's REST API.
    pub console: ConsoleClient,
    /// The Fabric CAs that console deploys.
    pub fabric_ca: FabricCaClient,
}

impl Clients {
    /// The console client of the provider block `ctx` comes from, bound to Terraform's Stop.
    pub fn console(ctx: &ResourceContext) -> Result<ConsoleClient, Diagnostics> {
        let clients = ctx.provider_data::<Clients>()?;
        Ok(clients.console.with_cancellation(ctx.cancelled()))
    }

    /// The Fabric CA client of the provider block `ctx` comes from.
    pub fn fabric_ca(ctx: &ResourceContext) -> Result<FabricCaClient, Diagnostics> {
        Ok(ctx.provider_data::<Clients>()?.fabric_ca.clone())
    }
}
