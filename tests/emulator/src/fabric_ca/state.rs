//! The persisted state of one emulated Fabric CA server: two CAs (`ca`, `tlsca`), each with
//! its root key/cert and identity registry, plus the server's TLS certificate.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use rcgen::{KeyPair, SerialNumber, PKCS_ECDSA_P384_SHA384};
use serde::{Deserialize, Serialize};

use super::certs::{self, KeyAndCert};
use super::error::CaError;
use super::profiles::SigningConfig;

/// Name of the default (enrollment) CA, as IBP names it (console `ca_name`).
pub(crate) const CA_NAME: &str = "ca";
/// Name of the TLS CA, as IBP names it (console `tlsca_name`).
pub(crate) const TLSCA_NAME: &str = "tlsca";
/// The CA registry's `max_enrollments` default: -1, unlimited (fabric-ca `registry.maxenrollments`).
pub(crate) const CA_MAX_ENROLLMENTS: i64 = -1;
/// `cfg.identities.passwordattempts` of both fabric-operator configuration files.
pub(crate) const DEFAULT_PASSWORD_ATTEMPTS: u32 = 10;

/// An identity the CA registers at start-up (IBP `config_override.ca.registry.identities`).
#[derive(Clone, Serialize, Deserialize)]
pub struct BootstrapIdentity {
    /// Enrollment ID.
    pub name: String,
    /// Enrollment secret.
    pub pass: String,
    /// Identity type, normally `"client"` (fabric-ca `lib/server.go` bootstrap user).
    pub kind: String,
}

impl fmt::Debug for BootstrapIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapIdentity")
            .field("name", &self.name)
            .field("pass", &"[redacted]")
            .field("kind", &self.kind)
            .finish()
    }
}

/// One attribute of a registered identity (fabric-ca `api.Attribute`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityAttr {
    /// Attribute name, e.g. `hf.Registrar.Roles`.
    pub name: String,
    /// Attribute value.
    pub value: String,
    /// Whether enrollment certificates carry it by default.
    #[serde(default)]
    pub ecert: bool,
}

/// A registry entry of one CA.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Identity {
    /// Enrollment ID.
    pub id: String,
    /// Enrollment secret (kept in clear: this is a test emulator).
    pub secret: String,
    /// Identity type (`client`, `peer`, `admin`, `orderer`, …); becomes the cert's OU.
    #[serde(rename = "type")]
    pub kind: String,
    /// Affiliation (`""` = root).
    pub affiliation: String,
    /// Attributes, in registration order.
    pub attrs: Vec<IdentityAttr>,
    /// -1 = unlimited.
    pub max_enrollments: i64,
    /// Successful enrollments so far (fabric-ca's `state` column).
    pub enrollments: u64,
    /// Revoked by `POST /revoke` with its id (fabric-ca's `state` -1): it can no longer enroll.
    #[serde(default)]
    pub revoked: bool,
    /// Wrong passwords since the last good one (`incorrect_password_attempts`).
    #[serde(default)]
    pub incorrect_password_attempts: u32,
    /// Registration order (the users table's row order, which `GET /identities` follows).
    #[serde(default)]
    pub registered: u64,
}

impl Identity {
    /// The value of attribute `name`, if the identity has it (the last one of that name wins,
    /// as in fabric-ca's attribute map, `lib/server/user/user.go` New).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .rev()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The attributes as fabric-ca's `GetAttributes(nil)` returns them: one per name, the
    /// last value winning. (fabric-ca iterates a Go map, so its order is random; ours is the
    /// order of first appearance.)
    pub fn effective_attrs(&self) -> Vec<IdentityAttr> {
        let mut out: Vec<IdentityAttr> = Vec::new();
        for a in &self.attrs {
            match out.iter_mut().find(|o| o.name == a.name) {
                Some(existing) => *existing = a.clone(),
                None => out.push(a.clone()),
            }
        }
        out
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("type", &self.kind)
            .field("affiliation", &self.affiliation)
            .field("attrs", &self.attrs)
            .field("max_enrollments", &self.max_enrollments)
            .field("enrollments", &self.enrollments)
            .field("revoked", &self.revoked)
            .finish()
    }
}

/// One CA hosted by the server.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct CaInstance {
    pub name: String,
    pub root_cert_pem: String,
    /// PKCS#8 PEM.
    pub root_key_pem: String,
    /// base64 Idemix issuer public key (random filler, see [`idemix_issuer_public_key`]).
    pub issuer_public_key: String,
    /// PEM of a real P-384 public key, like fabric-ca's revocation key.
    pub issuer_revocation_public_key_pem: String,
    pub identities: BTreeMap<String, Identity>,
    /// The `signing` section; `None` in states saved before it existed (then the default).
    #[serde(default)]
    pub signing: Option<SigningConfig>,
    /// `registry.maxenrollments` (-1 in both fabric-operator files).
    #[serde(default = "unlimited")]
    pub max_enrollments: i64,
    /// The affiliation tree, every node as its full dotted name; empty on a console-deployed
    /// CA (the operator files have `affiliations:` empty), so only the root `""` exists.
    #[serde(default)]
    pub affiliations: BTreeSet<String>,
    /// `cfg.identities.allowremove`: fabric-operator's `setDefaults` turns it on for every CA.
    #[serde(default = "enabled")]
    pub allow_remove: bool,
    /// `cfg.identities.passwordattempts` (10 in the operator files).
    #[serde(default = "password_attempts")]
    pub password_attempts: u32,
    /// The certificates table: every certificate this CA issued.
    #[serde(default)]
    pub certificates: Vec<CertRecord>,
}

/// One row of fabric-ca's `certificates` table (`lib/certdbaccessor.go`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CertRecord {
    /// Enrollment ID of the owner.
    pub id: String,
    /// Lower-case hex, leading zeros trimmed (`util.GetSerialAsHex` + TrimLeft "0").
    pub serial: String,
    /// Lower-case hex of the authority key id, leading zeros trimmed.
    pub aki: String,
    /// Unix seconds.
    pub not_after: i64,
    /// Unix seconds of the revocation, when revoked.
    pub revoked_at: Option<i64>,
    /// RFC 5280 reason code when revoked.
    pub reason: u8,
    pub pem: String,
}

fn unlimited() -> i64 {
    CA_MAX_ENROLLMENTS
}

fn enabled() -> bool {
    true
}

fn password_attempts() -> u32 {
    DEFAULT_PASSWORD_ATTEMPTS
}

impl CaInstance {
    /// This CA's signing profiles.
    pub(crate) fn signing(&self) -> SigningConfig {
        self.signing
            .clone()
            .unwrap_or_else(|| SigningConfig::for_ca(&self.name))
    }
}

/// The whole state of one emulated CA server; serialisable so the console can persist it.
#[derive(Clone, Serialize, Deserialize)]
pub struct FabricCaState {
    /// `[ca, tlsca]`; the first one is the default CA.
    cas: Vec<CaInstance>,
    tls_cert_pem: String,
    tls_key_pem: String,
    /// Counter folded into every issued serial number so serials never repeat.
    next_serial: u64,
}

impl fmt::Debug for FabricCaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registries: Vec<(&str, Vec<&Identity>)> = self
            .cas
            .iter()
            .map(|ca| (ca.name.as_str(), ca.identities.values().collect()))
            .collect();
        f.debug_struct("FabricCaState")
            .field("registries", &registries)
            .field("next_serial", &self.next_serial)
            .field("keys", &"[redacted]")
            .finish()
    }
}

impl FabricCaState {
    /// Create both CAs with fresh P-256 roots, register the bootstrap identities and issue
    /// the server's TLS certificate (signed by the `ca` root). Root CNs get a random org-like
    /// prefix so two emulated CAs never share a subject.
    pub fn generate(
        ca_bootstrap: &[BootstrapIdentity],
        tlsca_bootstrap: &[BootstrapIdentity],
    ) -> Result<Self, CaError> {
        let prefix = format!("org{:08x}", rand::random::<u32>());
        Self::generate_with_prefix(&prefix, ca_bootstrap, tlsca_bootstrap)
    }

    /// Like [`generate`](Self::generate) with root CNs `<prefix>ca` and `<prefix>tlsca`
    /// (the recorded Org1 server uses `org1ca` / `org1tlsca`).
    pub fn generate_with_prefix(
        cn_prefix: &str,
        ca_bootstrap: &[BootstrapIdentity],
        tlsca_bootstrap: &[BootstrapIdentity],
    ) -> Result<Self, CaError> {
        let mut state = FabricCaState {
            cas: Vec::with_capacity(2),
            tls_cert_pem: String::new(),
            tls_key_pem: String::new(),
            next_serial: 1,
        };
        for (name, cn, bootstrap) in [
            (CA_NAME, format!("{cn_prefix}ca"), ca_bootstrap),
            (TLSCA_NAME, format!("{cn_prefix}tlsca"), tlsca_bootstrap),
        ] {
            let serial = state.next_serial();
            let root = certs::generate_root(&cn, serial)?;
            let instance = new_instance(name, root, bootstrap)?;
            state.cas.push(instance);
        }
        let serial = state.next_serial();
        let default_ca = state
            .cas
            .first()
            .ok_or_else(|| CaError::InvalidMaterial("no default CA".to_owned()))?;
        let tls = certs::generate_server_tls(
            &default_ca.root_cert_pem,
            &default_ca.root_key_pem,
            serial,
        )?;
        state.tls_cert_pem = tls.cert_pem;
        state.tls_key_pem = tls.key_pem;
        Ok(state)
    }

    /// Name of the default CA: `"ca"`.
    pub fn ca_name(&self) -> &str {
        CA_NAME
    }

    /// Name of the TLS CA: `"tlsca"`.
    pub fn tlsca_name(&self) -> &str {
        TLSCA_NAME
    }

    /// PEM root certificate of the `ca` CA (the MSP root; also the HTTPS trust root).
    pub fn ca_root_pem(&self) -> &str {
        self.root_pem(CA_NAME).unwrap_or_default()
    }

    /// PEM root certificate of the `tlsca` CA.
    pub fn tlsca_root_pem(&self) -> &str {
        self.root_pem(TLSCA_NAME).unwrap_or_default()
    }

    /// PEM certificate the HTTPS server presents (signed by the `ca` root).
    pub fn tls_cert_pem(&self) -> &str {
        &self.tls_cert_pem
    }

    /// PEM root certificate of the named CA.
    pub fn root_pem(&self, ca_name: &str) -> Option<&str> {
        self.instance(ca_name).map(|ca| ca.root_cert_pem.as_str())
    }

    /// A registered identity of the named CA.
    pub fn identity(&self, ca_name: &str, id: &str) -> Option<&Identity> {
        self.instance(ca_name)?.identities.get(id)
    }

    /// Set `cfg.identities.allowremove` of the named CA (on by default, as fabric-operator
    /// deploys CAs); returns false if there is no such CA.
    pub fn set_identity_removal(&mut self, ca_name: &str, allow: bool) -> bool {
        self.instance_mut(ca_name)
            .map(|ca| ca.allow_remove = allow)
            .is_some()
    }

    /// Add an affiliation (and its parents) to the named CA, as the `affiliations` section of
    /// a configuration override would; returns false if there is no such CA.
    pub fn add_affiliation(&mut self, ca_name: &str, affiliation: &str) -> bool {
        let Some(ca) = self.instance_mut(ca_name) else {
            return false;
        };
        let mut path = String::new();
        for part in affiliation.split('.').filter(|p| !p.is_empty()) {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(part);
            ca.affiliations.insert(path.clone());
        }
        true
    }

    /// Set `registry.maxenrollments` of the named CA; returns false if there is no such CA.
    pub fn set_max_enrollments(&mut self, ca_name: &str, max: i64) -> bool {
        self.instance_mut(ca_name)
            .map(|ca| ca.max_enrollments = max)
            .is_some()
    }

    pub(crate) fn tls_key_pem(&self) -> &str {
        &self.tls_key_pem
    }

    pub(crate) fn instance(&self, ca_name: &str) -> Option<&CaInstance> {
        self.cas.iter().find(|ca| ca.name == ca_name)
    }

    pub(crate) fn instance_mut(&mut self, ca_name: &str) -> Option<&mut CaInstance> {
        self.cas.iter_mut().find(|ca| ca.name == ca_name)
    }

    /// The default CA's name (the first CA), used when a request names none.
    pub(crate) fn default_ca_name(&self) -> &str {
        self.cas
            .first()
            .map(|ca| ca.name.as_str())
            .unwrap_or(CA_NAME)
    }

    /// The next value of the persisted counter (also used to order registrations).
    pub(crate) fn next_sequence(&mut self) -> u64 {
        let n = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        n
    }

    /// A fresh serial number; advances the persisted counter.
    pub(crate) fn next_serial(&mut self) -> SerialNumber {
        let serial = certs::serial_from_counter(self.next_serial);
        self.next_serial = self.next_serial.wrapping_add(1);
        serial
    }
}

/// Build a CA with its bootstrap registry.
fn new_instance(
    name: &str,
    root: KeyAndCert,
    bootstrap: &[BootstrapIdentity],
) -> Result<CaInstance, CaError> {
    let mut identities = BTreeMap::new();
    for b in bootstrap {
        let identity = bootstrap_identity(b)?;
        // fabric-ca `CA.addIdentity(errIfFound=false)`: an existing identity is kept.
        identities.entry(identity.id.clone()).or_insert(identity);
    }
    let revocation_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384)?;
    Ok(CaInstance {
        name: name.to_owned(),
        root_cert_pem: root.cert_pem,
        root_key_pem: root.key_pem,
        issuer_public_key: idemix_issuer_public_key(),
        issuer_revocation_public_key_pem: revocation_key.public_key_pem(),
        identities,
        signing: Some(SigningConfig::for_ca(name)),
        max_enrollments: CA_MAX_ENROLLMENTS,
        affiliations: BTreeSet::new(),
        allow_remove: true,
        password_attempts: DEFAULT_PASSWORD_ATTEMPTS,
        certificates: Vec::new(),
    })
}

/// A bootstrap registrar exactly as fabric-ca v1.5.5 `lib/server.go` registers it: the
/// registrar attributes below, none of them in ecerts (the recorded bootstrap-admin cert has
/// no attribute extension), max enrollments from the CA (-1).
pub(crate) fn bootstrap_identity(b: &BootstrapIdentity) -> Result<Identity, CaError> {
    if b.name.is_empty() || b.pass.is_empty() {
        return Err(CaError::InvalidBootstrap {
            name: b.name.clone(),
            reason: "empty identity name and/or pass not allowed",
        });
    }
    let kind = if b.kind.is_empty() { "client" } else { &b.kind };
    let attrs = [
        ("hf.Registrar.Roles", "*"),
        ("hf.Registrar.DelegateRoles", "*"),
        ("hf.Revoker", "true"),
        ("hf.IntermediateCA", "true"),
        ("hf.GenCRL", "true"),
        ("hf.Registrar.Attributes", "*"),
        ("hf.AffiliationMgr", "true"),
    ]
    .into_iter()
    .map(|(name, value)| IdentityAttr {
        name: name.to_owned(),
        value: value.to_owned(),
        ecert: false,
    })
    .collect();
    Ok(Identity {
        id: b.name.clone(),
        secret: b.pass.clone(),
        kind: kind.to_owned(),
        affiliation: String::new(),
        attrs,
        max_enrollments: CA_MAX_ENROLLMENTS,
        ..Identity::default()
    })
}

/// Total size of the recorded `IssuerPublicKey` (843 bytes in both recorded CAs).
const IDEMIX_KEY_LEN: usize = 843;

/// A stand-in Idemix issuer public key. The emulator does not implement Idemix: the real
/// protobuf starts with the four attribute names (copied here, as recorded), and the rest —
/// curve points and proofs — is random filler of the recorded total length.
fn idemix_issuer_public_key() -> String {
    let mut bytes = Vec::with_capacity(IDEMIX_KEY_LEN);
    for name in ["OU", "Role", "EnrollmentID", "RevocationHandle"] {
        bytes.push(0x0a); // field 1 (attribute_names), length-delimited
        bytes.push(name.len() as u8);
        bytes.extend_from_slice(name.as_bytes());
    }
    while bytes.len() < IDEMIX_KEY_LEN {
        bytes.push(rand::random());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The bootstrap admin the tests create CAs with.
    pub(crate) fn admin() -> BootstrapIdentity {
        BootstrapIdentity {
            name: "admin".into(),
            pass: "adminpw".into(),
            kind: "client".into(),
        }
    }

    #[test]
    fn generate_creates_two_cas_with_registrar_admins_and_round_trips() {
        let state = FabricCaState::generate_with_prefix("org1", &[admin()], &[admin()]).unwrap();
        assert_eq!(state.ca_name(), "ca");
        assert_eq!(state.tlsca_name(), "tlsca");
        assert_ne!(state.ca_root_pem(), state.tlsca_root_pem());
        assert!(state.tls_cert_pem().contains("BEGIN CERTIFICATE"));
        let admin = state.identity("tlsca", "admin").unwrap();
        assert_eq!(admin.attr("hf.Registrar.Roles"), Some("*"));
        assert_eq!(admin.max_enrollments, -1);
        assert!(admin.attrs.iter().all(|a| !a.ecert));

        let json = serde_json::to_string(&state).unwrap();
        let back: FabricCaState = serde_json::from_str(&json).unwrap();
        assert_eq!(back.ca_root_pem(), state.ca_root_pem());
        assert_eq!(back.next_serial, state.next_serial);
    }

    #[test]
    fn debug_output_never_shows_secrets_or_keys() {
        let state = FabricCaState::generate(&[admin()], &[]).unwrap();
        let text = format!("{state:?} {:?}", admin());
        assert!(!text.contains("adminpw"));
        assert!(!text.contains("PRIVATE KEY"));
    }

    #[test]
    fn empty_bootstrap_password_is_refused() {
        let bad = BootstrapIdentity {
            pass: String::new(),
            ..admin()
        };
        assert!(matches!(
            FabricCaState::generate(&[bad], &[]),
            Err(CaError::InvalidBootstrap { .. })
        ));
    }

    #[test]
    fn idemix_key_has_recorded_length_and_header() {
        let key = base64::engine::general_purpose::STANDARD
            .decode(idemix_issuer_public_key())
            .unwrap();
        assert_eq!(key.len(), IDEMIX_KEY_LEN);
        assert!(key.starts_with(b"\n\x02OU\n\x04Role\n\x0cEnrollmentID\n\x10RevocationHandle"));
    }
}
