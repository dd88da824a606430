//! Semantic equality of values the console may spell differently from the user.
//!
//! A read must keep the prior value when the remote one only differs in form (Terraform's rule,
//! docs/dev/plugin-protocol.md#read-rules): otherwise every plan shows a diff, and for attributes that force
//! replacement, a normalised spelling would destroy and recreate the component. The console's
//! Kubernetes deployer reports quantities as Kubernetes writes them (`0.1` vs `100m`, `1Gi` vs
//! `1024Mi`) and image versions with a build suffix (`1.5.5` vs `1.5.5-0`).

use std::collections::BTreeMap;

use crate::framework::{AttributePath, Diagnostics, Validator, Value};

/// The value of a Kubernetes quantity (`100m`, `2`, `200Mi`, `1.5G`, `1e3`), or `None` when
/// the text is not one.
pub fn quantity(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(t.len());
    let (number, suffix) = t.split_at(split);
    let base: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    Some(base * factor)
}

/// Kubernetes' quantity grammar, unsigned (resources and storage are never negative):
/// digits with an optional fraction, then a binary-SI, decimal-SI or exponent suffix.
const QUANTITY_PATTERN: &str =
    r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$";

/// Requires a Kubernetes quantity (`100m`, `2`, `200Mi`, `1e3`); `positive`: more than zero
/// (a zero-sized volume or a zero request is refused by the deployer).
pub fn kubernetes_quantity(positive: bool) -> impl Validator {
    QuantityRule { positive }
}

struct QuantityRule {
    positive: bool,
}

impl Validator for QuantityRule {
    fn description(&self) -> String {
        let more = if self.positive {
            " greater than zero"
        } else {
            ""
        };
        format!("must be a Kubernetes quantity{more}, such as 100m, 2, 200Mi, 20Gi or 1e3")
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let Some(text) = v.as_str() else { return };
        let grammar = regex::Regex::new(QUANTITY_PATTERN).is_ok_and(|re| re.is_match(text));
        let amount = quantity(text).filter(|_| grammar);
        let ok = match amount {
            Some(a) => !self.positive || a > 0.0,
            None => false,
        };
        if !ok {
            diags.attribute_error(
                path.clone(),
                "Invalid attribute value",
                format!("Attribute {path} {}; got {text:?}.", self.description()),
            );
        }
    }
}

/// Two quantity strings that denote the same amount (exact text match otherwise).
pub fn same_quantity(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (quantity(a), quantity(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

/// Two Fabric image versions that name the same release: equal, or one is the other plus the
/// console's `-<build>` suffix (`1.5.5` and `1.5.5-0`).
pub fn same_version(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|build| !build.is_empty() && build.chars().all(|c| c.is_ascii_digit()))
}

/// The prior value when it means the same as the live one, else the live one.
///
/// `prior` is what Terraform holds (the user's spelling); `live` is what the console reports.
pub fn keep_equivalent(prior: &Value, live: Value, same: impl Fn(&str, &str) -> bool) -> Value {
    match (prior.as_str(), live.as_str()) {
        (Some(p), Some(l)) if same(p, l) => prior.clone(),
        _ => live,
    }
}

/// For a map of quantities the user partly set (`{cpu = "100m"}`): the prior map when every key
/// the user set has an equivalent live value. Keys the console adds on its own (defaults for the
/// others) are not drift.
pub fn keep_equivalent_quantities(prior: &Value, live: Value) -> Value {
    if quantities_cover(prior, &live) {
        prior.clone()
    } else {
        live
    }
}

/// Every key of the (non-empty) map `wanted` has an equivalent quantity in the map `have`.
pub fn quantities_cover(wanted: &Value, have: &Value) -> bool {
    let (Some(w), Some(h)) = (wanted.as_map(), have.as_map()) else {
        return false;
    };
    !w.is_empty()
        && w.iter().all(
            |(k, wv)| match (wv.as_str(), h.get(k).and_then(Value::as_str)) {
                (Some(a), Some(b)) => same_quantity(a, b),
                _ => false,
            },
        )
}

/// Resource maps (`{cpu = "100m"}`) mean the same when every key the held map sets has an
/// equivalent quantity in the other. Run both ways (a plan), that is "same keys, equivalent
/// amounts"; run one way (a read, held = the user's map), keys the console adds on its own
/// (defaults for the others) are not drift.
pub struct QuantitiesCover;

impl crate::framework::SemanticEquality for QuantitiesCover {
    fn description(&self) -> String {
        "equivalent Kubernetes quantities for every key set".to_owned()
    }

    fn equal(&self, kept: &Value, new: &Value) -> bool {
        quantities_cover(kept, new)
    }
}

/// Each pair of certificates is the same text (PEM or base64 of it), in order.
pub fn same_certificates(kept: &Value, new: &Value) -> bool {
    match (kept.as_strings(), new.as_strings()) {
        (Some(a), Some(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(&b)
                    .all(|(x, y)| crate::resources::pem::same_certificate(x, y))
        }
        _ => kept == new,
    }
}

/// The same certificates (PEM or base64 of it), whatever their order or repeats: the console
/// keeps a peer's admin certificates as a set, dropping repeats (docs/dev/peer.md#admin-certificates).
pub fn same_certificate_set(kept: &Value, new: &Value) -> bool {
    match (kept.as_strings(), new.as_strings()) {
        (Some(a), Some(b)) => crate::resources::pem::same_certificates_unordered(&a, &b),
        _ => kept == new,
    }
}

/// Both strings are the same JSON value.
pub fn same_json(kept: &Value, new: &Value) -> bool {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    };
    match (parse(kept), parse(new)) {
        (Some(a), Some(b)) => a == b,
        _ => kept == new,
    }
}

/// A string map as `Value`, for tests and callers that build maps from console JSON.
pub fn string_map(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::map_of_strings(pairs.into_iter().collect::<BTreeMap<_, _>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantity_rule_follows_the_kubernetes_grammar() {
        let check = |positive: bool, text: &str| {
            let mut d = Diagnostics::new();
            kubernetes_quantity(positive).validate(
                &AttributePath::root().attr("q"),
                &Value::string(text),
                &mut d,
            );
            !d.has_errors()
        };
        for ok in [
            "100m", "2", "0.5", ".5", "200Mi", "20Gi", "1e3", "1E-2", "500u", "1k",
        ] {
            assert!(check(true, ok), "{ok}");
        }
        for bad in ["lots", "-1", "1 Gi", "1GB", "e3", "10Xi", ""] {
            assert!(!check(false, bad), "{bad}");
        }
        assert!(check(false, "0") && !check(true, "0") && !check(true, "0Gi"));
    }

    #[test]
    fn quantities_parse_decimal_and_binary_suffixes() {
        assert_eq!(quantity("100m"), Some(0.1));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("1Ki"), Some(1024.0));
        assert_eq!(quantity("1.5G"), Some(1.5e9));
        assert_eq!(quantity("1e3"), Some(1000.0));
        assert_eq!(quantity("lots"), None);
        assert_eq!(quantity("10Xi"), None);
    }

    #[test]
    fn equivalent_quantities_match_whatever_their_spelling() {
        assert!(same_quantity("100m", "0.1"));
        assert!(same_quantity("1Gi", "1024Mi"));
        assert!(same_quantity("20Gi", "20Gi"));
        assert!(!same_quantity("1G", "1Gi"));
        assert!(!same_quantity("200Mi", "400Mi"));
        assert!(!same_quantity("abc", "abd"));
    }

    #[test]
    fn versions_match_with_or_without_the_build_suffix() {
        assert!(same_version("1.5.5", "1.5.5-0"));
        assert!(same_version("1.5.5-0", "1.5.5"));
        assert!(same_version("2.4.9-1", "2.4.9-1"));
        assert!(!same_version("1.5.5", "1.5.50"));
        assert!(!same_version("1.5.5-0", "1.5.5-1"));
        assert!(!same_version("1.5", "1.5.5-0"));
    }

    #[test]
    fn the_prior_spelling_is_kept_only_when_equivalent() {
        let prior = Value::string("1.5.5");
        assert_eq!(
            keep_equivalent(&prior, Value::string("1.5.5-0"), same_version),
            prior
        );
        assert_eq!(
            keep_equivalent(&prior, Value::string("1.5.6-0"), same_version),
            Value::string("1.5.6-0")
        );
        assert_eq!(
            keep_equivalent(&Value::Null, Value::string("x"), same_version),
            Value::string("x")
        );
    }

    #[test]
    fn a_partly_set_quantity_map_survives_console_defaults() {
        let prior = string_map([("cpu".to_string(), "100m".to_string())]);
        let live = string_map([
            ("cpu".to_string(), "0.1".to_string()),
            ("memory".to_string(), "200Mi".to_string()),
        ]);
        assert_eq!(keep_equivalent_quantities(&prior, live.clone()), prior);
        let changed = string_map([("cpu".to_string(), "200m".to_string())]);
        assert_eq!(keep_equivalent_quantities(&prior, changed.clone()), changed);
        assert_eq!(keep_equivalent_quantities(&Value::Null, live.clone()), live);
    }
}
