//! The athena request-validation spec: the real OpenAPI v3 file and its named regexes, loaded once.
//!
//! athena validates every `/ak/api/v3` body and query against `ibp_openapi_v3.yaml`
//! (`fixtures/console/README.md`; docs/dev/console-api.md#sources), so the emulator reads the very
//! same file instead of hand-coding the rules: the schema order, the `x-validate_*` extensions
//! and the `x-validate_error_messages` templates decide what a 400 says.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// Raw spec text, copied byte for byte from the recording's source commit
/// (`fixtures/console/README.md`).
const OPENAPI_YAML: &str = include_str!("../fixtures/console/ibp_openapi_v3.yaml");
/// athena's `regex` settings object; the YAML names these patterns.
const REGEX_JSON: &str = include_str!("../fixtures/console/validation-regex.json");

/// Why the embedded spec could not be used (a packaging error, never user input).
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("openapi yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("regex json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("regex {name}: {source}")]
    Regex { name: String, source: regex::Error },
    #[error("spec is missing {0}")]
    Missing(&'static str),
    #[error("spec failed to load: {0}")]
    Load(String),
}

/// The loaded spec: component schemas, message templates and compiled named regexes.
pub struct Spec {
    schemas: serde_json::Map<String, Value>,
    messages: HashMap<String, String>,
    regexes: HashMap<String, Regex>,
}

static SPEC: OnceLock<Result<Spec, String>> = OnceLock::new();

impl Spec {
    /// The process-wide spec (parsed on first use; the YAML is ~450 KB).
    pub fn get() -> Result<&'static Spec, SpecError> {
        match SPEC.get_or_init(|| Spec::load().map_err(|e| e.to_string())) {
            Ok(spec) => Ok(spec),
            Err(e) => Err(SpecError::Load(e.clone())),
        }
    }

    fn load() -> Result<Spec, SpecError> {
        let doc: Value = serde_yaml::from_str(OPENAPI_YAML)?;
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .ok_or(SpecError::Missing("components.schemas"))?;
        let messages = doc
            .get("x-validate_error_messages")
            .and_then(Value::as_object)
            .ok_or(SpecError::Missing("x-validate_error_messages"))?
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect();
        let rx: Value = serde_json::from_str(REGEX_JSON)?;
        let mut regexes = HashMap::new();
        if let Some(map) = rx.get("regex").and_then(Value::as_object) {
            for (name, def) in map {
                let source = def
                    .get("source")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let flags = def.get("flags").and_then(Value::as_str).unwrap_or_default();
                let pattern = js_regex_to_rust(source, flags.contains('i'));
                let re = Regex::new(&pattern).map_err(|source| SpecError::Regex {
                    name: name.clone(),
                    source,
                })?;
                regexes.insert(name.clone(), re);
            }
        }
        Ok(Spec {
            schemas,
            messages,
            regexes,
        })
    }

    /// A named component schema (`ImportCaBody`, ...).
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.schemas.get(name)
    }

    /// Follows a `$ref` (only local `#/components/schemas/..` refs occur in the file).
    pub fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        let mut cur = node;
        for _ in 0..16 {
            match cur.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.rsplit('/').next().and_then(|n| self.schemas.get(n)) {
                    Some(next) => cur = next,
                    None => return cur,
                },
                None => return cur,
            }
        }
        cur
    }

    /// A message template with `$PROPERTY_NAME` and other placeholders substituted.
    pub fn message(&self, key: &str, vars: &[(&str, &str)]) -> String {
        let mut text = self
            .messages
            .get(key)
            .or_else(|| self.messages.get("regex_generic_error"))
            .cloned()
            .unwrap_or_else(|| key.to_string());
        // Longest placeholder first so `$VALUE2` is not eaten by `$VALUE`.
        let mut vars: Vec<_> = vars.to_vec();
        vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        for (k, v) in vars {
            text = text.replace(&format!("${k}"), v);
        }
        text
    }

    /// A named athena regex (`is_http_url`, `invalid_msp_id`, ...).
    pub fn regex(&self, name: &str) -> Option<&Regex> {
        self.regexes.get(name)
    }
}

/// JavaScript character classes such as `[\w-._~]` put a literal `-` between escapes; Rust's regex
/// rejects that range syntax, so such dashes are escaped. `/` needs no escaping in Rust either.
fn js_regex_to_rust(source: &str, case_insensitive: bool) -> String {
    let mut out = String::with_capacity(source.len() + 8);
    if case_insensitive {
        out.push_str("(?i)");
    }
    let chars: Vec<char> = source.chars().collect();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                if n == '/' {
                    out.push('/');
                } else {
                    out.push('\\');
                    out.push(n);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
            }
            '[' if in_class => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '-' if in_class => {
                // A dash right after an escape class (\w, \d, \s) is literal in JS.
                let prev_is_class_escape =
                    i >= 2 && chars[i - 2] == '\\' && "wdsWDS".contains(chars[i - 1]);
                let next_is_end = chars.get(i + 1) == Some(&']');
                if prev_is_class_escape || next_is_end {
                    out.push_str("\\-");
                } else {
                    out.push('-');
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_compiles_every_regex() {
        let spec = Spec::get().unwrap();
        assert!(spec.schema("ImportCaBody").is_some());
        let url = spec.regex("is_http_url").unwrap();
        assert!(url.is_match("https://127.0.0.1:7054"));
        assert!(!url.is_match("127.0.0.1:7054"));
        let msp = spec.regex("invalid_msp_id").unwrap();
        assert!(msp.is_match("Org1_MSP"));
        assert!(!msp.is_match("Org1-MSP.x"));
        let enroll = spec.regex("invalid_enroll_characters").unwrap();
        assert!(enroll.is_match("peer:0"));
        assert!(enroll.is_match("pw with space"));
        assert!(!enroll.is_match("peer0pw"));
        let grpc = spec.regex("is_grpc_url").unwrap();
        assert!(grpc.is_match("grpcs://127.0.0.1:7051"));
        assert!(!grpc.is_match("grpcs://127.0.0.1"));
    }

    #[test]
    fn message_templates_substitute() {
        let spec = Spec::get().unwrap();
        assert_eq!(
            spec.message("missing_required", &[("PROPERTY_NAME", "msp.ca")]),
            "Expected parameter 'msp.ca' to exist."
        );
    }
}
