//! The Fabric CA client (`src/fabric/`) end to end over HTTPS on loopback:
//! - against the emulator's Fabric CA (`tests/emulator/src/fabric_ca/`) for the calls it serves
//!   today (cainfo, enroll, register, identities POST/GET);
//! - against a one-shot capture server that records what the client sent and answers with a
//!   recorded (tests/fixtures/fabric/ca/) or fabric-ca-shaped body, for the request shapes and
//!   for the calls the emulator does not serve yet.

use std::sync::Arc;
use std::time::Duration;

use blockchain_emulator::fabric_ca::{self, BootstrapIdentity, CaServerHandle, FabricCaState};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tfprovider_blockchain::fabric::token::verify_token;
use tfprovider_blockchain::fabric::{
    CaEndpoint, EnrollRequest, FabricCaClient, FabricCaConfig, FabricCaError, PrivateKey, Refusal,
    SigningIdentity,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Mutex};
use tokio_util::sync::CancellationToken;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fabric");

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{path}")).expect("fixture")
}

fn client() -> FabricCaClient {
    FabricCaClient::new(FabricCaConfig {
        bundle_pem: None,
        insecure: false,
        request_timeout: Duration::from_secs(5),
        user_agent: "fabric-ca-client-test".into(),
    })
    .expect("client")
}

fn never() -> CancellationToken {
    CancellationToken::new()
}

// ---------------------------------------------------------------- the emulator's Fabric CA

struct EmulatedCa {
    _server: CaServerHandle,
    ca: CaEndpoint,
    tlsca: CaEndpoint,
    ca_root_pem: String,
}

/// One emulated server with `ca` and `tlsca`, bootstrap admin `admin`/`adminpw` on each.
async fn emulated_ca() -> EmulatedCa {
    let admin = || {
        vec![BootstrapIdentity {
            name: "admin".into(),
            pass: "adminpw".into(),
            kind: "client".into(),
        }]
    };
    let state = FabricCaState::generate(&admin(), &admin()).expect("state");
    let ca_root_pem = state.ca_root_pem().to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = fabric_ca::serve(listener, Arc::new(Mutex::new(state)), Arc::new(|_| {}))
        .await
        .expect("serve");
    let api_url = format!("https://127.0.0.1:{}", server.addr.port());
    let endpoint = |name: &str| CaEndpoint {
        api_url: api_url.clone(),
        ca_name: name.into(),
        // The server's TLS certificate is issued by the `ca` root.
        tls_root_pem: Some(ca_root_pem.clone().into_bytes()),
    };
    EmulatedCa {
        ca: endpoint("ca"),
        tlsca: endpoint("tlsca"),
        _server: server,
        ca_root_pem,
    }
}

fn enroll_req(id: &str, secret: &str) -> EnrollRequest {
    EnrollRequest {
        enroll_id: id.into(),
        secret: secret.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn enrolls_the_bootstrap_admin_at_the_emulated_ca() {
    let emu = emulated_ca().await;
    let c = client();
    let e = c
        .enroll(&emu.ca, &enroll_req("admin", "adminpw"), &never())
        .await
        .expect("enroll");
    let info = e.identity.certificate().info();
    assert_eq!(info.common_name, "admin");
    assert_eq!(info.organizational_units, ["client"]);
    assert_eq!(e.ca_name, "ca");
    assert_eq!(e.ca_chain_pem, emu.ca_root_pem);
    // The key we made is the one certified, and it signs.
    let sig = e.identity.key().sign(b"x").expect("sign");
    e.identity.certificate().verify(b"x", &sig).expect("verify");
}

#[tokio::test]
async fn a_tls_enrollment_carries_the_hosts() {
    let emu = emulated_ca().await;
    let req = EnrollRequest {
        profile: Some("tls".into()),
        hosts: vec!["peer0.org1.example.com".into(), "127.0.0.1".into()],
        ..enroll_req("admin", "adminpw")
    };
    let e = client()
        .enroll(&emu.tlsca, &req, &never())
        .await
        .expect("enroll");
    let info = e.identity.certificate().info();
    assert_eq!(info.hosts, ["peer0.org1.example.com", "127.0.0.1"]);
    assert_eq!(e.ca_name, "tlsca");
    assert_ne!(e.ca_chain_pem, emu.ca_root_pem);
}

#[tokio::test]
async fn enroll_refusals_are_typed_in_the_cas_words() {
    let emu = emulated_ca().await;
    let c = client();
    let err = c
        .enroll(&emu.ca, &enroll_req("admin", "wrongpw"), &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::AuthenticationFailure), "{err}");
    assert!(
        err.to_string()
            .contains("401: Authentication failure (code 20)"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrongpw"));
    let unknown = CaEndpoint {
        ca_name: "nosuchca".into(),
        ..emu.ca.clone()
    };
    let err = c
        .enroll(&unknown, &enroll_req("admin", "adminpw"), &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::UnknownCa), "{err}");
    assert!(err.to_string().contains("CA 'nosuchca' does not exist"));
}

// ---------------------------------------------------------------- the capture server

/// What the client sent.
#[derive(Debug)]
struct Captured {
    method: String,
    /// Request target: path and query.
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTPS server (certificate `localhost`/127.0.0.1 from a fresh root) that answers one
/// request with `status` and `body`, and reports the request. Returns the endpoint and the
/// report; `body: None` closes the connection without answering (a lost answer).
async fn capture(status: u16, body: Option<String>) -> (CaEndpoint, oneshot::Receiver<Captured>) {
    let root_key = rcgen::KeyPair::generate().expect("key");
    let mut root_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root = root_params.self_signed(&root_key).expect("root");
    let issuer = rcgen::Issuer::new(root_params, root_key);
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("key der"),
    )
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.expect("accept");
        let mut tls = acceptor.accept(sock).await.expect("tls");
        let captured = read_request(&mut tls).await;
        let _ = tx.send(captured);
        if let Some(body) = body {
            let resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(resp.as_bytes()).await;
        }
        let _ = tls.shutdown().await;
    });
    let endpoint = CaEndpoint {
        api_url: format!("https://127.0.0.1:{port}"),
        ca_name: "ca".into(),
        tls_root_pem: Some(root.pem().into_bytes()),
    };
    (endpoint, rx)
}

async fn read_request<S: AsyncReadExt + Unpin>(s: &mut S) -> Captured {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = s.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed before the request ended");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("utf8 head");
    let mut lines = head.split("\r\n");
    let mut start = lines.next().expect("request line").split(' ');
    let method = start.next().expect("method").to_owned();
    let uri = start.next().expect("uri").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().expect("length"));
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    Captured {
        method,
        uri,
        headers,
        body,
    }
}

fn identity(name: &str) -> SigningIdentity {
    SigningIdentity::from_pem(
        &fixture(&format!("identities/{name}.cert.pem")),
        &fixture(&format!("identities/{name}.key.pem")),
    )
    .expect("identity")
}

/// The recorded `enroll_tls_org1peer0` exchange: our request has its shape (path, query, Basic
/// credentials, body fields); the recorded answer decodes for the recorded key.
#[tokio::test]
async fn an_enroll_is_sent_as_recorded_and_the_recorded_answer_decodes() {
    let (mut ca, seen) = capture(201, Some(fixture("ca/enroll_tls_org1peer0.response.json"))).await;
    ca.ca_name = "tlsca".into();
    let meta: Value =
        serde_json::from_str(&fixture("ca/enroll_tls_org1peer0.meta.json")).expect("meta");
    let recorded_body: Value =
        serde_json::from_str(&fixture("ca/enroll_tls_org1peer0.request.json")).expect("body");
    let key = PrivateKey::from_pem(&fixture("identities/org1peer0-tls.key.pem")).expect("key");
    let req = EnrollRequest {
        enroll_id: "org1peer0".into(),
        secret: "org1peer0tlspw".into(),
        profile: Some("tls".into()),
        hosts: vec![
            "peer0.org1.example.com".into(),
            "localhost".into(),
            "127.0.0.1".into(),
        ],
        attr_reqs: vec![],
        key: Some(key),
    };
    let e = client().enroll(&ca, &req, &never()).await.expect("enroll");
    let sent = seen.await.expect("captured");
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.uri, meta["request"]["path"].as_str().expect("path"));
    assert_eq!(
        sent.header("authorization"),
        meta["request"]["headers"]["Authorization"].as_str()
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&sent.body).expect("json body");
    let keys = |v: &Value| {
        v.as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&body), keys(&recorded_body));
    for field in ["caname", "profile", "hosts"] {
        assert_eq!(body[field], recorded_body[field], "{field}");
    }
    assert!(body["certificate_request"]
        .as_str()
        .expect("csr")
        .starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    assert_eq!(
        e.identity.certificate().pem(),
        fixture("identities/org1peer0-tls.cert.pem")
    );
    assert_eq!(e.ca_chain_pem, fixture("identities/org1-tlsca-root.pem"));
}

/// An enroll whose answer never comes may have been carried out: uncertain, not retried.
#[tokio::test]
async fn a_lost_enroll_answer_is_uncertain() {
    let (ca, seen) = capture(201, None).await;
    let err = client()
        .enroll(&ca, &enroll_req("admin", "adminpw"), &never())
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err}");
    assert!(!err.is_not_serving_yet());
    seen.await.expect("the request was sent once");
}

/// Nothing listening: certain that nothing happened.
#[tokio::test]
async fn an_enroll_that_cannot_connect_is_a_transport_error() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api_url = format!("https://{}", probe.local_addr().expect("addr"));
    drop(probe);
    let ca = CaEndpoint {
        api_url,
        ca_name: "ca".into(),
        tls_root_pem: None,
    };
    let err = client()
        .enroll(&ca, &enroll_req("admin", "adminpw"), &never())
        .await
        .unwrap_err();
    assert!(matches!(err, FabricCaError::Transport { .. }), "{err}");
}

#[tokio::test]
async fn a_cancelled_enroll_sends_nothing() {
    let emu = emulated_ca().await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = client()
        .enroll(&emu.ca, &enroll_req("admin", "adminpw"), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, FabricCaError::Cancelled { .. }), "{err}");
    let _ = identity;
    let _ = verify_token;
}
