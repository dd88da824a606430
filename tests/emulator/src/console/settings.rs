//! `GET /settings` and `GET /health`.

use serde_json::{json, Value};

use super::Console;

/// The settings athena returned in deployer mode (`settings.get.deployer-mode`, extracted verbatim
/// into fixtures/console/settings-deployer-mode.json); run-specific values are replaced below.
const RECORDED_SETTINGS: &str = include_str!("../../fixtures/console/settings-deployer-mode.json");

pub fn settings(c: &Console) -> Value {
    let mut s: Value = serde_json::from_str(RECORDED_SETTINGS).unwrap_or_else(|_| json!({}));
    if let Some(o) = s.as_object_mut() {
        o.insert("ATHENA_ID".into(), json!(c.athena_id));
        for k in [
            "HOST_URL",
            "LANDING_URL",
            "PROXY_TLS_HTTP_URL",
            "PROXY_TLS_WS_URL",
            "DEPLOYER_URL",
        ] {
            o.insert(k.into(), json!(c.host_url));
        }
        let port: u64 = c
            .host_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        o.insert("PORT".into(), json!(port));
        o.insert("MAX_REQ_PER_MIN_AK".into(), json!(c.rate_limit));
        // We emulate the deployer, so import-only mode is off
        // (docs/dev/console-api.md#import-only-consoles).
        o.insert("IMPORT_ONLY".into(), json!(false));
        if let Some(f) = o.get_mut("FEATURE_FLAGS").and_then(Value::as_object_mut) {
            f.insert("import_only_enabled".into(), json!(false));
        }
    }
    s
}

/// A reduced `/health` (`health.health.manager` shape: OPTOOLS and OS objects).
pub fn health(c: &Console) -> Value {
    let now = c.now();
    json!({
        "OPTOOLS": {
            "born": c.started_ms,
            "instance_id": c.athena_id,
            "now": now,
            "up_time": format!("{:.1} secs", (now - c.started_ms) as f64 / 1000.0),
        },
        "OS": {"arch": std::env::consts::ARCH, "type": std::env::consts::OS}
    })
}

/// One value of the recorded settings (`settings.get.deployer-mode`), `null` when absent.
pub(crate) fn recorded(key: &str) -> Value {
    serde_json::from_str::<Value>(RECORDED_SETTINGS)
        .ok()
        .and_then(|s| s.get(key).cloned())
        .unwrap_or(Value::Null)
}
