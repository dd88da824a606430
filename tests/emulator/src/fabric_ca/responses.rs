//! fabric-ca's response envelope, byte for byte, and its error model.
//!
//! v1.5.5 `lib/serverendpoint.go` writes `{"result":`, the result through a Go
//! `json.Encoder` (which appends `\n`), then `,"errors":[`, the error (again with `\n`),
//! and `],"messages":[],"success":true|false}`. Hence the recorded newline inside the JSON
//! (docs/dev/fabric-ca.md#newline-inside-the-json).
//! Errors carry a local code/message (logged) and a remote one (sent); authentication
//! and authorization failures send generic messages (`lib/caerrors/servererror.go`).

use serde::Serialize;

/// fabric-ca error codes used by the emulator (`lib/caerrors/servererror.go`, v1.5.5).
pub(crate) mod codes {
    pub const UNKNOWN: u32 = 0;
    pub const METHOD_NOT_ALLOWED: u32 = 1;
    pub const NO_AUTH_HDR: u32 = 2;
    pub const EMPTY_REQ_BODY: u32 = 4;
    pub const BAD_REQ_BODY: u32 = 5;
    pub const NOT_REVOKER: u32 = 7;
    pub const REV_CERT_NOT_FOUND: u32 = 8;
    pub const CERT_WRONG_OWNER: u32 = 9;
    pub const REVOKE_ID_NOT_FOUND: u32 = 10;
    pub const MISSING_REVOKE_ARGS: u32 = 15;
    pub const GETTING_AFFILIATION: u32 = 16;
    pub const CA_NOT_FOUND: u32 = 19;
    pub const AUTHENTICATION_FAILURE: u32 = 20;
    pub const NO_USER_PASS: u32 = 21;
    pub const ENROLL_DISABLED: u32 = 22;
    pub const INVALID_USER: u32 = 23;
    pub const INVALID_PASS: u32 = 24;
    pub const INVALID_TOKEN: u32 = 25;
    pub const UNTRUSTED_CERTIFICATE: u32 = 26;
    pub const CERT_EXPIRED: u32 = 27;
    pub const CERT_REVOKED: u32 = 28;
    pub const CERT_NOT_FOUND: u32 = 30;
    pub const BAD_CSR: u32 = 31;
    pub const NO_GEN_CRL_AUTH: u32 = 35;
    pub const INVALID_REVOKED_AFTER: u32 = 36;
    pub const INVALID_EXPIRED_AFTER: u32 = 37;
    pub const GEN_CRL: u32 = 41;
    pub const REG_ATTR_AUTH: u32 = 42;
    pub const CALLER_NOT_AFFILIATED: u32 = 44;
    pub const GETTING_USER: u32 = 49;
    pub const ADD_IDENTITY: u32 = 52;
    pub const REMOVE_IDENTITY: u32 = 56;
    pub const MODIFYING_IDENTITY: u32 = 58;
    pub const UPDATE_CONFIG_REMOVE_AFF: u32 = 61;
    pub const DB_GET: u32 = 63;
    pub const CERT_ALREADY_REVOKED: u32 = 66;
    pub const AUTHORIZATION_FAILURE: u32 = 71;
    pub const PASSWORD_ATTEMPTS: u32 = 73;
    pub const DUP_IDENTITY_REG: u32 = 74;
    pub const REGISTRAR_REG_AUTH: u32 = 76;
    pub const CN_INVALID_ENROLL: u32 = 77;
    pub const INVOKER_MISS_ATTR: u32 = 78;
    pub const INPUT_VALID_CSR: u32 = 80;
    pub const INVALID_MAX_ENROLL: u32 = 82;
}

/// An error response: HTTP status, what the client sees, and what the server logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: u32,
    pub message: String,
    pub local_code: u32,
    pub local_message: String,
    /// The request changed the state even though it failed (a counted wrong password).
    pub persist: bool,
}

impl ApiError {
    /// `caerrors.NewHTTPErr`: local and remote are the same.
    pub fn http(status: u16, code: u32, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            status,
            code,
            local_code: code,
            local_message: message.clone(),
            message,
            persist: false,
        }
    }

    /// `caerrors.NewAuthenticationErr`: 401, remote code 20 "Authentication failure".
    pub fn authentication(local_code: u32, local_message: impl Into<String>) -> Self {
        ApiError {
            status: 401,
            code: codes::AUTHENTICATION_FAILURE,
            message: "Authentication failure".to_owned(),
            local_code,
            local_message: local_message.into(),
            persist: false,
        }
    }

    /// `caerrors.NewAuthorizationErr`: 403, remote code 71 "Authorization failure".
    pub fn authorization(local_code: u32, local_message: impl Into<String>) -> Self {
        ApiError {
            status: 403,
            code: codes::AUTHORIZATION_FAILURE,
            message: "Authorization failure".to_owned(),
            local_code,
            local_message: local_message.into(),
            persist: false,
        }
    }

    /// Any non-HTTP error: 500 with code 0 (`serverendpoint.go` getHTTPErr).
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::http(500, codes::UNKNOWN, message)
    }

    /// `CA '<x>' does not exist` (recorded `error_cainfo_unknown_ca`, `error_enroll_unknown_ca`).
    pub fn ca_not_found(name: &str) -> Self {
        Self::http(
            404,
            codes::CA_NOT_FOUND,
            format!("CA '{name}' does not exist"),
        )
    }

    /// Wrap the local message (Go `errors.WithMessage`); the client's view is unchanged.
    pub fn context(mut self, prefix: impl std::fmt::Display) -> Self {
        self.local_message = format!("{prefix}: {}", self.local_message);
        self
    }

    /// The body fabric-ca sends for this error.
    pub fn body(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Message<'a> {
            code: u32,
            message: &'a str,
        }
        let mut out = br#"{"result":"","errors":["#.to_vec();
        out.extend_from_slice(
            go_json(&Message {
                code: self.code,
                message: &self.message,
            })
            .as_bytes(),
        );
        out.extend_from_slice(b"\n],\"messages\":[],\"success\":false}");
        out
    }
}

/// The body fabric-ca sends for a successful result.
pub(crate) fn success_body<T: Serialize>(result: &T) -> Vec<u8> {
    let mut out = br#"{"result":"#.to_vec();
    out.extend_from_slice(go_json(result).as_bytes());
    out.extend_from_slice(b"\n,\"errors\":[],\"messages\":[],\"success\":true}");
    out
}

/// JSON as Go's `encoding/json` writes it: compact, with `<`, `>`, `&`, U+2028 and U+2029
/// escaped. Those characters can only occur inside strings, so replacing them is safe.
pub(crate) fn go_json<T: Serialize>(value: &T) -> String {
    let json = match serde_json::to_string(value) {
        Ok(json) => json,
        // Our response types are plain structs of strings and numbers; keep the envelope valid.
        Err(_) => return "null".to_owned(),
    };
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_matches_recorded_duplicate_registration() {
        let recorded = "{\"result\":\"\",\"errors\":[{\"code\":74,\"message\":\"Identity 'org1admin' is already registered\"}\n],\"messages\":[],\"success\":false}";
        let err = ApiError::http(
            409,
            codes::DUP_IDENTITY_REG,
            "Identity 'org1admin' is already registered",
        );
        assert_eq!(String::from_utf8(err.body()).unwrap(), recorded);
    }

    #[test]
    fn success_body_matches_recorded_register() {
        #[derive(Serialize)]
        struct R {
            secret: &'static str,
        }
        let recorded = "{\"result\":{\"secret\":\"org1adminpw\"}\n,\"errors\":[],\"messages\":[],\"success\":true}";
        let body = success_body(&R {
            secret: "org1adminpw",
        });
        assert_eq!(String::from_utf8(body).unwrap(), recorded);
    }

    #[test]
    fn authentication_errors_hide_details() {
        let err = ApiError::authentication(codes::INVALID_PASS, "Login failure: Password mismatch");
        assert_eq!((err.status, err.code), (401, 20));
        assert_eq!(err.message, "Authentication failure");
        assert_eq!(err.local_code, 24);
    }

    #[test]
    fn go_json_escapes_html_characters() {
        assert_eq!(go_json(&"a<b>&c"), "\"a\\u003cb\\u003e\\u0026c\"");
    }
}
