//! The `fabric-ca` host: a deployed CA is the Fabric CA HTTPS server pair (ca + tlsca) of
//! [`CaHost`]; this adds what the deployer needs from it (the CA's document fields, its update
//! rule).

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::{ComponentHost, HostFuture};
use crate::ca_host::{CaHost, CA_TYPE};
use crate::console::common::{get_ci, redact};
use crate::error::EmulatorError;
use crate::fabric_ca::BootstrapIdentity;

/// Default image version of created CAs. Not recorded; athena's settings name 1.5.5 as the minimum
/// CA version (`settings.get.no-auth` MIGRATION_MIN_VERSIONS), and `-0` is IBP's image suffix
/// (docs/dev/console-api.md#versions: e.g. 2.2.1-0).
pub const DEFAULT_CA_VERSION: &str = "1.5.5-0";

fn identities(section: Option<&Value>) -> Vec<BootstrapIdentity> {
    let text = |i: &Value, key: &str| get_ci(i, key).and_then(Value::as_str).map(str::to_string);
    section
        .and_then(|s| get_ci(s, "registry"))
        .and_then(|r| get_ci(r, "identities"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .map(|i| BootstrapIdentity {
                    name: text(i, "name").unwrap_or_default(),
                    pass: text(i, "pass").unwrap_or_default(),
                    kind: text(i, "type").unwrap_or_else(|| "client".to_string()),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn b64(pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pem)
}

fn uses_postgres(co: &Value, section: &str) -> bool {
    get_ci(co, section)
        .and_then(|s| get_ci(s, "db"))
        .and_then(|d| get_ci(d, "type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("postgres"))
}

/// Starts the CA pair of `id` and returns the CA's document fields (docs/dev/console-api.md#create-ca-body
/// CaResponse).
async fn deploy(
    host: &CaHost,
    id: &str,
    body: &Value,
    delay: Duration,
) -> Result<Map<String, Value>, EmulatorError> {
    let co = body
        .get("config_override")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let ca_section = get_ci(&co, "ca");
    let ca_ids = identities(ca_section);
    // tlsca defaults to a copy of ca (OpenAPI CreateCaBody.config_override description).
    let tlsca_section = get_ci(&co, "tlsca").or(ca_section);
    let tlsca_ids = identities(tlsca_section);
    let info = host.create(id, ca_ids, tlsca_ids, delay).await?;
    let mut config_override = co.clone();
    if let (Some(obj), Some(ca)) = (config_override.as_object_mut(), ca_section) {
        if get_ci(&co, "tlsca").is_none() {
            obj.insert("tlsca".into(), ca.clone());
        }
    }
    redact(&mut config_override, false);
    let url = format!("https://127.0.0.1:{}", info.port);
    let mut fields = Map::new();
    fields.insert("api_url".into(), json!(url));
    fields.insert("operations_url".into(), json!(url));
    fields.insert(
        "msp".into(),
        json!({
            "ca": {"name": info.ca_name, "root_certs": [b64(&info.ca_root_pem)]},
            "tlsca": {"name": info.tlsca_name, "root_certs": [b64(&info.tlsca_root_pem)]},
            "component": {"tls_cert": b64(&info.tls_cert_pem)}
        }),
    );
    fields.insert("config_override".into(), config_override);
    // Defaults from athena's THE_DEFAULT_RESOURCES_MAP.ca (`settings.get.no-auth`): 100m / 200Mi / 20Gi.
    fields.insert(
        "resources".into(),
        body.get("resources")
            .cloned()
            .unwrap_or_else(|| json!({"ca":{"requests":{"cpu":"100m","memory":"200Mi"}}})),
    );
    fields.insert(
        "storage".into(),
        body.get("storage")
            .cloned()
            .unwrap_or_else(|| json!({"ca":{"size":"20Gi","class":""}})),
    );
    fields.insert(
        "version".into(),
        body.get("version")
            .cloned()
            .unwrap_or_else(|| json!(DEFAULT_CA_VERSION)),
    );
    fields.insert(
        "replicas".into(),
        body.get("replicas").cloned().unwrap_or_else(|| json!(1)),
    );
    Ok(fields)
}

impl ComponentHost for CaHost {
    fn component_type(&self) -> &'static str {
        CA_TYPE
    }

    fn deploy<'a>(
        &'a self,
        id: &'a str,
        body: &'a Value,
        delay: Duration,
    ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>> {
        Box::pin(deploy(self, id, body, delay))
    }

    /// Replicas > 1 need a shared postgres database for ca and tlsca (docs/dev/console-api.md#replicas-need-postgresql).
    fn refuse_update(&self, doc: &Value, field: &str, value: &Value) -> Option<String> {
        if field != "replicas" || value.as_f64().unwrap_or(1.0) <= 1.0 {
            return None;
        }
        let co = doc.get("config_override").unwrap_or(&Value::Null);
        if uses_postgres(co, "ca") && uses_postgres(co, "tlsca") {
            return None;
        }
        Some("Parameter 'replicas' cannot be greater than 1 unless 'config_override.ca.db' and 'config_override.tlsca.db' use a 'postgres' database.".to_string())
    }

    fn remove<'a>(&'a self, id: &'a str) -> HostFuture<'a, Result<(), EmulatorError>> {
        Box::pin(CaHost::remove(self, id))
    }

    fn restore(&self) -> HostFuture<'_, Result<(), EmulatorError>> {
        Box::pin(CaHost::restore(self))
    }

    fn is_serving<'a>(&'a self, id: &'a str) -> HostFuture<'a, bool> {
        Box::pin(CaHost::is_serving(self, id))
    }

    fn shutdown(&self) -> HostFuture<'_, ()> {
        Box::pin(CaHost::shutdown(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn identities_read_case_insensitive_keys_and_default_to_client() {
        let section = json!({"Registry": {"identities": [{"NAME": "admin", "pass": "pw"}]}});
        let ids = identities(Some(&section));
        assert_eq!(ids.len(), 1);
        assert_eq!(
            (
                ids[0].name.as_str(),
                ids[0].pass.as_str(),
                ids[0].kind.as_str()
            ),
            ("admin", "pw", "client")
        );
        assert!(identities(None).is_empty());
    }

    #[test]
    fn replicas_above_one_need_postgres_for_ca_and_tlsca() {
        let host = CaHost::new("r1", Store::open(None).unwrap());
        let plain = json!({"config_override": {"ca": {}}});
        assert!(host.refuse_update(&plain, "replicas", &json!(2)).is_some());
        assert!(host.refuse_update(&plain, "replicas", &json!(1)).is_none());
        assert!(host.refuse_update(&plain, "version", &json!("2")).is_none());
        let pg = json!({"config_override": {"ca": {"db": {"type": "postgres"}}, "TLSCA": {"DB": {"Type": "Postgres"}}}});
        assert!(host.refuse_update(&pg, "replicas", &json!(3)).is_none());
    }
}
