//! A strict HTTPS client for tests and the Emulator API: GET a JSON endpoint of an emulated
//! component trusting only the given CA certificates (webpki, host name checked).

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use serde_json::Value;

/// `GET url` trusting only `roots` (PEM); `(status, body as JSON or as a string)`.
pub async fn get_json(url: &str, roots: &[String]) -> Result<(u16, Value), String> {
    let mut store = RootCertStore::empty();
    for pem in roots {
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| e.to_string())?;
        store.add(der).map_err(|e| e.to_string())?;
    }
    if store.is_empty() {
        return Err("no trusted certificate".to_owned());
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(store)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|e| e.to_string())?;
    let resp = http.get(url).send().await.map_err(|e| {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        msg
    })?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}
