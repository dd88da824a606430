//! The HTTP core: one `reqwest` client per console, URL building under
//! `/ak/api/v3`, authentication, the retry loop and cancellation.
//!
//! Cancellation: every call watches the client's `CancellationToken` (see
//! [`ConsoleClient::with_cancellation`]); when it fires, an in-flight request or
//! a backoff sleep ends at once with [`ConsoleError::Cancelled`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{iam_error, parse_iam_token, Auth};
use super::config::ConsoleConfig;
use super::error::{self, ConsoleError};
use super::retry::{CallState, Decision, Outcome, RetryPolicy};
use crate::net::tls;

/// API prefix of API-key routes (docs/dev/console-api.md#api-key-routes).
const API_PREFIX: [&str; 3] = ["ak", "api", "v3"];
/// Upper bound of the TCP/TLS connect phase.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one console. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone, Debug)]
pub struct ConsoleClient {
    pub(crate) inner: Arc<Inner>,
    pub(crate) cancel: CancellationToken,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) auth: Auth,
    pub(crate) policy: RetryPolicy,
    /// The list shared by the reads of a run (snapshot.rs).
    pub(crate) snapshot: super::snapshot::Snapshot,
    /// Whether, and why, this run's credentials failed (credentials.rs).
    pub(crate) credentials: super::credentials::CredentialGate,
    /// One create per (type, display name) at a time (create.rs).
    pub(crate) name_locks: super::create::NameLocks,
    /// What the deployer offers, asked once (components.rs).
    pub(crate) versions: tokio::sync::OnceCell<super::models::FabricVersions>,
}

/// How the retry loop treats answers that might mean "done, but unconfirmed".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// The policy as is.
    Standard,
    /// For creates: a 5xx is returned at once (not retried blindly), so the
    /// caller can read back before deciding to send again.
    NoBlindRetry,
}

/// A complete HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: String,
}

/// Why one attempt produced no answer.
pub(crate) enum AttemptError {
    /// Stop now with this error (e.g. no token could be obtained).
    Fatal(ConsoleError),
    Http(reqwest::Error),
}

impl From<reqwest::Error> for AttemptError {
    fn from(e: reqwest::Error) -> Self {
        AttemptError::Http(e)
    }
}

impl ConsoleClient {
    /// Builds a client. Fails on an unusable URL, credential or CA bundle.
    pub fn new(cfg: ConsoleConfig) -> Result<Self, ConsoleError> {
        if !matches!(cfg.url.scheme(), "http" | "https") || cfg.url.host_str().is_none() {
            return Err(ConsoleError::Config(format!(
                "the console URL must be http(s)://host[:port], got {}",
                cfg.url
            )));
        }
        if !cfg.url.username().is_empty() || cfg.url.password().is_some() {
            return Err(ConsoleError::Config(
                "the console URL must not contain credentials; give them as the API key instead"
                    .to_owned(),
            ));
        }
        if cfg.url.cannot_be_a_base() {
            return Err(ConsoleError::Config(format!(
                "the console URL {} cannot carry a path",
                cfg.url
            )));
        }
        let auth = Auth::new(&cfg.credentials)?;
        let bundle = match &cfg.ca_bundle_pem {
            Some(pem) => tls::parse_certificates(pem)?,
            None => Vec::new(),
        };
        let tls_cfg = tls::client_config(
            &bundle,
            &[],
            cfg.insecure_skip_tls_verify,
            &[b"h2", b"http/1.1"],
        )?;
        let http = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(MAX_CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls_cfg)
            .build()
            .map_err(|e| ConsoleError::Config(format!("cannot build the HTTP client: {e}")))?;
        let mut base = cfg.url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let policy = RetryPolicy {
            max_retries: cfg.max_retries,
            min_backoff: cfg.retry_min_backoff,
            max_backoff: cfg.retry_max_backoff,
            rate_limit_max_wait: cfg.rate_limit_max_wait,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                auth,
                policy,
                snapshot: Default::default(),
                credentials: Default::default(),
                name_locks: Default::default(),
                versions: Default::default(),
            }),
            cancel: CancellationToken::new(),
        })
    }

    /// A clone of this client whose calls stop when `token` is cancelled
    /// (e.g. Terraform's StopProvider). Shares the connection pool and token cache.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self {
            inner: self.inner.clone(),
            cancel: token,
        }
    }

    /// The token this client's calls watch.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// The console base URL this client talks to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// `<base>/ak/api/v3/<segments…>?<query>`; segments are percent-encoded.
    pub(crate) fn api_url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(API_PREFIX).extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends a console request and decodes a 2xx JSON answer into `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
        mode: RetryMode,
    ) -> Result<(u16, T), ConsoleError> {
        let label = label(&method, &url);
        let answer = self.call_raw(method, url, body, mode).await?;
        let value = decode(&label, &answer.body)?;
        Ok((answer.status, value))
    }

    /// Sends a console request; returns the 2xx answer or the mapped error.
    pub(crate) async fn call_raw(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
        mode: RetryMode,
    ) -> Result<Answer, ConsoleError> {
        let label = label(&method, &url);
        // Until the credentials have worked once, one request at a time; after a refusal, none.
        let _turn = self.inner.credentials.admit(&label).await?;
        let writes = method != Method::GET;
        if writes {
            self.inner.snapshot.invalidate();
        }
        let body = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| ConsoleError::Decode {
                request: label.clone(),
                detail: format!("cannot encode the request body: {e}"),
            })?),
            None => None,
        };
        let result = self
            .run(&label, &method, mode, error::from_response, || {
                let method = method.clone();
                let url = url.clone();
                let body = body.clone();
                async move {
                    let auth = self.auth_header().await.map_err(AttemptError::Fatal)?;
                    let mut req = self
                        .inner
                        .http
                        .request(method, url)
                        .header(ACCEPT, "application/json")
                        .header(AUTHORIZATION, auth);
                    if let Some(b) = body {
                        req = req.header(CONTENT_TYPE, "application/json").body(b);
                    }
                    read_answer(req.send().await?).await
                }
            })
            .await;
        if let (Err(ConsoleError::Unauthorized { .. }), Auth::Iam(src)) =
            (&result, &self.inner.auth)
        {
            // The console refused our IAM token: fetch a new one next time.
            src.invalidate().await;
        }
        if writes {
            // Also after: a list fetched while this write ran must not be kept.
            self.inner.snapshot.invalidate();
        }
        self.inner.credentials.record(&result);
        result
    }

    /// The `Authorization` value, fetching an IAM token when needed.
    async fn auth_header(&self) -> Result<HeaderValue, ConsoleError> {
        let src = match &self.inner.auth {
            Auth::Static(h) => return Ok(h.clone()),
            Auth::Iam(src) => src,
        };
        let mut cached = src.cached.lock().await;
        if let Some(tok) = cached.as_ref() {
            if Instant::now() < tok.refresh_at {
                return Ok(tok.header.clone());
            }
        }
        let label = format!("POST {}", src.token_url.path());
        let form = src.form_body();
        let answer = self
            .run(
                &label,
                &Method::PUT, // token requests are safe to repeat
                RetryMode::Standard,
                |_, status, _, body| iam_error(status, body),
                || {
                    let req = self
                        .inner
                        .http
                        .post(src.token_url.clone())
                        .header(ACCEPT, "application/json")
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(form.clone());
                    async move { read_answer(req.send().await?).await }
                },
            )
            .await
            .map_err(|e| match e {
                e @ (ConsoleError::IamToken { .. } | ConsoleError::Cancelled { .. }) => e,
                other => ConsoleError::IamToken {
                    status: other.status(),
                    detail: other.to_string(),
                },
            })?;
        let tok = parse_iam_token(&answer.body, Instant::now())?;
        tracing::debug!("obtained a new IAM token");
        let header = tok.header.clone();
        *cached = Some(tok);
        Ok(header)
    }

    /// The retry loop. `attempt` makes one request; `map_error` turns a final
    /// non-2xx answer into an error.
    pub(crate) async fn run<F, Fut>(
        &self,
        label: &str,
        method: &Method,
        mode: RetryMode,
        map_error: fn(&str, u16, Option<Duration>, &str) -> ConsoleError,
        mut attempt: F,
    ) -> Result<Answer, ConsoleError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Answer, AttemptError>>,
    {
        let mut state = CallState::default();
        loop {
            let result = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Err(cancelled(label)),
                r = attempt() => r,
            };
            let (outcome, failure) = match result {
                Ok(a) if (200..300).contains(&a.status) => {
                    tracing::debug!(request = %label, status = a.status, "console answered");
                    return Ok(a);
                }
                Ok(a) => {
                    let outcome = Outcome::Status {
                        status: a.status,
                        retry_after: a.retry_after,
                    };
                    let err = map_error(label, a.status, a.retry_after, &a.body);
                    if mode == RetryMode::NoBlindRetry && a.status >= 500 {
                        return Err(err);
                    }
                    if err.is_import_only() {
                        // Deterministic: this console has no deployer.
                        return Err(err);
                    }
                    (outcome, err)
                }
                Err(AttemptError::Fatal(e)) => return Err(e),
                Err(AttemptError::Http(e)) => {
                    let detail = crate::net::describe(&e);
                    if tls::is_certificate_rejection(&detail) {
                        // Permanent: the same certificate will be refused again.
                        return Err(ConsoleError::UntrustedCertificate {
                            request: label.to_owned(),
                            detail,
                        });
                    }
                    classify(label, &e)
                }
            };
            let decision = self
                .inner
                .policy
                .decide(method, outcome, state, rand::random::<f64>());
            match decision {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(
                        request = %label,
                        retry = state.retries + 1,
                        wait_ms = wait.as_millis() as u64,
                        "retrying console request: {failure}"
                    );
                    if matches!(outcome, Outcome::Status { status: 429, .. }) {
                        state.rate_limit_waited += wait;
                    }
                    state.retries += 1;
                    tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => return Err(cancelled(label)),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                Decision::GiveUp => return Err(failure),
                Decision::Ambiguous => {
                    let detail = match failure {
                        ConsoleError::Timeout { .. } => "timed out".to_owned(),
                        ConsoleError::Transport { detail, .. } => detail,
                        other => other.to_string(),
                    };
                    return Err(ConsoleError::Ambiguous {
                        request: label.to_owned(),
                        detail,
                    });
                }
            }
        }
    }
}

/// `"<METHOD> <path>"` for messages: no host, query or credentials.
pub(crate) fn label(method: &Method, url: &Url) -> String {
    format!("{method} {}", url.path())
}

pub(crate) fn cancelled(label: &str) -> ConsoleError {
    ConsoleError::Cancelled {
        request: label.to_owned(),
    }
}

/// Decodes a JSON body, naming the request on failure.
pub(crate) fn decode<T: DeserializeOwned>(label: &str, body: &str) -> Result<T, ConsoleError> {
    serde_json::from_str(body).map_err(|e| ConsoleError::Decode {
        request: label.to_owned(),
        detail: e.to_string(),
    })
}

/// Reads status, `Retry-After` and the whole body (a body cut short is an
/// attempt error, i.e. a lost answer).
pub(crate) async fn read_answer(resp: reqwest::Response) -> Result<Answer, AttemptError> {
    let status = resp.status().as_u16();
    let retry_after = parse_retry_after(resp.headers());
    let body = resp.text().await?;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// `Retry-After` in seconds (the console's form); HTTP dates are ignored.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Sorts a transport failure into "never sent" or "answer lost".
pub(crate) fn classify(label: &str, e: &reqwest::Error) -> (Outcome, ConsoleError) {
    let request = label.to_owned();
    let detail = crate::net::describe(e);
    if e.is_connect() {
        (
            Outcome::ConnectFailed,
            ConsoleError::Transport { request, detail },
        )
    } else if e.is_timeout() {
        (Outcome::AnswerLost, ConsoleError::Timeout { request })
    } else {
        (
            Outcome::AnswerLost,
            ConsoleError::Transport { request, detail },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::config::{Credentials, Secret};

    fn client(url: &str) -> ConsoleClient {
        ConsoleClient::new(ConsoleConfig::new(
            Url::parse(url).unwrap(),
            Credentials::ApiKey {
                key: "k".into(),
                secret: Secret::new("s"),
            },
        ))
        .unwrap()
    }

    #[test]
    fn api_urls_keep_a_base_path_and_escape_segments() {
        let c = client("https://console.example.org:32000/");
        assert_eq!(
            c.api_url(&["components", "a b/c"], &[("cache", "skip")])
                .as_str(),
            "https://console.example.org:32000/ak/api/v3/components/a%20b%2Fc?cache=skip"
        );
        let c = client("https://proxy.example.org/console");
        assert_eq!(
            c.api_url(&["components"], &[]).as_str(),
            "https://proxy.example.org/console/ak/api/v3/components"
        );
    }

    #[test]
    fn bad_urls_and_bundles_are_config_errors() {
        let creds = Credentials::Bearer(Secret::new("t"));
        let e = ConsoleClient::new(ConsoleConfig::new(
            Url::parse("ftp://x").unwrap(),
            creds.clone(),
        ))
        .unwrap_err();
        assert!(matches!(e, ConsoleError::Config(_)), "{e}");
        let mut cfg = ConsoleConfig::new(Url::parse("https://x").unwrap(), creds);
        cfg.ca_bundle_pem = Some(b"junk".to_vec());
        assert!(matches!(
            ConsoleClient::new(cfg).unwrap_err(),
            ConsoleError::Config(_)
        ));
    }

    #[test]
    fn urls_with_credentials_are_refused() {
        let e = ConsoleClient::new(ConsoleConfig::new(
            Url::parse("https://user:pw@console.example.org").unwrap(),
            Credentials::Bearer(Secret::new("t")),
        ))
        .unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
    }

    #[test]
    fn client_and_call_futures_are_send_for_use_in_grpc_handlers() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_sync<T: Send + Sync + Clone>() {}
        assert_sync::<ConsoleClient>();
        let c = client("http://127.0.0.1:1");
        let req = crate::console::CreateCaRequest::default();
        assert_send(&c.create_ca(&req));
        assert_send(&c.get_component("x", crate::console::GetOptions::default()));
        assert_send(&c.read_component_shared("x"));
        assert_send(&c.wait_deleted("x", Duration::ZERO));
    }

    #[test]
    fn retry_after_seconds_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("60"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(60)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), None);
    }

    mod live {
        use super::*;
        use crate::console::testutil::{recorded, test_client, test_config, FakeServer, Reply};
        use std::sync::atomic::{AtomicUsize, Ordering};

        #[tokio::test]
        async fn a_401_is_never_retried() {
            let r = recorded("auth.list.no-auth");
            let server = FakeServer::start(move |_, _| {
                Reply::WithHeaders(
                    401,
                    vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                    r.body.clone(),
                )
            })
            .await;
            let err = test_client(&server).list_components().await.unwrap_err();
            assert!(matches!(err, ConsoleError::Unauthorized { .. }), "{err}");
            assert_eq!(server.requests().len(), 1);
            // Basic auth was sent; the error text carries neither key nor secret.
            let sent = server.requests()[0].authorization.clone().unwrap();
            assert_eq!(sent, "Basic a2V5MTpzZWNyZXQx");
            assert!(!err.to_string().contains("a2V5MTpzZWNyZXQx"));
            assert!(!format!("{err:?}").contains("secret1"));
        }

        /// The recorded 429 with its `Retry-After` replaced (the real one always says 60).
        fn rate_limited_reply(retry_after: &'static str) -> Reply {
            let r = recorded("ratelimit.write-6");
            let mut headers = r.headers.clone();
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("retry-after"));
            headers.push(("Retry-After".into(), retry_after.into()));
            Reply::WithHeaders(429, headers, r.body.clone())
        }

        #[tokio::test]
        async fn a_429_is_retried_after_its_retry_after_then_succeeds() {
            let server = FakeServer::start(move |_, i| {
                if i == 0 {
                    rate_limited_reply("0")
                } else {
                    Reply::Json(200, r#"{"components":[]}"#.into())
                }
            })
            .await;
            let list = test_client(&server).list_components().await.unwrap();
            assert!(list.is_empty());
            assert_eq!(server.requests().len(), 2);
        }

        #[tokio::test]
        async fn a_retry_after_beyond_the_rate_limit_budget_gives_up_without_retrying_early() {
            // Retrying before the console's window ends would only be refused (and counted).
            let r = recorded("ratelimit.write-6");
            let server = FakeServer::start(move |_, _| {
                Reply::WithHeaders(429, r.headers.clone(), r.body.clone())
            })
            .await;
            let err = test_client(&server).list_components().await.unwrap_err();
            assert_eq!(err.status(), Some(429));
            assert_eq!(server.requests().len(), 1);
        }

        #[tokio::test]
        async fn rate_limiting_that_never_ends_stops_when_the_wait_budget_is_spent() {
            let server = FakeServer::start(move |_, _| rate_limited_reply("0")).await;
            let err = test_client(&server).list_components().await.unwrap_err();
            assert_eq!(err.status(), Some(429));
            // 200 ms budget, at least 5 ms per wait: bounded, and more than max_retries.
            let attempts = server.requests().len();
            assert!((5..=41).contains(&attempts), "{attempts} attempts");
        }

        #[tokio::test]
        async fn gateway_errors_are_retried_up_to_max_retries() {
            let server =
                FakeServer::start(|_, _| Reply::Json(502, "<html>bad gateway</html>".into())).await;
            let err = test_client(&server).list_components().await.unwrap_err();
            assert!(
                matches!(err, ConsoleError::Unavailable { status: 502, .. }),
                "{err}"
            );
            assert_eq!(server.requests().len(), 4);
        }

        #[tokio::test]
        async fn import_only_503_is_not_retried() {
            let r = recorded("k8s.import-only.create-ca");
            let server = FakeServer::start(move |_, _| Reply::Json(503, r.body.clone())).await;
            let err = test_client(&server).fabric_versions().await.unwrap_err();
            assert!(err.is_import_only(), "{err}");
            assert_eq!(server.requests().len(), 1);
        }

        #[tokio::test]
        async fn lost_answers_are_retried_for_get_and_ambiguous_for_post() {
            let server = FakeServer::start(|_, i| {
                if i == 0 {
                    Reply::Drop
                } else {
                    Reply::Json(200, r#"{"components":[]}"#.into())
                }
            })
            .await;
            let c = test_client(&server);
            assert!(c.list_components().await.unwrap().is_empty());
            assert_eq!(server.requests().len(), 2);

            let server = FakeServer::start(|_, _| Reply::Drop).await;
            let c = test_client(&server);
            let url = c.api_url(&["components", "msp"], &[]);
            let err = c
                .call_raw(
                    Method::POST,
                    url,
                    Some(&serde_json::json!({})),
                    RetryMode::Standard,
                )
                .await
                .unwrap_err();
            assert!(matches!(err, ConsoleError::Ambiguous { .. }), "{err}");
            assert_eq!(server.requests().len(), 1);
        }

        #[tokio::test]
        async fn timeouts_are_reported_as_timeouts() {
            let server = FakeServer::start(|_, _| {
                Reply::Delay(
                    Duration::from_secs(3),
                    Box::new(Reply::Json(200, "{}".into())),
                )
            })
            .await;
            let mut cfg = test_config(server.url.clone());
            cfg.request_timeout = Duration::from_millis(200);
            cfg.max_retries = 1;
            let err = ConsoleClient::new(cfg)
                .unwrap()
                .list_components()
                .await
                .unwrap_err();
            assert!(matches!(err, ConsoleError::Timeout { .. }), "{err}");
            assert_eq!(server.requests().len(), 2);
        }

        #[tokio::test]
        async fn refused_connections_are_transport_errors_after_retries() {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
            drop(listener);
            let err = ConsoleClient::new(test_config(url))
                .unwrap()
                .list_components()
                .await
                .unwrap_err();
            assert!(matches!(err, ConsoleError::Transport { .. }), "{err}");
            assert!(err.to_string().starts_with(
                "GET /ak/api/v3/components: could not reach the console: error sending request"
            ));
            assert!(!err.to_string().contains("127.0.0.1"), "{err}");
        }

        #[tokio::test]
        async fn cancellation_stops_an_in_flight_call() {
            let server = FakeServer::start(|_, _| {
                Reply::Delay(
                    Duration::from_secs(4),
                    Box::new(Reply::Json(200, "{}".into())),
                )
            })
            .await;
            let token = CancellationToken::new();
            let c = test_client(&server).with_cancellation(token.clone());
            let canceller = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                token.cancel();
            });
            let started = Instant::now();
            let err = c.list_components().await.unwrap_err();
            canceller.await.unwrap();
            assert!(matches!(err, ConsoleError::Cancelled { .. }), "{err}");
            assert!(started.elapsed() < Duration::from_secs(2));
        }

        #[tokio::test]
        async fn iam_tokens_are_fetched_once_and_shared_by_concurrent_calls() {
            let token_requests = Arc::new(AtomicUsize::new(0));
            let tr = token_requests.clone();
            let server = FakeServer::start(move |req, _| {
                if req.target == "/identity/token" {
                    tr.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(
                        req.body,
                        "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=iam-key"
                    );
                    Reply::Delay(
                        Duration::from_millis(50),
                        Box::new(Reply::Json(
                            200,
                            r#"{"access_token":"tok1","token_type":"Bearer","expires_in":3600,"expiration":1}"#.into(),
                        )),
                    )
                } else {
                    assert_eq!(req.authorization.as_deref(), Some("Bearer tok1"));
                    Reply::Json(200, r#"{"components":[]}"#.into())
                }
            })
            .await;
            let mut cfg = test_config(server.url.clone());
            cfg.credentials = Credentials::Iam {
                api_key: Secret::new("iam-key"),
                token_url: server.url.join("/identity/token").unwrap(),
            };
            let c = ConsoleClient::new(cfg).unwrap();
            let (a, b) = tokio::join!(c.list_components(), c.list_components());
            a.unwrap();
            b.unwrap();
            c.list_components().await.unwrap();
            assert_eq!(token_requests.load(Ordering::SeqCst), 1);
        }

        #[tokio::test]
        async fn iam_rejection_is_an_iam_error() {
            let server = FakeServer::start(|_, _| {
                Reply::Json(
                    400,
                    r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found"}"#
                        .into(),
                )
            })
            .await;
            let mut cfg = test_config(server.url.clone());
            cfg.credentials = Credentials::Iam {
                api_key: Secret::new("iam-key"),
                token_url: server.url.join("/identity/token").unwrap(),
            };
            let err = ConsoleClient::new(cfg)
                .unwrap()
                .list_components()
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    ConsoleError::IamToken {
                        status: Some(400),
                        ..
                    }
                ),
                "{err}"
            );
            assert!(!err.to_string().contains("iam-key"));
            assert_eq!(server.requests().len(), 1);
        }
    }
}
