//! `config_override` of `blockchain_ca`: the user's Fabric CA settings for the two CAs a console
//! CA hosts, `{"ca": {...}, "tlsca": {...}}` as athena's create and update bodies take them
//! (docs/dev/console-api.md#ca-configuration-overrides).
//!
//! What the console does with an override, and so what this module does:
//! - `tlsca` defaults to a copy of `ca` when the override has none (athena
//!   `fmt_body_athena_to_dep`), on a create and on an update alike: [`sections`].
//! - A create needs `ca.registry` (the admin identity) in both sections: the provider adds its own
//!   ([`create_json`]); the user may not set `registry` at all ([`check`]), because an update that
//!   carried it would have to carry the admin's password, which athena then stores as sent.
//! - An update replaces the stored override and the custom resource's, and the operator merges it
//!   into the CA's running configuration: what an update leaves out keeps its current value
//!   ([`update_json`] sends the whole override; removing a setting resets nothing).
//! - Every GET drops `config_override.{ca,tlsca}.db.datasource`; the stored copy is otherwise what
//!   was last sent, so a read compares it with the state, keys compared case-insensitively
//!   ([`live_text`], [`reflects`]).
//! - More than one replica needs PostgreSQL for both CAs ([`postgres_gaps`]).

use serde_json::{Map, Value};

use crate::framework::{AttributePath, Diagnostic, Diagnostics, Tf};

/// The two Fabric CAs of a console CA, as `config_override` keys.
pub(super) const SECTIONS: [&str; 2] = ["ca", "tlsca"];
const CA: &str = SECTIONS[0];
const TLSCA: &str = SECTIONS[1];

/// The settings athena's `ConfigCACreate` lists (OAS3), lower case: anything else is refused as
/// an unknown key (`x-validate_no_extra_keys`). `registry` is the provider's.
const SETTINGS: [&str; 16] = [
    "cors",
    "debug",
    "crlsizelimit",
    "tls",
    "ca",
    "crl",
    "registry",
    "db",
    "affiliations",
    "csr",
    "idemix",
    "bccsp",
    "intermediate",
    "cfg",
    "metrics",
    "signing",
];
/// Keys athena fills in itself: "is automatically populated. It can not be set." (OAS3
/// `ConfigCACreate` `x-validate_illegal_keys`; `k8s.create-ca.invalid.illegal-keys`).
const FILLED_IN: [&str; 6] = ["version", "port", "caount", "cafiles", "operations", "ldap"];
/// Refused in an update only (OAS3 `ConfigCAUpdate` `x-validate_illegal_keys`).
const CREATE_ONLY: &str = "signing";
/// `db.type` values athena accepts (OAS3 `ConfigCA_db`).
const DB_TYPES: [&str; 3] = ["sqlite3", "postgres", "mysql"];
/// The database type the deployer wants for several replicas (`CheckReplicas` compares exactly).
const POSTGRES: &str = "postgres";

/// `key` in `obj`, its name matched case-insensitively (the console's nested names are not
/// case-sensitive: OAS3 `CreateCaBody.config_override`).
fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The override as a JSON object, or why it is not one (never quoting its content: it may hold
/// a database password).
pub(super) fn parse(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("it must be a JSON object: {\"ca\": {...}, \"tlsca\": {...}}".to_owned()),
        Err(e) => Err(format!(
            "it is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )),
    }
}

fn invalid(problem: &str, path: &AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Invalid CA configuration override",
        format!("config_override: {problem}."),
    )
    .at(path.clone())
}

/// Checks what the console would refuse in a create, or what the provider keeps for itself,
/// with diagnostics at `path`.
pub(super) fn check(text: &str, path: &AttributePath, diags: &mut Diagnostics) {
    let user = match parse(text) {
        Ok(m) => m,
        Err(why) => {
            diags.push(invalid(&why, path));
            return;
        }
    };
    let mut problems = Vec::new();
    for (key, value) in &user {
        if !SECTIONS.contains(&key.as_str()) {
            problems.push(format!(
                "`{key}` is not a CA of the console's CA: the override has only `ca` and `tlsca` (lower case)"
            ));
            continue;
        }
        let Some(section) = value.as_object() else {
            problems.push(format!(
                "`{key}` must be a JSON object of Fabric CA settings"
            ));
            continue;
        };
        section_problems(key, section, &mut problems);
    }
    for p in problems {
        diags.push(invalid(&p, path));
    }
    let allow_remove = sections(&user).iter().any(|(_, s)| {
        get_ci(s, "cfg")
            .and_then(Value::as_object)
            .and_then(|c| get_ci(c, "identities"))
            .and_then(Value::as_object)
            .is_some_and(|i| get_ci(i, "allowremove").is_some())
    });
    if allow_remove {
        diags.push(
            Diagnostic::warning(
                "cfg.identities.allowremove has no effect",
                "The operator that runs the console's CAs turns identity removal on for every CA \
                 after applying the override (fabric-operator `setDefaults`), so \
                 `cfg.identities.allowremove` is ignored.",
            )
            .at(path.clone()),
        );
    }
}

/// Checks what the console's update refuses on top of a create's rules ([`check`]): `signing`.
pub(super) fn check_update(text: &str, path: &AttributePath, diags: &mut Diagnostics) {
    let Ok(user) = parse(text) else {
        return; // [`check`] reported it
    };
    for (name, section) in user.iter().filter(|(k, _)| SECTIONS.contains(&k.as_str())) {
        let keys = section.as_object().into_iter().flat_map(|s| s.keys());
        for key in keys.filter(|k| k.eq_ignore_ascii_case(CREATE_ONLY)) {
            let problem = format!(
                "`{name}.{key}` can only be given when the CA is created: the console refuses it \
                 in an update (remove it; the CA keeps the signing settings it has)"
            );
            diags.push(invalid(&problem, path));
        }
    }
}

fn section_problems(name: &str, section: &Map<String, Value>, out: &mut Vec<String>) {
    for (key, value) in section {
        let lower = key.to_ascii_lowercase();
        if lower == "registry" {
            out.push(format!(
                "`{name}.{key}` is set by the provider: it registers the admin from \
                 admin_enroll_id and admin_enroll_secret (register further identities with \
                 blockchain_ca_identity)"
            ));
        } else if FILLED_IN.contains(&lower.as_str()) {
            out.push(format!(
                "`{name}.{key}` is filled in by the console and cannot be set"
            ));
        } else if !SETTINGS.contains(&lower.as_str()) {
            out.push(format!(
                "`{name}.{key}` is not a CA setting the console accepts"
            ));
        } else if lower == "db" {
            db_problems(name, key, value, out);
        }
    }
}

fn db_problems(name: &str, key: &str, value: &Value, out: &mut Vec<String>) {
    let Some(db) = value.as_object() else {
        out.push(format!("`{name}.{key}` must be an object"));
        return;
    };
    match get_ci(db, "type") {
        None => out.push(format!("`{name}.{key}.type` is required")),
        Some(Value::String(t)) if DB_TYPES.contains(&t.as_str()) => {}
        Some(_) => out.push(format!(
            "`{name}.{key}.type` must be one of \"sqlite3\", \"postgres\", \"mysql\""
        )),
    }
    match get_ci(db, "datasource") {
        None => out.push(format!("`{name}.{key}.datasource` is required")),
        Some(Value::String(_)) => {}
        Some(_) => out.push(format!("`{name}.{key}.datasource` must be a string")),
    }
}

/// Both CAs' sections as the console applies them: `tlsca` is a copy of `ca` when the override
/// has none; a CA the override does not mention gets nothing.
pub(super) fn sections(user: &Map<String, Value>) -> [(&'static str, Map<String, Value>); 2] {
    let section = |key: &str| user.get(key).and_then(Value::as_object).cloned();
    let ca = section(CA);
    let tlsca = section(TLSCA).or_else(|| ca.clone());
    [
        (CA, ca.unwrap_or_default()),
        (TLSCA, tlsca.unwrap_or_default()),
    ]
}

/// `{"ca": {...}, "tlsca": {...}}` with both sections as the console applies them.
pub(super) fn expanded(user: &Map<String, Value>) -> Value {
    Value::Object(
        sections(user)
            .into_iter()
            .map(|(k, s)| (k.to_owned(), Value::Object(s)))
            .collect(),
    )
}

/// The create body's `config_override`: the user's sections, each with the provider's
/// `registry` (`admin` is `{"registry": {...}}`, [`crate::console::admin_registry`]).
pub(super) fn create_json(user: Option<&Map<String, Value>>, admin: &Value) -> Value {
    let empty = Map::new();
    let mut out = expanded(user.unwrap_or(&empty));
    if let (Some(sections), Some(registry)) = (out.as_object_mut(), admin.as_object()) {
        for section in sections.values_mut().filter_map(Value::as_object_mut) {
            section.extend(registry.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    out
}

/// The update body's `config_override`: the whole override, both sections (athena would copy
/// `ca` to a missing `tlsca` itself), never the registry.
pub(super) fn update_json(user: &Map<String, Value>) -> Value {
    expanded(user)
}

/// What keeps the deployer from running several replicas with this override, as JSON paths:
/// it wants `db.type` exactly `postgres` and a `db.datasource` for both CAs (FOC
/// `packages/fabric-deployer/deployer/components/ca/ca.go` `CheckReplicas`). Empty when
/// nothing does.
pub(super) fn postgres_gaps(user: Option<&Map<String, Value>>) -> Vec<String> {
    let empty = Map::new();
    let mut gaps = Vec::new();
    for (name, section) in sections(user.unwrap_or(&empty)) {
        let db = get_ci(&section, "db").and_then(Value::as_object);
        let db_type = db.and_then(|d| get_ci(d, "type")).and_then(Value::as_str);
        if db_type != Some(POSTGRES) {
            gaps.push(format!("{name}.db.type = \"postgres\""));
        }
        let datasource = db
            .and_then(|d| get_ci(d, "datasource"))
            .and_then(Value::as_str);
        if datasource.is_none_or(str::is_empty) {
            gaps.push(format!("{name}.db.datasource"));
        }
    }
    gaps
}

/// `v` with every object key in lower case, except the affiliation names below `affiliations`
/// (case-sensitive in Fabric CA): the form in which two overrides mean the same to the console.
fn folded(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    let v = if lower == "affiliations" {
                        v.clone()
                    } else {
                        folded(v)
                    };
                    (lower, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(folded).collect()),
        other => other.clone(),
    }
}

/// The user's part of the console's stored override, comparable with `known` (an expanded
/// override): both sections (`tlsca` defaulting to `ca`, as the console applies them), without
/// the provider's `registry`, and with `known`'s `db.datasource` where the console's answer
/// lacks it (athena drops it from every response, `comp_formatting_lib.js` `fmt_component_resp`).
/// `None` when the console reports no override.
fn readable(live: &Value, known: &Value) -> Option<Value> {
    let live = live.as_object()?;
    let mut out = expanded(live);
    for (name, section) in out.as_object_mut()?.iter_mut() {
        let Some(section) = section.as_object_mut() else {
            continue;
        };
        section.retain(|k, _| !k.eq_ignore_ascii_case("registry"));
        let datasource = known
            .get(name.as_str())
            .and_then(Value::as_object)
            .and_then(|s| get_ci(s, "db"))
            .and_then(Value::as_object)
            .and_then(|d| get_ci(d, "datasource"));
        let db = section
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("db"))
            .and_then(|(_, v)| v.as_object_mut());
        if let (Some(db), Some(datasource)) = (db, datasource) {
            if get_ci(db, "datasource").is_none() {
                db.insert("datasource".to_owned(), datasource.clone());
            }
        }
    }
    Some(out)
}

/// Whether the console's stored override shows what an update sent (`sent`: [`update_json`]).
/// A console that reports no override cannot hold the update back; the next read shows any
/// difference as drift.
pub(super) fn reflects(live: &Value, sent: &Value) -> bool {
    match readable(live, sent) {
        Some(have) => folded(&have) == folded(sent),
        None => true,
    }
}

/// The state's `config_override` after a read of the console's stored override `live`: the
/// state's own text while the console's copy means the same, else the console's copy (which
/// then plans an update back to the configuration). An override the state does not hold is not
/// adopted from the console: nobody manages it.
pub(super) fn live_text(state: &Tf<String>, live: &Value) -> Tf<String> {
    let Some(text) = state.known() else {
        return Tf::Null;
    };
    let Ok(user) = parse(text) else {
        return state.clone();
    };
    let known = expanded(&user);
    match readable(live, &known) {
        Some(have) if folded(&have) != folded(&known) => {
            Tf::from_option(serde_json::to_string(&have).ok()).or_known(state.clone())
        }
        _ => state.clone(),
    }
}
