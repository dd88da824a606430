//! The HTTP side of a console: accept loop, fault injection, malformed-JSON handling, rate limits,
//! lockout, routing and athena's response headers. Also the emulator-only admin routes.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::console::{ApiRequest, Console};
use crate::faults::{Fault, FaultState};
use crate::http::{Kind, Reply, SECURITY_HEADERS};
use crate::limits::RateDecision;

const MAX_BODY: usize = 16 * 1024 * 1024;

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for DropConnection {}

/// Serves `console` on `listener` until `shutdown` flips to true.
pub async fn serve(
    listener: TcpListener,
    console: Arc<Console>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let console = console.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req| handle(console.clone(), peer, req));
                    if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                        tracing::debug!(error = %e, "connection ended");
                    }
                });
            }
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// A request that changes something: what `writes_only` faults and a lost write response aim at.
fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// A deployer update (`PUT /kubernetes/components/{type}/{id}`) or delete
/// (`DELETE /kubernetes/components/{id}`): what the write hold holds.
fn is_deployer_write(method: &str, path: &str) -> bool {
    matches!(method, "PUT" | "DELETE") && path.starts_with("/ak/api/v3/kubernetes/components/")
}

/// Waits out the write hold (fault injection); false when the console shuts down first, so a
/// held write is never processed by a console that is going away.
async fn hold_write(console: &Console, hold: std::time::Duration) -> bool {
    let _held = console.faults.hold_write();
    tracing::debug!(?hold, "deployer write held (fault injection)");
    let mut stopping = console.stopping.subscribe();
    tokio::select! {
        _ = tokio::time::sleep(hold) => !console.is_stopping(),
        _ = stopping.wait_for(|s| *s) => false,
    }
}

fn is_create(method: &str, path: &str) -> bool {
    method == "POST"
        && (path.starts_with("/ak/api/v3/components")
            || path.starts_with("/ak/api/v3/kubernetes/components"))
}

async fn handle(
    console: Arc<Console>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let path = req.uri().path().to_string();
    if path.starts_with("/_emulator/") {
        return Ok(admin(&console, req).await);
    }
    console
        .request_count
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let latency = console.faults.latency_value();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let method = req.method().as_str().to_string();
    let is_get = method == "GET";
    match console.faults.take_request_fault(is_write(&method)) {
        Some(Fault::Drop) => return Err(DropConnection),
        Some(Fault::RateLimited { retry_after_secs }) => {
            let limit = if is_get {
                console.rate_limit.saturating_mul(4)
            } else {
                console.rate_limit
            };
            let now_s = console.now() / 1000;
            let decision = RateDecision {
                limit,
                remaining: 0,
                reset_secs: now_s + retry_after_secs as i64,
                exceeded: true,
                volume: if is_get { "high" } else { "low" },
            };
            return Ok(build(
                too_many(&decision, retry_after_secs),
                Some(&decision),
            ));
        }
        Some(Fault::ServerError(status)) => {
            let reply = Reply::json(
                status,
                &json!({"statusCode":status,"msg":"emulated server error (fault injection)"}),
            );
            return Ok(build(reply, None));
        }
        None => {}
    }
    let query: Vec<(String, String)> = req.uri().query().map(parse_query).unwrap_or_default();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header("authorization");
    let user_agent = header("user-agent").unwrap_or_default();
    let json_body =
        header("content-type").is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(DropConnection),
    };
    let body = if json_body && !bytes.is_empty() {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => v,
            // The body parser answers before any other middleware (`import.malformed-json`); the
            // details text is Node's and differs per version, ours is serde's.
            Err(e) => {
                let reply = Reply { status: 400, body: json!({"statusCode":400,"msg":"input error","details":format!("SyntaxError: {e}")}).to_string(), kind: Kind::Express, extra_headers: Vec::new() };
                return Ok(build(reply, None));
            }
        }
    } else {
        json!({})
    };
    let api = ApiRequest {
        method: method.clone(),
        path: path.clone(),
        query,
        authorization,
        json_body,
        body,
    };
    let key = (peer.ip().to_string(), user_agent);
    let now = console.now();
    let decision = if path.starts_with("/ak/") {
        let mut limits = console.limits.lock().unwrap_or_else(|p| p.into_inner());
        Some(limits.rate(&key, is_get, console.rate_limit, console.started_ms, now))
    } else {
        None
    };
    if let Some(d) = decision.as_ref().filter(|d| d.exceeded) {
        return Ok(build(too_many(d, 60), Some(d)));
    }
    let locked = console
        .limits
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .locked_out(&key, now);
    if let Some((failures, mins)) = locked {
        let reply = Reply::json(
            402,
            &json!({"error": format!("too many auth failures. client is locked out. try again in {mins:.1} mins"), "failures": failures}),
        );
        return Ok(build(reply, decision.as_ref()));
    }
    // athena is node/express: a request whose client hung up is still processed to the end (a
    // create the client timed out on still creates). hyper drops the service future when the
    // connection closes, so the route runs as its own task and only the answer is lost.
    // A held deployer write (fault injection) waits inside that task too, so it completes after
    // the client hung up, as a deployer call athena already made would.
    let hold = is_deployer_write(&method, &path)
        .then(|| console.faults.write_latency_value())
        .flatten();
    let routed = {
        let console = console.clone();
        tokio::spawn(async move {
            if let Some(hold) = hold {
                if !hold_write(&console, hold).await {
                    return Reply::json(
                        500,
                        &json!({"statusCode":500,"msg":"the console is shutting down"}),
                    );
                }
            }
            console.route(&api).await
        })
    };
    let reply = match routed.await {
        Ok(reply) => reply,
        Err(e) => {
            tracing::error!(error = %e, "route task failed");
            Reply::json(
                500,
                &json!({"statusCode":500,"msg":"internal error in the emulator"}),
            )
        }
    };
    // /healthcheck is not tracked by the lockout (docs/dev/console-api.md#lockout).
    if !path.ends_with("/healthcheck") {
        console
            .limits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record_auth_outcome(&key, reply.status, now);
    }
    if is_create(&method, &path) && console.faults.take_lose_create() {
        tracing::info!(path = %path, status = reply.status, "create processed, response dropped (fault injection)");
        return Err(DropConnection);
    }
    if is_write(&method) && console.faults.take_lose_write() {
        tracing::info!(%method, path = %path, status = reply.status, "write processed, response dropped (fault injection)");
        return Err(DropConnection);
    }
    Ok(build(reply, decision.as_ref()))
}

/// athena's 429 (`ratelimit.write-6`, `ratelimit.get-21`).
fn too_many(d: &RateDecision, retry_after: u64) -> Reply {
    let body = json!({
        "error": format!("[AK Requests] exceeded the {} volume rate limit - too many requests, try again later", d.volume),
        "rate_limit": format!("{}/min", d.limit),
        "tips": ["monitor the header \"X-RateLimit-Remaining\" for your current rate", "check the header \"X-RateLimit-Reset\" for when to resume"]
    });
    Reply {
        status: 429,
        body: body.to_string(),
        kind: Kind::RateLimited,
        extra_headers: vec![("Retry-After".into(), retry_after.to_string())],
    }
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Turns a reply into HTTP with the header set of its kind.
fn build(reply: Reply, rate: Option<&RateDecision>) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(reply.status);
    if reply.kind == Kind::Express {
        b = b
            .header("X-Powered-By", "Express")
            .header("Content-Type", "application/json; charset=utf-8");
    } else {
        for (k, v) in SECURITY_HEADERS {
            b = b.header(k, v);
        }
        if let Some(d) = rate {
            b = b
                .header("X-RateLimit-Limit", d.limit.to_string())
                .header("X-RateLimit-Remaining", d.remaining.to_string())
                .header("X-RateLimit-Reset", d.reset_secs.to_string());
        }
        if reply.kind != Kind::RateLimited {
            b = b.header("Access-Control-Allow-Origin", "*");
        }
        for (k, v) in &reply.extra_headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let ct = if reply.kind == Kind::Unauthorized {
            "text/html; charset=utf-8"
        } else {
            "application/json; charset=utf-8"
        };
        b = b
            .header("Content-Type", ct)
            .header("Vary", "Accept-Encoding");
    }
    b.body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// Emulator-only admin routes (NOT part of the real console API; never rate limited or counted):
/// `POST /_emulator/faults`, `GET /_emulator/stats`, `POST /_emulator/clock`.
async fn admin(console: &Console, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let bytes = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
    let reply = match (method.as_str(), path.as_str()) {
        ("POST", "/_emulator/faults") => {
            apply_faults(console, &body);
            Reply::json(200, &json!({"faults": console.faults.snapshot()}))
        }
        ("GET", "/_emulator/stats") => {
            let (components, creating) = {
                let data = console.data.lock().await;
                (data.docs.len(), data.creating.len())
            };
            Reply::json(
                200,
                &json!({"console": console.name, "request_count": console.request_count(), "components": components, "creates_in_flight": creating, "faults": console.faults.snapshot()}),
            )
        }
        ("POST", "/_emulator/clock") => {
            let secs = body
                .get("advance_secs")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            console.clock.advance(std::time::Duration::from_secs(secs));
            Reply::json(200, &json!({"now_ms": console.now()}))
        }
        _ => Reply::route_not_found(),
    };
    build(reply, None)
}

/// `{"clear":true,"rate_limit_burst":{"n":3,"retry_after_secs":1},"server_errors":{"n":2,"status":503},
///   "drop_connections":1,"lose_next_create_response":true,"lose_next_write_response":true,
///   "writes_only":true,"latency_ms":100,"create_latency_ms":3000,"write_latency_ms":3000}`;
/// `clear` applies first.
fn apply_faults(console: &Console, body: &Value) {
    let f = &console.faults;
    if body.get("clear").and_then(Value::as_bool) == Some(true) {
        f.set(FaultState::default());
    }
    if let Some(r) = body.get("rate_limit_burst") {
        f.rate_limit_burst(
            r.get("n").and_then(Value::as_u64).unwrap_or(0) as u32,
            r.get("retry_after_secs")
                .and_then(Value::as_u64)
                .unwrap_or(60),
        );
    }
    if let Some(s) = body.get("server_errors") {
        f.server_errors(
            s.get("n").and_then(Value::as_u64).unwrap_or(0) as u32,
            s.get("status").and_then(Value::as_u64).unwrap_or(500) as u16,
        );
    }
    if let Some(n) = body.get("drop_connections").and_then(Value::as_u64) {
        f.drop_connections(n as u32);
    }
    if body
        .get("lose_next_create_response")
        .and_then(Value::as_bool)
        == Some(true)
    {
        f.lose_next_create_response();
    }
    if body
        .get("lose_next_write_response")
        .and_then(Value::as_bool)
        == Some(true)
    {
        f.lose_next_write_response();
    }
    if let Some(on) = body.get("writes_only").and_then(Value::as_bool) {
        f.writes_only(on);
    }
    if let Some(ms) = body.get("write_latency_ms").and_then(Value::as_u64) {
        f.write_latency(std::time::Duration::from_millis(ms));
    }
    if let Some(ms) = body.get("latency_ms").and_then(Value::as_u64) {
        f.latency(std::time::Duration::from_millis(ms));
    }
    if let Some(ms) = body.get("create_latency_ms").and_then(Value::as_u64) {
        f.create_latency(std::time::Duration::from_millis(ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_deployer_writes_are_told_apart() {
        assert!(is_write("POST") && is_write("PUT") && is_write("DELETE"));
        assert!(!is_write("GET") && !is_write("HEAD"));
        assert!(is_deployer_write(
            "PUT",
            "/ak/api/v3/kubernetes/components/fabric-ca/org1ca"
        ));
        assert!(is_deployer_write(
            "DELETE",
            "/ak/api/v3/kubernetes/components/org1ca"
        ));
        // Creates have their own hold (`create_latency`); record edits are not the deployer's.
        assert!(!is_deployer_write(
            "POST",
            "/ak/api/v3/kubernetes/components/fabric-ca"
        ));
        assert!(!is_deployer_write(
            "PUT",
            "/ak/api/v3/components/fabric-ca/org1ca"
        ));
    }

    #[test]
    fn query_is_decoded() {
        assert_eq!(
            parse_query("a=b%20c&d"),
            vec![
                ("a".to_string(), "b c".to_string()),
                ("d".to_string(), String::new())
            ]
        );
    }
}
