//! Response values and the header sets athena sends with them.

use serde_json::{json, Value};

/// Which header family a response gets (docs/dev/console-api.md#response-headers: the fixed
/// security headers on every athena response, none on the body-parser error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `application/json; charset=utf-8` with security and CORS headers.
    Json,
    /// 401 `text/html` `Unauthorized` with `WWW-Authenticate` (`auth.list.*`).
    Unauthorized,
    /// The 429 of the limiter: no `Access-Control-Allow-Origin` (`ratelimit.write-6`).
    RateLimited,
    /// Express body-parser error: `X-Powered-By: Express`, no security or rate-limit headers (`import.malformed-json`).
    Express,
}

/// A response before it is turned into HTTP.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub kind: Kind,
    pub extra_headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            kind: Kind::Json,
            extra_headers: Vec::new(),
        }
    }

    /// `{"statusCode":400,"msgs":[...]}` (docs/dev/console-api.md#error-bodies).
    pub fn validation(msgs: Vec<String>) -> Reply {
        Reply::json(400, &json!({"statusCode":400,"msgs":msgs}))
    }

    /// The missing-component 404 for GET/PUT/DELETE (`components.get.missing`).
    pub fn missing_component() -> Reply {
        Reply::json(
            404,
            &json!({"msg":"no components by this id exist","reason":"missing","statusCode":404}),
        )
    }

    /// Unknown routes and methods (`route.unknown`, `route.unknown-method`).
    pub fn route_not_found() -> Reply {
        Reply::json(404, &json!({"statusCode":404,"msg":"route not found"}))
    }

    /// 401 for a missing/invalid credential or a missing role
    /// (docs/dev/console-api.md#unauthorized-401).
    pub fn unauthorized(host_url: &str) -> Reply {
        Reply {
            status: 401,
            body: "Unauthorized".into(),
            kind: Kind::Unauthorized,
            // The realm is "IBP" + host_url with no separator
            // (docs/dev/console-api.md#unauthorized-401).
            extra_headers: vec![(
                "WWW-Authenticate".into(),
                format!("Basic realm=IBP{host_url}"),
            )],
        }
    }

    pub fn with_header(mut self, name: &str, value: String) -> Reply {
        self.extra_headers.push((name.to_string(), value));
        self
    }
}

/// The fixed security headers, in recorded order (docs/dev/console-api.md#response-headers).
pub const SECURITY_HEADERS: [(&str, &str); 8] = [
    ("Access-Control-Expose-Headers", "Location"),
    (
        "Strict-Transport-Security",
        "max-age=31536000; includeSubDomains",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-XSS-Protection", "1; mode=block"),
    ("X-Frame-Options", "deny"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    (
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'; object-src 'none'",
    ),
];
