//! Golden tests against the fabric-ca 1.5.5 recordings in `fixtures/fabric/` (see its README):
//! the recorded tokens through [`verify_token`], and the recorded scenarios replayed against a
//! running emulator over real HTTPS.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use serde_json::Value;
use tokio::sync::Mutex;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::token::test_support::make_token;
use super::token::{build_signed_payload, verify_token, TokenError};
use super::{serve, BootstrapIdentity, CaServerHandle, FabricCaState};

fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fabric")
        .join(rel)
}

fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixture_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn fixture_text(rel: &str) -> String {
    String::from_utf8(fixture_bytes(rel)).unwrap()
}

fn meta(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(&format!("ca/{name}.meta.json"))).unwrap()
}

fn request_body(name: &str) -> Vec<u8> {
    fixture_bytes(&format!("ca/{name}.request.json"))
}

fn recorded_response(name: &str) -> Vec<u8> {
    fixture_bytes(&format!("ca/{name}.response.json"))
}

fn recorded_header(name: &str) -> String {
    meta(name)["request"]["headers"]["Authorization"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn der_of(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap()
        .1
        .contents
}

const REGISTER_EXCHANGES: [&str; 6] = [
    "register_org1admin",
    "register_org1peer0_identities_api",
    "error_register_duplicate",
    "error_bad_token_uri_without_query",
    "error_bad_token_high_s",
    "error_bad_token_cert_from_other_ca",
];

// ---------------------------------------------------------------------------------------
// (1) Recorded tokens

#[test]
fn recorded_token_payloads_rebuild_byte_exact_and_signatures_verify() {
    let admin_cert = fixture_text("identities/bootstrap-admin.cert.pem");
    for name in REGISTER_EXCHANGES {
        let meta = meta(name);
        let method = meta["request"]["method"].as_str().unwrap();
        let token = &meta["token"];
        let uri = token["uri_signed"].as_str().unwrap();
        let header = recorded_header(name);
        let (b64_cert, _) = header.split_once('.').unwrap();
        if name != "error_bad_token_cert_from_other_ca" {
            // Made with the bootstrap admin of CA `ca` (fixtures README).
            assert_eq!(b64_cert, STANDARD.encode(admin_cert.as_bytes()), "{name}");
        }
        if name != "error_bad_token_uri_without_query" {
            assert_eq!(uri, meta["request"]["path"].as_str().unwrap(), "{name}");
        }
        let payload = build_signed_payload(method, uri, &request_body(name), b64_cert);
        let recorded = fixture_bytes(&format!("ca/{name}.token_signed_payload.txt"));
        assert_eq!(payload.as_bytes(), recorded.as_slice(), "{name}");

        // The recorded DER signature verifies over the rebuilt payload with the token's cert.
        let cert_pem = String::from_utf8(STANDARD.decode(b64_cert).unwrap()).unwrap();
        let der = der_of(&cert_pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let key =
            VerifyingKey::from_sec1_bytes(&cert.public_key().subject_public_key.data).unwrap();
        let sig_der = hex_decode(token["signature_der_hex"].as_str().unwrap());
        let sig = Signature::from_der(&sig_der).unwrap();
        let sig = sig.normalize_s().unwrap_or(sig);
        assert!(key.verify(payload.as_bytes(), &sig).is_ok(), "{name}");
        assert_eq!(
            token["signature_s_is_low"].as_bool().unwrap(),
            Signature::from_der(&sig_der)
                .unwrap()
                .normalize_s()
                .is_none(),
            "{name}"
        );
    }
}

#[test]
fn verifier_accepts_recorded_valid_tokens_and_rejects_bad_ones_for_the_recorded_reason() {
    let org1_root = fixture_text("identities/org1-ca-root.pem");
    let expected: [(&str, Result<&str, TokenError>); 6] = [
        ("register_org1admin", Ok("admin")),
        ("register_org1peer0_identities_api", Ok("admin")),
        ("error_register_duplicate", Ok("admin")),
        (
            "error_bad_token_uri_without_query",
            Err(TokenError::SignatureMismatch),
        ),
        ("error_bad_token_high_s", Err(TokenError::HighS)),
        (
            "error_bad_token_cert_from_other_ca",
            Err(TokenError::UntrustedCertificate),
        ),
    ];
    for (name, want) in expected {
        let meta = meta(name);
        let outcome = verify_token(
            meta["request"]["method"].as_str().unwrap(),
            meta["request"]["path"].as_str().unwrap(),
            &request_body(name),
            &recorded_header(name),
            &org1_root,
        );
        match (outcome, want) {
            (Ok(caller), Ok(id)) => {
                assert_eq!(caller.enrollment_id, id, "{name}");
                assert_eq!(
                    caller.cert_pem,
                    fixture_text("identities/bootstrap-admin.cert.pem")
                );
            }
            (Err(got), Err(want)) => assert_eq!(got, want, "{name}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }

    // The other-CA token is fine in itself: it verifies against the tlsca root it came from.
    let name = "error_bad_token_cert_from_other_ca";
    let meta = meta(name);
    let caller = verify_token(
        "POST",
        meta["request"]["path"].as_str().unwrap(),
        &request_body(name),
        &recorded_header(name),
        &fixture_text("identities/org1-tlsca-root.pem"),
    )
    .unwrap();
    assert_eq!(caller.enrollment_id, "admin");
}

#[test]
fn verifier_rejects_a_tampered_body_and_another_method() {
    let name = "register_org1admin";
    let meta = meta(name);
    let root = fixture_text("identities/org1-ca-root.pem");
    let path = meta["request"]["path"].as_str().unwrap();
    let mut body = request_body(name);
    let header = recorded_header(name);
    assert_eq!(
        verify_token("PUT", path, &body, &header, &root).unwrap_err(),
        TokenError::SignatureMismatch
    );
    body[10] ^= 0x20;
    assert_eq!(
        verify_token("POST", path, &body, &header, &root).unwrap_err(),
        TokenError::SignatureMismatch
    );
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------
// (2) + (3) Recorded scenarios against a running emulator

struct Running {
    handle: Option<CaServerHandle>,
    addr: std::net::SocketAddr,
    state: Arc<Mutex<FabricCaState>>,
    changes: Arc<AtomicUsize>,
    client: reqwest::Client,
    base: String,
}

struct Reply {
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn start() -> Running {
    let admin = BootstrapIdentity {
        name: "admin".into(),
        pass: "adminpw".into(),
        kind: "client".into(),
    };
    let state = FabricCaState::generate_with_prefix(
        "org1",
        std::slice::from_ref(&admin),
        std::slice::from_ref(&admin),
    )
    .unwrap();
    let root = reqwest::Certificate::from_pem(state.ca_root_pem().as_bytes()).unwrap();
    let state = Arc::new(Mutex::new(state));
    let changes = Arc::new(AtomicUsize::new(0));
    let counter = changes.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = serve(
        listener,
        state.clone(),
        Arc::new(move |_: &FabricCaState| {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([root])
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // The server cert names `localhost` and 127.0.0.1; use the IP like the recording.
    let base = format!("https://127.0.0.1:{}", handle.addr.port());
    Running {
        addr: handle.addr,
        handle: Some(handle),
        state,
        changes,
        client,
        base,
    }
}

impl Running {
    async fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await;
        }
    }

    async fn send(&self, method: &str, path: &str, auth: Option<&str>, body: &[u8]) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body.to_vec());
        if !body.is_empty() {
            req = req.header("Content-Type", "application/json");
        }
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        let resp = req.send().await.unwrap();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (location, content_type) = (header("location"), header("content-type"));
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap().to_vec();
        Reply {
            status,
            location,
            content_type,
            body,
        }
    }

    /// Replay a recorded exchange with its own method, path, body and auth header.
    async fn replay_as_recorded(&self, name: &str, auth: Option<&str>) -> Reply {
        let meta = meta(name);
        let body = if fixture_path(&format!("ca/{name}.request.json")).exists() {
            request_body(name)
        } else {
            Vec::new()
        };
        self.send(
            meta["request"]["method"].as_str().unwrap(),
            meta["request"]["path"].as_str().unwrap(),
            auth,
            &body,
        )
        .await
    }
}

/// Same status, and (when `exact`) the same body bytes as recorded, else the same JSON shape.
fn assert_matches_recording(name: &str, reply: &Reply, exact: bool) {
    let meta = meta(name);
    assert_eq!(
        u64::from(reply.status),
        meta["response"]["status"].as_u64().unwrap(),
        "{name}: status; body {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.content_type.as_deref(),
        Some("application/json"),
        "{name}"
    );
    assert_eq!(
        reply.location.as_deref(),
        meta["response"]["headers"]["Location"].as_str(),
        "{name}: Location"
    );
    let recorded = recorded_response(name);
    if exact {
        assert_eq!(
            String::from_utf8_lossy(&reply.body),
            String::from_utf8_lossy(&recorded),
            "{name}: body"
        );
    } else {
        assert_same_shape(
            name,
            &serde_json::from_slice(&recorded).unwrap(),
            &reply.json(),
        );
        // The cfssl newline sits in the same place.
        let quirk = |b: &[u8]| b.windows(2).position(|w| w == b"\n,").is_some();
        assert!(
            quirk(&reply.body) && quirk(&recorded),
            "{name}: newline quirk"
        );
    }
}

/// Same keys in the same order, same value types, recursively.
fn assert_same_shape(path: &str, recorded: &Value, ours: &Value) {
    match (recorded, ours) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<_> = a.keys().collect();
            let kb: Vec<_> = b.keys().collect();
            assert_eq!(ka, kb, "{path}: keys");
            for (k, v) in a {
                assert_same_shape(&format!("{path}.{k}"), v, &b[k]);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same_shape(&format!("{path}[{i}]"), x, y);
            }
        }
        (a, b) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "{path}: type"
        ),
    }
}

/// A CSR for `cn`, like the recording script's (P-256, subject CN only, no extensions).
fn csr_pem(cn: &str, key: &KeyPair) -> String {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.serialize_request(key).unwrap().pem().unwrap()
}

/// The recorded enroll body with our CSR in place of the recorded one.
fn enroll_body(name: &str, csr: &str) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(&request_body(name)).unwrap();
    body["certificate_request"] = Value::String(csr.to_owned());
    serde_json::to_vec(&body).unwrap()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn cert_from_enroll(reply: &Reply) -> String {
    let b64 = reply.json()["result"]["Cert"].as_str().unwrap().to_owned();
    String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap()
}

/// Enroll `id` and return (cert PEM, PKCS#8 key PEM).
async fn enroll(run: &Running, ca: &str, id: &str, secret: &str) -> (String, String) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let body = serde_json::json!({"certificate_request": csr_pem(id, &key), "caname": ca});
    let reply = run
        .send(
            "POST",
            &format!("/api/v1/enroll?ca={ca}"),
            Some(&basic(id, secret)),
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    (cert_from_enroll(&reply), key.serialize_pem())
}

fn ext_json(cert: &X509Certificate<'_>) -> Option<Value> {
    cert.extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == "1.2.3.4.5.6.7.8.1")
        .map(|e| serde_json::from_slice(e.value).unwrap())
}

#[tokio::test]
async fn recorded_cainfo_exchanges_match() {
    let mut run = start().await;
    for (name, ca_root) in [("cainfo_ca", true), ("cainfo_tlsca", false)] {
        let reply = run.replay_as_recorded(name, None).await;
        assert_matches_recording(name, &reply, false);
        let json = reply.json();
        let recorded: Value = serde_json::from_slice(&recorded_response(name)).unwrap();
        assert_eq!(json["result"]["CAName"], recorded["result"]["CAName"]);
        assert_eq!(json["result"]["Version"], "1.5.5");
        let chain = STANDARD
            .decode(json["result"]["CAChain"].as_str().unwrap())
            .unwrap();
        let state = run.state.lock().await;
        let want = if ca_root {
            state.ca_root_pem()
        } else {
            state.tlsca_root_pem()
        };
        assert_eq!(chain, want.as_bytes());
        let revocation = STANDARD
            .decode(
                json["result"]["IssuerRevocationPublicKey"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert!(revocation.starts_with(b"-----BEGIN PUBLIC KEY-----"));
    }
    // Default CA and the bare /api/v1 path.
    let reply = run.send("GET", "/api/v1/cainfo", None, b"").await;
    assert_eq!(reply.json()["result"]["CAName"], "ca");
    let name = "error_cainfo_unknown_ca";
    assert_matches_recording(name, &run.replay_as_recorded(name, None).await, true);
    assert_eq!(run.changes.load(Ordering::SeqCst), 0);
    run.stop().await;
}

#[tokio::test]
async fn recorded_enroll_register_and_token_scenarios_match() {
    let mut run = start().await;

    // enroll_bootstrap_admin: same request shape, our CSR.
    let admin_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let name = "enroll_bootstrap_admin";
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll?ca=ca",
            Some(&recorded_header(name)),
            &enroll_body(name, &csr_pem("admin", &admin_key)),
        )
        .await;
    assert_matches_recording(name, &reply, false);
    assert_eq!(reply.json()["result"]["ServerInfo"]["Version"], "");
    let admin_cert = cert_from_enroll(&reply);
    let der = der_of(&admin_cert);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(cert.subject().to_string(), "OU=client, CN=admin");
    assert!(
        ext_json(&cert).is_none(),
        "bootstrap admin certs carry no attributes"
    );
    let admin_key_pem = admin_key.serialize_pem();

    // Errors with deterministic bodies: byte-exact.
    for name in ["error_enroll_wrong_secret", "error_enroll_unknown_ca"] {
        let reply = run
            .replay_as_recorded(name, Some(&recorded_header(name)))
            .await;
        assert_matches_recording(name, &reply, true);
    }

    // Token-authenticated registrations with the recorded bodies, signed by our admin.
    let token_for = |name: &str, uri: &str| {
        make_token(
            "POST",
            uri,
            &request_body(name),
            &admin_cert,
            &admin_key_pem,
        )
    };
    for name in [
        "register_org1admin",
        "register_org1peer0_identities_api",
        "error_register_duplicate",
    ] {
        let path = meta(name)["request"]["path"].as_str().unwrap().to_owned();
        let reply = run
            .replay_as_recorded(name, Some(&token_for(name, &path)))
            .await;
        assert_matches_recording(name, &reply, true);
    }
    assert_eq!(
        run.changes.load(Ordering::SeqCst),
        4,
        "1 enroll + 1 counted wrong password + 2 registrations"
    );

    // Bad tokens.
    let name = "error_bad_token_uri_without_query";
    let reply = run
        .replay_as_recorded(name, Some(&token_for(name, "/api/v1/register")))
        .await;
    assert_matches_recording(name, &reply, true);

    let name = "error_bad_token_high_s";
    let good = token_for(name, "/api/v1/register?ca=ca");
    let (b64_cert, b64_sig) = good.split_once('.').unwrap();
    let sig = Signature::from_der(&STANDARD.decode(b64_sig).unwrap()).unwrap();
    let (r, s) = sig.split_scalars();
    let high = Signature::from_scalars(r, -*s).unwrap();
    assert!(high.normalize_s().is_some());
    let high_token = format!("{b64_cert}.{}", STANDARD.encode(high.to_der().as_bytes()));
    let reply = run.replay_as_recorded(name, Some(&high_token)).await;
    assert_matches_recording(name, &reply, true);

    let name = "error_bad_token_cert_from_other_ca";
    let (tls_admin_cert, tls_admin_key) = enroll(&run, "tlsca", "admin", "adminpw").await;
    let token = make_token(
        "POST",
        "/api/v1/register?ca=ca",
        &request_body(name),
        &tls_admin_cert,
        &tls_admin_key,
    );
    let reply = run.replay_as_recorded(name, Some(&token)).await;
    assert_matches_recording(name, &reply, true);

    // enroll_org1admin with the recorded CSR itself (made from identities/org1admin.key.pem).
    let name = "enroll_org1admin";
    let reply = run
        .replay_as_recorded(name, Some(&recorded_header(name)))
        .await;
    assert_matches_recording(name, &reply, false);
    let org1admin = cert_from_enroll(&reply);
    let der = der_of(&org1admin);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(cert.subject().to_string(), "OU=admin, CN=org1admin");
    let recorded_der = der_of(&fixture_text("identities/org1admin.cert.pem"));
    let (_, recorded) = X509Certificate::from_der(&recorded_der).unwrap();
    assert_eq!(ext_json(&cert), ext_json(&recorded));
    assert_eq!(cert.public_key().raw, recorded.public_key().raw);

    // enroll_org1peer0: OU=peer.
    let name = "enroll_org1peer0";
    let reply = run
        .replay_as_recorded(name, Some(&recorded_header(name)))
        .await;
    assert_matches_recording(name, &reply, false);
    let pem = cert_from_enroll(&reply);
    let der = der_of(&pem);
    assert_eq!(
        X509Certificate::from_der(&der)
            .unwrap()
            .1
            .subject()
            .to_string(),
        "OU=peer, CN=org1peer0"
    );

    // enroll_tls_org1peer0: register org1peer0 on tlsca (as the recording did), then enroll.
    let body = br#"{"id":"org1peer0","type":"peer","secret":"org1peer0tlspw","max_enrollments":-1,"affiliation":"","attrs":[],"caname":"tlsca"}"#;
    let token = make_token(
        "POST",
        "/api/v1/register?ca=tlsca",
        body,
        &tls_admin_cert,
        &tls_admin_key,
    );
    let reply = run
        .send("POST", "/api/v1/register?ca=tlsca", Some(&token), body)
        .await;
    assert_eq!(reply.status, 201);
    // The recorded server defined a `tls` profile on both CAs (fixtures README); a
    // console-deployed tlsca has none, its *default* profile is the TLS one (fabric-operator
    // `defaultconfig/ca/tlsca.yaml`). So the recorded request is replayed without `profile`
    // and must give the recorded certificate's usages.
    let name = "enroll_tls_org1peer0";
    let mut body: Value = serde_json::from_slice(&request_body(name)).unwrap();
    let tls_body = body.clone();
    body.as_object_mut().unwrap().remove("profile");
    let reply = run
        .send(
            "POST",
            meta(name)["request"]["path"].as_str().unwrap(),
            Some(&recorded_header(name)),
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_matches_recording(name, &reply, false);
    let tls_pem = cert_from_enroll(&reply);
    let der = der_of(&tls_pem);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let recorded_der = der_of(&fixture_text("identities/org1peer0-tls.cert.pem"));
    let (_, recorded) = X509Certificate::from_der(&recorded_der).unwrap();
    assert_eq!(cert.subject().to_string(), "OU=peer, CN=org1peer0");
    assert_eq!(
        cert.extended_key_usage().unwrap().unwrap().value,
        recorded.extended_key_usage().unwrap().unwrap().value
    );
    assert_eq!(
        cert.key_usage().unwrap().unwrap().value,
        recorded.key_usage().unwrap().unwrap().value
    );
    // The recorded body as sent (`profile: tls`) gets initSigningProfile's completion of the
    // missing profile at a console-deployed tlsca: cert sign + crl sign, no EKU.
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll?ca=tlsca",
            Some(&recorded_header(name)),
            &serde_json::to_vec(&tls_body).unwrap(),
        )
        .await;
    assert_eq!(reply.status, 201);
    let explicit = der_of(&cert_from_enroll(&reply));
    let (_, explicit) = X509Certificate::from_der(&explicit).unwrap();
    let ku = explicit.key_usage().unwrap().unwrap().value;
    assert!(ku.key_cert_sign() && ku.crl_sign() && !ku.digital_signature());
    assert!(explicit.extended_key_usage().unwrap().is_none());
    assert_eq!(
        cert.subject_alternative_name().unwrap().unwrap().value,
        recorded.subject_alternative_name().unwrap().unwrap().value
    );
    assert_eq!(ext_json(&cert), ext_json(&recorded));
    let state = run.state.lock().await;
    let tls_root_der = der_of(state.tlsca_root_pem());
    let (_, tls_root) = X509Certificate::from_der(&tls_root_der).unwrap();
    assert!(cert.verify_signature(Some(tls_root.public_key())).is_ok());
    drop(state);
    run.stop().await;
}

#[tokio::test]
async fn enroll_from_fixture_key_yields_a_cert_chaining_to_the_root() {
    let mut run = start().await;
    let (admin_cert, admin_key) = enroll(&run, "ca", "admin", "adminpw").await;
    let body = br#"{"id":"org1admin","type":"admin","secret":"org1adminpw","max_enrollments":-1,"affiliation":"","attrs":[],"caname":"ca"}"#;
    let token = make_token("POST", "/register", body, &admin_cert, &admin_key);
    let reply = run.send("POST", "/register", Some(&token), body).await;
    assert_eq!(reply.status, 201, "bare /register path, default CA");

    let key = KeyPair::from_pem(&fixture_text("identities/org1admin.key.pem")).unwrap();
    let (cert_pem, _) = {
        let body = serde_json::json!({"certificate_request": csr_pem("org1admin", &key)});
        let reply = run
            .send(
                "POST",
                "/enroll",
                Some(&basic("org1admin", "org1adminpw")),
                &serde_json::to_vec(&body).unwrap(),
            )
            .await;
        assert_eq!(reply.status, 201);
        (cert_from_enroll(&reply), ())
    };
    let der = der_of(&cert_pem);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(cert.subject().to_string(), "OU=admin, CN=org1admin");
    assert_eq!(
        ext_json(&cert).unwrap(),
        serde_json::json!({"attrs":{"hf.Affiliation":"","hf.EnrollmentID":"org1admin","hf.Type":"admin"}})
    );
    let state = run.state.lock().await;
    let root_der = der_of(state.ca_root_pem());
    let (_, root) = X509Certificate::from_der(&root_der).unwrap();
    assert_eq!(cert.issuer(), root.subject());
    assert!(cert.verify_signature(Some(root.public_key())).is_ok());
    let ku = cert.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && !ku.key_cert_sign());
    assert!(!cert.basic_constraints().unwrap().unwrap().value.ca);
    let fixture_cert_der = der_of(&fixture_text("identities/org1admin.cert.pem"));
    let (_, fixture_cert) = X509Certificate::from_der(&fixture_cert_der).unwrap();
    assert_eq!(cert.public_key().raw, fixture_cert.public_key().raw);
    // Validity (handleEnroll): from the CA's own notBefore to now + one year (ca.yaml's
    // default profile), rounded to the minute.
    assert_eq!(cert.validity().not_before, root.validity().not_before);
    let not_after = cert.validity().not_after.timestamp();
    assert_eq!(not_after % 60, 0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (not_after - now - 8_760 * 3_600).abs() <= 60,
        "{not_after} vs {now}"
    );
    assert_eq!(state.identity("ca", "org1admin").unwrap().enrollments, 1);
    drop(state);
    run.stop().await;
}

#[tokio::test]
async fn registration_rules_and_enrollment_limits() {
    let mut run = start().await;
    let (admin_cert, admin_key) = enroll(&run, "ca", "admin", "adminpw").await;
    let register = |body: Vec<u8>, cert: String, key: String| {
        let run = &run;
        async move {
            let token = make_token("POST", "/api/v1/register?ca=ca", &body, &cert, &key);
            run.send("POST", "/api/v1/register?ca=ca", Some(&token), &body)
                .await
        }
    };

    // No secret: one is generated and returned; max_enrollments 1 is enforced.
    let reply = register(
        br#"{"id":"once","type":"client","max_enrollments":1}"#.to_vec(),
        admin_cert.clone(),
        admin_key.clone(),
    )
    .await;
    assert_eq!(reply.status, 201);
    let secret = reply.json()["result"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(secret.len(), 12);
    let (once_cert, once_key) = enroll(&run, "ca", "once", &secret).await;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let body = serde_json::json!({"certificate_request": csr_pem("once", &key)});
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic("once", &secret)),
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["errors"][0]["code"], 20);

    // A registered identity is not a registrar: 403 code 71.
    let reply = register(
        br#"{"id":"other","type":"client"}"#.to_vec(),
        once_cert,
        once_key,
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["errors"][0]["code"], 71);
    assert_eq!(
        reply.json()["errors"][0]["message"],
        "Authorization failure"
    );

    // CSR CN must equal the enrollment ID.
    let body = serde_json::json!({"certificate_request": csr_pem("someoneelse", &key)});
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic("admin", "adminpw")),
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["errors"][0]["code"], 77);

    // No Authorization header, then a registration with a missing id.
    let reply = run
        .send("POST", "/api/v1/register", None, br#"{"id":"x"}"#)
        .await;
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["code"].clone()),
        (401, Value::from(2))
    );
    let reply = register(
        br#"{"type":"client"}"#.to_vec(),
        admin_cert.clone(),
        admin_key.clone(),
    )
    .await;
    assert_eq!(reply.status, 400);

    // GET identity (token over an empty body) and an unknown one.
    let token = make_token(
        "GET",
        "/api/v1/identities/once?ca=ca",
        b"",
        &admin_cert,
        &admin_key,
    );
    let reply = run
        .send("GET", "/api/v1/identities/once?ca=ca", Some(&token), b"")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["result"]["max_enrollments"], 1);
    let token = make_token(
        "GET",
        "/api/v1/identities/nobody",
        b"",
        &admin_cert,
        &admin_key,
    );
    let reply = run
        .send("GET", "/api/v1/identities/nobody", Some(&token), b"")
        .await;
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["code"].clone()),
        (404, Value::from(63))
    );

    // Wrong method: 405 code 1.
    let reply = run.send("GET", "/api/v1/enroll", None, b"").await;
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["code"].clone()),
        (405, Value::from(1))
    );
    run.stop().await;
}

#[tokio::test]
async fn shutdown_releases_the_port_and_state_survives_a_restart() {
    let mut run = start().await;
    let addr = run.addr;
    let (cert, key) = enroll(&run, "ca", "admin", "adminpw").await;
    let body = br#"{"id":"persisted","type":"peer","secret":"pw"}"#;
    let token = make_token("POST", "/api/v1/register", body, &cert, &key);
    assert_eq!(
        run.send("POST", "/api/v1/register", Some(&token), body)
            .await
            .status,
        201
    );
    run.stop().await;

    // Persist, restore, and serve again on the same port.
    let json = serde_json::to_string(&*run.state.lock().await).unwrap();
    let restored: FabricCaState = serde_json::from_str(&json).unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let handle = serve(
        listener,
        Arc::new(Mutex::new(restored)),
        Arc::new(|_: &FabricCaState| {}),
    )
    .await
    .unwrap();
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic("persisted", "pw")),
            &serde_json::to_vec(&serde_json::json!({
                "certificate_request": csr_pem("persisted", &KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap())
            }))
            .unwrap(),
        )
        .await;
    assert_eq!(reply.status, 201, "same root and TLS cert after restart");
    handle.shutdown().await;
}

/// Token-authenticated call as `cert`/`key`.
async fn call(
    run: &Running,
    method: &str,
    path: &str,
    body: &[u8],
    who: &(String, String),
) -> Reply {
    let token = make_token(method, path, body, &who.0, &who.1);
    run.send(method, path, Some(&token), body).await
}

fn code_of(reply: &Reply) -> (u16, Value, Value) {
    let json = reply.json();
    (
        reply.status,
        json["errors"][0]["code"].clone(),
        json["errors"][0]["message"].clone(),
    )
}

#[tokio::test]
async fn registrar_rules_identities_reenroll_revoke_and_crl() {
    let mut run = start().await;
    run.state
        .lock()
        .await
        .add_affiliation("ca", "org1.department1");
    let admin = enroll(&run, "ca", "admin", "adminpw").await;

    // A registrar limited to peers and clients in org1, allowed to give `app.*` attributes.
    let body = br#"{"id":"sub","type":"client","secret":"subpw","affiliation":"org1","attrs":[{"name":"hf.Registrar.Roles","value":"peer,client"},{"name":"hf.Registrar.Attributes","value":"app.*"},{"name":"hf.Revoker","value":"true"},{"name":"app.level","value":"3","ecert":true}]}"#;
    let reply = call(&run, "POST", "/api/v1/register?ca=ca", body, &admin).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let sub = enroll(&run, "ca", "sub", "subpw").await;
    let sub_cert_der = der_of(&sub.0);
    let (_, sub_cert) = X509Certificate::from_der(&sub_cert_der).unwrap();
    let ou: Vec<String> = sub_cert
        .subject()
        .iter_organizational_unit()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ou,
        ["org1", "client"],
        "type and affiliation share one OU RDN"
    );
    assert_eq!(ext_json(&sub_cert).unwrap()["attrs"]["app.level"], "3");

    let refused = [
        (
            r#"{"id":"a1","type":"admin"}"#,
            "type not in hf.Registrar.Roles",
        ),
        (
            r#"{"id":"a2","type":"peer","affiliation":"org2"}"#,
            "affiliation outside org1",
        ),
        (
            r#"{"id":"a3","type":"peer","affiliation":"org1.nosuch"}"#,
            "unknown affiliation",
        ),
        (
            r#"{"id":"a4","type":"peer","attrs":[{"name":"other","value":"x"}]}"#,
            "attribute not allowed",
        ),
    ];
    for (body, why) in refused {
        let reply = call(&run, "POST", "/api/v1/register", body.as_bytes(), &sub).await;
        assert_eq!(
            code_of(&reply),
            (403, Value::from(71), Value::from("Authorization failure")),
            "{why}"
        );
    }
    // Allowed: a peer in org1.department1 with an app attribute; a generated secret.
    let body = br#"{"id":"peer1","type":"peer","affiliation":"org1.department1","max_enrollments":2,"attrs":[{"name":"app.role","value":"x"}]}"#;
    let reply = call(&run, "POST", "/api/v1/register", body, &sub).await;
    assert_eq!(reply.status, 201);
    let secret = reply.json()["result"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(secret.len(), 12);

    // attr_reqs: a required missing attribute fails, optional ones are skipped, [] gives {}.
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let enroll_with = |extra: Value| {
        let mut body = serde_json::json!({"certificate_request": csr_pem("peer1", &key)});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::to_vec(&body).unwrap()
    };
    let basic_peer = basic("peer1", &secret);
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic_peer),
            &enroll_with(serde_json::json!({"attr_reqs":[{"name":"nope"}]})),
        )
        .await;
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["code"].clone()),
        (500, Value::from(0))
    );
    let reply = run
        .send("POST", "/api/v1/enroll", Some(&basic_peer), &enroll_with(serde_json::json!({"attr_reqs":[{"name":"app.role"},{"name":"nope","optional":true}],"hosts":["peer1.example.com"]})))
        .await;
    assert_eq!(reply.status, 201);
    let peer_pem = cert_from_enroll(&reply);
    let peer_cert_der = der_of(&peer_pem);
    let (_, peer_cert) = X509Certificate::from_der(&peer_cert_der).unwrap();
    assert_eq!(
        ext_json(&peer_cert).unwrap(),
        serde_json::json!({"attrs":{"app.role":"x"}})
    );
    let san = peer_cert.subject_alternative_name().unwrap().unwrap().value;
    assert_eq!(san.general_names.len(), 1);
    // max_enrollments 2: the failed enroll did not count; a third is refused.
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic_peer),
            &enroll_with(serde_json::json!({"attr_reqs":[]})),
        )
        .await;
    assert_eq!(reply.status, 201);
    let second_der = der_of(&cert_from_enroll(&reply));
    let (_, second) = X509Certificate::from_der(&second_der).unwrap();
    assert_eq!(ext_json(&second).unwrap(), serde_json::json!({"attrs":{}}));
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic_peer),
            &enroll_with(serde_json::json!({})),
        )
        .await;
    assert_eq!(code_of(&reply).0, 401);
    let peer = (peer_pem, key.serialize_pem());

    // Reenroll with the current certificate keeps the ecert attributes; not counted.
    let body =
        serde_json::to_vec(&serde_json::json!({"certificate_request": csr_pem("peer1", &key)}))
            .unwrap();
    let reply = call(&run, "POST", "/api/v1/reenroll", &body, &peer).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let renewed = cert_from_enroll(&reply);
    let renewed_cert_der = der_of(&renewed);
    let (_, renewed_cert) = X509Certificate::from_der(&renewed_cert_der).unwrap();
    assert_eq!(ext_json(&renewed_cert).unwrap()["attrs"]["hf.Type"], "peer");

    // Identities: list (the sub-registrar sees org1's peers and clients only), get, modify.
    let reply = call(&run, "GET", "/api/v1/identities?ca=ca", b"", &sub).await;
    assert_eq!(reply.status, 200);
    let ids: Vec<String> = reply.json()["result"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["sub", "peer1"]);
    assert_eq!(reply.json()["result"]["caname"], "ca");
    let reply = call(&run, "GET", "/api/v1/identities?ca=ca", b"", &admin).await;
    assert_eq!(
        reply.json()["result"]["identities"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let reply = call(&run, "GET", "/api/v1/identities/admin", b"", &sub).await;
    assert_eq!(code_of(&reply).0, 403, "admin is outside sub's affiliation");
    let body = br#"{"type":"client","max_enrollments":5,"attrs":[{"name":"app.role","value":"y","ecert":true}],"secret":"newpw"}"#;
    let reply = call(&run, "PUT", "/api/v1/identities/peer1", body, &sub).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["result"]["secret"], "newpw");
    let reply = call(&run, "GET", "/api/v1/identities/peer1", b"", &sub).await;
    let got = reply.json()["result"].clone();
    assert_eq!(
        (got["type"].clone(), got["max_enrollments"].clone()),
        (Value::from("client"), Value::from(5))
    );
    assert!(got["attrs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "hf.Type" && a["value"] == "client"));
    let reply = call(
        &run,
        "PUT",
        "/api/v1/identities/peer1",
        br#"{"type":"admin"}"#,
        &sub,
    )
    .await;
    assert_eq!(code_of(&reply).0, 403);

    // Removal: on by default (fabric-operator setDefaults); off gives the real error.
    run.state.lock().await.set_identity_removal("ca", false);
    let reply = call(&run, "DELETE", "/api/v1/identities/peer1", b"", &admin).await;
    assert_eq!(
        code_of(&reply),
        (
            403,
            Value::from(56),
            Value::from("Identity removal is disabled")
        )
    );
    run.state.lock().await.set_identity_removal("ca", true);
    let reply = call(&run, "DELETE", "/api/v1/identities/admin", b"", &admin).await;
    assert_eq!(
        code_of(&reply).1,
        Value::from(56),
        "own identity needs force"
    );

    // Revoke the renewed certificate by serial + AKI: refused at reenroll afterwards.
    let record = crate::fabric_ca::certs::record_of("peer1", &renewed).unwrap();
    let body = format!(
        r#"{{"serial":"{}","aki":"{}","reason":"keycompromise","gencrl":true}}"#,
        record.serial, record.aki
    );
    let reply = call(&run, "POST", "/api/v1/revoke", body.as_bytes(), &sub).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.json()["result"]["RevokedCerts"][0]["Serial"],
        record.serial.as_str()
    );
    assert!(!reply.json()["result"]["CRL"].as_str().unwrap().is_empty());
    let renewed_id = (renewed, key.serialize_pem());
    let reply = call(
        &run,
        "POST",
        "/api/v1/reenroll",
        &body_for(&key, "peer1"),
        &renewed_id,
    )
    .await;
    assert_eq!(
        code_of(&reply),
        (401, Value::from(20), Value::from("Authentication failure"))
    );
    let reply = call(&run, "POST", "/api/v1/revoke", body.as_bytes(), &sub).await;
    assert_eq!(code_of(&reply).1, Value::from(66), "already revoked");

    // Revoke by id: every certificate, and the identity can no longer enroll.
    let reply = call(&run, "POST", "/api/v1/revoke", br#"{"id":"peer1"}"#, &sub).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["result"]["RevokedCerts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let reply = run
        .send(
            "POST",
            "/api/v1/enroll",
            Some(&basic("peer1", "newpw")),
            &enroll_with(serde_json::json!({})),
        )
        .await;
    assert_eq!(code_of(&reply).0, 401);

    // gencrl: the registrar without hf.GenCRL is refused; the admin gets three entries.
    let reply = call(&run, "POST", "/api/v1/gencrl", b"{}", &sub).await;
    assert_eq!(
        code_of(&reply),
        (403, Value::from(71), Value::from("Authorization failure"))
    );
    let reply = call(&run, "POST", "/api/v1/gencrl", b"{}", &admin).await;
    assert_eq!(reply.status, 200);
    let pem = String::from_utf8(
        STANDARD
            .decode(reply.json()["result"]["CRL"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let crl_der = der_of_label(&pem);
    let (_, crl) =
        x509_parser::revocation_list::CertificateRevocationList::from_der(&crl_der).unwrap();
    assert_eq!(crl.iter_revoked_certificates().count(), 3);
    assert!(crate::fabric_ca::is_low_s(
        &crate::fabric_ca::signature_of(&crl_der).unwrap()
    ));
    run.stop().await;
}

fn body_for(key: &KeyPair, cn: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"certificate_request": csr_pem(cn, key)})).unwrap()
}

fn der_of_label(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap()
        .1
        .contents
}
