//! Console errors: one variant per way a call can fail, each rendered as a full
//! sentence (these texts reach users as Terraform diagnostics). The mapping from
//! an HTTP answer to a variant lives here as a pure function so it can be tested
//! against the real recorded bodies.

use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

/// The message athena sends on `/kubernetes/...` routes when it runs without a deployer
/// (docs/dev/console-api.md#import-only-consoles).
const IMPORT_ONLY_MARKER: &str = "without the \"deployer\"";
/// Longest excerpt of a non-JSON body kept in an error.
const MAX_EXCERPT: usize = 300;

/// A failed console (or Fabric CA probe) call. `request` is `"<METHOD> <path>"`
/// without query, host or credentials.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConsoleError {
    #[error("{request}: the console rejected the credentials (401 Unauthorized): a wrong key or secret, an expired token, or a key without the role this action needs (a missing role is also a 401); the console locks a client out after 5 failures")]
    Unauthorized { request: String },

    #[error("{request}: the console has locked this client out after repeated authentication failures (402): {detail}. Fix the credentials, then wait about 2 minutes before trying again")]
    LockedOut { request: String, detail: String },

    #[error("{request}: the console refused the action (403 Forbidden): {detail}")]
    Forbidden { request: String, detail: String },

    #[error("{request}: the console rejected the request (400): {}", msgs.join("; "))]
    BadRequest { request: String, msgs: Vec<String> },

    /// `reason` is the console's own `missing`/`deleted` marker; it is `None` for
    /// 404s that are not about a component (unknown route, a proxy's page).
    #[error("{request}: not found (404): {msg}")]
    NotFound {
        request: String,
        reason: Option<String>,
        msg: String,
    },

    #[error("{request}: conflict (409): {msg}")]
    Conflict { request: String, msg: String },

    #[error("{request}: the console's rate limit was still exceeded (429) after retrying{}; the console's max_req_per_min_ak setting limits this client", retry_after.map(|d| format!(" (it asked to wait {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        request: String,
        retry_after: Option<Duration>,
    },

    #[error("{request}: the console is unavailable ({status}): {msg}")]
    Unavailable {
        request: String,
        status: u16,
        msg: String,
    },

    /// The console runs without a deployer (import-only mode): `/kubernetes/...` routes can
    /// never succeed there (docs/dev/console-api.md#import-only-consoles).
    #[error("{request}: {msg}. This console runs in import-only mode (no deployer), so it cannot create, update or delete Kubernetes components; import them instead or use a console with a deployer")]
    ImportOnly { request: String, msg: String },

    #[error("{request}: the console failed ({status}): {msg}")]
    Server {
        request: String,
        status: u16,
        msg: String,
    },

    /// A non-idempotent request was sent but its answer was lost, so whether the
    /// console acted on it is unknown. Create logic resolves this by reading back.
    #[error("{request}: the request was sent but no answer arrived ({detail}); the console may or may not have acted on it")]
    Ambiguous { request: String, detail: String },

    /// The console's TLS certificate is not trusted: permanent, never retried.
    #[error("{request}: the console's TLS certificate is not trusted ({detail}). Add its CA certificate, or the certificate itself, to the trusted bundle")]
    UntrustedCertificate { request: String, detail: String },

    #[error("{request}: could not reach the console: {detail}")]
    Transport { request: String, detail: String },

    #[error("{request}: the console did not answer in time")]
    Timeout { request: String },

    #[error("{request}: the console's answer could not be read: {detail}")]
    Decode { request: String, detail: String },

    #[error("IBM Cloud IAM did not issue a token{}: {detail}. Check the IAM API key", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    IamToken { status: Option<u16>, detail: String },

    /// A bounded wait (deletion, CA readiness) ran out; `last` is the last error seen.
    #[error("timed out after {} s waiting for {what}{}", waited.as_secs(), last.as_ref().map(|l| format!(" (last error: {l})")).unwrap_or_default())]
    WaitTimeout {
        what: String,
        waited: Duration,
        last: Option<String>,
    },

    #[error("invalid console configuration: {0}")]
    Config(String),

    #[error("{request}: cancelled because Terraform asked the provider to stop")]
    Cancelled { request: String },

    /// Not sent: the console (or IAM) refused these credentials earlier in this run, and every
    /// further attempt would count towards the console's lockout (docs/dev/console-api.md#lockout).
    #[error("{request}: not sent, because the credentials were refused earlier in this run ({first}); no more requests are sent with them, so the console does not lock this client out")]
    CredentialsRefused { request: String, first: String },
}

impl From<crate::net::tls::TlsError> for ConsoleError {
    fn from(e: crate::net::tls::TlsError) -> Self {
        ConsoleError::Config(e.0)
    }
}

impl ConsoleError {
    /// True only when the console itself said the component does not exist
    /// (`reason` present, or the stale-after-delete shape). A 404 for an unknown
    /// route or from a proxy is not "gone": dropping state on it would be wrong
    /// (docs/dev/console-api.md#error-bodies, docs/dev/console-api.md#stale-read-after-delete).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ConsoleError::NotFound {
                reason: Some(_),
                ..
            }
        )
    }

    /// True when the answer says the credentials are wrong (the console's 401 or 402, or IAM
    /// refusing the key): repeating the request only brings the lockout closer.
    pub fn is_credential_failure(&self) -> bool {
        match self {
            ConsoleError::Unauthorized { .. } | ConsoleError::LockedOut { .. } => true,
            ConsoleError::IamToken { status, .. } => {
                status.is_some_and(|s| (400..500).contains(&s))
            }
            _ => false,
        }
    }

    /// True when the console answered in a way only an authenticated client is answered.
    pub(crate) fn proves_authentication(&self) -> bool {
        matches!(
            self,
            ConsoleError::BadRequest { .. }
                | ConsoleError::NotFound { .. }
                | ConsoleError::Conflict { .. }
                | ConsoleError::Forbidden { .. }
        )
    }

    /// True for a 409 id conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ConsoleError::Conflict { .. })
    }

    /// True when the console runs without a deployer (import-only mode), so
    /// `/kubernetes/...` calls can never succeed there.
    pub fn is_import_only(&self) -> bool {
        matches!(self, ConsoleError::ImportOnly { .. })
    }

    /// The HTTP status behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ConsoleError::Unauthorized { .. } => Some(401),
            ConsoleError::LockedOut { .. } => Some(402),
            ConsoleError::Forbidden { .. } => Some(403),
            ConsoleError::BadRequest { .. } => Some(400),
            ConsoleError::NotFound { .. } => Some(404),
            ConsoleError::Conflict { .. } => Some(409),
            ConsoleError::RateLimited { .. } => Some(429),
            ConsoleError::ImportOnly { .. } => Some(503),
            ConsoleError::Unavailable { status, .. } | ConsoleError::Server { status, .. } => {
                Some(*status)
            }
            ConsoleError::IamToken { status, .. } => *status,
            _ => None,
        }
    }
}

/// Maps a non-success HTTP answer to an error, using the console's own words.
/// `request` is `"<METHOD> <path>"`; `retry_after` is the parsed header, if any.
pub fn from_response(
    request: &str,
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
) -> ConsoleError {
    let request = request.to_owned();
    let json: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| json.as_ref().and_then(|j| j.get(name));
    match status {
        400 => BadRequestMsgs::collect(json.as_ref(), body).into_error(request),
        401 => ConsoleError::Unauthorized { request },
        402 => ConsoleError::LockedOut {
            request,
            detail: field("error").map(text_of).unwrap_or_else(|| excerpt(body)),
        },
        403 => {
            let mut detail = field("error")
                .or_else(|| field("msg"))
                .map(text_of)
                .unwrap_or_else(|| excerpt(body));
            if let Some(Value::Array(actions)) = field("attempted_actions") {
                let names: Vec<String> = actions.iter().map(text_of).collect();
                if !names.is_empty() {
                    detail = format!("{detail} (needs: {})", names.join(", "));
                }
            }
            ConsoleError::Forbidden { request, detail }
        }
        404 => ConsoleError::NotFound {
            request,
            reason: field("reason").and_then(Value::as_str).map(str::to_owned),
            msg: field("msg").map(text_of).unwrap_or_else(|| excerpt(body)),
        },
        409 => ConsoleError::Conflict {
            request,
            msg: field("msg").map(text_of).unwrap_or_else(|| excerpt(body)),
        },
        429 => ConsoleError::RateLimited {
            request,
            retry_after,
        },
        503 => {
            let msg = server_msg(json.as_ref(), body);
            if msg.contains(IMPORT_ONLY_MARKER) {
                return ConsoleError::ImportOnly { request, msg };
            }
            ConsoleError::Unavailable {
                request,
                status,
                msg,
            }
        }
        502 | 504 => ConsoleError::Unavailable {
            request,
            status,
            msg: server_msg(json.as_ref(), body),
        },
        _ => ConsoleError::Server {
            request,
            status,
            msg: server_msg(json.as_ref(), body),
        },
    }
}

/// The messages of a 400, from whichever of athena's shapes was used:
/// `{msgs:[..]}` (validation), `{msg:[..]}` (API keys), `{msg, details}` (bad JSON)
/// (docs/dev/console-api.md#error-bodies).
struct BadRequestMsgs(Vec<String>);

impl BadRequestMsgs {
    fn collect(json: Option<&Value>, body: &str) -> Self {
        let mut out = Vec::new();
        if let Some(j) = json {
            for key in ["msgs", "msg"] {
                match j.get(key) {
                    Some(Value::Array(items)) => out.extend(items.iter().map(text_of)),
                    Some(Value::Null) | None => {}
                    Some(other) => out.push(text_of(other)),
                }
            }
            if let Some(details) = j.get("details") {
                out.push(text_of(details));
            }
            if out.is_empty() {
                if let Some(e) = j.get("error") {
                    out.push(text_of(e));
                }
            }
        }
        if out.is_empty() {
            out.push(excerpt(body));
        }
        Self(out)
    }

    fn into_error(self, request: String) -> ConsoleError {
        ConsoleError::BadRequest {
            request,
            msgs: self.0,
        }
    }
}

/// The best human text in a 5xx body: `msg` as a string, or the deployer's
/// nested `{message, code}`, or `error`.
fn server_msg(json: Option<&Value>, body: &str) -> String {
    let Some(j) = json else {
        return excerpt(body);
    };
    match j.get("msg") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => {
            let message = o.get("message").map(text_of).unwrap_or_default();
            match o.get("code").and_then(Value::as_str) {
                Some(code) if !message.contains(code) => format!("{message} ({code})"),
                _ if message.is_empty() => Value::Object(o.clone()).to_string(),
                _ => message,
            }
        }
        Some(Value::Null) | None => j
            .get("error")
            .map(text_of)
            .unwrap_or_else(|| "no details given".to_owned()),
        Some(other) => other.to_string(),
    }
}

/// A JSON value as plain text (strings without quotes).
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A short, single-line excerpt of a non-JSON body.
fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "no details given".to_owned();
    }
    let mut s: String = trimmed.chars().take(MAX_EXCERPT).collect();
    if trimmed.chars().count() > MAX_EXCERPT {
        s.push('…');
    }
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testutil::recorded;

    /// Maps the recorded exchange `name` as if it answered `request`.
    fn map(name: &str, request: &str) -> ConsoleError {
        let r = recorded(name);
        let retry_after = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, v)| v.parse().ok())
            .map(Duration::from_secs);
        from_response(request, r.status, retry_after, &r.body)
    }

    #[test]
    fn recorded_401_says_check_the_key_and_warns_about_lockout() {
        let e = map("auth.list.no-auth", "GET /ak/api/v3/components");
        assert!(matches!(e, ConsoleError::Unauthorized { .. }));
        let text = e.to_string();
        assert!(
            text.starts_with(
                "GET /ak/api/v3/components: the console rejected the credentials (401"
            ),
            "{text}"
        );
        assert!(text.contains("a wrong key or secret"));
        assert!(text.contains("locks a client out after 5 failures"));
    }

    #[test]
    fn recorded_402_lockout_keeps_the_consoles_words() {
        let e = map(
            "auth.lockout.valid-credentials-rejected",
            "GET /ak/api/v3/components",
        );
        assert_eq!(
            e,
            ConsoleError::LockedOut {
                request: "GET /ak/api/v3/components".into(),
                detail: "too many auth failures. client is locked out. try again in 2.0 mins"
                    .into()
            }
        );
        assert!(e.to_string().contains("wait about 2 minutes"));
    }

    #[test]
    fn recorded_403_names_the_missing_action() {
        let e = map("token.use.write", "POST /ak/api/v3/components/msp");
        assert_eq!(e.status(), Some(403));
        assert_eq!(
            e.to_string(),
            "POST /ak/api/v3/components/msp: the console refused the action (403 Forbidden): username/api key is not authorized for these action(s) (needs: blockchain.components.import)"
        );
    }

    #[test]
    fn recorded_400_shapes_all_become_message_lists() {
        let e = map(
            "import.ca.invalid.empty-body",
            "POST /ak/api/v3/components/fabric-ca",
        );
        assert_eq!(
            e,
            ConsoleError::BadRequest {
                request: "POST /ak/api/v3/components/fabric-ca".into(),
                msgs: vec![
                    "Expected parameter 'display_name' to exist.".into(),
                    "Expected parameter 'api_url' to exist.".into(),
                    "Expected parameter 'msp' to exist.".into(),
                ]
            }
        );
        assert!(e.to_string().ends_with(
            "rejected the request (400): Expected parameter 'display_name' to exist.; Expected parameter 'api_url' to exist.; Expected parameter 'msp' to exist."
        ));
        // {msg:[..]} (API keys) and {msg, details} (malformed JSON).
        let ConsoleError::BadRequest { msgs, .. } = map("keys.create.invalid-role", "POST x")
        else {
            panic!("400")
        };
        assert!(
            !msgs.is_empty() && msgs.iter().all(|m| !m.starts_with('[')),
            "{msgs:?}"
        );
        let ConsoleError::BadRequest { msgs, .. } = map("import.malformed-json", "POST x") else {
            panic!("400")
        };
        assert_eq!(msgs[0], "input error");
        assert!(msgs[1].contains("SyntaxError"), "{msgs:?}");
        // Two errors in one answer (imported CA + two fields).
        let ConsoleError::BadRequest { msgs, .. } =
            map("k8s.update-ca.two-fields.imported", "PUT x")
        else {
            panic!("400")
        };
        assert_eq!(msgs.len(), 2);
    }

    #[test]
    fn recorded_404_for_a_component_is_not_found_but_an_unknown_route_is_not() {
        let e = map(
            "components.get.missing",
            "GET /ak/api/v3/components/doesnotexist",
        );
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "GET /ak/api/v3/components/doesnotexist: not found (404): no components by this id exist"
        );
        let route = map("route.unknown", "GET /ak/api/v3/nonexistent");
        assert!(!route.is_not_found());
        assert_eq!(route.status(), Some(404));
        // A proxy's HTML 404 is not "gone" either.
        assert!(!from_response("GET x", 404, None, "<html>nope</html>").is_not_found());
    }

    #[test]
    fn recorded_409_and_429() {
        let e = map(
            "import.msp.explicit-id.conflict",
            "POST /ak/api/v3/components/msp",
        );
        assert!(e.is_conflict());
        assert!(e
            .to_string()
            .contains("unable to onboard component b/c of id conflict"));
        let e = map("ratelimit.write-6", "POST /ak/api/v3/components/msp");
        assert_eq!(
            e,
            ConsoleError::RateLimited {
                request: "POST /ak/api/v3/components/msp".into(),
                retry_after: Some(Duration::from_secs(60))
            }
        );
        assert!(e.to_string().contains("it asked to wait 60 s"));
    }

    #[test]
    fn recorded_503_import_only_explains_the_missing_deployer() {
        let e = map(
            "k8s.import-only.create-ca",
            "POST /ak/api/v3/kubernetes/components/fabric-ca",
        );
        assert!(e.is_import_only());
        assert_eq!(e.status(), Some(503));
        let text = e.to_string();
        assert!(
            text.contains(
                "this api is not available to Console's without the \"deployer\" counterpart"
            ),
            "{text}"
        );
        assert!(text.contains("import-only mode"));
    }

    #[test]
    fn recorded_500_from_the_deployer_shows_its_message_and_code() {
        let e = map(
            "k8s.create-ca.valid.deployer-unreachable",
            "POST /ak/api/v3/kubernetes/components/fabric-ca",
        );
        assert_eq!(
            e,
            ConsoleError::Server {
                request: "POST /ak/api/v3/kubernetes/components/fabric-ca".into(),
                status: 500,
                msg: "connect ECONNREFUSED 127.0.0.1:1".into()
            }
        );
        assert!(!e.is_import_only());
    }

    #[test]
    fn odd_bodies_still_give_a_sentence() {
        let e = from_response("GET x", 500, None, r#"{"statusCode":500,"msg":null}"#);
        assert_eq!(
            e.to_string(),
            "GET x: the console failed (500): no details given"
        );
        let e = from_response("GET x", 502, None, "");
        assert!(matches!(e, ConsoleError::Unavailable { status: 502, .. }));
        let long = "x".repeat(1000);
        let e = from_response("GET x", 500, None, &long);
        assert!(e.to_string().len() < 400);
    }
}
