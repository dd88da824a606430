//! Peers through the emulated deployer, end to end: a CA is created first, the peer enrolls its
//! identity and TLS certificate at it for real, then serves `/healthz` on its operations URL
//! over TLS a client verifies with the TLS CA root; updates, deletes, restarts, failures.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use blockchain_emulator::peer::ca_client::{pem_certificates, CaClient};
use blockchain_emulator::peer::probe;
use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::{json, Value};
use x509_parser::prelude::{FromDer, X509Certificate};

const EXCHANGES: &str = include_str!("../fixtures/console/exchanges.jsonl");
const ADMIN_CERT: &str = include_str!("../fixtures/console/certs/org1-admin.pem");

fn exchange(name: &str) -> Value {
    EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap()
}

fn config(db: Option<std::path::PathBuf>, delay: Duration) -> EmulatorConfig {
    EmulatorConfig {
        consoles: vec![ConsoleSpec::new("r1", 0, "key", "secret")],
        db_path: db,
        deployer_delay: delay,
        rate_limit_writes_per_min: 1000,
        create_latency: Duration::ZERO,
    }
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(emu: &Emulator) -> Api {
        Api {
            base: format!("{}/ak/api/v3", emu.console_url("r1").unwrap()),
            // No pooling: a dropped connection (fault switches) must not poison the next request.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(0)
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}/{path}", self.base))
            .basic_auth("key", Some("secret"));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }
}

/// A created CA whose registry holds the admin, a peer identity and a client identity, serving.
async fn serving_ca(api: &Api, name: &str) -> Value {
    let identities = json!([
        {"name": "admin", "pass": "adminpw", "type": "client"},
        {"name": "peer0", "pass": "peer0pw", "type": "peer"},
        {"name": "user1", "pass": "user1pw", "type": "client"}
    ]);
    let body = json!({"display_name": name, "config_override": {"ca": {"registry": {"maxenrollments": -1, "identities": identities}}}});
    let (status, ca) = api.post("kubernetes/components/fabric-ca", body).await;
    assert_eq!(status, 200, "{ca}");
    let url = ca["api_url"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = api.http.get(format!("{url}/cainfo")).send().await {
            if r.status().is_success() {
                return ca;
            }
        }
        assert!(Instant::now() < deadline, "CA never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn host_port(ca: &Value) -> (String, u16) {
    let url = ca["api_url"].as_str().unwrap();
    let rest = url.trim_start_matches("https://");
    let (host, port) = rest.rsplit_once(':').unwrap();
    (host.to_string(), port.parse().unwrap())
}

/// A create body enrolling `id`/`secret` at `ca` for both the identity and the TLS certificate.
fn peer_body(ca: &Value, name: &str, id: &str, secret: &str) -> Value {
    let (host, port) = host_port(ca);
    let tls_cert = ca["msp"]["component"]["tls_cert"].clone();
    let section = |ca_name: &str| json!({"host": host, "port": port, "name": ca_name, "tls_cert": tls_cert, "enroll_id": id, "enroll_secret": secret});
    let mut tlsca = section("tlsca");
    tlsca["csr_hosts"] = json!(["peer0.org1.example.com"]);
    json!({
        "display_name": name,
        "msp_id": "Org1MSP",
        "state_db": "couchdb",
        "zone": "zone1",
        "version": "2.5.12",
        "tags": ["tf"],
        "crypto": {"enrollment": {"component": {"admincerts": [STANDARD.encode(ADMIN_CERT)]}, "ca": section("ca"), "tlsca": tlsca}},
        "resources": {"peer": {"requests": {"cpu": "200m", "memory": "400M"}}},
        "config_override": {"peer": {"gossip": {"orgLeader": true}}, "chaincode": {"externalBuilders": [{"name": "b1", "path": "/b"}]}}
    })
}

fn cert_of(b64: &Value) -> Vec<u8> {
    let pem = String::from_utf8(STANDARD.decode(b64.as_str().unwrap()).unwrap()).unwrap();
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap()
        .1
        .contents
}

fn subject_and_issuer(der: &[u8]) -> (String, String) {
    let (_, c) = X509Certificate::from_der(der).unwrap();
    (c.subject().to_string(), c.issuer().to_string())
}

fn root_pems(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .flat_map(|c| pem_certificates(c.as_str().unwrap()))
        .collect()
}

async fn wait_healthy(emu: &Emulator, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok((200, body)) = emu.peer_healthz("r1", id).await {
            return body;
        }
        assert!(Instant::now() < deadline, "peer {id} never served /healthz");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_peer_enrolls_at_its_ca_and_serves_healthz_over_verified_tls() {
    let emu = Emulator::start(config(None, Duration::from_millis(1500)))
        .await
        .unwrap();
    let api = Api::new(&emu);
    let ca = serving_ca(&api, "Org1 CA").await;
    let (status, peer) = api
        .post(
            "kubernetes/components/fabric-peer",
            peer_body(&ca, "Peer0 Org1", "peer0", "peer0pw"),
        )
        .await;
    assert_eq!(status, 200, "{peer}");

    // The create's answer: the stored document with the deployer's answer merged in.
    assert_eq!(peer["id"], "peer0org1");
    assert_eq!(peer["dep_component_id"], "peer0org1");
    assert_eq!(peer["type"], "fabric-peer");
    assert_eq!(peer["location"], "ibm_saas");
    assert_eq!(peer["imported"], false);
    assert_eq!(peer["msp_id"], "Org1MSP");
    assert_eq!(peer["state_db"], "couchdb");
    assert_eq!(peer["zone"], "zone1");
    assert_eq!(peer["version"], "2.5.12");
    assert_eq!(peer["tags"], json!(["fabric-peer", "ibm_saas", "tf"]));
    assert_eq!(peer["cluster_type"], "kubernetes");
    assert_eq!(peer["console_type"], "hlfoc");
    assert_eq!(peer["crstatus"]["type"], "Deploying");
    assert_eq!(peer["crstatus"]["reason"], "waitingForPods");
    let keys: Vec<&String> = peer.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.last().unwrap().as_str(),
        "crstatus",
        "appended after the sorted keys"
    );
    assert!(peer["api_url"]
        .as_str()
        .unwrap()
        .starts_with("grpcs://127.0.0.1:"));
    assert!(peer["grpcwp_url"]
        .as_str()
        .unwrap()
        .starts_with("https://127.0.0.1:"));
    let ops = peer["operations_url"].as_str().unwrap().to_string();
    assert!(ops.starts_with("https://127.0.0.1:"));
    assert_eq!(
        peer["config_override"],
        json!({"chaincode": {"externalBuilders": [{"name": "[redacted]", "path": "/b"}]}, "peer": {"gossip": {"orgLeader": true}}}),
        "athena's redact_enroll_details"
    );
    let resources = &peer["resources"];
    assert_eq!(
        resources["peer"]["requests"],
        json!({"cpu": "200m", "memory": "400M"})
    );
    assert_eq!(resources["peer"]["limits"], resources["peer"]["requests"]);
    assert_eq!(
        resources["proxy"]["requests"],
        json!({"cpu": "100m", "memory": "200Mi"})
    );
    assert_eq!(
        resources["statedb"]["requests"],
        json!({"cpu": "200m", "memory": "400Mi"})
    );
    assert_eq!(
        resources["couchdb"]["msg"],
        "legacy field, reference \"statedb\" instead"
    );
    assert_eq!(
        peer["storage"],
        json!({"peer": {"size": "100Gi"}, "statedb": {"size": "100Gi"}})
    );
    let msp = &peer["msp"];
    assert_eq!(
        msp["component"]["admin_certs"],
        json!([STANDARD.encode(ADMIN_CERT)])
    );
    let ca_root = ca["msp"]["ca"]["root_certs"][0].clone();
    let tlsca_root = ca["msp"]["tlsca"]["root_certs"][0].clone();
    assert_eq!(msp["ca"]["root_certs"], json!([ca_root]));
    assert_eq!(msp["tlsca"]["root_certs"], json!([tlsca_root]));
    let (ecert_subject, ecert_issuer) = subject_and_issuer(&cert_of(&msp["component"]["ecert"]));
    assert!(
        ecert_subject.contains("OU=peer") && ecert_subject.contains("CN=peer0"),
        "{ecert_subject}"
    );
    assert_eq!(ecert_issuer, subject_and_issuer(&cert_of(&ca_root)).0);
    let tls_der = cert_of(&msp["component"]["tls_cert"]);
    assert_eq!(
        subject_and_issuer(&tls_der).1,
        subject_and_issuer(&cert_of(&tlsca_root)).0
    );
    let (_, tls) = X509Certificate::from_der(&tls_der).unwrap();
    let sans = format!(
        "{:?}",
        tls.subject_alternative_name().unwrap().unwrap().value
    );
    assert!(
        sans.contains("\"peer0.org1.example.com\"") && sans.contains("IPAddress([127, 0, 0, 1])"),
        "{sans}"
    );

    // Before the deployer delay the operations port refuses connections.
    let ops_port: u16 = ops.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", ops_port))
            .await
            .is_err(),
        "the operations port must refuse before the delay"
    );

    // A plain GET shows the stored document: athena's own TLS root lookup (the enrollment CA's
    // chain) and no msp.ca, and none of the deployment attributes.
    let (_, plain) = api.get("components/peer0org1").await;
    assert_eq!(plain["msp"]["tlsca"]["root_certs"], json!([ca_root]));
    assert!(plain["msp"].get("ca").is_none(), "{plain}");
    assert!(plain.get("resources").is_none() && plain.get("state_db").is_none());
    assert!(plain["msp"]["component"].get("ecert").is_none());
    assert!(plain.get("config_override").is_some());
    // A deployment-attribute read syncs the deployer's values in, and later plain reads see them.
    let (_, full) = api
        .get("components/peer0org1?deployment_attrs=included")
        .await;
    assert_eq!(full["msp"]["tlsca"]["root_certs"], json!([tlsca_root]));
    assert_eq!(full["msp"]["ca"]["root_certs"], json!([ca_root]));
    assert!(full["last_k8s_sync_ts"].is_number());
    assert_eq!(full["node_ou"], json!({"enabled": true}));
    let (_, plain) = api.get("components/peer0org1").await;
    assert_eq!(plain["msp"]["tlsca"]["root_certs"], json!([tlsca_root]));
    let (_, list) = api.get("components?deployment_attrs=included").await;
    let listed = list["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "peer0org1")
        .unwrap()
        .clone();
    assert_eq!(listed, full);

    // Healthz, verified with the TLS CA root only.
    let health = wait_healthy(&emu, "peer0org1").await;
    assert_eq!(health["status"], "OK");
    let time = health["time"].as_str().unwrap();
    assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    let tls_roots = root_pems(&json!([tlsca_root]));
    let (status, _) = probe::get_json(&format!("{ops}/healthz"), &tls_roots)
        .await
        .unwrap();
    assert_eq!(status, 200);
    // A client trusting only the identity CA does not accept the peer's TLS certificate.
    let wrong = probe::get_json(&format!("{ops}/healthz"), &root_pems(&json!([ca_root]))).await;
    assert!(wrong.is_err(), "{wrong:?}");
    let (status, _) = probe::get_json(&format!("{ops}/nothing"), &tls_roots)
        .await
        .unwrap();
    assert_eq!(status, 404);
    let deployment = emu.deployment("r1", "peer0org1").await.unwrap();
    assert_eq!(deployment["cr_status"]["type"], "Deployed");

    // The gRPC listener completes a verified TLS handshake with ALPN h2.
    let api_url = peer["api_url"].as_str().unwrap();
    let grpc_port: u16 = api_url.rsplit(':').next().unwrap().parse().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for pem in &tls_roots {
        use rustls::pki_types::pem::PemObject as _;
        roots
            .add(rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
            .unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", grpc_port))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("peer0.org1.example.com").unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    emu.shutdown().await;
}

#[tokio::test]
async fn updates_go_through_the_deployer_and_delete_stops_the_peer() {
    let emu = Emulator::start(config(None, Duration::ZERO)).await.unwrap();
    let api = Api::new(&emu);
    let ca = serving_ca(&api, "Org1 CA").await;
    let (status, _) = api
        .post(
            "kubernetes/components/fabric-peer",
            peer_body(&ca, "Peer0", "peer0", "peer0pw"),
        )
        .await;
    assert_eq!(status, 200);
    wait_healthy(&emu, "peer0").await;
    let path = "kubernetes/components/fabric-peer/peer0";

    let (status, up) = api.put(path, json!({"version": "2.5.13"})).await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["message"], "ok");
    assert_eq!(up["version"], "2.5.13");
    assert!(up["edited_timestamp"].is_number());
    assert_eq!(up["replicas"], 1, "the deployer's answer carries replicas");

    let (status, up) = api
        .put(
            path,
            json!({"resources": {"peer": {"requests": {"cpu": "300m", "memory": "1 GiB"}}}}),
        )
        .await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(
        up["resources"]["peer"]["requests"],
        json!({"cpu": "300m", "memory": "1Gi"})
    );
    assert_eq!(
        up["resources"]["peer"]["limits"],
        up["resources"]["peer"]["requests"]
    );
    assert_eq!(
        up["resources"]["proxy"]["requests"]["cpu"], "100m",
        "untouched"
    );

    let (status, up) = api.put(path, json!({"admin_certs": []})).await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["msp"]["component"]["admin_certs"], json!([]));

    let (status, up) = api.put(path, json!({"zone": "zone9"})).await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["zone"], "zone1", "the deployer takes no zone update");

    let (status, up) = api
        .put(
            path,
            json!({"config_override": {"peer": {"keepalive": {"minInterval": "70s"}}}}),
        )
        .await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(
        up["config_override"],
        json!({"peer": {"keepalive": {"minInterval": "70s"}}}),
        "athena stores the update's config_override as sent"
    );

    let (status, dry) = api.put(path, json!({"dry_run_mode": true})).await;
    assert_eq!(
        (status, dry),
        (200, json!({"message": "ok", "dry_run_mode": true}))
    );
    let (status, two) = api
        .put(path, json!({"version": "2.5.12", "zone": "z"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        two["msgs"],
        json!(["Too many fields in body. This API only supports 1 field in the body. Use multiple apis to update multiple fields."])
    );
    let (status, illegal) = api.put(path, json!({"storage": {}})).await;
    assert_eq!(status, 400, "{illegal}");

    // Admin certificates added and removed through the deployer's certs route.
    let other = include_str!("../fixtures/console/certs/ord-admin.pem");
    let (status, edit) = api
        .put(
            "kubernetes/components/peer0/certs",
            json!({"append_admin_certs": [STANDARD.encode(ADMIN_CERT), STANDARD.encode(other)]}),
        )
        .await;
    assert_eq!(status, 200, "{edit}");
    assert_eq!(edit["changes_made"], 2);
    assert_eq!(edit["set_admin_certs"].as_array().unwrap().len(), 2);
    assert!(edit["set_admin_certs"][0]["subject"]
        .as_str()
        .unwrap()
        .contains("org1admin"));
    let (status, edit) = api
        .put(
            "kubernetes/components/peer0/certs",
            json!({"remove_admin_certs": [STANDARD.encode(ADMIN_CERT)], "append_admin_certs": [STANDARD.encode(other)]}),
        )
        .await;
    assert_eq!(status, 200, "{edit}");
    assert_eq!(edit["changes_made"], 1);
    let (_, full) = api.get("components/peer0?deployment_attrs=included").await;
    let admins = full["msp"]["component"]["admin_certs"].as_array().unwrap();
    assert_eq!(admins.len(), 1);
    let pem = String::from_utf8(STANDARD.decode(admins[0].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        pem.contains("\r\n") && !pem.ends_with('\n'),
        "athena's fmt_cert"
    );

    // Delete through the deployer: the listeners stop, the document goes.
    let (status, del) = api
        .call(reqwest::Method::DELETE, "kubernetes/components/peer0", None)
        .await;
    assert_eq!(status, 200, "{del}");
    assert_eq!(
        del,
        json!({"message": "deleted", "id": "peer0", "display_name": "Peer0", "type": "fabric-peer"})
    );
    assert!(emu.peer_healthz("r1", "peer0").await.is_err());
    let (status, _) = api.get("components/peer0?cache=skip").await;
    assert_eq!(status, 404);
    assert!(emu.deployment("r1", "peer0").await.is_none());
    emu.shutdown().await;
}

/// Registers `id` (type peer, at most `max` enrollments) at the CA `ca` of a created CA with
/// the bootstrap admin's token.
async fn register(ca_doc: &Value, id: &str, max: i64) {
    let (host, port) = host_port(ca_doc);
    let tls = ca_doc["msp"]["component"]["tls_cert"].as_str().unwrap();
    let admin = CaClient::new(&host, &port.to_string(), tls)
        .unwrap()
        .enroll("admin", "adminpw", "ca", &[])
        .await
        .unwrap();
    let body =
        json!({"id": id, "type": "peer", "secret": "pw", "max_enrollments": max, "caname": "ca"})
            .to_string();
    let b64_cert = STANDARD.encode(&admin.cert_pem);
    let uri = "/api/v1/register";
    let payload = format!(
        "POST.{}.{}.{b64_cert}",
        STANDARD.encode(uri),
        STANDARD.encode(&body)
    );
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(&admin.key_pem).unwrap();
    let sig: p256::ecdsa::Signature = key.sign(payload.as_bytes());
    let sig = sig.normalize_s().unwrap_or(sig);
    let token = format!("{b64_cert}.{}", STANDARD.encode(sig.to_der().as_bytes()));
    let resp = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
        .post(format!("https://{host}:{port}{uri}"))
        .header("Authorization", token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        201,
        "{}",
        resp.text().await.unwrap()
    );
}

#[tokio::test]
async fn enrollment_failures_are_the_deployers_500_and_leave_nothing() {
    let emu = Emulator::start(config(None, Duration::ZERO)).await.unwrap();
    let api = Api::new(&emu);
    let ca = serving_ca(&api, "Org1 CA").await;
    let auth_failure = "Code: 22 - failed to initialize peer: failed to enroll with CA: failed to enroll with CA: Response from server: Error Code: 20 - Authentication failure\n";
    // No registration, a wrong secret, a registration with no enrollments left.
    register(&ca, "once", 1).await;
    let (host, port) = host_port(&ca);
    let tls = ca["msp"]["component"]["tls_cert"].as_str().unwrap();
    CaClient::new(&host, &port.to_string(), tls)
        .unwrap()
        .enroll("once", "pw", "ca", &[])
        .await
        .unwrap();
    for (id, secret) in [("nobody", "pw"), ("peer0", "wrong"), ("once", "pw")] {
        let (status, body) = api
            .post(
                "kubernetes/components/fabric-peer",
                peer_body(&ca, "Bad Peer", id, secret),
            )
            .await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["statusCode"], 500);
        let cr = &body["msg"]["crstatus"];
        assert_eq!(cr["type"], "Error", "{body}");
        assert_eq!(cr["status"], "True");
        assert_eq!(cr["reason"], "errorOccurredDuringReconcile");
        assert_eq!(cr["errorcode"], 22);
        assert_eq!(cr["message"], auth_failure, "{id}");
        assert_eq!(body["msg"]["name"], "badpeer");
        assert!(body["msg"].get("msp").is_none() && body["msg"].get("endpoints").is_none());
    }
    // A client identity enrolls, but the operator wants a peer certificate.
    let (status, body) = api
        .post(
            "kubernetes/components/fabric-peer",
            peer_body(&ca, "Bad Peer", "user1", "user1pw"),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body["msg"]["crstatus"]["message"],
        "Code: 22 - failed to initialize peer: invalid OU for peer identity: invalid OU for signcert: cert does not have right OU, expecting 'peer'"
    );
    // A TLS certificate that does not vouch for the CA's server.
    let mut untrusted = peer_body(&ca, "Bad Peer", "peer0", "peer0pw");
    untrusted["crypto"]["enrollment"]["ca"]["tls_cert"] =
        ca["msp"]["tlsca"]["root_certs"][0].clone();
    let (status, body) = api
        .post("kubernetes/components/fabric-peer", untrusted)
        .await;
    assert_eq!(status, 500, "{body}");
    let message = body["msg"]["crstatus"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Code: 22 - failed to initialize peer: ca is not reachable: ")
            && message.ends_with("x509: certificate signed by unknown authority"),
        "{message}"
    );
    // A CA that is down: the ping fails.
    let mut down = peer_body(&ca, "Bad Peer", "peer0", "peer0pw");
    let (status, del) = api
        .call(
            reqwest::Method::DELETE,
            &format!("kubernetes/components/{}", ca["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{del}");
    // Keep the host known to the console: import a CA record at the same URL.
    let import = json!({"display_name": "Gone CA", "api_url": ca["api_url"], "msp": ca["msp"]});
    let (status, imported) = api.post("components/fabric-ca", import).await;
    assert_eq!(status, 200, "{imported}");
    down["display_name"] = json!("Bad Peer");
    let (status, body) = api.post("kubernetes/components/fabric-peer", down).await;
    assert_eq!(status, 500, "{body}");
    let message = body["msg"]["crstatus"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Code: 22 - failed to initialize peer: ca is not reachable: pinging 'https://127.0.0.1:")
            && message.contains("connect: connection refused"),
        "{message}"
    );
    // Nothing of the failed creates is left (`k8s.components.list-after-failed-creates`).
    assert_eq!(emu.creates_in_flight("r1").await, 0);
    let ids: Vec<Value> = emu
        .components("r1")
        .await
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, [json!("goneca")]);
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_enroll_host_is_refused_before_any_network_call() {
    let emu = Emulator::start(config(None, Duration::ZERO)).await.unwrap();
    let api = Api::new(&emu);
    let ca = serving_ca(&api, "Org1 CA").await;
    let recorded = exchange("k8s.create-peer.invalid.unknown-enroll-host");
    let mut body = peer_body(&ca, "New Peer", "peer0", "peer0pw");
    body["crypto"]["enrollment"]["ca"]["host"] = json!("ca.unknown.example.com");
    body["crypto"]["enrollment"]["ca"]["port"] = json!(7054);
    body["crypto"]["enrollment"]["tlsca"]["port"] = json!(27999);
    let (status, answer) = api.post("kubernetes/components/fabric-peer", body).await;
    let expected: Value =
        serde_json::from_str(recorded["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!((status, answer), (400, expected));
    emu.shutdown().await;
}

#[tokio::test]
async fn msp_crypto_serves_the_given_certificate_and_a_restart_brings_the_peer_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("peer.redb");
    let emu = Emulator::start(config(Some(db.clone()), Duration::ZERO))
        .await
        .unwrap();
    let api = Api::new(&emu);
    let ca = serving_ca(&api, "Org1 CA").await;
    // Enroll the peer's material by hand, then give it as crypto.msp.
    let (host, port) = host_port(&ca);
    let tls = ca["msp"]["component"]["tls_cert"].as_str().unwrap();
    let client = CaClient::new(&host, &port.to_string(), tls).unwrap();
    let ecert = client.enroll("peer0", "peer0pw", "ca", &[]).await.unwrap();
    let tls_cert = client
        .enroll("peer0", "peer0pw", "tlsca", &["127.0.0.1".to_string()])
        .await
        .unwrap();
    let b64 = |s: &str| STANDARD.encode(s);
    let body = json!({"display_name": "Msp Peer", "msp_id": "Org1MSP", "crypto": {"msp": {
        "component": {"ekey": b64(&ecert.key_pem), "ecert": b64(&ecert.cert_pem), "tls_key": b64(&tls_cert.key_pem), "tls_cert": b64(&tls_cert.cert_pem), "admin_certs": [b64(ADMIN_CERT)]},
        "ca": {"root_certs": [ca["msp"]["ca"]["root_certs"][0]]},
        "tlsca": {"root_certs": [ca["msp"]["tlsca"]["root_certs"][0]]}}}});
    let (status, peer) = api.post("kubernetes/components/fabric-peer", body).await;
    assert_eq!(status, 200, "{peer}");
    assert_eq!(
        peer["msp"]["component"]["tls_cert"],
        json!(b64(&tls_cert.cert_pem))
    );
    assert_eq!(
        peer["msp"]["component"]["ecert"],
        json!(b64(&ecert.cert_pem))
    );
    assert_eq!(peer["version"], "2.5.12-0", "the default version");
    assert_eq!(
        peer["resources"]["chaincodelauncher"]["requests"]["cpu"],
        "200m"
    );
    // athena takes crypto.msp.tlsca.root_certs[0] as the TLS root: no CA lookup.
    let (_, plain) = api.get("components/msppeer").await;
    assert_eq!(
        plain["msp"]["tlsca"]["root_certs"],
        json!([ca["msp"]["tlsca"]["root_certs"][0]])
    );
    assert_eq!(wait_healthy(&emu, "msppeer").await["status"], "OK");
    let ops = peer["operations_url"].as_str().unwrap().to_string();

    // The recorded crypto.msp body has placeholder keys: created, but it never serves.
    let mut recorded: Value = serde_json::from_str(
        exchange("k8s.create-peer.valid-msp-crypto.deployer-unreachable")["request"]["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    recorded["display_name"] = json!("Placeholder Peer");
    let (status, placeholder) = api
        .post("kubernetes/components/fabric-peer", recorded)
        .await;
    assert_eq!(status, 200, "{placeholder}");

    let emu = emu.restart(Duration::from_millis(10)).await.unwrap();
    let api = Api::new(&emu);
    assert_eq!(wait_healthy(&emu, "msppeer").await["status"], "OK");
    let (_, full) = api
        .get("components/msppeer?deployment_attrs=included")
        .await;
    assert_eq!(
        full["operations_url"],
        json!(ops),
        "same port after a restart"
    );
    let placeholder_ops = placeholder["operations_url"].as_str().unwrap();
    let port: u16 = placeholder_ops.rsplit(':').next().unwrap().parse().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err());
    assert!(emu.peer_healthz("r1", "placeholderpeer").await.is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn fault_switches_hit_peer_writes_as_they_hit_ca_writes() {
    let emu = Emulator::start(config(None, Duration::ZERO)).await.unwrap();
    let api = Api::new(&emu);
    let ca = serving_ca(&api, "Org1 CA").await;
    // A lost create response: the peer exists all the same, and a retry with its id is a 409.
    emu.faults("r1").unwrap().lose_next_create_response();
    let mut body = peer_body(&ca, "Lost Peer", "peer0", "peer0pw");
    body["id"] = json!("lostpeer");
    let sent = api
        .http
        .post(format!("{}/kubernetes/components/fabric-peer", api.base))
        .basic_auth("key", Some("secret"))
        .json(&body)
        .send()
        .await;
    assert!(sent.is_err(), "the connection is dropped: {sent:?}");
    assert_eq!(wait_healthy(&emu, "lostpeer").await["status"], "OK");
    let (status, _) = api.post("kubernetes/components/fabric-peer", body).await;
    assert_eq!(status, 409);
    // A lost update response: the update happened.
    emu.faults("r1").unwrap().lose_next_write_response();
    let sent = api
        .http
        .put(format!(
            "{}/kubernetes/components/fabric-peer/lostpeer",
            api.base
        ))
        .basic_auth("key", Some("secret"))
        .json(&json!({"version": "2.5.13"}))
        .send()
        .await;
    assert!(sent.is_err(), "{sent:?}");
    let (_, full) = api
        .get("components/lostpeer?deployment_attrs=included")
        .await;
    assert_eq!(full["version"], "2.5.13");
    emu.shutdown().await;
}
