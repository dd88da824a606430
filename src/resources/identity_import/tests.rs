//! Unit tests with certificates made here: a CA, leaves with OUs, a mismatched key, an
//! expired certificate, an RSA key, another CA and an intermediate.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use time::{Duration, OffsetDateTime};

use super::*;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn p256() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

fn dn(cn: &str, ous: &[&str]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    // rcgen keeps one value per type: the second OU goes in under the OU's OID (2.5.4.11),
    // which encodes the same as a second OrganizationalUnitName.
    for (i, ou) in ous.iter().enumerate() {
        let ty = if i == 0 {
            DnType::OrganizationalUnitName
        } else {
            DnType::CustomDnType(vec![2, 5, 4, 11])
        };
        dn.push(ty, *ou);
    }
    assert!(ous.len() <= 2, "two OUs at most");
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = dn(cn, &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

struct Ca(CertifiedIssuer<'static, KeyPair>);

impl Ca {
    fn root(cn: &str) -> Ca {
        Ca(CertifiedIssuer::self_signed(ca_params(cn), p256()).unwrap())
    }

    fn intermediate(&self, cn: &str) -> Ca {
        Ca(CertifiedIssuer::signed_by(ca_params(cn), p256(), &self.0).unwrap())
    }

    fn pem(&self) -> String {
        self.0.pem()
    }

    /// A leaf for `key` with the OUs, valid from `from` to `to` relative to now.
    fn leaf_for(
        &self,
        key: &KeyPair,
        cn: &str,
        ous: &[&str],
        from: Duration,
        to: Duration,
    ) -> String {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(cn, ous);
        params.not_before = now() + from;
        params.not_after = now() + to;
        params.use_authority_key_identifier_extension = true; // as Fabric CA does
        params.signed_by(key, &self.0).unwrap().pem()
    }

    fn leaf(&self, key: &KeyPair, ous: &[&str]) -> String {
        self.leaf_for(
            key,
            "org1admin",
            ous,
            -Duration::days(1),
            Duration::days(365),
        )
    }
}

fn model(cert: &str, key: &str) -> IdentityImportModel {
    IdentityImportModel {
        certificate: Tf::Known(cert.to_owned()),
        private_key: Tf::Known(key.to_owned()),
        msp_id: Tf::Known("Org1MSP".to_owned()),
        ..IdentityImportModel::default()
    }
}

fn with_roots(mut m: IdentityImportModel, roots: &[String]) -> IdentityImportModel {
    m.msp_root_certs = Tf::Known(roots.to_vec());
    m
}

/// Runs every check; panics unless it fails with exactly one error, at `path`; returns it.
fn fails_at(m: &IdentityImportModel, path: AttributePath) -> Diagnostic {
    let mut diags = Diagnostics::new();
    let out = check(m, now(), OnExpired::Fail, &mut diags);
    assert!(out.is_none(), "expected a failure at {path}");
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{diags:?}");
    assert_eq!(errors[0].attribute.as_ref(), Some(&path), "{:?}", errors[0]);
    errors[0].clone()
}

fn passes(m: &IdentityImportModel) -> (Outputs, Diagnostics) {
    let mut diags = Diagnostics::new();
    let out = check(m, now(), OnExpired::Fail, &mut diags);
    assert!(!diags.has_errors(), "{diags:?}");
    (out.expect("outputs"), diags)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// No diagnostic shows any line of the key's PEM body.
fn assert_no_key(diags: &[Diagnostic], key_pem: &str) {
    for d in diags {
        let text = format!("{d:?}");
        for line in key_pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "key material in {text}");
        }
    }
}

#[test]
fn a_valid_admin_identity_passes_and_carries_everything() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let cert = ca.leaf(&key, &["admin", "org1"]);
    let mut m = with_roots(model(&cert, &key.serialize_pem()), &[ca.pem()]);
    m.require_admin = Tf::Known(true);
    let (out, diags) = passes(&m);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(out.enroll_id, "org1admin");
    assert_eq!(out.ous, ["admin", "org1"]);
    assert_eq!(
        out.identity.name.as_str(),
        Some("org1admin"),
        "CN by default"
    );
    assert_eq!(out.identity.msp_id.as_str(), Some("Org1MSP"));
    assert_eq!(out.identity.certificate.as_str(), Some(cert.as_str()));
    assert_eq!(out.identity.ca_chain.known().unwrap(), &[ca.pem()]);
    let carried = out.identity.private_key.known().unwrap();
    let again = PrivateKey::from_pem(carried).unwrap();
    assert_eq!(again.public_key_point(), key.public_key_raw());
    assert!(out.expires_at.ends_with('Z'), "{}", out.expires_at);
    let parsed = Certificate::from_pem(&cert).unwrap();
    let info = parsed.info();
    assert_eq!(
        out.id,
        format!("{}/{}", info.authority_key_id_hex, info.serial_hex)
    );
    // The same inputs give the same outputs: plan and apply agree.
    assert!(passes(&m).0 == out);
}

#[test]
fn a_mismatched_key_fails_at_private_key() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let other = p256();
    let cert = ca.leaf(&key, &["admin"]);
    let d = fails_at(
        &model(&cert, &other.serialize_pem()),
        attr!(IdentityImportModel, private_key),
    );
    assert!(d.summary.contains("does not match"), "{d:?}");
    assert_no_key(&[d], &other.serialize_pem());
}

#[test]
fn an_rsa_key_fails_at_private_key_and_an_rsa_certificate_at_certificate() {
    let ca = Ca::root("org1ca");
    let rsa = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let key = p256();
    let cert = ca.leaf(&key, &["admin"]);
    let d = fails_at(
        &model(&cert, &rsa.serialize_pem()),
        attr!(IdentityImportModel, private_key),
    );
    assert!(d.detail.contains("RSA"), "{d:?}");
    assert_no_key(&[d], &rsa.serialize_pem());

    let rsa_cert = ca.leaf(&rsa, &["admin"]);
    let d = fails_at(
        &model(&rsa_cert, &rsa.serialize_pem()),
        attr!(IdentityImportModel, certificate),
    );
    assert!(d.detail.contains("P-256"), "{d:?}");
}

#[test]
fn an_expired_certificate_fails_and_a_closely_expiring_one_warns() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let expired = ca.leaf_for(
        &key,
        "old",
        &["admin"],
        -Duration::days(10),
        -Duration::days(1),
    );
    let d = fails_at(
        &model(&expired, &key.serialize_pem()),
        attr!(IdentityImportModel, certificate),
    );
    assert!(d.summary.contains("expired"), "{d:?}");

    let future = ca.leaf_for(
        &key,
        "later",
        &["admin"],
        Duration::days(1),
        Duration::days(10),
    );
    let d = fails_at(
        &model(&future, &key.serialize_pem()),
        attr!(IdentityImportModel, certificate),
    );
    assert!(d.summary.contains("not yet valid"), "{d:?}");

    let soon = ca.leaf_for(
        &key,
        "soon",
        &["admin"],
        -Duration::days(1),
        Duration::days(5),
    );
    let (_, diags) = passes(&model(&soon, &key.serialize_pem()));
    let warnings: Vec<_> = diags.iter().collect();
    assert_eq!(warnings.len(), 1, "{diags:?}");
    assert!(warnings[0].summary.contains("expires soon"), "{diags:?}");
    assert_eq!(
        warnings[0].attribute.as_ref(),
        Some(&attr!(IdentityImportModel, certificate))
    );
    // A shorter window: no warning.
    let mut quiet = model(&soon, &key.serialize_pem());
    quiet.expiry_warning = Tf::Known("48h".to_owned());
    assert!(passes(&quiet).1.is_empty());
}

#[test]
fn a_certificate_from_another_ca_fails_at_msp_root_certs() {
    let ca = Ca::root("org1ca");
    let other = Ca::root("org2ca");
    let key = p256();
    let cert = other.leaf(&key, &["admin"]);
    let d = fails_at(
        &with_roots(model(&cert, &key.serialize_pem()), &[ca.pem()]),
        attr!(IdentityImportModel, msp_root_certs),
    );
    assert!(d.detail.contains("org2ca"), "names the issuer: {d:?}");
    // One of several roots is enough.
    passes(&with_roots(
        model(&cert, &key.serialize_pem()),
        &[ca.pem(), other.pem()],
    ));
}

#[test]
fn an_intermediate_comes_from_the_attribute_or_the_certificate_bundle() {
    let root = Ca::root("org1ca");
    let inter = root.intermediate("org1ica");
    let key = p256();
    let cert = inter.leaf(&key, &["admin"]);
    let bare = with_roots(model(&cert, &key.serialize_pem()), &[root.pem()]);
    fails_at(&bare, attr!(IdentityImportModel, msp_root_certs));

    let mut given = bare.clone();
    given.msp_intermediate_certs = Tf::Known(vec![inter.pem()]);
    let (out, _) = passes(&given);
    assert_eq!(
        out.identity.ca_chain.known().unwrap(),
        &[inter.pem(), root.pem()]
    );

    let bundled = with_roots(
        model(&format!("{cert}{}", inter.pem()), &key.serialize_pem()),
        &[root.pem()],
    );
    let (out, _) = passes(&bundled);
    assert_eq!(
        out.identity.certificate.as_str(),
        Some(cert.as_str()),
        "the leaf only"
    );
    assert_eq!(
        out.identity.ca_chain.known().unwrap(),
        &[inter.pem(), root.pem()]
    );
}

#[test]
fn a_leaf_given_as_a_root_is_refused_at_its_index() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let cert = ca.leaf(&key, &["admin"]);
    let m = with_roots(
        model(&cert, &key.serialize_pem()),
        &[ca.pem(), cert.clone()],
    );
    let d = fails_at(&m, attr!(IdentityImportModel, msp_root_certs).index(1));
    assert!(d.summary.contains("Not a CA"), "{d:?}");
    let m = with_roots(model(&cert, &key.serialize_pem()), &["garbage".to_owned()]);
    fails_at(&m, attr!(IdentityImportModel, msp_root_certs).index(0));
}

#[test]
fn the_admin_role_needs_the_admin_ou_and_no_other_role() {
    let ca = Ca::root("org1ca");
    let key = p256();
    for (ous, ok) in [
        (&["admin", "org1"][..], true),
        (&["client", "org1"][..], false),
        (&["admin", "client"][..], false),
        (&["org1"][..], false),
    ] {
        let mut m = model(&ca.leaf(&key, ous), &key.serialize_pem());
        m.require_admin = Tf::Known(true);
        if ok {
            passes(&m);
        } else {
            let d = fails_at(&m, attr!(IdentityImportModel, require_admin));
            assert!(d.detail.contains("admin"), "{d:?}");
        }
        m.require_admin = Tf::Known(false);
        passes(&m);
    }
}

#[test]
fn the_console_export_and_the_ansible_file_both_import() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let cert = ca.leaf(&key, &["admin"]);
    let key_pem = key.serialize_pem();
    let console = serde_json::json!({
        "name": "Org1 Admin", "type": "identity", "cert": b64(&cert), "private_key": b64(&key_pem),
    });
    let ansible = serde_json::json!({
        "name": "Org1 Admin", "cert": b64(&cert), "private_key": b64(&key_pem),
        "ca": b64(&ca.pem()), "hsm": false,
    });
    for doc in [console, ansible.clone()] {
        let m = IdentityImportModel {
            identity_json: Tf::Known(doc.to_string()),
            ..IdentityImportModel::default()
        };
        let (out, _) = passes(&m);
        assert_eq!(
            out.identity.name.as_str(),
            Some("Org1 Admin"),
            "the file's name"
        );
        assert_eq!(out.identity.msp_id, Tf::Null);
        assert_eq!(out.enroll_id, "org1admin");
    }
    // The Ansible file's `ca` is the chain when no roots are given.
    let m = IdentityImportModel {
        identity_json: Tf::Known(ansible.to_string()),
        name: Tf::Known("renamed".to_owned()),
        ..IdentityImportModel::default()
    };
    let (out, _) = passes(&m);
    assert_eq!(out.identity.ca_chain.known().unwrap(), &[ca.pem()]);
    assert_eq!(out.identity.name.as_str(), Some("renamed"));

    // Errors inside the file are reported at identity_json, without the key.
    let other = p256();
    let wrong = serde_json::json!({
        "name": "x", "type": "identity", "cert": b64(&cert), "private_key": b64(&other.serialize_pem()),
    });
    let m = IdentityImportModel {
        identity_json: Tf::Known(wrong.to_string()),
        ..IdentityImportModel::default()
    };
    let d = fails_at(&m, attr!(IdentityImportModel, identity_json));
    assert_no_key(&[d], &other.serialize_pem());
}

#[test]
fn sources_conflict_or_are_missing_at_config() {
    let run = |m: IdentityImportModel| {
        let mut diags = Diagnostics::new();
        check_sources(&m, &mut diags);
        diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_else(AttributePath::root))
            .collect::<Vec<_>>()
    };
    let known = |s: &str| Tf::Known(s.to_owned());
    assert_eq!(
        run(IdentityImportModel::default()),
        [attr!(IdentityImportModel, identity_json)]
    );
    assert_eq!(
        run(IdentityImportModel {
            certificate: known("c"),
            ..Default::default()
        }),
        [attr!(IdentityImportModel, private_key)]
    );
    assert_eq!(
        run(IdentityImportModel {
            identity_json: Tf::Unknown,
            certificate: known("c"),
            private_key: known("k"),
            ..Default::default()
        }),
        [attr!(IdentityImportModel, certificate)]
    );
    assert!(run(IdentityImportModel {
        certificate: Tf::Unknown,
        private_key: known("k"),
        ..Default::default()
    })
    .is_empty());
}

#[test]
fn unknown_inputs_wait_for_apply() {
    let mut diags = Diagnostics::new();
    let m = IdentityImportModel {
        certificate: Tf::Unknown,
        private_key: Tf::Known("k".to_owned()),
        ..Default::default()
    };
    assert!(check(&m, now(), OnExpired::Fail, &mut diags).is_none());
    let ca = Ca::root("org1ca");
    let key = p256();
    let mut m = model(&ca.leaf(&key, &["admin"]), &key.serialize_pem());
    m.msp_root_certs = Tf::Unknown;
    assert!(check(&m, now(), OnExpired::Fail, &mut diags).is_none());
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn read_warns_once_the_certificate_expired() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let cert = ca.leaf_for(
        &key,
        "short",
        &["admin"],
        -Duration::days(1),
        Duration::hours(1),
    );
    let m = model(&cert, &key.serialize_pem());
    let (out, _) = passes(&m);
    let mut state = m.clone();
    out.write_to(&mut state);
    let mut diags = Diagnostics::new();
    recheck_expiry(&state, now() + Duration::hours(2), &mut diags);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(!diags.has_errors());
    assert!(diags.iter().all(|d| d.summary.contains("expired")));
    // A plan with this state re-checks at apply (a warning), an apply fails.
    let later = now() + Duration::hours(2);
    let mut planned = Diagnostics::new();
    let out = check(&m, later, OnExpired::Recheck, &mut planned).expect("outputs");
    assert!(out.expired);
    assert!(!planned.has_errors(), "{planned:?}");
    let mut applied = Diagnostics::new();
    assert!(check(&m, later, OnExpired::Fail, &mut applied).is_none());
    assert!(applied.has_errors());
}

#[test]
fn debug_output_never_holds_the_key() {
    let ca = Ca::root("org1ca");
    let key = p256();
    let m = model(&ca.leaf(&key, &["admin"]), &key.serialize_pem());
    let (out, _) = passes(&m);
    let mut state = m.clone();
    out.write_to(&mut state);
    let shown = format!("{state:?} {:?}", state.identity);
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}

// ---- Recorded identities of a real fabric-ca 1.5.5 (tests/fixtures/fabric/README.md) ----------

const CONSOLE_EXPORT: &str =
    include_str!("../../../tests/fixtures/fabric/identities/org1admin_identity.json");
const ANSIBLE_FILE: &str =
    include_str!("../../../tests/fixtures/fabric/identities/org1admin.ansible.json");
const ORG1_ROOT: &str = include_str!("../../../tests/fixtures/fabric/identities/org1-ca-root.pem");
const ORG2_ROOT: &str = include_str!("../../../tests/fixtures/fabric/identities/org2-ca-root.pem");
const USER_CERT: &str =
    include_str!("../../../tests/fixtures/fabric/identities/org1user1.cert.pem");
const USER_KEY: &str = include_str!("../../../tests/fixtures/fabric/identities/org1user1.key.pem");

fn recorded_file(text: &str, roots: &[&str]) -> IdentityImportModel {
    IdentityImportModel {
        identity_json: Tf::Known(text.to_owned()),
        msp_root_certs: Tf::Known(roots.iter().map(|r| (*r).to_owned()).collect()),
        require_admin: Tf::Known(true),
        ..IdentityImportModel::default()
    }
}

#[test]
fn recorded_console_and_ansible_files_of_org1admin_chain_to_the_org1_root() {
    for text in [CONSOLE_EXPORT, ANSIBLE_FILE] {
        let (out, diags) = passes(&recorded_file(text, &[ORG1_ROOT]));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out.enroll_id, "org1admin");
        assert_eq!(out.ous, ["admin"]);
        assert_eq!(out.identity.name.as_str(), Some("org1admin"));
        // Values of the shared identities/index.json: the ca root's SKI and the serial.
        assert_eq!(
            out.id,
            "885b6309359b02f85728876285c46e0da7f823d6/52b4112fda25dec49bac1cdac962c7f7fe818eba"
        );
        assert_eq!(out.expires_at, "2036-11-23T18:54:00Z");
        let chain = out.identity.ca_chain.known().unwrap();
        assert_eq!(chain.len(), 1);
        assert_eq!(chain[0].trim(), ORG1_ROOT.trim());
    }
    fails_at(
        &recorded_file(CONSOLE_EXPORT, &[ORG2_ROOT]),
        attr!(IdentityImportModel, msp_root_certs),
    );
}

#[test]
fn a_recorded_client_identity_is_not_an_admin() {
    let mut m = with_roots(model(USER_CERT, USER_KEY), &[ORG1_ROOT.to_owned()]);
    passes(&m);
    m.require_admin = Tf::Known(true);
    let d = fails_at(&m, attr!(IdentityImportModel, require_admin));
    assert!(d.detail.contains("client"), "{d:?}");
}
