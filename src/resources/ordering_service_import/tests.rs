//! `blockchain_ordering_service_import` unit tests: the export's nodes and their checks, the
//! plan's matching of nodes to records, and the lifecycle on an in-memory console: all or
//! nothing creates, partial results kept, drift repaired node by node, every node removed.

use crate::resources::records::{RECORD_LIMIT, RECORD_TIMEOUT};
use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::console::{ConsoleError, CreateError, Expected, NameLock};
use crate::framework::AttributePath;
use crate::resources::pem::console_b64;
use crate::resources::test_util::config_errors;

const ORD_CA: &str = include_str!("../../../tests/emulator/fixtures/console/certs/ord-ca.pem");
const ORD_TLSCA: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/ord-tlsca.pem");
const ORD_ADMIN: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/ord-admin.pem");
const ORDERER_TLS: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/orderer1-tls.pem");

/// The recorded exchanges of the real console (athena), as the emulator replays them.
const EXCHANGES: &str = include_str!("../../../tests/emulator/fixtures/console/exchanges.jsonl");

fn recorded_body(name: &str, part: &str) -> Json {
    let ex: Json = EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded exchange {name}"));
    serde_json::from_str(ex[part]["body"].as_str().unwrap()).unwrap()
}

/// Node `i` of a three-node export, as the console's exporter writes it.
fn export_node(i: usize) -> Json {
    json!({
        "type": "fabric-orderer",
        "display_name": format!("Orderer{i}"),
        "msp_id": "OrdererMSP",
        "api_url": format!("grpcs://orderer{i}.example.com:7050"),
        "grpcwp_url": format!("https://orderer{i}.example.com:7443"),
        "osnadmin_url": format!("https://orderer{i}.example.com:7053"),
        "cluster_id": "raftcluster1",
        "cluster_name": "Raft Cluster",
        "systemless": true,
        "system_channel_id": "",
        "location": "-",
        "msp": {
            "component": {"tls_cert": console_b64(ORDERER_TLS), "admin_certs": [console_b64(ORD_ADMIN)]},
            "ca": {"name": "ca", "root_certs": [console_b64(ORD_CA)]},
            "tlsca": {"name": "tlsca", "root_certs": [console_b64(ORD_TLSCA)]}
        },
        "id": format!("orderer{i}"),
        "name": format!("Orderer{i}")
    })
}

fn export(nodes: &[usize]) -> String {
    Json::Array(nodes.iter().map(|i| export_node(*i)).collect()).to_string()
}

fn config(export: String) -> OrderingServiceImportModel {
    OrderingServiceImportModel {
        export_json: Tf::Known(export),
        tags: Tf::Known(["orderers".to_owned()].into()),
        ..Default::default()
    }
}

/// The plan of `config` over `prior`, as the framework hands it to `modify_plan`.
async fn plan(
    config: &OrderingServiceImportModel,
    prior: Option<&OrderingServiceImportModel>,
) -> (OrderingServiceImportModel, Vec<AttributePath>) {
    let mut planned = match prior {
        Some(p) => OrderingServiceImportModel {
            export_json: config.export_json.clone(),
            tags: config.tags.clone(),
            ..p.clone()
        },
        None => OrderingServiceImportModel {
            id: Tf::Unknown,
            cluster_name: Tf::Unknown,
            cluster_id: Tf::Unknown,
            nodes: Tf::Unknown,
            console_export_json: Tf::Unknown,
            ..config.clone()
        },
    };
    let mut requires_replace = Vec::new();
    let mut private = Private::default();
    let mut diagnostics = Diagnostics::new();
    let ctx = ResourceContext::new(None, CancellationToken::new());
    OrderingServiceImportResource
        .modify_plan(
            &ctx,
            ModelPlan {
                prior,
                config,
                planned: &mut planned,
                requires_replace: &mut requires_replace,
                private: &mut private,
                diagnostics: &mut diagnostics,
            },
        )
        .await;
    (planned, requires_replace)
}

fn errors(m: &OrderingServiceImportModel) -> Vec<(String, String)> {
    config_errors(&OrderingServiceImportResource, m)
}

// ---- an in-memory console ----

#[derive(Default)]
struct State {
    components: BTreeMap<String, Component>,
    log: Vec<String>,
    /// Creates of this display name are refused (400).
    refuse: Option<String>,
    /// The create of this display name loses its answer.
    lose: Option<String>,
    /// Removes of this id fail.
    stuck: Option<String>,
}

#[derive(Default)]
struct Fake(Mutex<State>);

impl Fake {
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().log.clone()
    }
    fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.0.lock().unwrap());
    }
    fn records(&self) -> Vec<(String, String, Option<String>)> {
        self.0
            .lock()
            .unwrap()
            .components
            .values()
            .map(|c| (c.id.clone(), c.display_name.clone(), cluster_of(c)))
            .collect()
    }
}

fn refused() -> ConsoleError {
    ConsoleError::BadRequest {
        request: "POST /ak/api/v3/components/fabric-orderer".into(),
        msgs: vec!["Expected parameter 'msp' to exist.".into()],
    }
}

#[async_trait]
impl ComponentApi for Fake {
    fn console_url(&self) -> String {
        "https://region2.example".into()
    }
    async fn components(&self) -> Result<Vec<Component>, ConsoleError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .components
            .values()
            .cloned()
            .collect())
    }
    async fn name_lock(&self, _t: &str, _name: &str) -> NameLock {
        std::sync::Arc::new(tokio::sync::Mutex::new(()))
            .lock_owned()
            .await
    }
    async fn create(
        &self,
        post: Post,
        body: &Value,
        expected: &Expected<'_>,
    ) -> Result<Component, CreateError> {
        assert_eq!(post, Post::Record);
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("create {}", expected.id));
        if s.refuse.as_deref() == Some(expected.display_name) {
            return Err(CreateError::Refused(refused()));
        }
        let mut doc = body.clone();
        doc["type"] = json!("fabric-orderer");
        doc["location"] = json!("-");
        doc["imported"] = json!(true);
        let c: Component = serde_json::from_value(doc).unwrap();
        s.components.insert(c.id.clone(), c);
        if s.lose.as_deref() == Some(expected.display_name) {
            return Err(CreateError::Uncertain(ConsoleError::Ambiguous {
                request: "POST /ak/api/v3/components/fabric-orderer".into(),
                detail: "connection reset; reading it back also failed".into(),
            }));
        }
        Ok(s.components[expected.id].clone())
    }
    async fn get_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("get {id}"));
        Ok(s.components.get(id).cloned())
    }
    async fn get_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        Ok(self.0.lock().unwrap().components.get(id).cloned())
    }
    async fn update(&self, _t: &str, _id: &str, _b: &Value) -> Result<(), ConsoleError> {
        panic!("records are never sent to the deployer")
    }
    async fn edit(&self, t: &str, id: &str, e: &EditComponentRequest) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("edit {t} {id} {}", json!(e)));
        let Some(c) = s.components.get_mut(id) else {
            return Err(ConsoleError::NotFound {
                request: "PUT".into(),
                reason: Some("missing".into()),
                msg: "gone".into(),
            });
        };
        let mut doc = serde_json::to_value(&*c).unwrap();
        for (k, v) in json!(e).as_object().unwrap() {
            doc[k] = v.clone();
        }
        *c = serde_json::from_value(doc).unwrap();
        Ok(())
    }
    async fn delete(&self, _id: &str) -> Result<(), ConsoleError> {
        panic!("records are never deleted through the deployer")
    }
    async fn remove(&self, id: &str) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("remove {id}"));
        if s.stuck.as_deref() == Some(id) {
            return Err(ConsoleError::Unavailable {
                request: format!("DELETE /ak/api/v3/components/{id}"),
                status: 503,
                msg: "down".into(),
            });
        }
        s.components.remove(id);
        Ok(())
    }
}

fn op() -> Operation {
    Operation::new(RECORD_TIMEOUT, RECORD_LIMIT, CancellationToken::new())
}

async fn planned_for(nodes: &[usize]) -> OrderingServiceImportModel {
    plan(&config(export(nodes)), None).await.0
}

async fn created(fake: &Fake, nodes: &[usize]) -> OrderingServiceImportModel {
    let records = Records::new(ORDERER, fake);
    create_service(
        &records,
        &op(),
        planned_for(nodes).await,
        &mut Private::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("create failed: {:?}", e.diagnostics))
}

// ---- the export and the plan ----

#[test]
fn the_export_checks_name_the_node_and_the_problem() {
    let good = config(export(&[1, 2, 3]));
    assert!(errors(&good).is_empty(), "{:?}", errors(&good));
    let mut nodes: Vec<Json> = (1..=3).map(export_node).collect();
    nodes[1]["display_name"] = json!("Orderer1");
    nodes[2]["api_url"] = json!("grpcs://no-port.example.com");
    nodes[2]["msp"]["component"]
        .as_object_mut()
        .unwrap()
        .remove("tls_cert");
    let errs = errors(&config(Json::Array(nodes).to_string()));
    let details: Vec<&str> = errs.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(errs.len(), 3, "{details:?}");
    assert!(details[0].contains("node 1") && details[0].contains("another node's"));
    assert!(details[1].contains("node 2") && details[1].contains("api_url"));
    assert!(details[2].contains("node 2") && details[2].contains("tls_cert"));
    assert!(errs.iter().all(|(p, _)| p == "export_json"));

    let mut two_clusters: Vec<Json> = (1..=2).map(export_node).collect();
    two_clusters[1]["cluster_id"] = json!("other");
    let errs = errors(&config(Json::Array(two_clusters.clone()).to_string()));
    assert!(errs[0].1.contains("other, raftcluster1"), "{errs:?}");
    // A configured cluster id settles it.
    let settled = OrderingServiceImportModel {
        cluster_id: "mine".into(),
        ..config(Json::Array(two_clusters).to_string())
    };
    assert!(errors(&settled).is_empty());
    let mut unnamed = export_node(1);
    unnamed.as_object_mut().unwrap().remove("cluster_name");
    let errs = errors(&config(unnamed.to_string()));
    assert_eq!(errs[0].0, "cluster_name", "{errs:?}");
    assert!(errors(&config("[]".to_owned()))[0].1.contains("no node"));
}

#[tokio::test]
async fn the_import_bodies_are_the_recorded_ones() {
    // Exchange `import.orderer.with-cluster-id` sent what the console UI's import sends for a
    // node; as an export, it plans and sends the same body.
    let recorded = recorded_body("import.orderer.with-cluster-id", "request");
    let mut planned = plan(&config(recorded.to_string()), None).await.0;
    planned.tags = Tf::Known(["orderers".to_owned(), "tf".to_owned()].into());
    assert_eq!(planned.cluster_id, Tf::Known("raftcluster1".to_owned()));
    assert_eq!(planned.cluster_name, Tf::Known("Raft Cluster 1".to_owned()));
    let desired = apply_nodes(&planned).unwrap();
    let body = desired[0].import_body(NodeKind::Orderer, planned_tags(&planned).as_deref());
    let mut expected = recorded;
    // The UI sends an export's missing system channel as "" (`importOrderer`); a set of tags
    // is sent sorted.
    expected["system_channel_id"] = json!("");
    expected["tags"] = json!(["orderers", "tf"]);
    assert_eq!(body, expected);
}

#[tokio::test]
async fn a_cluster_id_comes_from_the_export_else_the_state_else_the_name() {
    let mut node = export_node(1);
    node.as_object_mut().unwrap().remove("cluster_id");
    node["cluster_name"] = json!("My Raft #1");
    let (planned, _) = plan(&config(Json::Array(vec![node.clone()]).to_string()), None).await;
    assert_eq!(planned.cluster_id, Tf::Known("myraft1".to_owned()));
    assert_eq!(planned.id, planned.cluster_id);
    assert_eq!(cluster_id_of("Raft Cluster_1"), "raftcluster_1");
    assert_eq!(cluster_id_of("1st"), "c1st");
    // A rename keeps the state's cluster id: no replacement.
    let prior = OrderingServiceImportModel {
        nodes: Tf::Known(Vec::new()),
        ..planned
    };
    node["cluster_name"] = json!("Renamed");
    let (renamed, replace) = plan(&config(Json::Array(vec![node]).to_string()), Some(&prior)).await;
    assert!(replace.is_empty());
    assert_eq!(renamed.cluster_id, Tf::Known("myraft1".to_owned()));
    assert_eq!(renamed.cluster_name, Tf::Known("Renamed".to_owned()));
    // Another cluster id in the export replaces the service: every node is new.
    let (moved, replace) = plan(
        &OrderingServiceImportModel {
            cluster_id: "other".into(),
            ..config(export(&[1]))
        },
        Some(&prior),
    )
    .await;
    assert_eq!(replace, [attr!(OrderingServiceImportModel, cluster_id)]);
    assert_eq!(moved.id, Tf::Known("other".to_owned()));
    assert!(moved.nodes.known().unwrap()[0].id.is_unknown());
}

#[tokio::test]
async fn nodes_match_records_by_name_else_url_and_an_unexpressible_change_is_a_new_record() {
    let fake = Fake::default();
    let prior = created(&fake, &[1, 2, 3]).await;
    let ids = |m: &OrderingServiceImportModel| -> Vec<Tf<String>> {
        m.nodes
            .known()
            .unwrap()
            .iter()
            .map(|n| n.id.clone())
            .collect()
    };
    // Unchanged: the plan is the state.
    let (same, replace) = plan(&config(export(&[1, 2, 3])), Some(&prior)).await;
    assert!(replace.is_empty());
    assert_eq!(same, prior);

    let mut nodes: Vec<Json> = (1..=3).map(export_node).collect();
    // Node 2 renamed in the export (found by its URL), node 3 without its operations URL
    // (set before: no edit removes it), node 1 left out, node 4 new.
    nodes[1]["display_name"] = json!("Orderer2b");
    nodes[2]["operations_url"] = json!("https://orderer3.example.com:9443");
    let mut with_ops = prior.clone();
    if let Tf::Known(n) = &mut with_ops.nodes {
        n[2].operations_url = "https://orderer3.example.com:9443".into();
    }
    nodes[2].as_object_mut().unwrap().remove("operations_url");
    let wanted = Json::Array(vec![nodes[1].clone(), nodes[2].clone(), export_node(4)]);
    let (planned, replace) = plan(&config(wanted.to_string()), Some(&with_ops)).await;
    assert!(replace.is_empty());
    let names: Vec<String> = planned
        .nodes
        .known()
        .unwrap()
        .iter()
        .map(|n| n.display_name.as_str().unwrap_or_default().to_owned())
        .collect();
    // Kept records in the state's order, then new ones in the export's.
    assert_eq!(names, ["Orderer2b", "Orderer3", "Orderer4"]);
    assert_eq!(
        ids(&planned),
        [Tf::Known("orderer2".to_owned()), Tf::Unknown, Tf::Unknown]
    );
    assert!(planned.console_export_json.is_unknown());
}

// ---- the lifecycle ----

#[tokio::test]
async fn a_create_imports_every_node_into_one_cluster() {
    let fake = Fake::default();
    let state = created(&fake, &[1, 2, 3]).await;
    let cluster = Some("raftcluster1".to_owned());
    assert_eq!(
        fake.records(),
        [
            (
                "orderer1".to_owned(),
                "Orderer1".to_owned(),
                cluster.clone()
            ),
            (
                "orderer2".to_owned(),
                "Orderer2".to_owned(),
                cluster.clone()
            ),
            ("orderer3".to_owned(), "Orderer3".to_owned(), cluster),
        ]
    );
    assert_eq!(state.id, Tf::Known("raftcluster1".to_owned()));
    let node = &state.nodes.known().unwrap()[0];
    assert_eq!(node.tls_cert, Tf::Known(canonical_pem(ORDERER_TLS)));
    assert_eq!(node.admin_certs, Tf::Known(vec![canonical_pem(ORD_ADMIN)]));
    assert_eq!(node.location, Tf::Known("-".to_owned()));
    let export: Json = serde_json::from_str(state.console_export_json.known().unwrap()).unwrap();
    assert_eq!(export.as_array().unwrap().len(), 3);
    // The export imports the same nodes again.
    let again = export_definitions(state.console_export_json.known().unwrap()).unwrap();
    assert_eq!(again[2].display_name.as_deref(), Some("Orderer3"));
    assert_eq!(again[2].cluster_id.as_deref(), Some("raftcluster1"));
}

#[tokio::test]
async fn a_refused_node_takes_back_the_nodes_before_it() {
    let fake = Fake::default();
    fake.set(|s| s.refuse = Some("Orderer3".into()));
    let records = Records::new(ORDERER, &fake);
    let err = create_service(
        &records,
        &op(),
        planned_for(&[1, 2, 3]).await,
        &mut Private::default(),
    )
    .await
    .unwrap_err();
    assert!(err.partial_state.is_none(), "nothing is left to record");
    assert!(err.diagnostics.has_errors());
    assert!(fake.records().is_empty(), "{:?}", fake.records());
    let removed: Vec<String> = fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("remove"))
        .collect();
    assert_eq!(removed, ["remove orderer1", "remove orderer2"]);
}

#[tokio::test]
async fn what_cannot_be_taken_back_or_settled_is_recorded() {
    // A node that cannot be removed again stays in the (tainted) state.
    let fake = Fake::default();
    fake.set(|s| {
        s.refuse = Some("Orderer3".into());
        s.stuck = Some("orderer2".into());
    });
    let records = Records::new(ORDERER, &fake);
    let err = create_service(
        &records,
        &op(),
        planned_for(&[1, 2, 3]).await,
        &mut Private::default(),
    )
    .await
    .unwrap_err();
    let state = err.partial_state.expect("the node left is recorded");
    let ids: Vec<_> = state
        .nodes
        .known()
        .unwrap()
        .iter()
        .map(|n| n.id.clone())
        .collect();
    assert_eq!(ids, [Tf::Known("orderer2".to_owned())]);
    assert_eq!(state.id, Tf::Known("raftcluster1".to_owned()));

    // A lost answer: the node is recorded unconfirmed; the next read settles it.
    let fake = Fake::default();
    fake.set(|s| s.lose = Some("Orderer2".into()));
    let records = Records::new(ORDERER, &fake);
    let mut private = Private::default();
    let err = create_service(&records, &op(), planned_for(&[1, 2, 3]).await, &mut private)
        .await
        .unwrap_err();
    let state = err.partial_state.expect("recorded");
    let names: Vec<_> = state
        .nodes
        .known()
        .unwrap()
        .iter()
        .map(|n| n.display_name.clone())
        .collect();
    assert_eq!(
        names,
        [
            Tf::Known("Orderer1".to_owned()),
            Tf::Known("Orderer2".to_owned())
        ]
    );
    assert_eq!(
        private.get::<Vec<String>>(UNCONFIRMED_NODES),
        Some(vec!["orderer2".to_owned()])
    );
    let read = read_service(&records, &state, &mut private)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(read.nodes.known().unwrap().len(), 2, "the create happened");
    assert!(private.get::<Vec<String>>(UNCONFIRMED_NODES).is_none());
    // The replacement removes both.
    delete_service(&records, &op(), &read, &private)
        .await
        .unwrap();
    assert!(fake.records().is_empty());
}

#[tokio::test]
async fn a_cluster_id_in_use_stops_the_create_with_an_import_hint() {
    let fake = Fake::default();
    created(&fake, &[1]).await;
    let records = Records::new(ORDERER, &fake);
    let mut other = export_node(2);
    other["display_name"] = json!("Another");
    let planned = plan(&config(other.to_string()), None).await.0;
    let err = create_service(&records, &op(), planned, &mut Private::default())
        .await
        .unwrap_err();
    let d = &err.diagnostics.iter().next().unwrap().detail;
    assert!(
        d.contains("terraform import <resource address> raftcluster1"),
        "{d}"
    );
    assert_eq!(fake.records().len(), 1, "nothing imported");
}

#[tokio::test]
async fn drift_is_repaired_node_by_node() {
    let fake = Fake::default();
    let records = Records::new(ORDERER, &fake);
    let applied = created(&fake, &[1, 2, 3]).await;
    // Behind Terraform's back: node 2 renamed, the cluster renamed on node 3 only, node 1 gone.
    let mut rename = EditComponentRequest {
        display_name: Some("Renamed".into()),
        ..Default::default()
    };
    fake.edit("fabric-orderer", "orderer2", &rename)
        .await
        .unwrap();
    rename = EditComponentRequest::default();
    rename
        .fields
        .insert("cluster_name".into(), json!("Other name"));
    fake.edit("fabric-orderer", "orderer3", &rename)
        .await
        .unwrap();
    fake.remove("orderer1").await.unwrap();
    let mut private = Private::default();
    let refreshed = read_service(&records, &applied, &mut private)
        .await
        .unwrap()
        .expect("two nodes left");
    assert_eq!(refreshed.cluster_name, Tf::Known("Other name".to_owned()));
    assert_eq!(refreshed.nodes.known().unwrap().len(), 2);

    let (planned, replace) = plan(&config(export(&[1, 2, 3])), Some(&refreshed)).await;
    assert!(replace.is_empty());
    assert_eq!(planned.cluster_name, Tf::Known("Raft Cluster".to_owned()));
    let before = fake.log().len();
    let repaired = update_service(&records, &op(), refreshed, planned, &mut private)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let calls: Vec<String> = fake.log()[before..]
        .iter()
        .filter(|l| !l.starts_with("get"))
        .cloned()
        .collect();
    assert_eq!(
        calls,
        [
            r#"edit fabric-orderer orderer2 {"display_name":"Orderer2","cluster_name":"Raft Cluster"}"#,
            r#"edit fabric-orderer orderer3 {"cluster_name":"Raft Cluster"}"#,
            "create orderer1",
        ]
    );
    let names: Vec<_> = repaired
        .nodes
        .known()
        .unwrap()
        .iter()
        .map(|n| n.display_name.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["Orderer2", "Orderer3", "Orderer1"]);
    assert_eq!(repaired.cluster_name, Tf::Known("Raft Cluster".to_owned()));

    // A node left out of the export is removed; a node that cannot be removed keeps the
    // state whole.
    fake.set(|s| s.stuck = Some("orderer3".into()));
    let (fewer, _) = plan(&config(export(&[1, 2])), Some(&repaired)).await;
    let err = update_service(&records, &op(), repaired.clone(), fewer, &mut private)
        .await
        .unwrap_err();
    let kept = err
        .partial_state
        .expect("state kept")
        .nodes
        .known()
        .unwrap()
        .len();
    assert_eq!(kept, 3);
    fake.set(|s| s.stuck = None);
    let (fewer, _) = plan(&config(export(&[1, 2])), Some(&repaired)).await;
    let smaller = update_service(&records, &op(), repaired, fewer, &mut private)
        .await
        .unwrap();
    assert_eq!(smaller.nodes.known().unwrap().len(), 2);
    assert_eq!(fake.records().len(), 2);
}

#[tokio::test]
async fn an_import_finds_the_cluster_by_its_id_or_a_nodes_id() {
    let fake = Fake::default();
    created(&fake, &[1, 2]).await;
    let records = Records::new(ORDERER, &fake);
    let by_cluster = with_id("raftcluster1".to_owned());
    let found = read_service(&records, &by_cluster, &mut Private::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.nodes.known().unwrap().len(), 2);
    assert_eq!(found.cluster_name, Tf::Known("Raft Cluster".to_owned()));
    assert_eq!(found.tags, Tf::Known(["orderers".to_owned()].into()));
    let missing = read_service(
        &records,
        &with_id("nothing".to_owned()),
        &mut Private::default(),
    )
    .await
    .unwrap();
    assert!(missing.is_none());
}
