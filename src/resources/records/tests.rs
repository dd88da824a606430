//! The record lifecycle on an in-memory console: where creates go, the identity rule, what a
//! read accepts, and removal of unconfirmed records.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::console::{ConsoleError, CreateError, Expected, NameLock};

const MSP: Naming = Naming {
    component_type: "msp",
    noun: "MSP",
    id_prefix: "msp",
};

#[derive(Default)]
struct State {
    components: BTreeMap<String, Component>,
    log: Vec<String>,
    /// The next create's answer is lost and its read-back fails too.
    lose_next: bool,
}

#[derive(Default)]
struct Fake(Mutex<State>);

fn record(id: &str, name: &str, location: &str) -> Component {
    Component {
        id: id.into(),
        display_name: name.into(),
        component_type: Some("msp".into()),
        location: Some(location.into()),
        imported: Some(true),
        ..Default::default()
    }
}

impl Fake {
    fn with(self, c: Component) -> Self {
        self.0.lock().unwrap().components.insert(c.id.clone(), c);
        self
    }
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().log.clone()
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
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("create {post:?} {}", expected.id));
        assert_eq!(body["id"], expected.id);
        if std::mem::take(&mut s.lose_next) {
            return Err(CreateError::Uncertain(ConsoleError::Ambiguous {
                request: "POST /ak/api/v3/components/msp".into(),
                detail: "connection reset; reading it back also failed".into(),
            }));
        }
        let c = record(expected.id, expected.display_name, "-");
        s.components.insert(c.id.clone(), c.clone());
        Ok(c)
    }
    async fn get_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("get {id}"));
        Ok(s.components.get(id).cloned())
    }
    async fn get_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        self.get_fresh(id).await
    }
    async fn update(&self, _t: &str, _id: &str, _b: &Value) -> Result<(), ConsoleError> {
        panic!("records are never sent to the deployer")
    }
    async fn edit(&self, t: &str, id: &str, e: &EditComponentRequest) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("edit {t} {id} {}", json!(e)));
        if let (Some(c), Some(name)) = (s.components.get_mut(id), &e.display_name) {
            c.display_name = name.clone();
        }
        Ok(())
    }
    async fn delete(&self, _id: &str) -> Result<(), ConsoleError> {
        panic!("records are never deleted through the deployer")
    }
    async fn remove(&self, id: &str) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("remove {id}"));
        s.components.remove(id);
        Ok(())
    }
}

fn op() -> Operation {
    Operation::new(RECORD_TIMEOUT, RECORD_LIMIT, CancellationToken::new())
}

#[tokio::test]
async fn a_record_is_posted_to_the_records_under_the_derived_free_id() {
    let fake = Fake::default().with(record("org1msp", "Other", "-"));
    let records = Records::new(MSP, &fake);
    let c = records
        .create(&op(), "Org1 MSP", &json!({"msp_id": "Org1MSP"}))
        .await
        .unwrap();
    assert_eq!(c.id, "org1msp_0");
    assert_eq!(fake.log(), ["create Record org1msp_0"]);
}

#[tokio::test]
async fn a_namesake_record_is_an_import_hint_and_nothing_is_posted() {
    let fake = Fake::default().with(record("org1msp", "Org1 MSP", "-"));
    let records = Records::new(MSP, &fake);
    let Err(CreateFailure::NotCreated(e)) = records.create(&op(), "Org1 MSP", &json!({})).await
    else {
        panic!("a namesake must stop the create");
    };
    assert!(e.summary.contains("already exists"), "{e:?}");
    assert!(e.detail.contains("terraform import"), "{e:?}");
    assert!(fake.log().is_empty(), "{:?}", fake.log());
}

#[tokio::test]
async fn a_lost_answer_is_recorded_unconfirmed_under_its_id() {
    let fake = Fake::default();
    fake.0.lock().unwrap().lose_next = true;
    let records = Records::new(MSP, &fake);
    let Err(CreateFailure::Unconfirmed { id, error }) =
        records.create(&op(), "Org1 MSP", &json!({})).await
    else {
        panic!("a lost answer must be handed back");
    };
    assert_eq!(id, "org1msp");
    assert!(error.detail.contains("tainted"), "{error:?}");
}

#[tokio::test]
async fn a_read_takes_only_an_imported_record_of_the_type() {
    let mut deployed = record("deployed", "D", "ibm_saas");
    deployed.imported = None;
    let mut ca = record("ca1", "C", "-");
    ca.component_type = Some("fabric-ca".into());
    let fake = Fake::default()
        .with(record("org1msp", "Org1 MSP", "-"))
        .with(deployed)
        .with(ca);
    let records = Records::new(MSP, &fake);
    assert!(records.read("org1msp").await.unwrap().is_some());
    assert!(records.read("deployed").await.unwrap().is_none());
    assert!(records.read("ca1").await.unwrap().is_none());
    assert!(records.read("gone").await.unwrap().is_none());
}

#[tokio::test]
async fn an_empty_edit_sends_nothing_and_a_real_one_goes_to_the_records_route() {
    let fake = Fake::default().with(record("org1msp", "Org1 MSP", "-"));
    let records = Records::new(MSP, &fake);
    records
        .edit(&op(), "org1msp", &EditComponentRequest::default())
        .await
        .unwrap();
    assert_eq!(fake.log(), ["get org1msp"]);
    let mut edit = EditComponentRequest {
        display_name: Some("Renamed".into()),
        ..Default::default()
    };
    edit.fields.insert("msp_id".into(), json!("Org9MSP"));
    let c = records.edit(&op(), "org1msp", &edit).await.unwrap();
    assert_eq!(c.display_name, "Renamed");
    assert_eq!(
        fake.log()[1],
        r#"edit msp org1msp {"display_name":"Renamed","msp_id":"Org9MSP"}"#
    );
}

#[tokio::test]
async fn an_unconfirmed_record_is_removed_only_when_the_id_holds_it() {
    let fake = Fake::default()
        .with(record("mine", "Org1 MSP", "-"))
        .with(record("theirs", "Someone else", "-"));
    let records = Records::new(MSP, &fake);
    records
        .remove(&op(), "theirs", Some("Org1 MSP"), true)
        .await
        .unwrap();
    records
        .remove(&op(), "never", Some("Org1 MSP"), true)
        .await
        .unwrap();
    records
        .remove(&op(), "mine", Some("Org1 MSP"), true)
        .await
        .unwrap();
    let removed: Vec<String> = fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("remove"))
        .collect();
    assert_eq!(removed, ["remove mine"]);
}

#[tokio::test]
async fn importing_a_deployed_component_is_refused_with_the_resource_to_use() {
    let mut deployed = record("deployed", "D", "ibm_saas");
    deployed.imported = None;
    let fake = Fake::default().with(deployed);
    let records = Records::new(MSP, &fake);
    let e = records
        .import("deployed", "blockchain_msp_import")
        .await
        .unwrap_err();
    assert!(e.detail.contains("deployed by this console"), "{e:?}");
    let e = records
        .import("Org1 MSP", "blockchain_msp_import")
        .await
        .unwrap_err();
    assert!(e.detail.contains("no component"), "{e:?}");
}
