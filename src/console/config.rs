//! Connection settings for one console, and the [`Secret`] wrapper that keeps
//! credentials out of logs, errors and `Debug` output.

use std::fmt;
use std::time::Duration;

use url::Url;

/// A credential value. `Debug` and `Display` print `[redacted]`, so a secret can
/// sit inside any struct that is logged; [`Secret::expose`] is the only way out.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for building the request that needs it, never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given (an empty secret is always a configuration error).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How the client authenticates to the console (docs/dev/console-api.md#authentication).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// A console API key and secret, sent as HTTP Basic (software consoles).
    ApiKey { key: String, secret: Secret },
    /// An IBM Cloud IAM API key, exchanged at `token_url` for a bearer token
    /// that is cached and refreshed before it expires (IBM Cloud SaaS).
    Iam { api_key: Secret, token_url: Url },
    /// A ready bearer token (athena-issued or IAM), sent as is.
    Bearer(Secret),
}

/// The public IBM Cloud IAM token endpoint, the usual `token_url` for [`Credentials::Iam`].
pub const IBM_CLOUD_IAM_TOKEN_URL: &str = "https://iam.cloud.ibm.com/identity/token";

/// Everything needed to talk to one console. Build it with [`ConsoleConfig::new`]
/// and override fields; the defaults suit the real console's timings.
#[derive(Clone, Debug)]
pub struct ConsoleConfig {
    /// Console base URL (scheme, host, port); `/ak/api/v3` is appended by the client.
    pub url: Url,
    pub credentials: Credentials,
    /// Extra trusted roots (PEM, one or more certificates) added to the system roots.
    pub ca_bundle_pem: Option<Vec<u8>>,
    /// Disables TLS certificate verification. For throw-away test consoles only.
    pub insecure_skip_tls_verify: bool,
    /// Per-HTTP-request timeout. A create waits for the deployer (up to 105 s by default,
    /// docs/dev/console-api.md#create-waits-for-the-deployer), so this must stay above that.
    pub request_timeout: Duration,
    /// Retries after the first attempt, for retryable outcomes only.
    pub max_retries: u32,
    /// First backoff step; doubled per attempt, with full jitter.
    pub retry_min_backoff: Duration,
    /// Upper bound of one backoff sleep, also applied to `Retry-After`.
    pub retry_max_backoff: Duration,
    /// Upper bound of the total time spent waiting on 429 answers within one call
    /// (the real console always says `Retry-After: 60`).
    pub rate_limit_max_wait: Duration,
    /// Sent as `User-Agent`; athena keys its rate limiter and lockout on IP + User-Agent
    /// (docs/dev/console-api.md#rate-limits).
    pub user_agent: String,
}

impl ConsoleConfig {
    /// Settings with defaults for everything but the URL and the credentials.
    pub fn new(url: Url, credentials: Credentials) -> Self {
        Self {
            url,
            credentials,
            ca_bundle_pem: None,
            insecure_skip_tls_verify: false,
            request_timeout: Duration::from_secs(180),
            max_retries: 5,
            retry_min_backoff: Duration::from_secs(1),
            retry_max_backoff: Duration::from_secs(60),
            rate_limit_max_wait: Duration::from_secs(180),
            user_agent: concat!("terraform-provider-blockchain/", env!("CARGO_PKG_VERSION"))
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("s3cr3t-value");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.expose(), "s3cr3t-value");
    }

    #[test]
    fn credentials_and_config_debug_hide_secrets() {
        let cfg = ConsoleConfig::new(
            Url::parse("https://console.example.org:32000").unwrap(),
            Credentials::ApiKey {
                key: "key1".into(),
                secret: Secret::new("topsecret"),
            },
        );
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("topsecret"), "{dbg}");
        assert!(dbg.contains("key1"));
        let iam = Credentials::Iam {
            api_key: Secret::new("iam-key-xyz"),
            token_url: Url::parse(IBM_CLOUD_IAM_TOKEN_URL).unwrap(),
        };
        assert!(!format!("{iam:?}").contains("iam-key-xyz"));
        assert!(!format!("{:?}", Credentials::Bearer("tok123".into())).contains("tok123"));
    }

    #[test]
    fn default_timeout_outlasts_the_deployer_wait() {
        let cfg = ConsoleConfig::new(
            Url::parse("http://127.0.0.1:3000").unwrap(),
            Credentials::Bearer(Secret::new("t")),
        );
        assert!(cfg.request_timeout > Duration::from_secs(105));
        assert!(cfg.retry_max_backoff >= Duration::from_secs(60));
    }
}
