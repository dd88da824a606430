//! The `blockchain` provider block: how to reach one console.
//!
//! One provider block talks to one console; a multi-region deployment declares one aliased block
//! per region. Every setting falls back to a `BLOCKCHAIN_*` environment variable, so CI can keep
//! credentials out of the configuration. Nothing here contacts the console: configuring only
//! builds the client, so a plan with invalid resource input sends no request at all.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::console::{ConsoleClient, ConsoleConfig, Credentials, Secret};
use crate::framework::{
    duration::parse_go_duration, validators, Attribute, AttributePath, Block, DataSource,
    Diagnostics, Provider, ProviderData, Resource, Schema, Validator, Value,
};
use crate::resources;

/// IBM Cloud IAM's token endpoint, used when `iam_api_key` is set and no `iam_token_url` is given.
pub const DEFAULT_IAM_TOKEN_URL: &str = "https://iam.cloud.ibm.com/identity/token";
/// Above the console's own 105 s wait for the deployer on a create (console-api.md §3).
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(180);
const DEFAULT_MAX_RETRIES: u32 = 5;
const DEFAULT_RETRY_MAX_WAIT: Duration = Duration::from_secs(60);

/// One provider setting: its attribute name and its environment fallback.
struct Setting {
    attr: &'static str,
    env: &'static str,
}

const CONSOLE_URL: Setting = Setting {
    attr: "console_url",
    env: "BLOCKCHAIN_CONSOLE_URL",
};
const API_KEY: Setting = Setting {
    attr: "api_key",
    env: "BLOCKCHAIN_API_KEY",
};
const API_SECRET: Setting = Setting {
    attr: "api_secret",
    env: "BLOCKCHAIN_API_SECRET",
};
const IAM_API_KEY: Setting = Setting {
    attr: "iam_api_key",
    env: "BLOCKCHAIN_IAM_API_KEY",
};
const IAM_TOKEN_URL: Setting = Setting {
    attr: "iam_token_url",
    env: "BLOCKCHAIN_IAM_TOKEN_URL",
};
const CA_BUNDLE: Setting = Setting {
    attr: "ca_bundle",
    env: "BLOCKCHAIN_CA_BUNDLE",
};
const CA_BUNDLE_FILE: Setting = Setting {
    attr: "ca_bundle_file",
    env: "BLOCKCHAIN_CA_BUNDLE_FILE",
};
const INSECURE: Setting = Setting {
    attr: "insecure_skip_tls_verify",
    env: "BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY",
};
const REQUEST_TIMEOUT: Setting = Setting {
    attr: "request_timeout",
    env: "BLOCKCHAIN_REQUEST_TIMEOUT",
};
const MAX_RETRIES: Setting = Setting {
    attr: "max_retries",
    env: "BLOCKCHAIN_MAX_RETRIES",
};
const RETRY_MAX_WAIT: Setting = Setting {
    attr: "retry_max_wait",
    env: "BLOCKCHAIN_RETRY_MAX_WAIT",
};

/// What every resource gets from a configured provider block.
pub struct ProviderState {
    pub console: ConsoleClient,
}

/// The provider itself; stateless until Terraform configures it.
#[derive(Default)]
pub struct BlockchainProvider;

impl BlockchainProvider {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl Provider for BlockchainProvider {
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new(
                "Manages Hyperledger Fabric components through an IBM Blockchain Platform console or a \
                 Hyperledger Fabric Operations Console. Declare one aliased provider block per console \
                 (for example one per region).",
            )
            .attribute(
                Attribute::string(CONSOLE_URL.attr)
                    .optional()
                    .description(
                        "Base URL of the console, e.g. `https://console.example.org:32000`. \
                         Environment: `BLOCKCHAIN_CONSOLE_URL`. Required in one of the two places.",
                    )
                    .validate(validators::url_with_scheme(&["http", "https"])),
            )
            .attribute(
                Attribute::string(API_KEY.attr)
                    .optional()
                    .sensitive()
                    .description(
                        "Console API key (HTTP basic auth user), created with \
                         `POST /ak/api/v3/permissions/keys`. Environment: `BLOCKCHAIN_API_KEY`.",
                    ),
            )
            .attribute(
                Attribute::string(API_SECRET.attr)
                    .optional()
                    .sensitive()
                    .description(
                        "Secret of `api_key`. Environment: `BLOCKCHAIN_API_SECRET`.",
                    ),
            )
            .attribute(
                Attribute::string(IAM_API_KEY.attr)
                    .optional()
                    .sensitive()
                    .description(
                        "IBM Cloud IAM API key, for IBM Blockchain Platform on IBM Cloud. The provider \
                         exchanges it for a bearer token and refreshes the token before it expires. \
                         Conflicts with `api_key`. Environment: `BLOCKCHAIN_IAM_API_KEY`.",
                    ),
            )
            .attribute(
                Attribute::string(IAM_TOKEN_URL.attr)
                    .optional()
                    .description(
                        "IAM token endpoint used with `iam_api_key`. Defaults to \
                         `https://iam.cloud.ibm.com/identity/token`. Environment: `BLOCKCHAIN_IAM_TOKEN_URL`.",
                    )
                    .validate(validators::url_with_scheme(&["http", "https"])),
            )
            .attribute(
                Attribute::string(CA_BUNDLE.attr)
                    .optional()
                    .description(
                        "PEM certificates trusted, in addition to the system roots, for the console and \
                         for the Fabric CAs it manages. Environment: `BLOCKCHAIN_CA_BUNDLE`.",
                    ),
            )
            .attribute(
                Attribute::string(CA_BUNDLE_FILE.attr)
                    .optional()
                    .description(
                        "Path of a PEM file with extra trusted certificates (see `ca_bundle`). \
                         Environment: `BLOCKCHAIN_CA_BUNDLE_FILE`.",
                    ),
            )
            .attribute(
                Attribute::bool(INSECURE.attr)
                    .optional()
                    .description(
                        "Skip TLS certificate verification. Off by default; only for throwaway test \
                         consoles. Environment: `BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY`.",
                    ),
            )
            .attribute(
                Attribute::string(REQUEST_TIMEOUT.attr)
                    .optional()
                    .description(
                        "Timeout of one HTTP request, as a Go duration (`90s`, `2m`). Default `60s`. \
                         Environment: `BLOCKCHAIN_REQUEST_TIMEOUT`.",
                    )
                    .validate(validators::go_duration()),
            )
            .attribute(
                Attribute::int64(MAX_RETRIES.attr)
                    .optional()
                    .description(
                        "How many times a request that failed with 429, 502-504 or a connection error is \
                         retried (only where a retry is safe). Default 5. 401 is never retried: the \
                         console locks a client out after 5 failures. Environment: `BLOCKCHAIN_MAX_RETRIES`.",
                    )
                    .validate(validators::int_between(0, 100)),
            )
            .attribute(
                Attribute::string(RETRY_MAX_WAIT.attr)
                    .optional()
                    .description(
                        "Longest single wait between retries, as a Go duration; caps the console's \
                         `Retry-After` (always 60 s on a real console). Default `60s`. Environment: \
                         `BLOCKCHAIN_RETRY_MAX_WAIT`.",
                    )
                    .validate(validators::go_duration()),
            ),
        )
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        let set = |name: &str| !config.get(name).is_null();
        if set(API_KEY.attr) && set(IAM_API_KEY.attr) {
            diags.attribute_error(
                AttributePath::root().attr(IAM_API_KEY.attr),
                "Conflicting credentials",
                "Set either api_key/api_secret (console API key) or iam_api_key (IBM Cloud IAM), not both.",
            );
        }
        if set(API_KEY.attr) != set(API_SECRET.attr)
            && config.get(API_KEY.attr).is_known()
            && config.get(API_SECRET.attr).is_known()
        {
            let missing = if set(API_KEY.attr) {
                API_SECRET.attr
            } else {
                API_KEY.attr
            };
            diags.attribute_error(
                AttributePath::root().attr(missing),
                "Incomplete console API key",
                "api_key and api_secret must be set together.",
            );
        }
    }

    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<ProviderData, Diagnostics> {
        let settings = ResolvedSettings::resolve(config)?;
        let console_config = settings.into_console_config(terraform_version)?;
        let console = ConsoleClient::new(console_config).map_err(|e| {
            let mut d = Diagnostics::new();
            d.error("Cannot set up the console client", e.to_string());
            d
        })?;
        Ok(Arc::new(ProviderState { console }))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

/// Provider settings after applying the environment fallbacks and defaults.
struct ResolvedSettings {
    url: String,
    credentials: Credentials,
    ca_bundle_pem: Option<Vec<u8>>,
    insecure: bool,
    request_timeout: Duration,
    max_retries: u32,
    retry_max_wait: Duration,
}

impl ResolvedSettings {
    fn resolve(config: &Value) -> Result<Self, Diagnostics> {
        let mut diags = Diagnostics::new();
        let url = string_setting(config, &CONSOLE_URL);
        let url = match url {
            Some(u) => u,
            None => {
                diags.attribute_error(
                    AttributePath::root().attr(CONSOLE_URL.attr),
                    "Missing console URL",
                    "Set console_url in the provider block or the BLOCKCHAIN_CONSOLE_URL environment variable.",
                );
                String::new()
            }
        };
        if !url.is_empty() {
            let mut url_diags = Diagnostics::new();
            Validator::validate(
                &validators::url_with_scheme(&["http", "https"]),
                &AttributePath::root().attr(CONSOLE_URL.attr),
                &Value::string(url.clone()),
                &mut url_diags,
            );
            diags.extend(url_diags);
        }

        let credentials = match (
            string_setting(config, &API_KEY),
            string_setting(config, &API_SECRET),
            string_setting(config, &IAM_API_KEY),
        ) {
            (Some(_), _, Some(_)) => {
                diags.attribute_error(
                    AttributePath::root().attr(IAM_API_KEY.attr),
                    "Conflicting credentials",
                    "Set either api_key/api_secret or iam_api_key (here or in BLOCKCHAIN_* variables), not both.",
                );
                None
            }
            (Some(key), Some(secret), None) => Some(Credentials::ApiKey {
                key,
                secret: Secret::new(secret),
            }),
            (Some(_), None, None) => {
                diags.attribute_error(
                    AttributePath::root().attr(API_SECRET.attr),
                    "Missing API secret",
                    "api_key is set but api_secret (or BLOCKCHAIN_API_SECRET) is not.",
                );
                None
            }
            (None, _, Some(iam)) => {
                let token_url = string_setting(config, &IAM_TOKEN_URL)
                    .unwrap_or_else(|| DEFAULT_IAM_TOKEN_URL.to_string());
                match url::Url::parse(&token_url) {
                    Ok(token_url) => Some(Credentials::Iam {
                        api_key: Secret::new(iam),
                        token_url,
                    }),
                    Err(e) => {
                        diags.attribute_error(
                            AttributePath::root().attr(IAM_TOKEN_URL.attr),
                            "Invalid IAM token URL",
                            format!("{token_url:?} is not a URL: {e}"),
                        );
                        None
                    }
                }
            }
            (None, _, None) => {
                diags.attribute_error(
                    AttributePath::root().attr(API_KEY.attr),
                    "Missing console credentials",
                    "Set api_key and api_secret (or BLOCKCHAIN_API_KEY / BLOCKCHAIN_API_SECRET), or \
                     iam_api_key (BLOCKCHAIN_IAM_API_KEY) for IBM Cloud.",
                );
                None
            }
        };

        let mut ca_bundle_pem = string_setting(config, &CA_BUNDLE).map(String::into_bytes);
        if let Some(path) = string_setting(config, &CA_BUNDLE_FILE) {
            match std::fs::read(&path) {
                Ok(mut bytes) => {
                    let mut all = ca_bundle_pem.take().unwrap_or_default();
                    all.push(b'\n');
                    all.append(&mut bytes);
                    ca_bundle_pem = Some(all);
                }
                Err(e) => {
                    diags.attribute_error(
                        AttributePath::root().attr(CA_BUNDLE_FILE.attr),
                        "Cannot read the CA bundle file",
                        format!("{path}: {e}"),
                    );
                }
            }
        }

        let insecure = bool_setting(config, &INSECURE, &mut diags).unwrap_or(false);
        let request_timeout = duration_setting(config, &REQUEST_TIMEOUT, &mut diags)
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let retry_max_wait =
            duration_setting(config, &RETRY_MAX_WAIT, &mut diags).unwrap_or(DEFAULT_RETRY_MAX_WAIT);
        let max_retries = match config.get(MAX_RETRIES.attr).as_i64() {
            Some(n) => u32::try_from(n).unwrap_or(DEFAULT_MAX_RETRIES),
            None => match env_value(MAX_RETRIES.env) {
                Some(v) => match v.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        diags.attribute_error(
                            AttributePath::root().attr(MAX_RETRIES.attr),
                            "Invalid BLOCKCHAIN_MAX_RETRIES",
                            format!("{v:?} is not a whole number."),
                        );
                        DEFAULT_MAX_RETRIES
                    }
                },
                None => DEFAULT_MAX_RETRIES,
            },
        };

        if diags.has_errors() {
            return Err(diags);
        }
        match credentials {
            Some(credentials) => Ok(Self {
                url,
                credentials,
                ca_bundle_pem,
                insecure,
                request_timeout,
                max_retries,
                retry_max_wait,
            }),
            None => Err(diags),
        }
    }

    fn into_console_config(self, terraform_version: &str) -> Result<ConsoleConfig, Diagnostics> {
        let url = url::Url::parse(&self.url).map_err(|e| {
            let mut d = Diagnostics::new();
            d.attribute_error(
                AttributePath::root().attr(CONSOLE_URL.attr),
                "Invalid console URL",
                e.to_string(),
            );
            d
        })?;
        let mut cfg = ConsoleConfig::new(url, self.credentials);
        cfg.ca_bundle_pem = self.ca_bundle_pem;
        cfg.insecure_skip_tls_verify = self.insecure;
        cfg.request_timeout = self.request_timeout;
        cfg.max_retries = self.max_retries;
        cfg.retry_min_backoff = Duration::from_millis(250);
        cfg.retry_max_backoff = self.retry_max_wait;
        cfg.user_agent = format!(
            "terraform-provider-blockchain/{} (terraform {terraform_version})",
            env!("CARGO_PKG_VERSION")
        );
        Ok(cfg)
    }
}

/// A non-empty environment variable.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn string_setting(config: &Value, s: &Setting) -> Option<String> {
    match config.get(s.attr).as_str() {
        Some(v) => Some(v.to_string()),
        None => env_value(s.env),
    }
}

fn bool_setting(config: &Value, s: &Setting, diags: &mut Diagnostics) -> Option<bool> {
    if let Some(b) = config.get(s.attr).as_bool() {
        return Some(b);
    }
    let raw = env_value(s.env)?;
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => {
            diags.attribute_error(
                AttributePath::root().attr(s.attr),
                format!("Invalid {}", s.env),
                format!("{raw:?} is not a boolean (use true or false)."),
            );
            None
        }
    }
}

fn duration_setting(config: &Value, s: &Setting, diags: &mut Diagnostics) -> Option<Duration> {
    let raw = string_setting(config, s)?;
    match parse_go_duration(&raw) {
        Ok(d) if !d.is_zero() => Some(d),
        Ok(_) => {
            diags.attribute_error(
                AttributePath::root().attr(s.attr),
                "Invalid duration",
                format!("{} must be longer than zero, got {raw:?}.", s.attr),
            );
            None
        }
        Err(e) => {
            diags.attribute_error(
                AttributePath::root().attr(s.attr),
                "Invalid duration",
                format!("{raw:?} is not a duration like \"90s\" or \"2m\": {e}"),
            );
            None
        }
    }
}
