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
use tfprovider_blockchain::fabric::ecdsa::is_low_s;
use tfprovider_blockchain::fabric::token::verify_token;
use tfprovider_blockchain::fabric::{
    Attribute, CaEndpoint, EnrollRequest, FabricCaClient, FabricCaConfig, FabricCaError,
    ModifyIdentityRequest, PrivateKey, ReenrollRequest, Refusal, RegisterRequest, RevokeRequest,
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
}

// ---------------------------------------------------------------- register and identities

/// The emulated CA's bootstrap admin, enrolled: the registrar of the tests below.
async fn registrar(emu: &EmulatedCa, c: &FabricCaClient) -> SigningIdentity {
    c.enroll(&emu.ca, &enroll_req("admin", "adminpw"), &never())
        .await
        .expect("enroll admin")
        .identity
}

#[tokio::test]
async fn registers_reads_and_enrolls_an_identity_at_the_emulated_ca() {
    let emu = emulated_ca().await;
    let c = client();
    let admin = registrar(&emu, &c).await;
    let req = RegisterRequest {
        id: "org1peer0".into(),
        identity_type: "peer".into(),
        max_enrollments: Some(-1),
        attrs: vec![Attribute {
            name: "role".into(),
            value: "endorser".into(),
            ecert: true,
        }],
        ..Default::default()
    };
    // No secret given: the CA makes one and answers it.
    let secret = c
        .register(&emu.ca, &admin, &req, &never())
        .await
        .expect("register");
    assert!(!secret.expose().is_empty());

    let info = c
        .get_identity(&emu.ca, &admin, "org1peer0", &never())
        .await
        .expect("get");
    assert_eq!(info.id, "org1peer0");
    assert_eq!(info.identity_type, "peer");
    assert_eq!(info.max_enrollments, -1);
    assert!(info
        .attrs
        .iter()
        .any(|a| a.name == "role" && a.value == "endorser" && a.ecert));

    let peer = c
        .enroll(&emu.ca, &enroll_req("org1peer0", secret.expose()), &never())
        .await
        .expect("enroll the new identity");
    let cert = peer.identity.certificate().info();
    assert_eq!(cert.organizational_units, ["peer"]);
    assert_eq!(
        cert.fabric_attrs.as_ref().expect("attrs")["role"],
        "endorser"
    );

    // Again: the CA's own words, typed.
    let err = c
        .register(&emu.ca, &admin, &req, &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::AlreadyRegistered), "{err}");
    assert!(err
        .to_string()
        .contains("Identity 'org1peer0' is already registered (code 74)"));
    let err = c
        .get_identity(&emu.ca, &admin, "nobody", &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::NotFound), "{err}");
    assert_eq!(
        err.to_string(),
        "GET /api/v1/identities/nobody: the Fabric CA answered 404: Failed to get User: sql: no rows in result set (code 63)"
    );
}

/// A token whose certificate the selected CA did not issue is refused (recorded
/// `error_bad_token_cert_from_other_ca`), as is an identity that is not a registrar.
#[tokio::test]
async fn tokens_from_the_wrong_ca_or_a_non_registrar_are_refused() {
    let emu = emulated_ca().await;
    let c = client();
    let tls_admin = c
        .enroll(&emu.tlsca, &enroll_req("admin", "adminpw"), &never())
        .await
        .expect("enroll tlsca admin")
        .identity;
    let req = RegisterRequest {
        id: "x".into(),
        identity_type: "client".into(),
        ..Default::default()
    };
    let err = c
        .register(&emu.ca, &tls_admin, &req, &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::AuthenticationFailure), "{err}");

    let admin = registrar(&emu, &c).await;
    let user = RegisterRequest {
        id: "user1".into(),
        identity_type: "client".into(),
        secret: Some("user1pw".into()),
        ..Default::default()
    };
    c.register(&emu.ca, &admin, &user, &never())
        .await
        .expect("register");
    let user1 = c
        .enroll(&emu.ca, &enroll_req("user1", "user1pw"), &never())
        .await
        .expect("enroll user1")
        .identity;
    let err = c
        .register(&emu.ca, &user1, &req, &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::AuthorizationFailure), "{err}");
}

/// Checks what reached the capture server: the method, the target, a JSON body if any, and a
/// token that verifies over exactly that, made by `by`.
fn assert_token_request(sent: &Captured, method: &str, uri: &str, by: &SigningIdentity) -> Value {
    assert_eq!(sent.method, method);
    assert_eq!(sent.uri, uri);
    let token = sent.header("authorization").expect("token");
    let decoded = verify_token(token, &sent.method, &sent.uri, &sent.body).expect("token verifies");
    assert!(is_low_s(&decoded.signature).expect("der"));
    assert_eq!(decoded.certificate.pem(), by.certificate().pem());
    if sent.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&sent.body).expect("json body")
    }
}

/// A 200 answer in fabric-ca's envelope, with the newline cfssl writes inside it.
fn answer(result: &str) -> String {
    format!(
        r#"{{"result":{result}{}"errors":[],"messages":[],"success":true}}"#,
        "\n,"
    )
}

#[tokio::test]
async fn register_sends_the_recorded_request() {
    let admin = identity("bootstrap-admin");
    let (ca, seen) = capture(201, Some(fixture("ca/register_org1admin.response.json"))).await;
    let req = RegisterRequest {
        id: "org1admin".into(),
        identity_type: "admin".into(),
        secret: Some("org1adminpw".into()),
        max_enrollments: Some(-1),
        affiliation: String::new(),
        attrs: vec![],
    };
    let secret = client()
        .register(&ca, &admin, &req, &never())
        .await
        .expect("register");
    assert_eq!(secret.expose(), "org1adminpw");
    let sent = seen.await.expect("captured");
    assert_token_request(&sent, "POST", "/api/v1/register?ca=ca", &admin);
    assert_eq!(
        sent.body,
        fixture("ca/register_org1admin.request.json").into_bytes()
    );
}

#[tokio::test]
async fn a_lost_register_answer_is_uncertain_and_a_lost_read_is_not() {
    let admin = identity("bootstrap-admin");
    let (ca, _seen) = capture(201, None).await;
    let req = RegisterRequest {
        id: "u".into(),
        ..Default::default()
    };
    let err = client()
        .register(&ca, &admin, &req, &never())
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err}");
    let (ca, _seen) = capture(200, None).await;
    let err = client()
        .get_identity(&ca, &admin, "u", &never())
        .await
        .unwrap_err();
    assert!(!err.is_uncertain(), "{err}");
    assert!(matches!(err, FabricCaError::Transport { .. }), "{err}");
}

#[tokio::test]
async fn reenroll_renews_with_the_current_certificates_token() {
    let current = identity("org1admin");
    // Answer with the recorded org1admin enrollment; the client must refuse it for the new
    // key (the CA certified another key), which shows the request carried a fresh key.
    let (ca, seen) = capture(201, Some(fixture("ca/enroll_org1admin.response.json"))).await;
    let err = client()
        .reenroll(&ca, &current, &ReenrollRequest::default(), &never())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not belong"), "{err}");
    let sent = seen.await.expect("captured");
    let body = assert_token_request(&sent, "POST", "/api/v1/reenroll?ca=ca", &current);
    assert_eq!(body["caname"], "ca");
    let csr = body["certificate_request"].as_str().expect("csr");
    assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

    // Reusing the key: the recorded answer certifies it.
    let (ca, _seen) = capture(201, Some(fixture("ca/enroll_org1admin.response.json"))).await;
    let req = ReenrollRequest {
        key: Some(current.key().clone()),
        ..Default::default()
    };
    let renewed = client()
        .reenroll(&ca, &current, &req, &never())
        .await
        .expect("reenroll");
    assert_eq!(renewed.identity.enroll_id(), "org1admin");
}

#[tokio::test]
async fn modify_and_remove_send_fabric_ca_requests() {
    let admin = identity("bootstrap-admin");
    let peer = r#"{"id":"org1peer0","type":"peer","affiliation":"","attrs":[{"name":"hf.Type","value":"peer","ecert":true}],"max_enrollments":5,"caname":"ca"}"#;
    let (ca, seen) = capture(200, Some(answer(peer))).await;
    let change = ModifyIdentityRequest {
        max_enrollments: 5,
        ..Default::default()
    };
    let info = client()
        .modify_identity(&ca, &admin, "org1peer0", &change, &never())
        .await
        .expect("modify");
    assert_eq!(info.max_enrollments, 5);
    let sent = seen.await.expect("captured");
    let body = assert_token_request(&sent, "PUT", "/api/v1/identities/org1peer0?ca=ca", &admin);
    assert_eq!(
        body,
        serde_json::json!({"type":"","affiliation":"","attrs":[],"max_enrollments":5,"caname":"ca"})
    );

    let (ca, seen) = capture(200, Some(answer(peer))).await;
    let removed = client()
        .remove_identity(&ca, &admin, "org1peer0", false, &never())
        .await
        .expect("remove");
    assert_eq!(removed.id, "org1peer0");
    let sent = seen.await.expect("captured");
    assert_token_request(
        &sent,
        "DELETE",
        "/api/v1/identities/org1peer0?ca=ca&force=false",
        &admin,
    );
    assert!(sent.body.is_empty());

    // A console-deployed CA does not allow removal (fabric-ca lib/serveridentities.go).
    let refusal = r#"{"result":"","errors":[{"code":56,"message":"Identity removal is disabled"}
],"messages":[],"success":false}"#;
    let (ca, _seen) = capture(403, Some(refusal.to_owned())).await;
    let err = client()
        .remove_identity(&ca, &admin, "org1peer0", false, &never())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::RemovalRefused), "{err}");
    assert!(err
        .to_string()
        .contains("Identity removal is disabled (code 56)"));
}

#[tokio::test]
async fn revoke_sends_serial_and_aki_and_reads_the_answer() {
    let admin = identity("bootstrap-admin");
    let target = identity("org1admin");
    let info = target.certificate().info();
    let crl = "-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n";
    let crl_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, crl);
    let result = format!(
        r#"{{"RevokedCerts":[{{"Serial":"{}","AKI":"{}"}}],"CRL":"{crl_b64}"}}"#,
        info.serial_hex, info.authority_key_id_hex
    );
    let (ca, seen) = capture(200, Some(answer(&result))).await;
    let req = RevokeRequest {
        serial: info.serial_hex.clone(),
        aki: info.authority_key_id_hex.clone(),
        reason: "superseded".into(),
        gencrl: true,
        ..Default::default()
    };
    let r = client()
        .revoke(&ca, &admin, &req, &never())
        .await
        .expect("revoke");
    assert_eq!(r.revoked.len(), 1);
    assert_eq!(r.revoked[0].serial, info.serial_hex);
    assert!(r
        .crl_pem
        .expect("crl")
        .starts_with("-----BEGIN X509 CRL-----"));
    let sent = seen.await.expect("captured");
    let body = assert_token_request(&sent, "POST", "/api/v1/revoke?ca=ca", &admin);
    assert_eq!(body["serial"], "52b4112fda25dec49bac1cdac962c7f7fe818eba");
    assert_eq!(body["aki"], "885b6309359b02f85728876285c46e0da7f823d6");
    assert_eq!(body["gencrl"], true);
}
