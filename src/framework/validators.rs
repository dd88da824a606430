//! Reusable attribute validators.
//!
//! The engine calls validators only with known, non-null values, so a validator never has to
//! think about unknowns (Terraform validates again once they are known).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::framework::diagnostics::Diagnostics;
use crate::framework::duration::{parse_go_duration, DurationError};
use crate::framework::path::AttributePath;
use crate::framework::value::Value;

/// A check on one attribute's configured value.
pub trait Validator: Send + Sync {
    /// What the validator requires, for documentation and debugging.
    fn description(&self) -> String;
    /// Adds an error to `diags` (at `path`) if `v` is not acceptable.
    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics);
}

const SUMMARY: &str = "Invalid attribute value";

fn invalid(diags: &mut Diagnostics, path: &AttributePath, detail: String) {
    diags.attribute_error(path.clone(), SUMMARY, detail);
}

fn name(path: &AttributePath) -> String {
    if path.is_root() {
        "The value".into()
    } else {
        format!("Attribute {path}")
    }
}

/// Length of a string (in characters) or a collection.
fn length(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::List(l) | Value::Set(l) | Value::Tuple(l) => Some(l.len()),
        Value::Map(m) => Some(m.len()),
        _ => None,
    }
}

/// Requires a non-empty string or collection.
pub fn not_empty() -> impl Validator {
    LengthBetween {
        min: 1,
        max: usize::MAX,
    }
}

/// Requires a string length (characters) or collection size within `min..=max`.
pub fn length_between(min: usize, max: usize) -> impl Validator {
    LengthBetween { min, max }
}

struct LengthBetween {
    min: usize,
    max: usize,
}

impl Validator for LengthBetween {
    fn description(&self) -> String {
        match (self.min, self.max) {
            (1, usize::MAX) => "must not be empty".into(),
            (min, usize::MAX) => format!("length must be at least {min}"),
            (min, max) => format!("length must be between {min} and {max}"),
        }
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        if let Some(len) = length(v) {
            if len < self.min || len > self.max {
                let what = if matches!(v, Value::String(_)) {
                    "characters"
                } else {
                    "elements"
                };
                invalid(
                    diags,
                    path,
                    format!(
                        "{} {}; it has {len} {what}.",
                        name(path),
                        self.description()
                    ),
                );
            }
        }
    }
}

/// Requires a string to be one of `allowed`.
pub fn one_of(allowed: &[&str]) -> impl Validator {
    OneOf(allowed.iter().map(|s| (*s).to_string()).collect())
}

struct OneOf(Vec<String>);

impl Validator for OneOf {
    fn description(&self) -> String {
        format!(
            "must be one of: {}",
            self.0
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        if let Some(s) = v.as_str() {
            if !self.0.iter().any(|a| a == s) {
                invalid(
                    diags,
                    path,
                    format!("{} {}; got {s:?}.", name(path), self.description()),
                );
            }
        }
    }
}

/// Requires every key of a map to be one of `allowed` (e.g. `cpu` and `memory`).
pub fn map_keys_one_of(allowed: &[&str]) -> impl Validator {
    MapKeysOneOf(OneOf(allowed.iter().map(|s| (*s).to_string()).collect()))
}

struct MapKeysOneOf(OneOf);

impl Validator for MapKeysOneOf {
    fn description(&self) -> String {
        format!("keys {}", self.0.description())
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        if let Some(m) = v.as_map() {
            for k in m.keys() {
                if !self.0 .0.iter().any(|a| a == k) {
                    invalid(
                        diags,
                        &path.clone().key(k.clone()),
                        format!("{} has key {k:?}; {}.", name(path), self.description()),
                    );
                }
            }
        }
    }
}

/// Requires a string to match `pattern`; `message` explains the rule to the user.
///
/// An invalid pattern is a programming error; it is reported as a diagnostic rather than a
/// panic so a bad schema cannot crash the provider.
///
/// The pattern is compiled on the first value it checks, not when the schema is built: every
/// provider process builds the schemas before its go-plugin handshake, and compiling the
/// patterns there cost about 1.5 ms of a 3 ms start-up (tests/scripts/handshake.sh), mostly for
/// attributes the configuration never sets.
pub fn regex_matches(pattern: &str, message: &str) -> impl Validator {
    RegexMatches {
        re: OnceLock::new(),
        pattern: pattern.to_string(),
        message: message.to_string(),
    }
}

struct RegexMatches {
    re: OnceLock<Result<Regex, String>>,
    pattern: String,
    message: String,
}

impl Validator for RegexMatches {
    fn description(&self) -> String {
        format!("must match {}: {}", self.pattern, self.message)
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let Some(s) = v.as_str() else { return };
        let re = self
            .re
            .get_or_init(|| Regex::new(&self.pattern).map_err(|e| e.to_string()));
        match re {
            Ok(re) if re.is_match(s) => {}
            Ok(_) => invalid(
                diags,
                path,
                format!("{} {}; got {s:?}.", name(path), self.message),
            ),
            Err(e) => {
                diags.attribute_error(
                    path.clone(),
                    "Provider bug: invalid validation pattern",
                    format!("The pattern {:?} does not compile: {e}", self.pattern),
                );
            }
        }
    }
}

/// Requires an absolute URL with one of `schemes` and a host. User info (a password) in the
/// URL is never repeated in the error.
pub fn url_with_scheme(schemes: &[&str]) -> impl Validator {
    UrlWithScheme(schemes.iter().map(|s| s.to_ascii_lowercase()).collect())
}

struct UrlWithScheme(Vec<String>);

impl Validator for UrlWithScheme {
    fn description(&self) -> String {
        format!(
            "must be a URL with scheme {} and a host",
            self.0.join(" or ")
        )
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let Some(s) = v.as_str() else { return };
        let shown = |u: &url::Url| {
            let mut u = u.clone();
            if u.password().is_some() {
                let _ = u.set_password(Some("REDACTED"));
            }
            u.to_string()
        };
        match url::Url::parse(s) {
            Err(e) => {
                let shown = if s.contains('@') {
                    "(redacted)".to_string()
                } else {
                    format!("{s:?}")
                };
                invalid(
                    diags,
                    path,
                    format!(
                        "{} {}; {shown} is not a valid URL: {e}.",
                        name(path),
                        self.description()
                    ),
                );
            }
            Ok(u) if !self.0.iter().any(|sch| sch == u.scheme()) => invalid(
                diags,
                path,
                format!(
                    "{} {}; {:?} has scheme {:?}.",
                    name(path),
                    self.description(),
                    shown(&u),
                    u.scheme()
                ),
            ),
            Ok(u) if u.host_str().is_none_or(str::is_empty) => invalid(
                diags,
                path,
                format!(
                    "{} {}; {:?} has no host.",
                    name(path),
                    self.description(),
                    shown(&u)
                ),
            ),
            Ok(_) => {}
        }
    }
}

/// Requires a non-negative Go duration string ("30s", "20m", "1h30m").
pub fn go_duration() -> impl Validator {
    GoDuration { positive: false }
}

/// Requires a Go duration string greater than zero (for timeouts).
pub fn positive_go_duration() -> impl Validator {
    GoDuration { positive: true }
}

struct GoDuration {
    positive: bool,
}

impl Validator for GoDuration {
    fn description(&self) -> String {
        if self.positive {
            "must be a positive duration such as \"30s\", \"20m\" or \"1h30m\"".into()
        } else {
            "must be a duration such as \"30s\", \"20m\" or \"1h30m\"".into()
        }
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let Some(s) = v.as_str() else { return };
        match parse_go_duration(s) {
            Ok(d) if self.positive && d.is_zero() => {
                invalid(
                    diags,
                    path,
                    format!("{} must be greater than zero; got {s:?}.", name(path)),
                );
            }
            Ok(_) => {}
            Err(DurationError::Negative(_)) => {
                invalid(
                    diags,
                    path,
                    format!("{} must not be negative; got {s:?}.", name(path)),
                );
            }
            Err(e) => invalid(diags, path, format!("{}: {e}.", name(path))),
        }
    }
}

/// Requires a whole number within `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Validator {
    IntBetween { min, max }
}

struct IntBetween {
    min: i64,
    max: i64,
}

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!(
            "must be a whole number between {} and {}",
            self.min, self.max
        )
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let Value::Number(n) = v else { return };
        match n.as_i64() {
            Some(i) if (self.min..=self.max).contains(&i) => {}
            _ => invalid(
                diags,
                path,
                format!("{} {}; got {n}.", name(path), self.description()),
            ),
        }
    }
}

/// Requires a lowercase string.
pub fn lowercase() -> impl Validator {
    Lowercase
}

struct Lowercase;

impl Validator for Lowercase {
    fn description(&self) -> String {
        "must be lowercase".into()
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        if let Some(s) = v.as_str() {
            if s.chars().any(char::is_uppercase) {
                invalid(
                    diags,
                    path,
                    format!("{} must be lowercase; got {s:?}.", name(path)),
                );
            }
        }
    }
}

/// Applies `inner` to every known, non-null string element of a list, set or map; the path
/// names the element (index or key).
pub fn each_string(inner: impl Validator + 'static) -> impl Validator {
    EachString(Box::new(inner))
}

struct EachString(Box<dyn Validator>);

impl Validator for EachString {
    fn description(&self) -> String {
        format!("each element {}", self.0.description())
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let ok = |e: &Value| e.as_str().is_some();
        match v {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                for (i, e) in items.iter().enumerate().filter(|(_, e)| ok(e)) {
                    self.0.validate(&path.clone().index(i as i64), e, diags);
                }
            }
            Value::Map(m) => {
                for (k, e) in m.iter().filter(|(_, e)| ok(e)) {
                    self.0.validate(&path.clone().key(k.clone()), e, diags);
                }
            }
            _ => {}
        }
    }
}

/// Requires the elements of a list to be distinct.
pub fn unique_elements() -> impl Validator {
    UniqueElements
}

struct UniqueElements;

impl Validator for UniqueElements {
    fn description(&self) -> String {
        "elements must be unique".into()
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let Some(items) = v.as_list() else { return };
        let mut seen = BTreeSet::new();
        for (i, e) in items.iter().enumerate() {
            if let Some(s) = e.as_str() {
                if !seen.insert(s) {
                    invalid(
                        diags,
                        &path.clone().index(i as i64),
                        format!("{} repeats {s:?}.", name(path)),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(v: &dyn Validator, value: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        v.validate(&AttributePath::root().attr("a"), &value, &mut d);
        d
    }

    #[test]
    fn not_empty_and_lengths() {
        assert!(run(&not_empty(), Value::string("")).has_errors());
        assert!(!run(&not_empty(), Value::string("x")).has_errors());
        assert!(run(&not_empty(), Value::List(vec![])).has_errors());
        assert!(!run(&length_between(2, 3), Value::string("ab")).has_errors());
        assert!(run(&length_between(2, 3), Value::string("abcd")).has_errors());
        assert!(
            !run(&length_between(2, 3), Value::string("éé")).has_errors(),
            "counts characters"
        );
    }

    #[test]
    fn one_of_and_lowercase() {
        let v = one_of(&["a", "b"]);
        assert!(!run(&v, Value::string("a")).has_errors());
        let d = run(&v, Value::string("c"));
        assert!(d.has_errors());
        let first = d.iter().next().unwrap();
        assert_eq!(first.attribute, Some(AttributePath::root().attr("a")));
        assert!(first.detail.contains("\"c\""), "{}", first.detail);
        assert!(run(&lowercase(), Value::string("aB")).has_errors());
        assert!(!run(&lowercase(), Value::string("ab-1")).has_errors());
    }

    #[test]
    fn map_keys_must_be_allowed_and_the_path_names_the_key() {
        let v = map_keys_one_of(&["cpu", "memory"]);
        let ok: BTreeMap<String, String> = [("cpu".to_string(), "1".to_string())].into();
        assert!(!run(&v, Value::map_of_strings(ok)).has_errors());
        let bad: BTreeMap<String, String> = [("gpu".to_string(), "1".to_string())].into();
        let d = run(&v, Value::map_of_strings(bad));
        let first = d.iter().next().unwrap();
        assert_eq!(
            first.attribute,
            Some(AttributePath::root().attr("a").key("gpu"))
        );
    }

    #[test]
    fn regex_and_bad_pattern() {
        let v = regex_matches("^[a-z0-9]+$", "use lowercase letters and digits");
        assert!(!run(&v, Value::string("abc1")).has_errors());
        let d = run(&v, Value::string("A!"));
        assert!(d
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("use lowercase letters"));
        let bad = regex_matches("(", "x");
        assert!(run(&bad, Value::string("x")).has_errors());
    }

    #[test]
    fn urls() {
        let v = url_with_scheme(&["http", "https"]);
        assert!(!run(&v, Value::string("https://console.example.com:443")).has_errors());
        let d = run(&v, Value::string("ftp://x.example.com"));
        assert!(d
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("ftp://x.example.com"));
        assert!(run(&v, Value::string("not a url")).has_errors());
        assert!(run(&v, Value::string("http://")).has_errors());
        let d = run(&v, Value::string("ftp://user:secret@x.example.com"));
        let detail = &d.iter().next().unwrap().detail;
        assert!(!detail.contains("secret"), "{detail}");
    }

    #[test]
    fn durations() {
        assert!(!run(&go_duration(), Value::string("20m")).has_errors());
        assert!(!run(&go_duration(), Value::string("0s")).has_errors());
        assert!(run(&go_duration(), Value::string("20 minutes")).has_errors());
        assert!(run(&go_duration(), Value::string("-5m")).has_errors());
        assert!(run(&positive_go_duration(), Value::string("0s")).has_errors());
        assert!(!run(&positive_go_duration(), Value::string("1s")).has_errors());
    }

    #[test]
    fn ints() {
        let v = int_between(1, 10);
        assert!(!run(&v, Value::int(10)).has_errors());
        assert!(run(&v, Value::int(11)).has_errors());
        assert!(run(
            &v,
            Value::Number(crate::framework::value::Number::Float(1.5))
        )
        .has_errors());
    }

    #[test]
    fn each_string_names_the_element() {
        let v = each_string(not_empty());
        let d = run(&v, Value::list_of_strings(["x".to_string(), String::new()]));
        let p = d.iter().next().unwrap().attribute.clone().unwrap();
        assert_eq!(p.to_string(), "a[1]");
        let d = run(
            &v,
            Value::map_of_strings([("k".to_string(), String::new())].into()),
        );
        assert_eq!(
            d.iter()
                .next()
                .unwrap()
                .attribute
                .clone()
                .unwrap()
                .to_string(),
            "a[\"k\"]"
        );
        let d = run(&v, Value::List(vec![Value::unknown(), Value::Null]));
        assert!(d.is_empty());
        assert!(run(
            &unique_elements(),
            Value::list_of_strings(["a".into(), "a".into()])
        )
        .has_errors());
    }
}
