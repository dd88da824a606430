//! Persistence in one redb file: every console's component documents and the state each component
//! host keeps for the components it runs (a created CA's state and port), so a restarted emulator
//! comes back with the same components and endpoints.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, TableDefinition};
use serde_json::Value;

use crate::error::EmulatorError;

/// key: `<console>\0<component id>`, value: the stored component document (JSON).
const COMPONENTS: TableDefinition<&str, &str> = TableDefinition::new("components");
/// The table of the `fabric-ca` host; key: `<console>\0<component id>`, value:
/// `{"port":..,"state":<FabricCaState>}` (JSON). Its name predates the other hosts' tables and is
/// kept so existing database files restore.
const CA_HOST_TABLE: &str = "fabric_cas";

/// The table where the host of `component_type` keeps its per-component state (JSON per key
/// `<console>\0<component id>`).
fn host_table(component_type: &str) -> String {
    match component_type {
        "fabric-ca" => CA_HOST_TABLE.to_string(),
        other => format!("host:{other}"),
    }
}

/// Handle to the database; clones share it.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

fn key(console: &str, id: &str) -> String {
    format!("{console}\0{id}")
}

impl Store {
    /// Opens (or creates) the file, or an in-memory database when `path` is `None`.
    pub fn open(path: Option<&Path>) -> Result<Store, EmulatorError> {
        let db = match path {
            Some(p) => Database::create(p)?,
            None => {
                Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?
            }
        };
        let tx = db.begin_write()?;
        tx.open_table(COMPONENTS)?;
        tx.open_table(TableDefinition::<&str, &str>::new(CA_HOST_TABLE))?;
        tx.commit()?;
        Ok(Store { db: Arc::new(db) })
    }

    /// How many handles share the database (a restart waits until it holds the last one).
    pub(crate) fn handles(&self) -> usize {
        Arc::strong_count(&self.db)
    }

    fn load(
        &self,
        table: TableDefinition<&str, &str>,
        console: &str,
    ) -> Result<Vec<(String, Value)>, EmulatorError> {
        let prefix = key(console, "");
        let tx = self.db.begin_read()?;
        let t = match tx.open_table(table) {
            Ok(t) => t,
            // A host's table exists once it stored something.
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in t.range(prefix.as_str()..)? {
            let (k, v) = entry?;
            let Some(id) = k.value().strip_prefix(prefix.as_str()) else {
                break;
            };
            let doc: Value = serde_json::from_str(v.value())?;
            out.push((id.to_string(), doc));
        }
        Ok(out)
    }

    fn put(
        &self,
        table: TableDefinition<&str, &str>,
        console: &str,
        id: &str,
        doc: &Value,
    ) -> Result<(), EmulatorError> {
        let text = serde_json::to_string(doc)?;
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(table)?;
            t.insert(key(console, id).as_str(), text.as_str())?;
        }
        tx.commit()?;
        Ok(())
    }

    fn remove(
        &self,
        table: TableDefinition<&str, &str>,
        console: &str,
        id: &str,
    ) -> Result<(), EmulatorError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(table)?;
            t.remove(key(console, id).as_str())?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn load_components(&self, console: &str) -> Result<Vec<(String, Value)>, EmulatorError> {
        self.load(COMPONENTS, console)
    }
    pub fn put_component(&self, console: &str, id: &str, doc: &Value) -> Result<(), EmulatorError> {
        self.put(COMPONENTS, console, id, doc)
    }
    pub fn delete_component(&self, console: &str, id: &str) -> Result<(), EmulatorError> {
        self.remove(COMPONENTS, console, id)
    }
    /// Every state the host of `component_type` stored for `console`'s components.
    pub fn load_hosted(
        &self,
        component_type: &str,
        console: &str,
    ) -> Result<Vec<(String, Value)>, EmulatorError> {
        let name = host_table(component_type);
        self.load(TableDefinition::new(&name), console)
    }
    pub fn put_hosted(
        &self,
        component_type: &str,
        console: &str,
        id: &str,
        state: &Value,
    ) -> Result<(), EmulatorError> {
        let name = host_table(component_type);
        self.put(TableDefinition::new(&name), console, id, state)
    }
    pub fn delete_hosted(
        &self,
        component_type: &str,
        console: &str,
        id: &str,
    ) -> Result<(), EmulatorError> {
        let name = host_table(component_type);
        self.remove(TableDefinition::new(&name), console, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn components_are_scoped_per_console_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.redb");
        {
            let s = Store::open(Some(&path)).unwrap();
            s.put_component("r1", "org1ca", &json!({"id":"org1ca"}))
                .unwrap();
            s.put_component("r10", "x", &json!({"id":"x"})).unwrap();
            s.put_component("r1", "gone", &json!({})).unwrap();
            s.delete_component("r1", "gone").unwrap();
        }
        let s = Store::open(Some(&path)).unwrap();
        let r1 = s.load_components("r1").unwrap();
        assert_eq!(r1, vec![("org1ca".to_string(), json!({"id":"org1ca"}))]);
        assert_eq!(s.load_components("r10").unwrap().len(), 1);
    }

    #[test]
    fn host_state_is_kept_per_type_and_the_ca_table_keeps_its_name() {
        let s = Store::open(None).unwrap();
        assert!(s.load_hosted("fabric-peer", "r1").unwrap().is_empty());
        s.put_hosted("fabric-peer", "r1", "p", &json!({"port": 1}))
            .unwrap();
        s.put_hosted("fabric-ca", "r1", "c", &json!({"port": 2}))
            .unwrap();
        assert_eq!(
            s.load_hosted("fabric-peer", "r1").unwrap(),
            vec![("p".to_string(), json!({"port": 1}))]
        );
        s.delete_hosted("fabric-peer", "r1", "p").unwrap();
        assert!(s.load_hosted("fabric-peer", "r1").unwrap().is_empty());
        // Databases written before the other hosts existed hold CA state in `fabric_cas`.
        let tx = s.db.begin_read().unwrap();
        let t = tx
            .open_table(TableDefinition::<&str, &str>::new("fabric_cas"))
            .unwrap();
        assert!(t.get("r1\0c").unwrap().is_some());
    }
}
