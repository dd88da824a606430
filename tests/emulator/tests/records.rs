//! Imported peers and ordering service nodes: what athena stores and shows for them, beyond the
//! recorded exchanges (which the golden replay covers): the console UI's import bodies, cluster
//! ids and names, the edits that reach every node of a cluster, and the v2 view.

use std::time::Duration;

use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};
use reqwest::Method;
use serde_json::{json, Value};

const EXCHANGES: &str = include_str!("../fixtures/console/exchanges.jsonl");

/// The request body of the recorded exchange `name`.
fn recorded_request(name: &str) -> Value {
    let ex: Value = EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no exchange {name}"));
    serde_json::from_str(ex["request"]["body"].as_str().unwrap()).unwrap()
}

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig {
        consoles: vec![ConsoleSpec::new("r1", 0, "key", "secret")],
        db_path: None,
        deployer_delay: Duration::ZERO,
        rate_limit_writes_per_min: 1000,
        create_latency: Duration::ZERO,
    })
    .await
    .unwrap()
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    fn new(emu: &Emulator) -> Api {
        Api {
            base: emu.console_url("r1").unwrap(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .basic_auth("key", Some("secret"));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

#[tokio::test]
async fn the_console_uis_peer_import_body_is_accepted() {
    let emu = start().await;
    let api = Api::new(&emu);
    // apollo `PeerRestApi.importPeer` sends `type` and the export's `imported`; athena accepts
    // `type` in every no-extra-keys schema and deletes `imported` before validating.
    let mut body = recorded_request("import.peer");
    body["type"] = json!("fabric-peer");
    body["imported"] = json!(true);
    body["display_name"] = json!("Peer<0> Org1");
    body["tags"] = json!(["My Tag", "TF"]);
    let (status, peer) = api
        .call(
            Method::POST,
            "/ak/api/v3/components/fabric-peer",
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{peer}");
    assert_eq!(peer["display_name"], "Peer0 Org1");
    assert_eq!(peer["tags"], json!(["fabric-peer", "mytag", "tf"]));
    assert!(peer["msp"]["component"].get("ecert").is_none());
    let (_, full) = api
        .call(
            Method::GET,
            "/ak/api/v3/components/peer0org1?deployment_attrs=included",
            None,
        )
        .await;
    assert!(full["msp"]["component"]["ecert"].is_string(), "{full}");
    assert_eq!(
        full["msp"]["component"]["admin_certs"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // An unknown key is still refused.
    let mut bad = recorded_request("import.peer");
    bad["display_name"] = json!("Other");
    bad["bogus"] = json!(1);
    let (status, err) = api
        .call(Method::POST, "/ak/api/v3/components/fabric-peer", Some(bad))
        .await;
    assert_eq!(status, 400, "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn ordering_service_nodes_share_their_cluster() {
    let emu = start().await;
    let api = Api::new(&emu);
    let mut first = recorded_request("import.orderer.with-cluster-id");
    first["cluster_id"] = json!("Raft Cluster_1");
    let mut second = recorded_request("import.orderer.second-node-same-cluster");
    second["cluster_id"] = json!("Raft Cluster_1");
    second["msp"]["component"]
        .as_object_mut()
        .unwrap()
        .remove("admin_certs");
    for body in [first, second] {
        let (status, node) = api
            .call(
                Method::POST,
                "/ak/api/v3/components/fabric-orderer",
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{node}");
        // athena's id builder: letters, digits, `-` and `_`, lower case.
        assert_eq!(node["cluster_id"], "raftcluster_1");
        assert_eq!(node["system_channel_id"], "testchainid");
        assert_eq!(node["consenter_proposal_fin"], true);
    }
    // A node without admin certificates shows `admin_certs: []` with the deployment view.
    let (_, node) = api
        .call(
            Method::GET,
            "/ak/api/v3/components/orderer3?deployment_attrs=included",
            None,
        )
        .await;
    assert_eq!(node["msp"]["component"]["admin_certs"], json!([]));

    // The system channel and the cluster name are cluster-wide: one edit changes every node.
    let (status, edited) = api
        .call(
            Method::PUT,
            "/ak/api/v3/components/fabric-orderer/orderer2",
            Some(json!({"system_channel_id": "sys", "cluster_name": "Renamed <OS>"})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["cluster_name"], "Renamed OS");
    let (_, other) = api
        .call(
            Method::GET,
            "/ak/api/v3/components/orderer3?cache=skip",
            None,
        )
        .await;
    assert_eq!(other["system_channel_id"], "sys");
    assert_eq!(other["cluster_name"], "Renamed OS");
    // An empty display name is not an edit (athena's `prevent_null_val_keys`).
    let (status, same) = api
        .call(
            Method::PUT,
            "/ak/api/v3/components/fabric-orderer/orderer2",
            Some(json!({"display_name": ""})),
        )
        .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["display_name"], "Orderer2");
    // An empty cluster name becomes athena's default.
    let mut unnamed = recorded_request("import.orderer");
    unnamed["cluster_name"] = json!("");
    let (status, node) = api
        .call(
            Method::POST,
            "/ak/api/v3/components/fabric-orderer",
            Some(unnamed),
        )
        .await;
    assert_eq!(status, 200, "{node}");
    assert_eq!(node["cluster_name"], "My OS");
    assert!(node.get("cluster_id").is_none());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_v2_view_is_flat() {
    let emu = start().await;
    let api = Api::new(&emu);
    let body = recorded_request("import.orderer.with-cluster-id");
    let tls = body["msp"]["component"]["tls_cert"].clone();
    let tls_root = body["msp"]["tlsca"]["root_certs"][0].clone();
    let (status, _) = api
        .call(
            Method::POST,
            "/ak/api/v3/components/fabric-orderer",
            Some(body),
        )
        .await;
    assert_eq!(status, 200);
    let (status, v2) = api
        .call(Method::GET, "/ak/api/v2/components/orderer2", None)
        .await;
    assert_eq!(status, 200, "{v2}");
    assert!(v2.get("msp").is_none(), "{v2}");
    assert_eq!(v2["tls_cert"], tls);
    assert_eq!(v2["tls_ca_root_cert"], tls_root);
    assert_eq!(v2["ca_name"], "ca");
    assert_eq!(v2["tlsca_name"], "tlsca");
    assert_eq!(v2["cluster_id"], "raftcluster1");
    assert_eq!(v2["cluster_name"], "Raft Cluster 1");
    assert!(v2.get("admin_certs").is_none());
    assert!(v2.get("ecert").is_none());
    let (_, full) = api
        .call(
            Method::GET,
            "/ak/api/v2/components?deployment_attrs=included&parsed_certs=included",
            None,
        )
        .await;
    let node = &full["components"][0];
    assert_eq!(
        node["admin_certs"].as_array().map(Vec::len),
        Some(1),
        "{node}"
    );
    assert!(node["tls_cert_parsed"].get("base_64_pem").is_none());
    assert_eq!(
        node["tls_root_certs_parsed"].as_array().map(Vec::len),
        Some(1)
    );
    // The v3 view of the same node keeps its msp.
    let (_, v3) = api
        .call(Method::GET, "/ak/api/v3/components/orderer2", None)
        .await;
    assert_eq!(v3["msp"]["component"]["tls_cert"], tls);
    // v2 writes are not emulated.
    let (status, _) = api
        .call(
            Method::POST,
            "/ak/api/v2/components/fabric-orderer",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 404);
    emu.shutdown().await;
}
