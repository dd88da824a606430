//! The operations endpoint of Fabric peers and ordering nodes: `GET <operations_url>/healthz`
//! (docs/dev/peer.md#readiness-via-healthz). It answers 200 `{"status":"OK"}` once every
//! registered check passes and 503 `{"status":"Service Unavailable","failed_checks":[...]}`
//! otherwise (fabric-lib-go `healthz/checker.go`).
//!
//! The calls go over the Fabric CA client's HTTPS clients: the same provider-block trust (its
//! bundle, the system roots) plus the certificates given for the node, one pooled client per
//! trusted set.

use serde::Deserialize;
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::ca::FabricCaClient;
use crate::net::tls;

/// What a node's `/healthz` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// 200, `status: OK`: every check passes.
    Ok,
    /// 503: the checks that fail, as `component: reason`.
    Unavailable(String),
}

/// A `/healthz` call that did not get an answer about the node's health.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum HealthError {
    #[error("invalid operations URL: {0}")]
    Config(String),
    /// Nothing answered yet (no listener, TLS not up, a proxy with nothing behind it).
    #[error("{request}: could not reach the operations endpoint: {detail}")]
    Unreachable { request: String, detail: String },
    /// The endpoint's certificate is not one the trusted certificates vouch for.
    #[error("{request}: the operations endpoint's TLS certificate is not trusted: {detail}")]
    Untrusted { request: String, detail: String },
    #[error("{request}: the operations endpoint did not answer in time")]
    Timeout { request: String },
    /// An answer that is not a health report (a proxy's page, a refusal).
    #[error("{request}: the operations endpoint answered {status}: {body}")]
    Unexpected {
        request: String,
        status: u16,
        body: String,
    },
    #[error("{request}: cancelled because Terraform asked the provider to stop")]
    Cancelled { request: String },
}

impl HealthError {
    /// Whether waiting may end it: a node that is still starting, not a wrong setting, a
    /// certificate that does not match or an endpoint that wants a client certificate.
    pub fn is_not_serving_yet(&self) -> bool {
        match self {
            HealthError::Unreachable { .. } | HealthError::Timeout { .. } => true,
            HealthError::Unexpected { status, .. } => !matches!(status, 401 | 403),
            HealthError::Config(_)
            | HealthError::Untrusted { .. }
            | HealthError::Cancelled { .. } => false,
        }
    }
}

/// The body of a `/healthz` answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HealthStatus {
    #[serde(deserialize_with = "crate::net::null_default")]
    status: String,
    #[serde(deserialize_with = "crate::net::null_default")]
    failed_checks: Vec<FailedCheck>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FailedCheck {
    #[serde(deserialize_with = "crate::net::null_default")]
    component: String,
    #[serde(deserialize_with = "crate::net::null_default")]
    reason: String,
}

/// `<operations_url>/healthz`, keeping any path prefix.
fn healthz_url(operations_url: &str) -> Result<Url, HealthError> {
    let mut url = Url::parse(operations_url)
        .map_err(|e| HealthError::Config(format!("{operations_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(HealthError::Config(format!(
            "{operations_url:?} is not an http(s) URL"
        )));
    }
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push("healthz");
    }
    url.set_query(None);
    Ok(url)
}

/// The health report of one answer.
fn health_of(request: &str, status: u16, text: &str) -> Result<Health, HealthError> {
    let unexpected = || HealthError::Unexpected {
        request: request.to_owned(),
        status,
        body: text.chars().take(200).collect(),
    };
    let report: HealthStatus = serde_json::from_str(text).map_err(|_| unexpected())?;
    match status {
        200 if report.status == "OK" => Ok(Health::Ok),
        503 => {
            let failed: Vec<String> = report
                .failed_checks
                .iter()
                .map(|c| format!("{}: {}", c.component, c.reason))
                .collect();
            Ok(Health::Unavailable(if failed.is_empty() {
                report.status
            } else {
                failed.join("; ")
            }))
        }
        _ => Err(unexpected()),
    }
}

impl FabricCaClient {
    /// One `GET <operations_url>/healthz` (no retries: callers poll). `root_pem`: the
    /// certificates the endpoint is trusted by (PEM or base64 PEM; the node's TLS CA roots or
    /// its own TLS certificate).
    pub async fn healthz(
        &self,
        operations_url: &str,
        root_pem: Option<&[u8]>,
        cancel: &CancellationToken,
    ) -> Result<Health, HealthError> {
        let url = healthz_url(operations_url)?;
        let request = format!("GET {}", url.path());
        let http = self
            .http_for(root_pem)
            .map_err(|e| HealthError::Config(e.to_string()))?;
        let send = async {
            let resp = http
                .get(url)
                .header(http::header::ACCEPT, "application/json")
                .send()
                .await?;
            let status = resp.status().as_u16();
            Ok::<_, reqwest::Error>((status, resp.text().await?))
        };
        let answer = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(HealthError::Cancelled { request }),
            r = send => r,
        };
        match answer {
            Ok((status, text)) => health_of(&request, status, &text),
            Err(e) if e.is_timeout() => Err(HealthError::Timeout { request }),
            Err(e) => {
                let detail = crate::net::describe(&e);
                if tls::is_certificate_rejection(&detail) {
                    Err(HealthError::Untrusted { request, detail })
                } else {
                    Err(HealthError::Unreachable { request, detail })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric::ca::tests::live::{client, pki, pki_other, tls_ca};

    /// fabric-lib-go `healthz/checker.go` `writeHTTPResponse`: the JSON of `HealthStatus`.
    const OK: &str = r#"{"status":"OK","time":"2026-11-26T18:49:26.123456789Z"}"#;
    const UNAVAILABLE: &str = r#"{"status":"Service Unavailable","time":"2026-11-26T18:49:26Z","failed_checks":[{"component":"couchdb","reason":"failed to connect to couch db"}]}"#;

    #[test]
    fn the_url_is_healthz_under_the_operations_url() {
        assert_eq!(
            healthz_url("https://peer-ops.example.org:443")
                .unwrap()
                .as_str(),
            "https://peer-ops.example.org/healthz"
        );
        assert_eq!(
            healthz_url("https://127.0.0.1:9443/prefix/?x=1")
                .unwrap()
                .as_str(),
            "https://127.0.0.1:9443/prefix/healthz"
        );
        assert!(healthz_url("grpcs://127.0.0.1:7051").is_err());
        assert!(healthz_url("not a url").is_err());
    }

    #[test]
    fn answers_map_to_health_or_errors() {
        assert_eq!(health_of("GET /healthz", 200, OK), Ok(Health::Ok));
        assert_eq!(
            health_of("GET /healthz", 503, UNAVAILABLE),
            Ok(Health::Unavailable(
                "couchdb: failed to connect to couch db".into()
            ))
        );
        // A proxy's page while the node starts: worth waiting for.
        let e = health_of("GET /healthz", 502, "<html>Bad Gateway</html>").unwrap_err();
        assert!(e.is_not_serving_yet(), "{e}");
        // An endpoint that wants a client certificate never gets better by waiting.
        let e = health_of("GET /healthz", 401, "{}").unwrap_err();
        assert!(!e.is_not_serving_yet(), "{e}");
        assert!(!HealthError::Config("x".into()).is_not_serving_yet());
    }

    #[tokio::test]
    async fn a_node_is_probed_over_tls_trusting_its_tls_root() {
        let pki = pki();
        let (url, _server) = tls_ca(&pki, 200, OK).await;
        let c = client();
        let never = CancellationToken::new();
        let health = c
            .healthz(&url, Some(pki.root_pem.as_bytes()), &never)
            .await
            .unwrap();
        assert_eq!(health, Health::Ok);
        let (url, _server) = tls_ca(&pki, 503, UNAVAILABLE).await;
        let health = c
            .healthz(&url, Some(pki.root_pem.as_bytes()), &never)
            .await
            .unwrap();
        assert!(matches!(health, Health::Unavailable(ref r) if r.contains("couchdb")));
    }

    #[tokio::test]
    async fn an_untrusted_node_is_not_waited_for() {
        let pki = pki();
        let other = pki_other();
        let (url, _server) = tls_ca(&pki, 200, OK).await;
        let err = client()
            .healthz(&url, Some(other.as_bytes()), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(err, HealthError::Untrusted { .. }), "{err}");
        assert!(!err.is_not_serving_yet());
    }

    #[tokio::test]
    async fn a_closed_port_is_waited_out() {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", probe.local_addr().unwrap());
        drop(probe);
        let err = client()
            .healthz(&url, None, &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(err.is_not_serving_yet(), "{err}");
    }
}
