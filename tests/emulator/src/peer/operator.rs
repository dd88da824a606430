//! What fabric-operator does with a new peer's crypto before the deployer reports the peer
//! created (docs/dev/emulator-peer.md#enrollment): enroll its identity and its TLS certificate
//! at the named CAs (`crypto.enrollment`), or take the given certificates (`crypto.msp`), then
//! check that the identity's certificate is a `peer` one. A failure is the operator's status
//! message, which the deployer relays.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::ca_client::{pem_certificates, CaClient, Enrolled};
use super::PeerTls;

/// fabric-operator `operatorerrors.PeerInitilizationFailed`.
pub const PEER_INITIALIZATION_FAILED: u32 = 22;

/// The crypto the operator stores in the peer's secrets.
#[derive(Clone, Debug)]
pub struct Material {
    /// The identity's certificate (PEM).
    pub ecert_pem: String,
    /// The CA certificates of the identity's MSP (PEM).
    pub cacerts: Vec<String>,
    /// The admin certificates, as the create gave them (base64 PEM).
    pub admincerts: Vec<String>,
    /// The TLS certificate, its key and its CA chain.
    pub tls: PeerTls,
}

/// Why the operator set the peer's status to `Error`: `Code: 22 - failed to initialize peer: …`
/// (`operatorerrors.Wrap` in `pkg/offering/k8s/peer/peer.go` Reconcile; `OperatorError.String`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitError(pub String);

impl InitError {
    fn new(cause: impl std::fmt::Display) -> InitError {
        InitError(format!(
            "Code: {PEER_INITIALIZATION_FAILED} - failed to initialize peer: {cause}"
        ))
    }
}

fn text<'a>(v: Option<&'a Value>, key: &str) -> &'a str {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A port given as a number or a string (the deployer wants it as a string).
fn port_of(v: Option<&Value>) -> String {
    match v.and_then(|v| v.get("port")) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn decode_b64(text: &str) -> Option<String> {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// One enrollment: `GenerateCrypto` (`PingCA`, then the enroller's `GetCrypto`).
async fn enroll_one(section: Option<&Value>, hosts: &[String]) -> Result<Enrolled, String> {
    let client = CaClient::new(
        text(section, "host"),
        &port_of(section),
        text(section, "tls_cert"),
    )
    .map_err(|e| format!("failed to initialize CA client: {e}"))?;
    client
        .ping()
        .await
        .map_err(|e| format!("ca is not reachable: {e}"))?;
    client
        .enroll(
            text(section, "enroll_id"),
            text(section, "enroll_secret"),
            text(section, "name"),
            hosts,
        )
        .await
        // enroller.GetCrypto and swenroller's enroll() both wrap the client's error.
        .map_err(|e| format!("failed to enroll with CA: failed to enroll with CA: {e}"))
}

/// `crypto.enrollment` (athena's v3 names, `comp_formatting_lib.js` `fmt_crypto`): the identity
/// at `ca` with no CSR hosts, then the TLS certificate at `tlsca` with the operator's hosts
/// (`127.0.0.1`, every peer host name here) plus `csr_hosts` (`CheckCSRHosts`).
pub async fn enroll(enrollment: &Value) -> Result<Material, InitError> {
    let ca = enrollment.get("ca");
    let tlsca = enrollment.get("tlsca");
    let component = enrollment.get("component");
    let ecert = enroll_one(ca, &[]).await.map_err(InitError::new)?;
    let mut hosts = vec!["127.0.0.1".to_owned()];
    for h in string_list(tlsca.and_then(|t| t.get("csr_hosts"))) {
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    let tls = enroll_one(tlsca, &hosts).await.map_err(InitError::new)?;
    let admincerts = component
        .and_then(|c| c.get("admin_certs").or_else(|| c.get("admincerts")))
        .map(|v| string_list(Some(v)))
        .unwrap_or_default();
    let material = Material {
        ecert_pem: ecert.cert_pem,
        cacerts: ecert.ca_chain,
        admincerts,
        tls: PeerTls {
            cert_pem: tls.cert_pem,
            key_pem: tls.key_pem,
            ca_certs: tls.ca_chain,
        },
    };
    verify_peer_ou(&material.ecert_pem)?;
    Ok(material)
}

/// `crypto.msp`: the MSP parser's checks (`mspparser.Validate`: key, certificate, CA
/// certificates), no CA contact, then the OU check.
pub fn from_msp(msp: &Value) -> Result<Material, InitError> {
    let component = msp.get("component");
    let invalid =
        |what: &str| InitError::new(format!("invalid crypto: unable to parse MSP, {what}"));
    let ca_roots = string_list(msp.get("ca").and_then(|c| c.get("root_certs")));
    let tls_roots = string_list(msp.get("tlsca").and_then(|c| c.get("root_certs")));
    for (key, cert, roots) in [
        ("ekey", "ecert", &ca_roots),
        ("tls_key", "tls_cert", &tls_roots),
    ] {
        if text(component, key).is_empty() {
            return Err(invalid("keystore not specified"));
        }
        if text(component, cert).is_empty() {
            return Err(invalid("signcert not specified"));
        }
        if roots.is_empty() {
            return Err(invalid("ca certs not specified"));
        }
    }
    let decode = |field: &str| {
        decode_b64(text(component, field))
            .ok_or_else(|| InitError::new(format!("failed to parse {field}")))
    };
    let certs_of = |list: &[String]| -> Vec<String> {
        list.iter().flat_map(|c| pem_certificates(c)).collect()
    };
    let material = Material {
        ecert_pem: decode("ecert")?,
        cacerts: certs_of(&ca_roots),
        admincerts: string_list(component.and_then(|c| c.get("admin_certs"))),
        tls: PeerTls {
            cert_pem: decode("tls_cert")?,
            key_pem: decode("tls_key")?,
            ca_certs: certs_of(&tls_roots),
        },
    };
    verify_peer_ou(&material.ecert_pem)?;
    Ok(material)
}

/// `CryptoResponse.VerifyCertOU("peer")` (`pkg/initializer/common/config/crypto.go`): the
/// identity's certificate must carry `OU=peer` (node OUs are on for every created peer).
fn verify_peer_ou(ecert_pem: &str) -> Result<(), InitError> {
    let wrap = |e: &str| {
        InitError::new(format!(
            "invalid OU for peer identity: invalid OU for signcert: {e}"
        ))
    };
    let der = x509_parser::pem::parse_x509_pem(ecert_pem.as_bytes())
        .map_err(|_| wrap("failed to decode PEM bytes"))?
        .1
        .contents;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| wrap(&e.to_string()))?;
    let ous: Vec<&str> = cert
        .subject()
        .iter_organizational_unit()
        .filter_map(|a| a.as_str().ok())
        .collect();
    if ous.is_empty() {
        return Err(wrap("OU not defined"));
    }
    if !ous.contains(&"peer") {
        return Err(wrap("cert does not have right OU, expecting 'peer'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PEER_ECERT: &str = include_str!("../../fixtures/console/certs/peer0-ecert.pem");
    const ADMIN: &str = include_str!("../../fixtures/console/certs/org1-admin.pem");

    #[test]
    fn the_identity_certificate_must_be_a_peer_one() {
        assert_eq!(verify_peer_ou(PEER_ECERT), Ok(()));
        let err = verify_peer_ou(ADMIN).unwrap_err();
        assert_eq!(
            err.0,
            "Code: 22 - failed to initialize peer: invalid OU for peer identity: invalid OU for signcert: cert does not have right OU, expecting 'peer'"
        );
    }

    #[test]
    fn msp_crypto_needs_keys_certs_and_roots() {
        let b64 = |s: &str| STANDARD.encode(s);
        let msp = json!({"component": {"ekey": b64("k"), "ecert": b64(PEER_ECERT), "tls_key": b64("k"), "tls_cert": b64(PEER_ECERT)},
            "ca": {"root_certs": []}, "tlsca": {"root_certs": [b64(PEER_ECERT)]}});
        assert_eq!(
            from_msp(&msp).unwrap_err().0,
            "Code: 22 - failed to initialize peer: invalid crypto: unable to parse MSP, ca certs not specified"
        );
        let mut ok = msp.clone();
        ok["ca"]["root_certs"] = json!([b64(PEER_ECERT)]);
        let m = from_msp(&ok).unwrap();
        assert_eq!(m.ecert_pem, PEER_ECERT);
        assert_eq!(m.tls.key_pem, "k");
        assert_eq!(m.cacerts.len(), 1);
    }
}
