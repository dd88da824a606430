//! The Terraform data source types, one file each. Adding a type is one file plus one line in
//! `all`. What the component data sources share (one component as they show it, how the run's
//! shared list is read) lives in `view.rs`.

use std::sync::Arc;

use crate::framework::{typed_data_source, DataSource};

pub mod component;
pub mod components;
pub mod fabric_versions;
pub mod view;

/// Every data source type this provider serves.
pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![
        typed_data_source(component::ComponentDataSource),
        typed_data_source(components::ComponentsDataSource),
        typed_data_source(fabric_versions::FabricVersionsDataSource),
    ]
}

/// What the data sources' tests share: the real console's recordings and a configured context.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::Value as Json;
    use tokio_util::sync::CancellationToken;

    use crate::clients::Clients;
    use crate::console::testutil::{test_client, FakeServer};
    use crate::console::Component;
    use crate::fabric::{FabricCaClient, FabricCaConfig};
    use crate::framework::ResourceContext;

    /// The recorded exchanges of the real console (athena), as the emulator replays them.
    const EXCHANGES: &str = include_str!("../../tests/emulator/fixtures/console/exchanges.jsonl");

    /// `(status, body)` of the response of the recorded exchange `name`.
    pub fn recorded(name: &str) -> (u16, String) {
        let e: Json = EXCHANGES
            .lines()
            .map(|l| serde_json::from_str::<Json>(l).unwrap())
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no recorded exchange {name}"));
        let r = &e["response"];
        (
            r["status"].as_u64().unwrap() as u16,
            r["body"].as_str().unwrap().to_owned(),
        )
    }

    /// The recorded component of exchange `name` (a single GET).
    pub fn recorded_component(name: &str) -> Component {
        serde_json::from_str(&recorded(name).1).unwrap()
    }

    /// The components of the recorded list `name`.
    pub fn recorded_list(name: &str) -> Vec<Component> {
        let body: Json = serde_json::from_str(&recorded(name).1).unwrap();
        serde_json::from_value(body["components"].clone()).unwrap()
    }

    /// A call context whose provider block talks to `server`.
    pub fn context(server: &FakeServer) -> ResourceContext {
        let fabric_ca = FabricCaClient::new(FabricCaConfig {
            bundle_pem: None,
            insecure: false,
            request_timeout: Duration::from_secs(5),
            user_agent: "test".into(),
        })
        .unwrap();
        let clients = Clients {
            console: test_client(server),
            fabric_ca,
        };
        ResourceContext::new(Some(Arc::new(clients)), CancellationToken::new())
    }
}
