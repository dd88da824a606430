//! The `Authorization` header for each credential kind, including the IBM Cloud
//! IAM token exchange: one token is cached and refreshed 5 minutes before it
//! expires; concurrent callers wait on one fetch (a tokio Mutex held across it).
//! The header kinds and the IAM exchange: docs/dev/console-api.md#authentication.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::header::HeaderValue;
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::config::{Credentials, Secret};
use super::error::ConsoleError;

/// How long before expiry a token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// The IAM grant type for API keys.
const IAM_GRANT_TYPE: &str = "urn:ibm:params:oauth:grant-type:apikey";

/// Produces the `Authorization` header; secrets stay inside.
#[derive(Debug)]
pub(crate) enum Auth {
    /// Fixed header (Basic or Bearer), computed once.
    Static(HeaderValue),
    Iam(IamTokenSource),
}

impl Auth {
    pub(crate) fn new(credentials: &Credentials) -> Result<Self, ConsoleError> {
        match credentials {
            Credentials::ApiKey { key, secret } => {
                if key.is_empty() || secret.is_empty() {
                    return Err(ConsoleError::Config(
                        "an API key needs both its key and its secret".to_owned(),
                    ));
                }
                let raw = format!("{key}:{}", secret.expose());
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
                Ok(Auth::Static(sensitive(&format!("Basic {b64}"))?))
            }
            Credentials::Bearer(token) => {
                if token.is_empty() {
                    return Err(ConsoleError::Config("the bearer token is empty".to_owned()));
                }
                Ok(Auth::Static(sensitive(&format!(
                    "Bearer {}",
                    token.expose()
                ))?))
            }
            Credentials::Iam { api_key, token_url } => {
                if api_key.is_empty() {
                    return Err(ConsoleError::Config("the IAM API key is empty".to_owned()));
                }
                Ok(Auth::Iam(IamTokenSource {
                    api_key: api_key.clone(),
                    token_url: token_url.clone(),
                    cached: Mutex::new(None),
                }))
            }
        }
    }
}

/// Builds a header value marked sensitive (hidden from hyper's debug output).
pub(crate) fn sensitive(value: &str) -> Result<HeaderValue, ConsoleError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        ConsoleError::Config(
            "a credential contains characters not allowed in an HTTP header".to_owned(),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// IAM API key plus the cached bearer token.
#[derive(Debug)]
pub(crate) struct IamTokenSource {
    pub(crate) api_key: Secret,
    pub(crate) token_url: Url,
    pub(crate) cached: Mutex<Option<CachedToken>>,
}

/// A bearer header and the moment it should be replaced.
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) header: HeaderValue,
    pub(crate) refresh_at: Instant,
}

impl IamTokenSource {
    /// The form body of the token request (contains the API key: never log it).
    pub(crate) fn form_body(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", IAM_GRANT_TYPE)
            .append_pair("apikey", self.api_key.expose())
            .finish()
    }

    /// Forgets the cached token (after the console rejected it).
    pub(crate) async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}

/// IAM's answer `{access_token, expires_in, expiration}`.
#[derive(Deserialize)]
struct IamTokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    /// Epoch seconds.
    #[serde(default)]
    expiration: Option<u64>,
}

/// Parses IAM's answer into a cached bearer header, computing when to refresh.
pub(crate) fn parse_iam_token(body: &str, now: Instant) -> Result<CachedToken, ConsoleError> {
    let resp: IamTokenResponse =
        serde_json::from_str(body).map_err(|e| ConsoleError::IamToken {
            status: None,
            detail: format!("unreadable token response: {}", e.classify_name()),
        })?;
    if resp.access_token.is_empty() {
        return Err(ConsoleError::IamToken {
            status: None,
            detail: "the token response has no access_token".to_owned(),
        });
    }
    let lifetime = match (resp.expires_in, resp.expiration) {
        (Some(secs), _) => Duration::from_secs(secs),
        (None, Some(exp)) => {
            let now_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            Duration::from_secs(exp.saturating_sub(now_epoch))
        }
        (None, None) => Duration::from_secs(3600),
    };
    let usable = if lifetime > REFRESH_MARGIN * 2 {
        lifetime - REFRESH_MARGIN
    } else {
        lifetime / 2
    };
    Ok(CachedToken {
        header: sensitive(&format!("Bearer {}", resp.access_token))?,
        refresh_at: now + usable,
    })
}

/// Maps an IAM error answer (`{errorCode, errorMessage}`) to an error.
pub(crate) fn iam_error(status: u16, body: &str) -> ConsoleError {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let detail = json
        .as_ref()
        .and_then(|j| {
            let msg = j.get("errorMessage").and_then(|v| v.as_str())?;
            let code = j.get("errorCode").and_then(|v| v.as_str()).unwrap_or("");
            Some(if code.is_empty() {
                msg.to_owned()
            } else {
                format!("{msg} ({code})")
            })
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    ConsoleError::IamToken {
        status: Some(status),
        detail,
    }
}

/// Small extension so a serde error can be summarised without echoing input.
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "unexpected fields",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_encodes_key_and_secret_and_is_sensitive() {
        let auth = Auth::new(&Credentials::ApiKey {
            key: "key1".into(),
            secret: Secret::new("sec"),
        })
        .unwrap();
        let Auth::Static(h) = &auth else {
            panic!("static")
        };
        assert_eq!(h.to_str().unwrap(), "Basic a2V5MTpzZWM=");
        assert!(h.is_sensitive());
        assert!(!format!("{auth:?}").contains("a2V5MTpzZWM"));
    }

    #[test]
    fn empty_credentials_are_config_errors() {
        let e = Auth::new(&Credentials::ApiKey {
            key: "k".into(),
            secret: Secret::new(""),
        })
        .unwrap_err();
        assert!(matches!(e, ConsoleError::Config(_)));
        assert!(Auth::new(&Credentials::Bearer(Secret::new(""))).is_err());
        // A bearer token is sent as is, so header-breaking characters are refused.
        assert!(matches!(
            Auth::new(&Credentials::Bearer(Secret::new("bad\nvalue"))),
            Err(ConsoleError::Config(_))
        ));
    }

    #[test]
    fn iam_form_body_has_grant_type_and_encoded_key() {
        let src = IamTokenSource {
            api_key: Secret::new("a b&c"),
            token_url: Url::parse("http://127.0.0.1:1/identity/token").unwrap(),
            cached: Mutex::new(None),
        };
        assert_eq!(
            src.form_body(),
            "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=a+b%26c"
        );
    }

    #[test]
    fn iam_token_is_refreshed_five_minutes_before_expiry() {
        let now = Instant::now();
        let t = parse_iam_token(
            r#"{"access_token":"eyJ","refresh_token":"x","token_type":"Bearer","expires_in":3600,"expiration":1}"#,
            now,
        )
        .unwrap();
        assert_eq!(t.refresh_at - now, Duration::from_secs(3300));
        assert_eq!(t.header.to_str().unwrap(), "Bearer eyJ");
        let short = parse_iam_token(r#"{"access_token":"a","expires_in":100}"#, now).unwrap();
        assert_eq!(short.refresh_at - now, Duration::from_secs(50));
    }

    #[test]
    fn iam_errors_use_iams_own_words_and_bad_bodies_are_not_echoed() {
        let e = iam_error(
            400,
            r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found"}"#,
        );
        assert_eq!(
            e.to_string(),
            "IBM Cloud IAM did not issue a token (400): Provided API key could not be found (BXNIM0415E). Check the IAM API key"
        );
        let e = parse_iam_token("secret-looking-garbage", Instant::now()).unwrap_err();
        assert!(!e.to_string().contains("secret-looking-garbage"));
    }
}
