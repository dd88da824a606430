//! The `blockchain` provider block: how to reach one console.
//!
//! One provider block talks to one console; a multi-region deployment declares one aliased block
//! per region. Every setting falls back to a `BLOCKCHAIN_*` environment variable, so CI can keep
//! credentials out of the configuration. Nothing here contacts the console: configuring only
//! builds the client, so a plan with invalid resource input sends no request at all.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clients::Clients;
use crate::console::{ConsoleClient, ConsoleConfig, Credentials, Secret};
use crate::fabric::{FabricCaClient, FabricCaConfig};
use crate::framework::{
    duration::parse_go_duration, validators, Attribute, AttributePath, Block, DataSource,
    Diagnostics, Provider, ProviderData, Resource, Schema, Validator, Value,
};
use crate::{data_sources, resources};

/// IBM Cloud IAM's token endpoint, used when `iam_api_key` is set and no `iam_token_url` is given.
pub const DEFAULT_IAM_TOKEN_URL: &str = "https://iam.cloud.ibm.com/identity/token";
/// Above the console's own 105 s wait for the deployer on a create (docs/dev/console-api.md#create-waits-for-the-deployer).
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(180);
/// How long athena itself waits for its deployer on a create (docs/dev/console-api.md#create-waits-for-the-deployer).
const CONSOLE_CREATE_WAIT: Duration = Duration::from_secs(105);
/// Below this no console request can be answered: refused at plan rather than polled with.
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_MAX_RETRIES: u32 = 5;
/// Highest `max_retries` accepted, from the configuration or the environment alike.
const MAX_RETRIES_LIMIT: u32 = 100;
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
                        "Base URL of the console, e.g. `https://console.example.org:32000`: scheme, \
                         host and port, the address its web UI opens at. No path: the provider adds \
                         `/ak/api/v3` itself, and a URL with a path (or a query) is refused at plan. \
                         Environment: `BLOCKCHAIN_CONSOLE_URL`. Required in one of the two places.",
                    )
                    .validate(ConsoleBaseUrl),
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
                        "Timeout of one HTTP request, as a Go duration (`90s`, `2m`). Default `180s`, \
                         above the console's own 105 s wait for the deployer on a create. \
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
                    .validate(validators::int_between(0, i64::from(MAX_RETRIES_LIMIT))),
            )
            .attribute(
                Attribute::string(RETRY_MAX_WAIT.attr)
                    .optional()
                    .description(
                        "Longest single backoff between retries of 502-504 answers and connection \
                         failures, as a Go duration. Default `60s`. A 429's `Retry-After` (60 s on a \
                         real console, whose limiter counts fixed one-minute windows) is honoured in \
                         full instead, for up to 3 minutes per request. Environment: \
                         `BLOCKCHAIN_RETRY_MAX_WAIT`.",
                    )
                    .validate(validators::go_duration()),
            ),
        )
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        validate_provider_config(config, diags, &process_env);
    }

    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<ProviderData, Diagnostics> {
        let settings = ResolvedSettings::resolve(config)?;
        let console_config = settings.into_console_config(terraform_version)?;
        let fabric_ca = FabricCaClient::new(FabricCaConfig {
            bundle_pem: console_config.ca_bundle_pem.clone(),
            insecure: console_config.insecure_skip_tls_verify,
            request_timeout: console_config.request_timeout,
            user_agent: console_config.user_agent.clone(),
        })
        .map_err(|e| {
            let mut d = Diagnostics::new();
            d.error("Cannot set up the Fabric CA client", e.to_string());
            d
        })?;
        let console = ConsoleClient::new(console_config).map_err(|e| {
            let mut d = Diagnostics::new();
            d.error("Cannot set up the console client", e.to_string());
            d
        })?;
        Ok(Arc::new(Clients { console, fabric_ca }))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        data_sources::all()
    }
}

/// Reads one environment variable. Injected so that tests resolve settings against a fixed map
/// instead of the process environment, which is global and shared by parallel tests.
type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The real process environment.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Cross-attribute checks of the provider block. The API key pair is checked against the
/// environment too: keeping `api_secret` in `BLOCKCHAIN_API_SECRET` next to a configured
/// `api_key` is the documented way to keep the secret out of the configuration.
fn validate_provider_config(config: &Value, diags: &mut Diagnostics, env: EnvLookup<'_>) {
    let in_config = |name: &str| config_string(config, name).is_some();
    let timeout =
        string_setting(config, &REQUEST_TIMEOUT, env).and_then(|t| parse_go_duration(&t).ok());
    if let Some(timeout) = timeout.filter(|t| *t < MIN_REQUEST_TIMEOUT) {
        diags.attribute_error(
            AttributePath::root().attr(REQUEST_TIMEOUT.attr),
            "Request timeout too short",
            format!(
                "request_timeout = {} s leaves no console request time to be answered (a GET on \
                 a real console takes tens to hundreds of milliseconds). Use at least 1s; the \
                 default is 180s.",
                timeout.as_secs_f64()
            ),
        );
    } else if let Some(timeout) = timeout.filter(|t| *t < CONSOLE_CREATE_WAIT) {
        diags.attribute_warning(
            AttributePath::root().attr(REQUEST_TIMEOUT.attr),
            "Request timeout shorter than a console create",
            format!(
                "A console answers a create only when its deployer is done, which can take up to \
                 105 s. With request_timeout = {} s a slow create ends uncertain: the provider then \
                 records the component as tainted and the next apply replaces it.",
                timeout.as_secs_f64()
            ),
        );
    }
    if config.get(CA_BUNDLE.attr).is_known() && config.get(CA_BUNDLE_FILE.attr).is_known() {
        bundle_setting(config, env, diags);
    }
    if (in_config(API_KEY.attr) || in_config(API_SECRET.attr)) && in_config(IAM_API_KEY.attr) {
        diags.attribute_error(
            AttributePath::root().attr(IAM_API_KEY.attr),
            "Conflicting credentials",
            "Set either api_key/api_secret (console API key) or iam_api_key (IBM Cloud IAM), not both.",
        );
        return;
    }
    // An unknown value may still turn out to be set (or not): nothing to say yet.
    if !config.get(API_KEY.attr).is_known()
        || !config.get(API_SECRET.attr).is_known()
        || !config.get(IAM_API_KEY.attr).is_known()
    {
        return;
    }
    // The same precedence as at configure time: a block that chose IAM needs no key pair.
    let (key, secret, iam) = credential_sources(config, env);
    let (key_set, secret_set) = (key.is_some(), secret.is_some());
    // With an IAM key and no API key, configure uses IAM: a stray secret is no error.
    if key_set != secret_set && (key_set || iam.is_none()) {
        let missing = if key_set { &API_SECRET } else { &API_KEY };
        diags.attribute_error(
            AttributePath::root().attr(missing.attr),
            "Incomplete console API key",
            format!(
                "api_key and api_secret must be set together; set {} or the {} environment variable.",
                missing.attr, missing.env
            ),
        );
    }
}

/// `(api_key, api_secret, iam_api_key)` as this provider block will use them. The kind of
/// credentials is decided by the block first: a block that sets iam_api_key is not contradicted
/// by a BLOCKCHAIN_API_KEY meant for another (aliased) block, and the reverse; only a block that
/// sets neither takes both kinds from the environment (where having both is a conflict).
fn credential_sources(
    config: &Value,
    env: EnvLookup<'_>,
) -> (Option<String>, Option<String>, Option<String>) {
    let configured = |s: &Setting| config_string(config, s.attr).is_some();
    if configured(&API_KEY) || configured(&API_SECRET) {
        (
            string_setting(config, &API_KEY, env),
            string_setting(config, &API_SECRET, env),
            config_string(config, IAM_API_KEY.attr).map(str::to_string),
        )
    } else if configured(&IAM_API_KEY) {
        (None, None, string_setting(config, &IAM_API_KEY, env))
    } else {
        (
            string_setting(config, &API_KEY, env),
            string_setting(config, &API_SECRET, env),
            string_setting(config, &IAM_API_KEY, env),
        )
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
    /// Settings from `config`, falling back to the process environment.
    fn resolve(config: &Value) -> Result<Self, Diagnostics> {
        Self::resolve_with(config, &process_env)
    }

    /// Settings from `config`, falling back to `env`. Every problem is reported at once, each at
    /// the attribute it concerns; no diagnostic repeats a credential.
    fn resolve_with(config: &Value, env: EnvLookup<'_>) -> Result<Self, Diagnostics> {
        let mut diags = Diagnostics::new();
        let url = match string_setting(config, &CONSOLE_URL, env) {
            Some(u) => {
                ConsoleBaseUrl.validate(
                    &AttributePath::root().attr(CONSOLE_URL.attr),
                    &Value::string(u.as_str()),
                    &mut diags,
                );
                u
            }
            None => {
                diags.attribute_error(
                    AttributePath::root().attr(CONSOLE_URL.attr),
                    "Missing console URL",
                    "Set console_url in the provider block or the BLOCKCHAIN_CONSOLE_URL environment variable.",
                );
                String::new()
            }
        };

        let credentials = match credential_sources(config, env) {
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
                let token_url = string_setting(config, &IAM_TOKEN_URL, env)
                    .unwrap_or_else(|| DEFAULT_IAM_TOKEN_URL.to_string());
                check_url(&IAM_TOKEN_URL, &token_url, &mut diags)
                    .then(|| url::Url::parse(&token_url).ok())
                    .flatten()
                    .map(|token_url| Credentials::Iam {
                        api_key: Secret::new(iam),
                        token_url,
                    })
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

        let ca_bundle_pem = bundle_setting(config, env, &mut diags);

        let insecure = bool_setting(config, &INSECURE, env, &mut diags).unwrap_or(false);
        let request_timeout = duration_setting(config, &REQUEST_TIMEOUT, env, &mut diags)
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let retry_max_wait = duration_setting(config, &RETRY_MAX_WAIT, env, &mut diags)
            .unwrap_or(DEFAULT_RETRY_MAX_WAIT);
        let max_retries = retries_setting(config, env, &mut diags).unwrap_or(DEFAULT_MAX_RETRIES);

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

/// Checks an http(s) URL setting with the schema's own validator (which redacts any password in
/// the URL from its message); true when it is acceptable.
fn check_url(s: &Setting, raw: &str, diags: &mut Diagnostics) -> bool {
    let mut url_diags = Diagnostics::new();
    Validator::validate(
        &validators::url_with_scheme(&["http", "https"]),
        &AttributePath::root().attr(s.attr),
        &Value::string(raw),
        &mut url_diags,
    );
    let ok = !url_diags.has_errors();
    diags.extend(url_diags);
    ok
}

/// `console_url`: an http(s) URL with a host and nothing after the port. The client appends
/// `/ak/api/v3` to it, so a URL pasted with that prefix (or any other path) would send every
/// request to a route the console does not have; refusing it at validate, with the URL to use
/// instead, beats a 404 on the first read. Not normalised: a silently rewritten URL hides which
/// address the provider really calls.
struct ConsoleBaseUrl;

impl Validator for ConsoleBaseUrl {
    fn description(&self) -> String {
        "must be the console's base URL: http or https, a host and an optional port, no path".into()
    }

    fn validate(&self, path: &AttributePath, v: &Value, diags: &mut Diagnostics) {
        let mut url_diags = Diagnostics::new();
        validators::url_with_scheme(&["http", "https"]).validate(path, v, &mut url_diags);
        if url_diags.has_errors() {
            diags.extend(url_diags);
            return;
        }
        let Some(Ok(mut url)) = v.as_str().map(url::Url::parse) else {
            return;
        };
        if url.path() == "/" && url.query().is_none() && url.fragment().is_none() {
            return;
        }
        if url.password().is_some() {
            let _ = url.set_password(Some("REDACTED"));
        }
        let base = &url[..url::Position::BeforePath];
        let api_prefix = url.path().trim_end_matches('/').ends_with(API_PREFIX_PATH);
        let why = if api_prefix {
            format!("the provider adds {API_PREFIX_PATH} to it itself")
        } else {
            format!("the provider sends every request to {API_PREFIX_PATH} under it")
        };
        diags.attribute_error(
            path.clone(),
            "Console URL with a path",
            format!(
                "The console URL (console_url or BLOCKCHAIN_CONSOLE_URL) is the console's base URL, \
                 the address its web UI opens at, and {why}; {:?} has more than that. \
                 Use console_url = {base:?}.",
                url.as_str()
            ),
        );
    }
}

/// The console API's path, which the console client appends to `console_url`.
const API_PREFIX_PATH: &str = "/ak/api/v3";

/// A non-empty environment variable.
/// The trusted certificates of `ca_bundle` and `ca_bundle_file` together; each one's problem
/// (unreadable file, no certificate, bad PEM) is reported at its own attribute.
fn bundle_setting(config: &Value, env: EnvLookup<'_>, diags: &mut Diagnostics) -> Option<Vec<u8>> {
    let mut all: Option<Vec<u8>> = None;
    let mut add = |setting: &Setting, bytes: Vec<u8>, origin: &str, diags: &mut Diagnostics| {
        match crate::net::tls::parse_certificates(&bytes) {
            Ok(_) => {
                // A file's certificates start on a line of their own.
                let pem = all.get_or_insert_with(Vec::new);
                if setting.attr == CA_BUNDLE_FILE.attr {
                    pem.push(b'\n');
                }
                pem.extend_from_slice(&bytes);
            }
            Err(e) => {
                diags.attribute_error(
                AttributePath::root().attr(setting.attr),
                "Unusable CA bundle",
                format!("{origin}: {e}. Give one or more PEM certificates (`-----BEGIN CERTIFICATE-----`)."),
            );
            }
        }
    };
    if let Some(pem) = string_setting(config, &CA_BUNDLE, env) {
        add(&CA_BUNDLE, pem.into_bytes(), CA_BUNDLE.attr, diags);
    }
    if let Some(path) = string_setting(config, &CA_BUNDLE_FILE, env) {
        match std::fs::read(&path) {
            Ok(bytes) => add(&CA_BUNDLE_FILE, bytes, &path, diags),
            Err(e) => {
                diags.attribute_error(
                    AttributePath::root().attr(CA_BUNDLE_FILE.attr),
                    "Cannot read the CA bundle file",
                    format!("{path}: {e}"),
                );
            }
        }
    }
    all
}

fn env_value(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.is_empty())
}

/// A non-empty known string of the configuration. An empty string counts as unset, as an empty
/// environment variable does: `api_key = var.key` with an empty default then still falls back to
/// the environment, and an empty URL or secret never reaches the console.
fn config_string<'a>(config: &'a Value, attr: &str) -> Option<&'a str> {
    config.get(attr).as_str().filter(|v| !v.is_empty())
}

fn string_setting(config: &Value, s: &Setting, env: EnvLookup<'_>) -> Option<String> {
    match config_string(config, s.attr) {
        Some(v) => Some(v.to_string()),
        None => env_value(env, s.env),
    }
}

fn bool_setting(
    config: &Value,
    s: &Setting,
    env: EnvLookup<'_>,
    diags: &mut Diagnostics,
) -> Option<bool> {
    if let Some(b) = config.get(s.attr).as_bool() {
        return Some(b);
    }
    let raw = env_value(env, s.env)?;
    match raw.trim().to_ascii_lowercase().as_str() {
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

fn duration_setting(
    config: &Value,
    s: &Setting,
    env: EnvLookup<'_>,
    diags: &mut Diagnostics,
) -> Option<Duration> {
    let raw = string_setting(config, s, env)?;
    match parse_go_duration(raw.trim()) {
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

/// `max_retries`, held to the same 0..=100 range whether it comes from the configuration (where
/// the schema validator already checked it) or from `BLOCKCHAIN_MAX_RETRIES`.
fn retries_setting(config: &Value, env: EnvLookup<'_>, diags: &mut Diagnostics) -> Option<u32> {
    let path = AttributePath::root().attr(MAX_RETRIES.attr);
    let n = match config.get(MAX_RETRIES.attr).as_i64() {
        Some(n) => n,
        None => {
            let raw = env_value(env, MAX_RETRIES.env)?;
            match raw.trim().parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    diags.attribute_error(
                        path,
                        "Invalid BLOCKCHAIN_MAX_RETRIES",
                        format!("{raw:?} is not a whole number."),
                    );
                    return None;
                }
            }
        }
    };
    match u32::try_from(n) {
        Ok(n) if n <= MAX_RETRIES_LIMIT => Some(n),
        _ => {
            diags.attribute_error(
                path,
                "Invalid max_retries",
                format!("max_retries must be between 0 and {MAX_RETRIES_LIMIT}, got {n}."),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::io::Write as _;

    use super::*;
    use crate::framework::Diagnostic;

    const ALL_ATTRS: [&str; 11] = [
        "console_url",
        "api_key",
        "api_secret",
        "iam_api_key",
        "iam_token_url",
        "ca_bundle",
        "ca_bundle_file",
        "insecure_skip_tls_verify",
        "request_timeout",
        "max_retries",
        "retry_max_wait",
    ];

    /// A provider block as Terraform sends it: every attribute present, null unless given.
    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut attrs: BTreeMap<String, Value> = ALL_ATTRS
            .iter()
            .map(|a| (a.to_string(), Value::Null))
            .collect();
        for (k, v) in pairs {
            assert!(ALL_ATTRS.contains(k), "not a provider attribute: {k}");
            attrs.insert(k.to_string(), v.clone());
        }
        Value::object(attrs)
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    /// A fixed environment: no process-global state, so tests run in parallel safely.
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn resolve(config: &Value, env: &[(&str, &str)]) -> Result<ResolvedSettings, Diagnostics> {
        ResolvedSettings::resolve_with(config, &env_of(env))
    }

    fn ok(config: &Value, env: &[(&str, &str)]) -> ResolvedSettings {
        match resolve(config, env) {
            Ok(r) => r,
            Err(d) => panic!("expected settings, got diagnostics: {d}"),
        }
    }

    fn err(config: &Value, env: &[(&str, &str)]) -> Diagnostics {
        match resolve(config, env) {
            Ok(r) => panic!("expected diagnostics, got settings for {}", r.url),
            Err(d) => {
                assert!(d.has_errors(), "an Err must carry an error: {d}");
                d
            }
        }
    }

    /// `(attribute, summary)` of every error.
    fn errors(d: &Diagnostics) -> Vec<(String, String)> {
        d.iter()
            .filter(|x| x.is_error())
            .map(|x| {
                let at = x.attribute.as_ref().map(ToString::to_string);
                (at.unwrap_or_default(), x.summary.clone())
            })
            .collect()
    }

    fn error_at<'a>(d: &'a Diagnostics, attr: &str) -> &'a Diagnostic {
        let path = AttributePath::root().attr(attr);
        d.iter()
            .find(|x| x.is_error() && x.attribute.as_ref() == Some(&path))
            .unwrap_or_else(|| panic!("no error at {attr}; got {:?}", errors(d)))
    }

    fn all_text(d: &Diagnostics) -> String {
        d.iter()
            .map(|x| format!("{} | {} | {x}\n", x.summary, x.detail))
            .collect()
    }

    fn api_key_config() -> Vec<(&'static str, Value)> {
        vec![
            ("console_url", s("https://console.example.org:32000")),
            ("api_key", s("key-1")),
            ("api_secret", s("secret-1")),
        ]
    }

    fn api_key_of(c: &Credentials) -> (&str, &str) {
        match c {
            Credentials::ApiKey { key, secret } => (key.as_str(), secret.expose()),
            other => panic!("expected an API key, got {other:?}"),
        }
    }

    fn iam_of(c: &Credentials) -> (&str, &str) {
        match c {
            Credentials::Iam { api_key, token_url } => (api_key.expose(), token_url.as_str()),
            other => panic!("expected IAM credentials, got {other:?}"),
        }
    }

    fn bundle_file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f.flush().unwrap();
        f
    }

    const PEM_A: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const PEM_B: &str = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";

    // ---- defaults and environment fallbacks ----

    #[test]
    fn defaults_apply_when_only_url_and_key_are_set() {
        let r = ok(&config(&api_key_config()), &[]);
        assert_eq!(r.url, "https://console.example.org:32000");
        assert_eq!(api_key_of(&r.credentials), ("key-1", "secret-1"));
        assert_eq!(r.request_timeout, Duration::from_secs(180));
        assert_eq!(r.max_retries, 5);
        assert_eq!(r.retry_max_wait, Duration::from_secs(60));
        assert!(!r.insecure);
        assert!(r.ca_bundle_pem.is_none());
    }

    #[test]
    fn every_setting_falls_back_to_its_environment_variable() {
        let file = bundle_file(PEM_B);
        let path = file.path().to_str().unwrap().to_string();
        let env = [
            ("BLOCKCHAIN_CONSOLE_URL", "http://127.0.0.1:3000"),
            ("BLOCKCHAIN_API_KEY", "env-key"),
            ("BLOCKCHAIN_API_SECRET", "env-secret"),
            ("BLOCKCHAIN_CA_BUNDLE", PEM_A),
            ("BLOCKCHAIN_CA_BUNDLE_FILE", path.as_str()),
            ("BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY", "true"),
            ("BLOCKCHAIN_REQUEST_TIMEOUT", "2m30s"),
            ("BLOCKCHAIN_MAX_RETRIES", "7"),
            ("BLOCKCHAIN_RETRY_MAX_WAIT", "15s"),
        ];
        let r = ok(&config(&[]), &env);
        assert_eq!(r.url, "http://127.0.0.1:3000");
        assert_eq!(api_key_of(&r.credentials), ("env-key", "env-secret"));
        let bundle = String::from_utf8(r.ca_bundle_pem.unwrap()).unwrap();
        assert_eq!(bundle, format!("{PEM_A}\n{PEM_B}"));
        assert!(r.insecure);
        assert_eq!(r.request_timeout, Duration::from_secs(150));
        assert_eq!(r.max_retries, 7);
        assert_eq!(r.retry_max_wait, Duration::from_secs(15));
    }

    #[test]
    fn iam_credentials_from_environment_use_the_default_token_url() {
        let env = [
            ("BLOCKCHAIN_CONSOLE_URL", "https://console.example.org"),
            ("BLOCKCHAIN_IAM_API_KEY", "iam-key"),
        ];
        let r = ok(&config(&[]), &env);
        assert_eq!(iam_of(&r.credentials), ("iam-key", DEFAULT_IAM_TOKEN_URL));
        assert_eq!(
            DEFAULT_IAM_TOKEN_URL,
            crate::console::IBM_CLOUD_IAM_TOKEN_URL
        );
    }

    #[test]
    fn iam_token_url_comes_from_config_or_environment() {
        let base = [
            ("console_url", s("https://console.example.org")),
            ("iam_api_key", s("iam-key")),
        ];
        let env = [("BLOCKCHAIN_IAM_TOKEN_URL", "https://iam.test/env/token")];
        let r = ok(&config(&base), &env);
        assert_eq!(iam_of(&r.credentials).1, "https://iam.test/env/token");

        let mut with_cfg = base.to_vec();
        with_cfg.push(("iam_token_url", s("https://iam.test/cfg/token")));
        let r = ok(&config(&with_cfg), &env);
        assert_eq!(iam_of(&r.credentials).1, "https://iam.test/cfg/token");
    }

    #[test]
    fn configuration_wins_over_the_environment() {
        let file = bundle_file(PEM_B);
        let cfg = config(&[
            ("console_url", s("https://cfg.example.org")),
            ("api_key", s("cfg-key")),
            ("api_secret", s("cfg-secret")),
            ("ca_bundle", s(PEM_A)),
            ("ca_bundle_file", s(file.path().to_str().unwrap())),
            ("insecure_skip_tls_verify", Value::bool(false)),
            ("request_timeout", s("90s")),
            ("max_retries", Value::int(2)),
            ("retry_max_wait", s("5s")),
        ]);
        let env = [
            ("BLOCKCHAIN_CONSOLE_URL", "https://env.example.org"),
            ("BLOCKCHAIN_API_KEY", "env-key"),
            ("BLOCKCHAIN_API_SECRET", "env-secret"),
            ("BLOCKCHAIN_CA_BUNDLE", "env bundle"),
            ("BLOCKCHAIN_CA_BUNDLE_FILE", "/nonexistent/env-bundle.pem"),
            ("BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY", "true"),
            ("BLOCKCHAIN_REQUEST_TIMEOUT", "1h"),
            ("BLOCKCHAIN_MAX_RETRIES", "9"),
            ("BLOCKCHAIN_RETRY_MAX_WAIT", "1m"),
        ];
        let r = ok(&cfg, &env);
        assert_eq!(r.url, "https://cfg.example.org");
        assert_eq!(api_key_of(&r.credentials), ("cfg-key", "cfg-secret"));
        let bundle = String::from_utf8(r.ca_bundle_pem.unwrap()).unwrap();
        assert_eq!(bundle, format!("{PEM_A}\n{PEM_B}"));
        assert!(!r.insecure, "a configured false beats BLOCKCHAIN_*=true");
        assert_eq!(r.request_timeout, Duration::from_secs(90));
        assert_eq!(r.max_retries, 2);
        assert_eq!(r.retry_max_wait, Duration::from_secs(5));
    }

    #[test]
    fn the_secret_may_come_from_the_environment_while_the_key_is_configured() {
        let cfg = config(&[
            ("console_url", s("https://console.example.org")),
            ("api_key", s("cfg-key")),
        ]);
        let r = ok(&cfg, &[("BLOCKCHAIN_API_SECRET", "env-secret")]);
        assert_eq!(api_key_of(&r.credentials), ("cfg-key", "env-secret"));
    }

    #[test]
    fn empty_values_count_as_unset() {
        // An empty environment variable is ignored: the default applies.
        let env = [
            ("BLOCKCHAIN_REQUEST_TIMEOUT", ""),
            ("BLOCKCHAIN_MAX_RETRIES", ""),
            ("BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY", ""),
            ("BLOCKCHAIN_IAM_API_KEY", ""),
        ];
        let r = ok(&config(&api_key_config()), &env);
        assert_eq!(r.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(r.max_retries, DEFAULT_MAX_RETRIES);
        assert!(!r.insecure);

        // An empty configured string falls back to the environment.
        let cfg = config(&[
            ("console_url", s("")),
            ("api_key", s("")),
            ("api_secret", s("")),
        ]);
        let env = [
            ("BLOCKCHAIN_CONSOLE_URL", "https://env.example.org"),
            ("BLOCKCHAIN_API_KEY", "env-key"),
            ("BLOCKCHAIN_API_SECRET", "env-secret"),
        ];
        let r = ok(&cfg, &env);
        assert_eq!(r.url, "https://env.example.org");
        assert_eq!(api_key_of(&r.credentials), ("env-key", "env-secret"));
    }

    #[test]
    fn boolean_environment_spellings() {
        for (raw, want) in [
            ("1", true),
            ("true", true),
            ("TRUE", true),
            ("yes", true),
            (" true ", true),
            ("0", false),
            ("false", false),
            ("No", false),
        ] {
            let r = ok(
                &config(&api_key_config()),
                &[("BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY", raw)],
            );
            assert_eq!(
                r.insecure, want,
                "BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY={raw:?}"
            );
        }
    }

    #[test]
    fn max_retries_accepts_the_whole_range() {
        for (raw, want) in [("0", 0), ("100", 100), (" 3 ", 3)] {
            let r = ok(
                &config(&api_key_config()),
                &[("BLOCKCHAIN_MAX_RETRIES", raw)],
            );
            assert_eq!(r.max_retries, want);
        }
        let mut cfg = api_key_config();
        cfg.push(("max_retries", Value::int(0)));
        assert_eq!(ok(&config(&cfg), &[]).max_retries, 0);
    }

    // ---- errors, each at its attribute ----

    #[test]
    fn missing_url_is_reported_at_console_url() {
        let cfg = config(&[("api_key", s("k")), ("api_secret", s("s"))]);
        let d = err(&cfg, &[]);
        assert_eq!(
            errors(&d),
            vec![("console_url".to_string(), "Missing console URL".to_string())]
        );
        assert!(error_at(&d, "console_url")
            .detail
            .contains("BLOCKCHAIN_CONSOLE_URL"));
    }

    #[test]
    fn missing_url_and_credentials_are_reported_together() {
        let d = err(&config(&[]), &[]);
        let found = errors(&d);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(error_at(&d, "console_url").summary, "Missing console URL");
        assert_eq!(
            error_at(&d, "api_key").summary,
            "Missing console credentials"
        );
    }

    #[test]
    fn bad_urls_are_reported_at_console_url() {
        for bad in [
            "not a url",
            "ftp://console.example.org",
            "console.example.org:443",
        ] {
            let mut cfg = api_key_config();
            cfg[0] = ("console_url", s(bad));
            let d = err(&config(&cfg), &[]);
            assert_eq!(errors(&d).len(), 1, "{bad}: {:?}", errors(&d));
            error_at(&d, "console_url");
            // The same mistake through the environment points at the same attribute.
            let d = err(
                &config(&api_key_config()[1..]),
                &[("BLOCKCHAIN_CONSOLE_URL", bad)],
            );
            error_at(&d, "console_url");
        }
    }

    /// The errors the schema's validators report for a provider block, as at `validate`.
    fn schema_errors(cfg: &Value) -> Diagnostics {
        let schema = BlockchainProvider::new().schema();
        let mut diags = Diagnostics::new();
        crate::framework::server::validate_block(
            &schema.block,
            cfg,
            &AttributePath::root(),
            &mut diags,
        );
        diags
    }

    #[test]
    fn a_console_url_with_a_path_is_refused_at_validate_with_the_url_to_use() {
        let cases = [
            (
                "https://c.example.org:32000/ak/api/v3",
                "https://c.example.org:32000",
                true,
            ),
            (
                "https://c.example.org:32000/ak/api/v3/",
                "https://c.example.org:32000",
                true,
            ),
            (
                "http://127.0.0.1:7070/console",
                "http://127.0.0.1:7070",
                false,
            ),
            (
                "https://c.example.org/?region=us",
                "https://c.example.org",
                false,
            ),
            (
                "https://c.example.org/#/components",
                "https://c.example.org",
                false,
            ),
        ];
        for (bad, base, api_prefix) in cases {
            let mut cfg = api_key_config();
            cfg[0] = ("console_url", s(bad));
            // At validate, through the schema: before configure, so before any request.
            let d = schema_errors(&config(&cfg));
            assert_eq!(errors(&d).len(), 1, "{bad}: {:?}", errors(&d));
            let e = error_at(&d, "console_url");
            assert_eq!(e.summary, "Console URL with a path", "{bad}");
            assert!(
                e.detail.contains(&format!("Use console_url = {base:?}.")),
                "{bad}: {}",
                e.detail
            );
            assert_eq!(
                e.detail.contains("adds /ak/api/v3 to it itself"),
                api_prefix,
                "{bad}: {}",
                e.detail
            );
            // From the environment, at configure: the same error at the same attribute.
            let d = err(
                &config(&api_key_config()[1..]),
                &[("BLOCKCHAIN_CONSOLE_URL", bad)],
            );
            assert_eq!(
                error_at(&d, "console_url").summary,
                "Console URL with a path"
            );
        }
        for good in [
            "https://c.example.org:32000",
            "https://c.example.org:32000/",
            "http://127.0.0.1:7070",
        ] {
            let mut cfg = api_key_config();
            cfg[0] = ("console_url", s(good));
            assert!(schema_errors(&config(&cfg)).is_empty(), "{good}");
            assert_eq!(ok(&config(&cfg), &[]).url, good);
        }
    }

    #[test]
    fn a_console_url_path_error_hides_the_url_password() {
        let mut cfg = api_key_config();
        cfg[0] = (
            "console_url",
            s("https://admin:SEKRET-pw@c.example.org/ak/api/v3"),
        );
        let d = schema_errors(&config(&cfg));
        let e = error_at(&d, "console_url");
        assert!(!e.detail.contains("SEKRET"), "{}", e.detail);
        assert!(
            e.detail.contains("https://admin:REDACTED@c.example.org"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn api_key_without_secret_is_reported_at_api_secret() {
        let cfg = config(&[
            ("console_url", s("https://c.example.org")),
            ("api_key", s("k")),
        ]);
        let d = err(&cfg, &[]);
        assert_eq!(errors(&d).len(), 1);
        assert_eq!(error_at(&d, "api_secret").summary, "Missing API secret");
    }

    #[test]
    fn secret_without_key_is_reported_at_api_key() {
        let cfg = config(&[
            ("console_url", s("https://c.example.org")),
            ("api_secret", s("s")),
        ]);
        let d = err(&cfg, &[]);
        assert_eq!(
            error_at(&d, "api_key").summary,
            "Missing console credentials"
        );
    }

    #[test]
    fn api_key_and_iam_key_conflict_wherever_they_come_from() {
        let mut both = api_key_config();
        both.push(("iam_api_key", s("iam")));
        let d = err(&config(&both), &[]);
        assert_eq!(errors(&d).len(), 1);
        assert_eq!(
            error_at(&d, "iam_api_key").summary,
            "Conflicting credentials"
        );

        // Both from the environment: no block chose, so it is ambiguous.
        let d = err(
            &config(&[("console_url", s("https://c.example.org"))]),
            &[
                ("BLOCKCHAIN_API_KEY", "k"),
                ("BLOCKCHAIN_API_SECRET", "sec"),
                ("BLOCKCHAIN_IAM_API_KEY", "iam"),
            ],
        );
        assert_eq!(
            error_at(&d, "iam_api_key").summary,
            "Conflicting credentials"
        );
    }

    #[test]
    fn the_provider_block_decides_the_kind_of_credentials_over_the_environment() {
        // An API key in this block is not contradicted by an IAM key meant for another block.
        let r = ok(
            &config(&api_key_config()),
            &[("BLOCKCHAIN_IAM_API_KEY", "iam")],
        );
        assert!(matches!(r.credentials, Credentials::ApiKey { .. }));
        // And an IAM block is not contradicted by BLOCKCHAIN_API_KEY / _SECRET.
        let r = ok(
            &config(&[
                ("console_url", s("https://c.example.org")),
                ("iam_api_key", s("iam")),
            ]),
            &[
                ("BLOCKCHAIN_API_KEY", "k"),
                ("BLOCKCHAIN_API_SECRET", "sec"),
            ],
        );
        assert!(matches!(r.credentials, Credentials::Iam { .. }));
    }

    #[test]
    fn invalid_iam_token_url_is_reported_at_iam_token_url() {
        for bad in ["not a url", "ftp://iam.example.org/token"] {
            let cfg = config(&[
                ("console_url", s("https://c.example.org")),
                ("iam_api_key", s("iam")),
                ("iam_token_url", s(bad)),
            ]);
            let d = err(&cfg, &[]);
            assert_eq!(errors(&d).len(), 1, "{bad}: {:?}", errors(&d));
            error_at(&d, "iam_token_url");
        }
    }

    #[test]
    fn bad_durations_are_reported_at_their_attribute() {
        let mut cfg = api_key_config();
        cfg.push(("request_timeout", s("ten seconds")));
        let d = err(&config(&cfg), &[]);
        let e = error_at(&d, "request_timeout");
        assert_eq!(e.summary, "Invalid duration");
        assert!(e.detail.contains("\"ten seconds\""), "{}", e.detail);

        let d = err(
            &config(&api_key_config()),
            &[("BLOCKCHAIN_RETRY_MAX_WAIT", "5 minutes")],
        );
        assert_eq!(error_at(&d, "retry_max_wait").summary, "Invalid duration");
        assert_eq!(errors(&d).len(), 1);
    }

    #[test]
    fn zero_durations_are_rejected() {
        let mut cfg = api_key_config();
        cfg.push(("retry_max_wait", s("0s")));
        let d = err(&config(&cfg), &[("BLOCKCHAIN_REQUEST_TIMEOUT", "0")]);
        assert!(error_at(&d, "retry_max_wait")
            .detail
            .contains("longer than zero"));
        assert!(error_at(&d, "request_timeout")
            .detail
            .contains("longer than zero"));
        assert_eq!(errors(&d).len(), 2);
    }

    #[test]
    fn bad_boolean_is_reported_at_insecure_skip_tls_verify() {
        let d = err(
            &config(&api_key_config()),
            &[("BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY", "maybe")],
        );
        let e = error_at(&d, "insecure_skip_tls_verify");
        assert_eq!(e.summary, "Invalid BLOCKCHAIN_INSECURE_SKIP_TLS_VERIFY");
        assert!(e.detail.contains("\"maybe\""));
    }

    #[test]
    fn bad_max_retries_are_reported_at_max_retries() {
        for raw in ["abc", "1.5", "-1", "101", "99999999999"] {
            let d = err(
                &config(&api_key_config()),
                &[("BLOCKCHAIN_MAX_RETRIES", raw)],
            );
            assert_eq!(errors(&d).len(), 1, "{raw}: {:?}", errors(&d));
            error_at(&d, "max_retries");
        }
        let mut cfg = api_key_config();
        cfg.push(("max_retries", Value::int(-3)));
        error_at(&err(&config(&cfg), &[]), "max_retries");
    }

    #[test]
    fn unreadable_bundle_file_is_reported_at_ca_bundle_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let missing = missing.to_str().unwrap();
        let mut cfg = api_key_config();
        cfg.push(("ca_bundle_file", s(missing)));
        let d = err(&config(&cfg), &[]);
        let e = error_at(&d, "ca_bundle_file");
        assert_eq!(e.summary, "Cannot read the CA bundle file");
        assert!(e.detail.contains(missing), "{}", e.detail);

        // A directory cannot be read as a file either.
        let d = err(
            &config(&api_key_config()),
            &[("BLOCKCHAIN_CA_BUNDLE_FILE", dir.path().to_str().unwrap())],
        );
        error_at(&d, "ca_bundle_file");
    }

    #[test]
    fn all_problems_are_reported_in_one_go() {
        let cfg = config(&[
            ("console_url", s("ftp://x")),
            ("api_key", s("k")),
            ("request_timeout", s("soon")),
            ("ca_bundle_file", s("/nonexistent/bundle.pem")),
        ]);
        let d = err(&cfg, &[("BLOCKCHAIN_MAX_RETRIES", "many")]);
        let mut attrs: Vec<String> = errors(&d).into_iter().map(|(a, _)| a).collect();
        attrs.sort();
        assert_eq!(
            attrs,
            [
                "api_secret",
                "ca_bundle_file",
                "console_url",
                "max_retries",
                "request_timeout"
            ]
        );
    }

    #[test]
    fn no_diagnostic_repeats_a_secret() {
        const SECRETS: [&str; 4] = [
            "SEKRET-api-secret",
            "SEKRET-iam-key",
            "SEKRET-url-password",
            "SEKRET-api-key",
        ];
        let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
            // key + IAM conflict
            (
                config(&[
                    ("console_url", s("https://c.example.org")),
                    ("api_key", s("SEKRET-api-key")),
                    ("api_secret", s("SEKRET-api-secret")),
                    ("iam_api_key", s("SEKRET-iam-key")),
                ]),
                vec![],
            ),
            // key without secret, IAM conflict from the environment
            (
                config(&[("api_key", s("SEKRET-api-key"))]),
                vec![("BLOCKCHAIN_IAM_API_KEY", "SEKRET-iam-key")],
            ),
            // a password inside a bad console URL
            (
                config(&[
                    (
                        "console_url",
                        s("ftp://admin:SEKRET-url-password@c.example.org"),
                    ),
                    ("api_key", s("SEKRET-api-key")),
                    ("api_secret", s("SEKRET-api-secret")),
                ]),
                vec![],
            ),
            (
                config(&[
                    ("console_url", s("https://admin:SEKRET-url-password@[::1")),
                    ("api_key", s("SEKRET-api-key")),
                    ("api_secret", s("SEKRET-api-secret")),
                ]),
                vec![],
            ),
            // a password inside a bad IAM token URL, plus other errors next to valid secrets
            (
                config(&[
                    ("console_url", s("https://c.example.org")),
                    ("iam_api_key", s("SEKRET-iam-key")),
                    (
                        "iam_token_url",
                        s("ftp://u:SEKRET-url-password@iam.example.org/token"),
                    ),
                    ("request_timeout", s("never")),
                ]),
                vec![
                    ("BLOCKCHAIN_API_SECRET", "SEKRET-api-secret"),
                    ("BLOCKCHAIN_MAX_RETRIES", "x"),
                ],
            ),
            // an unparsable IAM token URL with a password in it
            (
                config(&[
                    ("console_url", s("https://c.example.org")),
                    ("iam_api_key", s("SEKRET-iam-key")),
                    ("iam_token_url", s("https://u:SEKRET-url-password@[iam")),
                ]),
                vec![],
            ),
        ];
        for (i, (cfg, env)) in cases.iter().enumerate() {
            let d = err(cfg, env);
            let text = all_text(&d);
            for secret in SECRETS {
                assert!(
                    !text.contains(secret),
                    "case {i}: diagnostics show {secret}:\n{text}"
                );
            }
            let mut v = Diagnostics::new();
            validate_provider_config(cfg, &mut v, &env_of(env));
            let text = all_text(&v);
            assert!(SECRETS.iter().all(|s| !text.contains(s)), "{text}");
        }
    }

    // ---- into_console_config ----

    #[test]
    fn console_config_carries_every_setting() {
        let file = bundle_file(PEM_B);
        let cfg = config(&[
            ("console_url", s("https://console.example.org:32000")),
            ("api_key", s("k")),
            ("api_secret", s("s")),
            ("ca_bundle_file", s(file.path().to_str().unwrap())),
            ("insecure_skip_tls_verify", Value::bool(true)),
            ("request_timeout", s("4m")),
            ("max_retries", Value::int(3)),
            ("retry_max_wait", s("10s")),
        ]);
        let c = ok(&cfg, &[]).into_console_config("1.11.2").unwrap();
        assert_eq!(c.url.as_str(), "https://console.example.org:32000/");
        assert_eq!(api_key_of(&c.credentials), ("k", "s"));
        assert_eq!(
            c.ca_bundle_pem.as_deref(),
            Some(format!("\n{PEM_B}").as_bytes())
        );
        assert!(c.insecure_skip_tls_verify);
        assert_eq!(c.request_timeout, Duration::from_secs(240));
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.retry_min_backoff, Duration::from_millis(250));
        assert_eq!(c.retry_max_backoff, Duration::from_secs(10));
        assert_eq!(
            c.user_agent,
            format!(
                "terraform-provider-blockchain/{} (terraform 1.11.2)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn console_config_defaults_keep_above_the_deployer_wait() {
        let c = ok(&config(&api_key_config()), &[])
            .into_console_config("1.9.0")
            .unwrap();
        assert_eq!(c.request_timeout, Duration::from_secs(180));
        assert!(c.request_timeout > Duration::from_secs(105));
        assert_eq!(c.max_retries, 5);
        assert_eq!(c.retry_max_backoff, Duration::from_secs(60));
        assert!(c.ca_bundle_pem.is_none());
        assert!(!c.insecure_skip_tls_verify);
    }

    #[test]
    fn console_config_keeps_iam_credentials() {
        let cfg = config(&[
            ("console_url", s("https://c.example.org")),
            ("iam_api_key", s("iam")),
        ]);
        let c = ok(&cfg, &[]).into_console_config("1.9.0").unwrap();
        assert_eq!(iam_of(&c.credentials), ("iam", DEFAULT_IAM_TOKEN_URL));
    }

    #[test]
    fn console_config_rejects_an_unparsable_url_at_console_url() {
        let settings = ResolvedSettings {
            url: "::not-a-url".into(),
            credentials: Credentials::Bearer(Secret::new("t")),
            ca_bundle_pem: None,
            insecure: false,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_max_wait: DEFAULT_RETRY_MAX_WAIT,
        };
        let d = match settings.into_console_config("1.9.0") {
            Ok(c) => panic!("accepted {}", c.url),
            Err(d) => d,
        };
        assert_eq!(error_at(&d, "console_url").summary, "Invalid console URL");
    }

    // ---- validate_config ----

    fn validate(cfg: &Value, env: &[(&str, &str)]) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_provider_config(cfg, &mut d, &env_of(env));
        d
    }

    #[test]
    fn validate_accepts_complete_credentials() {
        assert!(validate(&config(&api_key_config()), &[]).is_empty());
        let iam = config(&[("iam_api_key", s("iam"))]);
        assert!(validate(&iam, &[]).is_empty());
        // Nothing configured: the environment may still provide it at configure time.
        assert!(validate(&config(&[]), &[]).is_empty());
    }

    #[test]
    fn validate_flags_api_key_with_iam_key() {
        let mut both = api_key_config();
        both.push(("iam_api_key", s("iam")));
        let d = validate(&config(&both), &[]);
        assert_eq!(
            errors(&d),
            vec![(
                "iam_api_key".to_string(),
                "Conflicting credentials".to_string()
            )]
        );
    }

    #[test]
    fn validate_flags_half_an_api_key() {
        let d = validate(&config(&[("api_key", s("k"))]), &[]);
        assert_eq!(
            errors(&d),
            vec![(
                "api_secret".to_string(),
                "Incomplete console API key".to_string()
            )]
        );
        assert!(error_at(&d, "api_secret")
            .detail
            .contains("BLOCKCHAIN_API_SECRET"));
        let d = validate(&config(&[("api_secret", s("s"))]), &[]);
        assert_eq!(
            errors(&d),
            vec![(
                "api_key".to_string(),
                "Incomplete console API key".to_string()
            )]
        );
    }

    #[test]
    fn validate_lets_the_environment_complete_an_api_key() {
        let d = validate(
            &config(&[("api_key", s("k"))]),
            &[("BLOCKCHAIN_API_SECRET", "s")],
        );
        assert!(d.is_empty(), "{d}");
        let d = validate(
            &config(&[("api_secret", s("s"))]),
            &[("BLOCKCHAIN_API_KEY", "k")],
        );
        assert!(d.is_empty(), "{d}");
    }

    #[test]
    fn validate_says_nothing_about_unknown_values() {
        let d = validate(
            &config(&[("api_key", Value::unknown()), ("iam_api_key", s("iam"))]),
            &[],
        );
        assert!(d.is_empty(), "{d}");
        let d = validate(
            &config(&[("api_key", s("k")), ("api_secret", Value::unknown())]),
            &[],
        );
        assert!(d.is_empty(), "{d}");
    }

    // ---- schema ----

    #[test]
    fn schema_is_well_formed_and_hides_credentials() {
        let schema = BlockchainProvider::new().schema();
        schema.check();
        for attr in ALL_ATTRS {
            let a = schema
                .block
                .get_attribute(attr)
                .unwrap_or_else(|| panic!("missing {attr}"));
            assert!(a.optional && !a.required, "{attr} must be optional");
            let secret = matches!(attr, "api_key" | "api_secret" | "iam_api_key");
            assert_eq!(a.sensitive, secret, "{attr} sensitive");
        }
        assert_eq!(schema.block.attributes.len(), ALL_ATTRS.len());
    }

    #[test]
    fn schema_documents_the_real_defaults() {
        let schema = BlockchainProvider::new().schema();
        let desc = |a: &str| schema.block.get_attribute(a).unwrap().description.clone();
        let secs = DEFAULT_REQUEST_TIMEOUT.as_secs();
        assert!(desc("request_timeout").contains(&format!("Default `{secs}s`")));
        let secs = DEFAULT_RETRY_MAX_WAIT.as_secs();
        assert!(desc("retry_max_wait").contains(&format!("Default `{secs}s`")));
        assert!(desc("max_retries").contains(&format!("Default {DEFAULT_MAX_RETRIES}")));
        assert!(desc("iam_token_url").contains(DEFAULT_IAM_TOKEN_URL));
    }

    #[test]
    fn a_request_timeout_shorter_than_a_console_create_is_a_warning() {
        let mut cfg = api_key_config();
        cfg.push(("request_timeout", s("30s")));
        let mut diags = Diagnostics::new();
        validate_provider_config(&config(&cfg), &mut diags, &env_of(&[]));
        assert!(!diags.has_errors());
        let w = diags.iter().next().expect("a warning");
        assert_eq!(
            w.attribute,
            Some(AttributePath::root().attr("request_timeout"))
        );
        let mut cfg = api_key_config();
        cfg.push(("request_timeout", s("3m")));
        let mut diags = Diagnostics::new();
        validate_provider_config(&config(&cfg), &mut diags, &env_of(&[]));
        assert!(diags.is_empty());
    }

    #[test]
    fn a_request_timeout_no_request_can_meet_is_an_error_at_plan() {
        for t in ["1ns", "999ms"] {
            let mut cfg = api_key_config();
            cfg.push(("request_timeout", s(t)));
            let d = validate(&config(&cfg), &[]);
            assert!(d.has_errors(), "{t}");
            let e = d.iter().next().expect("an error");
            assert_eq!(
                e.attribute,
                Some(AttributePath::root().attr("request_timeout"))
            );
            assert_eq!(e.summary, "Request timeout too short");
        }
    }

    #[test]
    fn a_bad_ca_bundle_is_reported_at_its_own_attribute_at_plan() {
        let mut cfg = api_key_config();
        cfg.push(("ca_bundle", s("not a certificate")));
        let d = validate(&config(&cfg), &[]);
        let e = d.iter().next().expect("an error");
        assert_eq!(e.attribute, Some(AttributePath::root().attr("ca_bundle")));
        assert_eq!(e.summary, "Unusable CA bundle");

        let garbage = bundle_file("this is no PEM");
        let mut cfg = api_key_config();
        cfg.push(("ca_bundle_file", s(garbage.path().to_str().unwrap())));
        let d = validate(&config(&cfg), &[]);
        let e = d.iter().next().expect("an error");
        assert_eq!(
            e.attribute,
            Some(AttributePath::root().attr("ca_bundle_file"))
        );

        let mut cfg = api_key_config();
        cfg.push(("ca_bundle_file", s("/nonexistent/bundle.pem")));
        let d = validate(&config(&cfg), &[]);
        let e = d.iter().next().expect("an error");
        assert_eq!(
            e.attribute,
            Some(AttributePath::root().attr("ca_bundle_file"))
        );
        assert_eq!(e.summary, "Cannot read the CA bundle file");
    }

    #[test]
    fn validation_uses_the_same_credential_precedence_as_configure() {
        // An IAM block is not asked for an API key pair because BLOCKCHAIN_API_KEY is set.
        let iam_block = config(&[
            ("console_url", s("https://c.example.org")),
            ("iam_api_key", s("iam")),
        ]);
        let mut diags = Diagnostics::new();
        validate_provider_config(
            &iam_block,
            &mut diags,
            &env_of(&[("BLOCKCHAIN_API_KEY", "k")]),
        );
        assert!(!diags.has_errors(), "{diags}");
        // A secret and an IAM key in one block conflict.
        let mixed = config(&[
            ("console_url", s("https://c.example.org")),
            ("api_secret", s("sec")),
            ("iam_api_key", s("iam")),
        ]);
        let mut diags = Diagnostics::new();
        validate_provider_config(&mixed, &mut diags, &env_of(&[]));
        assert_eq!(
            diags.iter().next().map(|d| d.summary.as_str()),
            Some("Conflicting credentials")
        );
        // Only the environment, with an IAM key and a leftover secret: configure uses IAM, so
        // validation does not ask for an API key.
        let mut diags = Diagnostics::new();
        validate_provider_config(
            &config(&[("console_url", s("https://c.example.org"))]),
            &mut diags,
            &env_of(&[
                ("BLOCKCHAIN_IAM_API_KEY", "iam"),
                ("BLOCKCHAIN_API_SECRET", "old"),
            ]),
        );
        assert!(!diags.has_errors(), "{diags}");
        // The request_timeout warning sees the environment too.
        let mut diags = Diagnostics::new();
        validate_provider_config(
            &config(&api_key_config()),
            &mut diags,
            &env_of(&[("BLOCKCHAIN_REQUEST_TIMEOUT", "10s")]),
        );
        assert!(diags
            .iter()
            .any(|d| d.summary.starts_with("Request timeout shorter")));
    }
}
