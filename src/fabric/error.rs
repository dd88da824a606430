//! What a Fabric CA call can end with, and how the CA's own `{errors:[{code,message}]}`
//! maps to kinds a caller decides on (docs/dev/fabric-ca.md#error-codes; docs/dev/fabric-ca.md#refusal-kinds).

use thiserror::Error;

use crate::net::tls;

/// Why the CA said no, from its error code (fabric-ca `lib/caerrors/servererror.go`) and
/// the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Code 19: no CA of that name in the server.
    UnknownCa,
    /// 401 / code 20: a wrong secret, a bad token, a certificate from another CA; the CA
    /// keeps the reason for its log.
    AuthenticationFailure,
    /// 403 / code 71 and the registrar rules: the caller may not do this.
    AuthorizationFailure,
    /// 404 / code 63: no such identity (or certificate).
    NotFound,
    /// Code 74: the enroll id is taken.
    AlreadyRegistered,
    /// Code 56: removing identities is off on this CA, or removing oneself without `force`.
    RemovalRefused,
    /// Code 66: the certificate was revoked before.
    AlreadyRevoked,
    /// Any other 4xx: the request itself is wrong (a bad CSR, an invalid value).
    BadRequest,
    /// 5xx.
    Server,
}

impl Refusal {
    /// The code decides where it names the case; the status otherwise.
    pub fn classify(status: u16, code: Option<i64>) -> Self {
        match (code, status) {
            (Some(19), _) => Refusal::UnknownCa,
            (Some(74), _) => Refusal::AlreadyRegistered,
            (Some(66), _) => Refusal::AlreadyRevoked,
            (Some(56), _) => Refusal::RemovalRefused,
            (Some(63), _) | (_, 404) => Refusal::NotFound,
            (Some(20), _) | (_, 401) => Refusal::AuthenticationFailure,
            (Some(71), _) | (_, 403) => Refusal::AuthorizationFailure,
            (_, s) if s >= 500 => Refusal::Server,
            _ => Refusal::BadRequest,
        }
    }
}

/// A failed Fabric CA call; `request` is `"POST /api/v1/register"` (no host, query or
/// credentials).
#[derive(Debug, Clone, Error, PartialEq)]
pub enum FabricCaError {
    #[error("invalid Fabric CA setting: {0}")]
    Config(String),
    /// Nothing reached the CA (or, for a read, the answer was lost): safe to try again.
    #[error("{request}: could not reach the Fabric CA: {detail}")]
    Transport { request: String, detail: String },
    #[error("{request}: the Fabric CA did not answer in time")]
    Timeout { request: String },
    #[error("{request}: the Fabric CA's answer could not be read: {detail}")]
    Decode { request: String, detail: String },
    /// The CA said no, in its own words (`msg`: each `message (code N)`).
    #[error("{request}: the Fabric CA answered {status}: {msg}")]
    Refused {
        request: String,
        status: u16,
        refusal: Refusal,
        /// The first error code the CA sent.
        code: Option<i64>,
        msg: String,
    },
    /// A call that changes the CA (enroll, register, reenroll, revoke) was sent but its answer
    /// was lost: the CA may have done it. Never retried blindly.
    #[error("{request}: the Fabric CA may or may not have done it: {detail}")]
    Uncertain { request: String, detail: String },
    #[error("{request}: cancelled because Terraform asked the provider to stop")]
    Cancelled { request: String },
    /// A key, CSR or token could not be made (before anything was sent).
    #[error("{request}: {detail}")]
    Credentials { request: String, detail: String },
}

impl FabricCaError {
    /// Errors a starting CA gives (nothing listening yet, TLS not up, a proxy's 5xx, a
    /// stalled answer): waiting may end them. Configuration and trust errors it will not.
    pub fn is_not_serving_yet(&self) -> bool {
        match self {
            FabricCaError::Transport { detail, .. } => !tls::is_certificate_rejection(detail),
            FabricCaError::Timeout { .. } | FabricCaError::Decode { .. } => true,
            FabricCaError::Refused { status, .. } => *status >= 500,
            FabricCaError::Config(_)
            | FabricCaError::Cancelled { .. }
            | FabricCaError::Uncertain { .. }
            | FabricCaError::Credentials { .. } => false,
        }
    }

    /// Why the CA refused, when it did.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            FabricCaError::Refused { refusal, .. } => Some(*refusal),
            _ => None,
        }
    }

    /// Whether the CA may have carried out the call although it failed.
    pub fn is_uncertain(&self) -> bool {
        matches!(self, FabricCaError::Uncertain { .. })
    }
}

impl From<tls::TlsError> for FabricCaError {
    fn from(e: tls::TlsError) -> Self {
        FabricCaError::Config(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status and code of every recorded refusal (tests/fixtures/fabric/ca/error_*) and the
    /// fabric-ca codes the identity resources meet.
    #[test]
    fn recorded_refusals_classify() {
        for (status, code, want) in [
            (404, 19, Refusal::UnknownCa),             // error_cainfo_unknown_ca
            (401, 20, Refusal::AuthenticationFailure), // error_enroll_wrong_secret, error_bad_token_*
            (409, 74, Refusal::AlreadyRegistered),     // error_register_duplicate
            (404, 63, Refusal::NotFound),              // GetUser: no rows
            (403, 56, Refusal::RemovalRefused),        // identity removal disabled
            (403, 71, Refusal::AuthorizationFailure),
            (403, 77, Refusal::AuthorizationFailure), // CSR CN is not the enroll id
            (400, 31, Refusal::BadRequest),
            (404, 66, Refusal::AlreadyRevoked),
            (500, 0, Refusal::Server),
        ] {
            assert_eq!(
                Refusal::classify(status, Some(code)),
                want,
                "{status}/{code}"
            );
        }
        assert_eq!(Refusal::classify(502, None), Refusal::Server);
    }
}
