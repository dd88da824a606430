//! Acceptance tests for `blockchain_identity_import`: the real terraform binary and the provider
//! built by cargo. The resource calls no server; the provider block points at the emulator only
//! because every configuration needs one.

mod support;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use support::{provider_block, start_emulator, Workspace, TERRAFORM_BLOCK};
use time::{Duration, OffsetDateTime};
use tokio::task::block_in_place;

const ADDRESS: &str = "blockchain_identity_import.admin";

fn p256() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key")
}

fn ca(cn: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, p256()).expect("ca")
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    key: &KeyPair,
    ou: &str,
    valid_for: Duration,
) -> String {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "org1admin");
    dn.push(DnType::OrganizationalUnitName, ou);
    params.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + valid_for;
    params.signed_by(key, issuer).expect("leaf").pem()
}

fn config(console_url: &str, body: &str) -> String {
    let provider = provider_block(None, console_url, "");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_identity_import" "admin" {{
{body}
}}

output "enroll_id" {{
  value = blockchain_identity_import.admin.enroll_id
}}
"#
    )
}

fn pem_body(cert: &str, key: &str, extra: &str) -> String {
    format!(
        "  certificate    = file(\"${{path.module}}/{cert}\")\n  private_key    = file(\"${{path.module}}/{key}\")\n  msp_root_certs = [file(\"${{path.module}}/root.pem\")]\n  msp_id         = \"Org1MSP\"\n{extra}"
    )
}

/// Lines of a PEM body, to look for in outputs.
fn body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

fn assert_no_key(text: &str, key: &str) {
    for line in body_lines(key) {
        assert!(
            !text.contains(&line),
            "private key material in output:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_import_apply_plan_refusals_expiry_destroy() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let root = ca("org1ca");
    let other_ca = ca("org2ca");
    let key = p256();
    let key_pem = key.serialize_pem();
    let admin_cert = leaf(&root, &key, "admin", Duration::days(365));

    let ws = Workspace::new(&config(
        &url,
        &pem_body("admin.pem", "admin.key", "  require_admin = true\n"),
    ));
    ws.write("root.pem", &root.pem());
    ws.write("admin.pem", &admin_cert);
    ws.write("admin.key", &key_pem);

    // A valid identity applies, and the next plan is empty.
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    assert_no_key(&format!("{}{}", out.stdout, out.stderr), &key_pem);
    let values = block_in_place(|| ws.resource_values(ADDRESS)).expect("in state");
    assert_eq!(values["enroll_id"], "org1admin");
    assert_eq!(values["ous"], serde_json::json!(["admin"]));
    assert_eq!(values["identity"]["msp_id"], "Org1MSP");
    assert_eq!(values["identity"]["certificate"], admin_cert.as_str());
    assert_eq!(
        values["identity"]["ca_chain"],
        serde_json::json!([root.pem()])
    );
    let carried = values["identity"]["private_key"]
        .as_str()
        .expect("key in state");
    assert!(
        carried.starts_with("-----BEGIN PRIVATE KEY-----"),
        "kept for the signers"
    );
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    // The identity is sensitive in plans and outputs.
    let shown = block_in_place(|| ws.tf(&["show"]));
    assert!(
        shown.stdout.contains("(sensitive value)"),
        "{}",
        shown.stdout
    );
    assert_no_key(&shown.stdout, &key_pem);

    // Nothing to import: there is no server object.
    let fresh = Workspace::new(&config(&url, &pem_body("admin.pem", "admin.key", "")));
    fresh.write("root.pem", &root.pem());
    fresh.write("admin.pem", &admin_cert);
    fresh.write("admin.key", &key_pem);
    let out = block_in_place(|| fresh.tf(&["import", ADDRESS, "x"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("cannot be imported"), "{}", out.stderr);

    // Each invalid case fails at plan, at its attribute, without the key in the output.
    let other_key = p256();
    let rsa = KeyPair::generate_for(&PKCS_RSA_SHA256).expect("rsa key");
    ws.write("other.key", &other_key.serialize_pem());
    ws.write("rsa.key", &rsa.serialize_pem());
    ws.write(
        "expired.pem",
        &leaf(&root, &key, "admin", -Duration::hours(1)),
    );
    ws.write(
        "foreign.pem",
        &leaf(&other_ca, &key, "admin", Duration::days(365)),
    );
    ws.write(
        "client.pem",
        &leaf(&root, &key, "client", Duration::days(365)),
    );
    let cases = [
        (pem_body("admin.pem", "other.key", ""), "private_key", "does not match", other_key.serialize_pem()),
        (pem_body("admin.pem", "rsa.key", ""), "private_key", "RSA key", rsa.serialize_pem()),
        (pem_body("expired.pem", "admin.key", ""), "certificate", "Certificate expired", key_pem.clone()),
        (pem_body("foreign.pem", "admin.key", ""), "msp_root_certs", "does not chain", key_pem.clone()),
        (
            pem_body("client.pem", "admin.key", "  require_admin = true\n"),
            "require_admin",
            "Not an admin identity",
            key_pem.clone(),
        ),
        (
            "  identity_json = jsonencode({ name = \"x\", type = \"identity\", cert = base64encode(file(\"${path.module}/admin.pem\")), private_key = base64encode(file(\"${path.module}/other.key\")) })".to_owned(),
            "identity_json",
            "does not match",
            other_key.serialize_pem(),
        ),
    ];
    for (body, attribute, message, secret) in cases {
        ws.write("main.tf", &config(&url, &body));
        let (plan, _) = block_in_place(|| ws.plan());
        let text = format!("{}{}", plan.stdout, plan.stderr);
        assert_eq!(plan.code, 1, "plan should fail for {attribute}:\n{text}");
        assert!(text.contains(message), "{attribute}: {text}");
        // Terraform quotes the configuration line of the attribute the error is at.
        let line = text
            .lines()
            .find(|l| {
                l.trim_start()
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
                    && l.contains(": ")
            })
            .unwrap_or_default();
        assert!(
            line.contains(attribute),
            "error not at {attribute}:\n{text}"
        );
        assert_no_key(&text, &secret);
    }

    // The console's export format imports too, and replaces the PEM fields in place.
    let export = serde_json::json!({
        "name": "Org1 Admin", "type": "identity",
        "cert": base64_of(&admin_cert), "private_key": base64_of(&key_pem),
    });
    ws.write("admin.json", &export.to_string());
    ws.write(
        "main.tf",
        &config(&url, "  identity_json  = file(\"${path.module}/admin.json\")\n  msp_root_certs = [file(\"${path.module}/root.pem\")]\n  msp_id         = \"Org1MSP\""),
    );
    block_in_place(|| ws.apply()).assert_success("apply of the console export");
    let values = block_in_place(|| ws.resource_values(ADDRESS)).expect("in state");
    assert_eq!(values["identity"]["name"], "Org1 Admin");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // A certificate that expires after apply: the refresh warns and the plan is an update
    // (expires_at known after apply) whose apply fails at the certificate.
    let short_key = p256();
    ws.write(
        "short.pem",
        &leaf(&root, &short_key, "admin", Duration::seconds(20)),
    );
    ws.write("short.key", &short_key.serialize_pem());
    ws.write(
        "main.tf",
        &config(
            &url,
            &pem_body("short.pem", "short.key", "  expiry_warning = \"1s\"\n"),
        ),
    );
    block_in_place(|| ws.apply()).assert_success("apply of a short-lived identity");
    tokio::time::sleep(std::time::Duration::from_secs(22)).await;
    let (plan, json) = block_in_place(|| ws.plan());
    let text = format!("{}{}", plan.stdout, plan.stderr);
    assert_eq!(plan.code, 2, "{text}");
    assert!(
        text.contains("Imported identity expired"),
        "refresh warns: {text}"
    );
    let json = json.expect("plan json");
    let changes = support::planned_changes(&json);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, ["update"], "{text}");
    assert_eq!(
        json["resource_changes"][0]["change"]["after_unknown"]["expires_at"], true,
        "{text}"
    );
    let out = block_in_place(|| ws.apply());
    let text = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(out.code, 1, "{text}");
    assert!(text.contains("Error: Certificate expired"), "{text}");
    assert!(text.contains("certificate    = file("), "{text}");
    let kept = block_in_place(|| ws.resource_values(ADDRESS)).expect("still in state");
    assert!(
        kept["expires_at"].is_string(),
        "the failed apply keeps the state: {kept}"
    );

    // Destroy leaves nothing, even with an expired identity in state.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(block_in_place(|| ws.state_resources()).is_empty());

    // Created anew, the expired identity fails at plan, at the certificate.
    let (plan, _) = block_in_place(|| ws.plan());
    let text = format!("{}{}", plan.stdout, plan.stderr);
    assert_eq!(plan.code, 1, "{text}");
    assert!(text.contains("Certificate expired"), "{text}");
    assert!(text.contains("certificate    = file("), "{text}");
    assert!(block_in_place(|| ws.state_resources()).is_empty());
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}
