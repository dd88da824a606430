//! A walker over athena's OpenAPI schemas that produces athena's 400 messages.
//!
//! Order (docs/dev/console-api.md#validation-order): inside an object, missing required
//! keys (schema `required` order), then each property in schema order (recursing), then illegal
//! keys (`x-validate_illegal_keys` order, `edit.ca.illegal-keys`, `k8s.create-ca.invalid.illegal-keys`),
//! then unknown keys. All messages come back together.

use serde_json::{Map, Value};

use crate::certs;
use crate::spec::Spec;
use crate::units;

/// Whether the request creates (import/create) or changes (edit/update) a component; athena words
/// illegal keys differently for each (`illegal_key` vs `illegal_key_edit`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Create,
    Edit,
}

/// Extra knowledge some checks need (`x-validate_known_hostname`).
#[derive(Default)]
pub struct Context {
    /// `host:port` of every URL of an already onboarded component.
    pub known_hosts: Vec<String>,
}

/// Validates `body` against the named schema; returns every message (empty = valid).
pub fn validate_body(
    spec: &Spec,
    schema_name: &str,
    body: &Value,
    mode: Mode,
    ctx: &Context,
) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(schema) = spec.schema(schema_name) {
        let walker = Walker { spec, mode, ctx };
        walker.walk(schema, body, "", None, &mut errors);
    }
    errors
}

struct Walker<'a> {
    spec: &'a Spec,
    mode: Mode,
    ctx: &'a Context,
}

/// JavaScript `typeof`-style names athena prints (`null` is an 'object': `edit.ca.null-display-name`).
fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null | Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn quoted_list(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("'{s}'"),
            other => format!("'{other}'"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds a body key for a schema property, case-insensitively when the schema says so.
fn find_key<'v>(
    obj: &'v Map<String, Value>,
    name: &str,
    case_insensitive: bool,
) -> Option<(&'v String, &'v Value)> {
    if let Some((k, v)) = obj.get_key_value(name) {
        return Some((k, v));
    }
    if case_insensitive {
        return obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
    }
    None
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl Walker<'_> {
    fn msg(&self, key: &str, name: &str, extra: &[(&str, &str)]) -> String {
        let mut vars = vec![("PROPERTY_NAME", name)];
        vars.extend_from_slice(extra);
        self.spec.message(key, &vars)
    }

    fn walk(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        parent: Option<&Map<String, Value>>,
        out: &mut Vec<String>,
    ) {
        let schema = self.spec.resolve(schema);
        let expected = schema.get("type").and_then(Value::as_str).unwrap_or("");
        let type_ok = match expected {
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.as_f64().is_some_and(|f| f.fract() == 0.0),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !type_ok {
            out.push(self.msg(
                "invalid_type",
                path,
                &[("PROPERTY_TYPE", expected), ("TYPE", js_type(value))],
            ));
            return;
        }
        match value {
            Value::String(s) => {
                if let Some(m) = self.check_string(schema, s, path) {
                    out.push(m);
                }
            }
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0);
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                    if f > max {
                        out.push(self.msg("too_large", path, &[("MAX", &trim_num(max))]));
                        return;
                    }
                }
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                    if f < min {
                        out.push(self.msg("too_small", path, &[("MIN", &trim_num(min))]));
                    }
                }
            }
            Value::Array(items) => {
                let min = schema
                    .get("minLength")
                    .or_else(|| schema.get("minItems"))
                    .and_then(Value::as_u64);
                let max = schema
                    .get("maxLength")
                    .or_else(|| schema.get("maxItems"))
                    .and_then(Value::as_u64);
                if let Some(min) = min {
                    if (items.len() as u64) < min {
                        out.push(self.msg("arr_too_small", path, &[("MIN", &min.to_string())]));
                        return;
                    }
                }
                if let Some(max) = max {
                    if (items.len() as u64) > max {
                        out.push(self.msg("arr_too_large", path, &[("MAX", &max.to_string())]));
                        return;
                    }
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item_schema, item, &format!("{path}[{i}]"), None, out);
                    }
                }
            }
            Value::Object(obj) => self.walk_object(schema, obj, path, out),
            _ => {}
        }
        let _ = parent;
    }

    fn walk_object(
        &self,
        schema: &Value,
        obj: &Map<String, Value>,
        path: &str,
        out: &mut Vec<String>,
    ) {
        let empty = Map::new();
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let prop_ci = |name: &str| {
            props
                .get(name)
                .map(|p| flag(self.spec.resolve(p), "x-validate_case_insensitive"))
                .unwrap_or(false)
        };
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if find_key(obj, name, prop_ci(name)).is_none() {
                    out.push(self.msg("missing_required", &join(path, name), &[]));
                }
            }
        }
        let mut matched: Vec<&String> = Vec::new();
        for (name, prop_schema) in props {
            if let Some((key, v)) = find_key(obj, name, prop_ci(name)) {
                matched.push(key);
                self.walk(prop_schema, v, &join(path, name), Some(obj), out);
            }
        }
        self.check_requests_vs_limits(props, obj, path, out);
        self.check_known_hosts(props, obj, path, out);
        let illegal: Vec<&str> = schema
            .get("x-validate_illegal_keys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let ci_obj = flag(schema, "x-validate_case_insensitive");
        let mut illegal_found: Vec<&String> = Vec::new();
        let key = if self.mode == Mode::Edit {
            "illegal_key_edit"
        } else {
            "illegal_key"
        };
        for name in &illegal {
            if let Some((k, _)) = find_key(obj, name, ci_obj) {
                illegal_found.push(k);
                out.push(self.msg(key, &join(path, name), &[]));
            }
        }
        if flag(schema, "x-validate_no_extra_keys") {
            // `type` is always accepted (athena `validation_lib.js`, the `ok_fields` of its
            // extra-key check): the console UI sends it in every import body.
            for k in obj.keys().filter(|k| k.as_str() != "type") {
                if !matched.contains(&k) && !illegal_found.contains(&k) {
                    out.push(self.msg("no_extra_keys", &join(path, k), &[]));
                }
            }
        }
    }

    /// One message per string field: the first rule it breaks.
    fn check_string(&self, schema: &Value, s: &str, path: &str) -> Option<String> {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if !values.iter().any(|v| v.as_str() == Some(s)) {
                return Some(self.msg("invalid_value", path, &[("VALUES", &quoted_list(values))]));
            }
        }
        if let Some(values) = schema
            .get("x-validate_illegal_values")
            .and_then(Value::as_array)
        {
            if values.iter().any(|v| v.as_str() == Some(s)) {
                return Some(self.msg("illegal_value", path, &[("VALUES", &quoted_list(values))]));
            }
        }
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if len < min {
                return Some(self.msg("str_too_small", path, &[("MIN", &min.to_string())]));
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if len > max {
                return Some(self.msg("str_too_large", path, &[("MAX", &max.to_string())]));
            }
        }
        let regex_msg = schema
            .get("x-validate_regex_error_msg")
            .and_then(Value::as_str)
            .unwrap_or("regex_generic_error");
        if let Some(name) = schema
            .get("x-validate_regex_must_pass")
            .and_then(Value::as_str)
        {
            if self.spec.regex(name).is_some_and(|re| !re.is_match(s)) {
                return Some(self.msg(regex_msg, path, &[]));
            }
        }
        if let Some(name) = schema
            .get("x-validate_regex_must_fail")
            .and_then(Value::as_str)
        {
            if self.spec.regex(name).is_some_and(|re| re.is_match(s)) {
                return Some(self.msg(regex_msg, path, &[]));
            }
        }
        if flag(schema, "x-validate_base64_certificate") && certs::decode_cert(s).is_none() {
            return Some(self.msg("invalid_certificate", path, &[]));
        }
        let range = |k: &str| {
            schema.get(k).and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
        };
        if flag(schema, "x-validate_cpu")
            && !units::cpu(s).is_some_and(|c| in_range(c, range("x-minimum"), range("x-maximum")))
        {
            return Some(self.msg("invalid_cpu_units", path, &[]));
        }
        if flag(schema, "x-validate_memory")
            && !units::bytes(s).is_some_and(|b| in_range(b, range("x-minimum"), range("x-maximum")))
        {
            return Some(self.msg("invalid_memory_units", path, &[]));
        }
        if flag(schema, "x-validate_storage")
            && !units::bytes(s).is_some_and(|b| in_range(b, range("x-minimum"), range("x-maximum")))
        {
            return Some(self.msg("invalid_storage_units", path, &[]));
        }
        if flag(schema, "x-validate_duration")
            && !units::duration_ns(s)
                .is_some_and(|d| in_range(d, range("x-minimum"), range("x-maximum")))
        {
            return Some(self.msg("invalid_duration_units", path, &[]));
        }
        None
    }

    /// `requests` must not exceed `limits` (`k8s.create-ca.invalid.requests-over-limits`).
    fn check_requests_vs_limits(
        &self,
        props: &Map<String, Value>,
        obj: &Map<String, Value>,
        path: &str,
        out: &mut Vec<String>,
    ) {
        if !(props.contains_key("requests") && props.contains_key("limits")) {
            return;
        }
        let (Some(req), Some(lim)) = (
            obj.get("requests").and_then(Value::as_object),
            obj.get("limits").and_then(Value::as_object),
        ) else {
            return;
        };
        if let (Some(r), Some(l)) = (
            req.get("cpu").and_then(Value::as_str),
            lim.get("cpu").and_then(Value::as_str),
        ) {
            if let (Some(rv), Some(lv)) = (units::cpu(r), units::cpu(l)) {
                if rv > lv {
                    let name = join(path, "requests.cpu");
                    out.push(self.msg(
                        "invalid_requests_for_limits",
                        &name,
                        &[("REQUESTS", r), ("LIMITS", l)],
                    ));
                }
            }
        }
        if let (Some(r), Some(l)) = (
            req.get("memory").and_then(Value::as_str),
            lim.get("memory").and_then(Value::as_str),
        ) {
            if let (Some(rv), Some(lv)) = (units::bytes(r), units::bytes(l)) {
                if rv > lv {
                    let name = join(path, "requests.memory");
                    let (rs, ls) = (units::friendly_bytes(rv), units::friendly_bytes(lv));
                    out.push(self.msg(
                        "invalid_requests_for_limits",
                        &name,
                        &[("REQUESTS", &rs), ("LIMITS", &ls)],
                    ));
                }
            }
        }
    }

    /// `x-validate_known_hostname`: host (+ sibling `port`) must be an onboarded component's
    /// host:port (`k8s.create-peer.invalid.unknown-enroll-host`;
    /// docs/dev/console-api.md#enroll-host-safelist).
    fn check_known_hosts(
        &self,
        props: &Map<String, Value>,
        obj: &Map<String, Value>,
        path: &str,
        out: &mut Vec<String>,
    ) {
        let Some(host_schema) = props.get("host") else {
            return;
        };
        if !flag(self.spec.resolve(host_schema), "x-validate_known_hostname") {
            return;
        }
        let Some(host) = obj.get("host").and_then(Value::as_str) else {
            return;
        };
        let port = match obj.get("port") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let wanted = if port.is_empty() {
            host.to_string()
        } else {
            format!("{host}:{port}")
        };
        if !self
            .ctx
            .known_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&wanted))
        {
            out.push(self.msg("unknown_enroll_host", &join(path, "host"), &[]));
        }
    }
}

fn in_range(v: f64, min: Option<f64>, max: Option<f64>) -> bool {
    min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
}

fn trim_num(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: &str, body: Value, mode: Mode) -> Vec<String> {
        validate_body(
            Spec::get().unwrap(),
            schema,
            &body,
            mode,
            &Context::default(),
        )
    }

    #[test]
    fn empty_ca_import_lists_required_in_schema_order() {
        assert_eq!(
            run("ImportCaBody", json!({}), Mode::Create),
            vec![
                "Expected parameter 'display_name' to exist.",
                "Expected parameter 'api_url' to exist.",
                "Expected parameter 'msp' to exist."
            ]
        );
    }

    #[test]
    fn nested_unknown_key_precedes_root_unknown_key() {
        let body = json!({"display_name":"x","api_url":"https://a:1","msp":{"ca":{"name":"ca","extra":true},"tlsca":{"name":"t"},"component":{}},"bogus":1});
        let errs = run("ImportCaBody", body, Mode::Create);
        assert_eq!(
            errs,
            vec![
                "Parameter 'msp.ca.extra' is an unknown key for object.",
                "Expected parameter 'msp.component.tls_cert' to exist.",
                "Parameter 'bogus' is an unknown key for object."
            ]
        );
    }

    #[test]
    fn edit_illegal_keys_follow_list_order() {
        let errs = run(
            "EditCaDataBody",
            json!({"id":"n","config_override":{},"type":"msp"}),
            Mode::Edit,
        );
        assert_eq!(
            errs,
            vec![
                "Parameter 'config_override' is either never editable or not editable via this api.",
                "Parameter 'id' is either never editable or not editable via this api.",
                "Parameter 'type' is either never editable or not editable via this api."
            ]
        );
    }

    #[test]
    fn null_is_reported_as_object() {
        assert_eq!(
            run("EditCaDataBody", json!({"display_name":null}), Mode::Edit),
            vec!["Expected parameter 'display_name' to be of type: 'string', but instead was: 'object'."]
        );
    }
}
