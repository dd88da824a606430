//! Persistence in one redb file: every console's component documents and every created CA's state
//! and port, so a restarted emulator comes back with the same components and CA endpoints.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, TableDefinition};
use serde_json::Value;

use crate::error::EmulatorError;

/// key: `<console>\0<component id>`, value: the stored component document (JSON).
const COMPONENTS: TableDefinition<&str, &str> = TableDefinition::new("components");
/// key: `<console>\0<component id>`, value: `{"port":..,"state":<FabricCaState>}` (JSON).
const CAS: TableDefinition<&str, &str> = TableDefinition::new("fabric_cas");

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
        tx.open_table(CAS)?;
        tx.commit()?;
        Ok(Store { db: Arc::new(db) })
    }

    fn load(
        &self,
        table: TableDefinition<&str, &str>,
        console: &str,
    ) -> Result<Vec<(String, Value)>, EmulatorError> {
        let prefix = key(console, "");
        let tx = self.db.begin_read()?;
        let t = tx.open_table(table)?;
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
    pub fn load_cas(&self, console: &str) -> Result<Vec<(String, Value)>, EmulatorError> {
        self.load(CAS, console)
    }
    pub fn put_ca(&self, console: &str, id: &str, doc: &Value) -> Result<(), EmulatorError> {
        self.put(CAS, console, id, doc)
    }
    pub fn delete_ca(&self, console: &str, id: &str) -> Result<(), EmulatorError> {
        self.remove(CAS, console, id)
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
}
