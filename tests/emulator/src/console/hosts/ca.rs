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
use crate::fabric_ca::CaSettings;

/// Default image version of created CAs. Not recorded; athena's settings name 1.5.5 as the minimum
/// CA version (`settings.get.no-auth` MIGRATION_MIN_VERSIONS), and `-0` is IBP's image suffix
/// (docs/dev/console-api.md#versions: e.g. 2.2.1-0).
pub const DEFAULT_CA_VERSION: &str = "1.5.5-0";

fn b64(pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pem)
}

/// The two sections of an override as the deployer gets them: `tlsca` is a copy of `ca` when the
/// body has none (athena `comp_formatting_lib.js` `fmt_body_athena_to_dep`; OpenAPI
/// `CreateCaBody.config_override`).
fn sections(co: &Value) -> (Option<&Value>, Option<&Value>) {
    let ca = get_ci(co, "ca").filter(|v| !v.is_null());
    let tlsca = get_ci(co, "tlsca").filter(|v| !v.is_null()).or(ca);
    (ca, tlsca)
}

/// The fabric-deployer's replica rule (FOC `packages/fabric-deployer/deployer/components/ca/ca.go`
/// `CheckReplicas`, its messages verbatim): more than one replica needs both overrides, each
/// with `db.type` exactly `postgres` and a non-empty `db.datasource`. Keys are matched as Go's
/// JSON decoder matches struct fields, case-insensitively.
fn check_replicas(replicas: &Value, co: Option<&Value>) -> Option<String> {
    if replicas.as_f64().unwrap_or(1.0) <= 1.0 {
        return None;
    }
    let (ca, tlsca) = co.map(sections).unwrap_or((None, None));
    let (ca, tlsca) = match (ca, tlsca) {
        (None, None) => {
            return Some("CA & TLSCA config override should be passed to allow replicas > 1".into())
        }
        (None, _) => return Some("CA config override missing to allow replicas > 1".into()),
        (_, None) => return Some("TLSCA config override missing to allow replicas > 1".into()),
        (Some(ca), Some(tlsca)) => (ca, tlsca),
    };
    let db = |s: &Value| get_ci(s, "db").filter(|d| !d.is_null()).cloned();
    let (Some(ca_db), Some(tlsca_db)) = (db(ca), db(tlsca)) else {
        return Some(
            "DB Type in CA & TLSCA config override should be `postgres` to allow replicas > 1"
                .into(),
        );
    };
    for (name, db) in [("CA", ca_db), ("TLSCA", tlsca_db)] {
        let text = |key: &str| get_ci(&db, key).and_then(Value::as_str).unwrap_or_default();
        if text("type") != "postgres" {
            return Some(format!(
                "DB Type in {name} config override should be `postgres` to allow replicas > 1"
            ));
        }
        if text("datasource").is_empty() {
            return Some(format!(
                "Datasource in {name} config override should not be empty to allow replicas > 1"
            ));
        }
    }
    None
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
    let (ca_section, tlsca_section) = sections(&co);
    let ca = CaSettings::from_override(ca_section);
    let tlsca = CaSettings::from_override(tlsca_section);
    let info = host.create(id, ca, tlsca, delay).await?;
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

    /// Replicas > 1 need a shared postgres database for ca and tlsca, in the create body's
    /// override (docs/dev/console-api.md#replicas-need-postgresql).
    fn refuse_create(&self, body: &Value) -> Option<String> {
        let replicas = body.get("replicas").unwrap_or(&Value::Null);
        check_replicas(replicas, body.get("config_override"))
    }

    /// A replica increase is checked against the override the CA has: the one last sent, which
    /// the deployer keeps in the custom resource as the stored document keeps it. With no
    /// section in the path the deployer runs `updateAll`, which prefixes the rule's message.
    fn refuse_update(&self, doc: &Value, field: &str, value: &Value) -> Option<String> {
        if field != "replicas" {
            return None;
        }
        check_replicas(value, doc.get("config_override"))
            .map(|m| format!("failed to udpate replicas: {m}"))
    }

    /// An accepted `config_override` (as athena forwards it) reaches the running CA, as the
    /// operator's restart with it merged into the configuration would; the document takes the
    /// generic fields.
    fn update<'a>(
        &'a self,
        id: &'a str,
        doc: &'a Value,
        patch: &'a Map<String, Value>,
    ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>> {
        Box::pin(async move {
            if let Some(co) = patch.get("config_override") {
                let (ca, tlsca) = sections(co);
                let ca = CaSettings::from_override(ca);
                let tlsca = CaSettings::from_override(tlsca);
                CaHost::reconfigure(self, id, &ca, &tlsca).await?;
            }
            Ok(super::generic_update(doc, patch))
        })
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
    fn tlsca_defaults_to_a_copy_of_ca() {
        let ca = json!({"db": {"type": "postgres"}});
        let co = json!({"ca": ca});
        assert_eq!(sections(&co), (Some(&ca), Some(&ca)));
        let co = json!({"ca": ca, "TLSCA": {"debug": true}});
        assert_eq!(sections(&co).1, Some(&json!({"debug": true})));
        assert_eq!(sections(&json!({})), (None, None));
    }

    #[test]
    fn replicas_above_one_need_postgres_for_ca_and_tlsca_as_the_deployer_says() {
        let host = CaHost::new("r1", Store::open(None).unwrap());
        let refused = |co: Value| {
            host.refuse_create(&json!({"replicas": 2, "config_override": co}))
                .unwrap_or_default()
        };
        let pg = json!({"type": "postgres", "datasource": "host=db"});
        assert_eq!(
            host.refuse_create(&json!({"replicas": 2})).as_deref(),
            Some("CA & TLSCA config override should be passed to allow replicas > 1")
        );
        assert_eq!(
            refused(json!({"tlsca": {"db": pg}})),
            "CA config override missing to allow replicas > 1"
        );
        assert_eq!(
            refused(json!({"ca": {}})),
            "DB Type in CA & TLSCA config override should be `postgres` to allow replicas > 1"
        );
        assert_eq!(
            refused(json!({"ca": {"db": {"type": "Postgres", "datasource": "x"}}})),
            "DB Type in CA config override should be `postgres` to allow replicas > 1"
        );
        assert_eq!(
            refused(
                json!({"ca": {"db": pg}, "tlsca": {"db": {"type": "postgres", "datasource": ""}}})
            ),
            "Datasource in TLSCA config override should not be empty to allow replicas > 1"
        );
        // ca alone is copied to tlsca; keys in any case.
        assert!(host
            .refuse_create(&json!({"replicas": 3, "config_override": {"ca": {"DB": {"Type": "postgres", "DataSource": "x"}}}}))
            .is_none());
        assert!(host.refuse_create(&json!({"replicas": 1})).is_none());
        assert!(host.refuse_create(&json!({})).is_none());

        let plain = json!({"config_override": {"ca": {}}});
        assert_eq!(
            host.refuse_update(&plain, "replicas", &json!(2)).as_deref(),
            Some("failed to udpate replicas: DB Type in CA & TLSCA config override should be `postgres` to allow replicas > 1")
        );
        assert!(host.refuse_update(&plain, "replicas", &json!(1)).is_none());
        assert!(host.refuse_update(&plain, "version", &json!("2")).is_none());
        let with_pg = json!({"config_override": {"ca": {"db": pg}, "tlsca": {"db": pg}}});
        assert!(host
            .refuse_update(&with_pg, "replicas", &json!(3))
            .is_none());
    }
}
