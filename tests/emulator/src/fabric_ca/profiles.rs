//! Signing profiles of the two CAs of a console-deployed CA server, as fabric-operator writes
//! their configuration (`defaultconfig/ca/ca.yaml`, `defaultconfig/ca/tlsca.yaml`) and
//! fabric-ca v1.5.5 completes it (`lib/ca.go` initConfig / initSigningProfile): the TLS CA's
//! *default* profile is the TLS one (docs/dev/fabric-ca.md#signing-profiles).

use std::collections::BTreeMap;

use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};
use serde::{Deserialize, Serialize};

use super::state::TLSCA_NAME;

/// One cfssl signing profile (`config.SigningProfile`): usages, lifetime, CA constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SigningProfile {
    /// cfssl usage names ("digital signature", "server auth", …).
    pub usage: Vec<String>,
    /// Lifetime of issued certificates, hours (cfssl `expiry`).
    pub expiry_hours: i64,
    /// `caconstraint.isca`: the profile issues intermediate CA certificates.
    pub is_ca: bool,
}

impl SigningProfile {
    fn new(usage: &[&str], expiry_hours: i64, is_ca: bool) -> Self {
        SigningProfile {
            usage: usage.iter().map(|u| (*u).to_owned()).collect(),
            expiry_hours,
            is_ca,
        }
    }

    /// cfssl `SigningProfile.Usages`: key usages and extended key usages (unknown names are
    /// ignored, as cfssl only warns about them).
    pub(crate) fn usages(&self) -> (Vec<KeyUsagePurpose>, Vec<ExtendedKeyUsagePurpose>) {
        let mut key = Vec::new();
        let mut ext = Vec::new();
        for u in &self.usage {
            match u.as_str() {
                "signing" | "digital signature" => key.push(KeyUsagePurpose::DigitalSignature),
                "content commitment" => key.push(KeyUsagePurpose::ContentCommitment),
                "key encipherment" => key.push(KeyUsagePurpose::KeyEncipherment),
                "key agreement" => key.push(KeyUsagePurpose::KeyAgreement),
                "data encipherment" => key.push(KeyUsagePurpose::DataEncipherment),
                "cert sign" => key.push(KeyUsagePurpose::KeyCertSign),
                "crl sign" => key.push(KeyUsagePurpose::CrlSign),
                "encipher only" => key.push(KeyUsagePurpose::EncipherOnly),
                "decipher only" => key.push(KeyUsagePurpose::DecipherOnly),
                "any" => ext.push(ExtendedKeyUsagePurpose::Any),
                "server auth" => ext.push(ExtendedKeyUsagePurpose::ServerAuth),
                "client auth" => ext.push(ExtendedKeyUsagePurpose::ClientAuth),
                "code signing" => ext.push(ExtendedKeyUsagePurpose::CodeSigning),
                "email protection" | "s/mime" => ext.push(ExtendedKeyUsagePurpose::EmailProtection),
                "timestamping" => ext.push(ExtendedKeyUsagePurpose::TimeStamping),
                "ocsp signing" => ext.push(ExtendedKeyUsagePurpose::OcspSigning),
                _ => {}
            }
        }
        (key, ext)
    }
}

/// A CA's `signing` section after fabric-ca's initConfig.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SigningConfig {
    pub default: SigningProfile,
    pub profiles: BTreeMap<String, SigningProfile>,
}

/// fabric-ca `initSigningProfile` for a profile the configuration lacks: usage cert sign +
/// crl sign, the given lifetime (`lib/ca.go`: 43800 h for `ca`, 8760 h for `tls`).
fn completed(expiry_hours: i64, is_ca: bool) -> SigningProfile {
    SigningProfile::new(&["cert sign", "crl sign"], expiry_hours, is_ca)
}

/// The TLS usages of both operator files (`signing`, `key encipherment`, `server auth`,
/// `client auth`, `key agreement`).
const TLS_USAGE: [&str; 5] = [
    "signing",
    "key encipherment",
    "server auth",
    "client auth",
    "key agreement",
];

impl SigningConfig {
    /// The configuration of the CA called `ca_name` on a console-deployed server (`tlsca`
    /// has the TLS CA's file, any other name the enrollment CA's).
    pub(crate) fn for_ca(ca_name: &str) -> Self {
        if ca_name == TLSCA_NAME {
            // tlsca.yaml: only a default profile (the TLS one, 131400 h); initConfig adds
            // `ca` and `tls` as cert sign + crl sign.
            let profiles = BTreeMap::from([
                ("ca".to_owned(), completed(43_800, true)),
                ("tls".to_owned(), completed(8_760, false)),
            ]);
            return SigningConfig {
                default: SigningProfile::new(&TLS_USAGE, 131_400, false),
                profiles,
            };
        }
        // ca.yaml: default digital signature 8760 h; `ca` cert sign + crl sign 43800 h, isca;
        // `tls` with the TLS usages, 87600 h.
        let profiles = BTreeMap::from([
            (
                "ca".to_owned(),
                SigningProfile::new(&["cert sign", "crl sign"], 43_800, true),
            ),
            (
                "tls".to_owned(),
                SigningProfile::new(&TLS_USAGE, 87_600, false),
            ),
        ]);
        SigningConfig {
            default: SigningProfile::new(&["digital signature"], 8_760, false),
            profiles,
        }
    }

    /// `getSigningProfile` (`lib/serverenroll.go`): "" is the default; an unknown name is
    /// `None` (fabric-ca: `Invalid profile: '<name>'`).
    pub(crate) fn profile(&self, name: &str) -> Option<&SigningProfile> {
        if name.is_empty() {
            Some(&self.default)
        } else {
            self.profiles.get(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlsca_default_is_the_tls_profile() {
        let tlsca = SigningConfig::for_ca("tlsca");
        let (key, ext) = tlsca.profile("").unwrap().usages();
        assert_eq!(
            key,
            [
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
                KeyUsagePurpose::KeyAgreement
            ]
        );
        assert_eq!(
            ext,
            [
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth
            ]
        );
        // An explicit `tls` at tlsca is initSigningProfile's completion, not a TLS profile.
        let (key, ext) = tlsca.profile("tls").unwrap().usages();
        assert_eq!(
            key,
            [KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]
        );
        assert!(ext.is_empty());
        assert!(tlsca.profile("nosuch").is_none());
    }

    #[test]
    fn ca_profiles_follow_the_operator_file() {
        let ca = SigningConfig::for_ca("ca");
        assert_eq!(ca.default.expiry_hours, 8_760);
        assert!(ca.profile("ca").unwrap().is_ca);
        let (_, ext) = ca.profile("tls").unwrap().usages();
        assert_eq!(ext.len(), 2);
        assert_eq!(ca.profile("tls").unwrap().expiry_hours, 87_600);
    }
}
