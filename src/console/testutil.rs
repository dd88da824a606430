//! Test helpers: the recorded exchanges, a scriptable fake HTTP server on
//! 127.0.0.1:0 (can drop answers, delay them, fail), and client constructors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::client::ConsoleClient;
use super::config::{ConsoleConfig, Credentials, Secret};

const EXCHANGES: &str = include_str!("../../tests/fixtures/console/exchanges-subset.jsonl");

/// A recorded exchange's response: (status, body, headers).
pub(crate) struct Recorded {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// The response of the recorded exchange called `name`.
pub(crate) fn recorded(name: &str) -> Recorded {
    for line in EXCHANGES.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["name"] == name {
            let r = &e["response"];
            return Recorded {
                status: r["status"].as_u64().unwrap() as u16,
                body: r["body"].as_str().unwrap().to_owned(),
                headers: r["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap().to_owned(),
                            h[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect(),
            };
        }
    }
    panic!("no recorded exchange {name}");
}

/// The whole recorded exchange called `name` (request and response) from the full recording
/// the emulator replays (`tests/emulator/fixtures/console/exchanges.jsonl`).
pub(crate) fn exchange(name: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/emulator/fixtures/console/exchanges.jsonl"
    );
    let all = std::fs::read_to_string(path).unwrap();
    all.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded exchange {name}"))
}

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// What the fake server does with a request.
pub(crate) enum Reply {
    Json(u16, String),
    WithHeaders(u16, Vec<(String, String)>, String),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
}

type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

/// A fake HTTP/1.1 server; one request per connection.
pub(crate) struct FakeServer {
    pub url: Url,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts a server; `handler(request, index_of_request)` decides the reply.
    pub async fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let seen = seen2.clone();
                tokio::spawn(async move {
                    let _ = serve_one(sock, handler, seen).await;
                });
            }
        });
        Self {
            url: Url::parse(&format!("http://{addr}")).unwrap(),
            seen,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests whose method and path (before `?`) match.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.method == method && s.target.split('?').next() == Some(path))
            .count()
    }
}

async fn serve_one(
    mut sock: TcpStream,
    handler: Handler,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let mut content_length = 0usize;
    let mut authorization = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = v.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    while buf.len() < head_end + content_length {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    let req = Seen {
        method,
        target,
        authorization,
        body,
    };
    let index = {
        let mut s = seen.lock().unwrap();
        s.push(req.clone());
        s.len() - 1
    };
    let mut reply = handler(&req, index);
    loop {
        match reply {
            Reply::Delay(d, inner) => {
                tokio::time::sleep(d).await;
                reply = *inner;
            }
            Reply::Drop => return Ok(()),
            Reply::Json(status, body) => {
                return write(&mut sock, status, &[], &body).await;
            }
            Reply::WithHeaders(status, headers, body) => {
                return write(&mut sock, status, &headers, &body).await;
            }
        }
    }
}

async fn write(
    sock: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        out.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("content-length") && !k.eq_ignore_ascii_case("connection") {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("\r\n");
    out.push_str(body);
    sock.write_all(out.as_bytes()).await?;
    sock.shutdown().await
}

/// Fast test settings: tiny backoffs and timeouts.
pub(crate) fn test_config(url: Url) -> ConsoleConfig {
    let mut cfg = ConsoleConfig::new(
        url,
        Credentials::ApiKey {
            key: "key1".into(),
            secret: Secret::new("secret1"),
        },
    );
    cfg.request_timeout = Duration::from_secs(5);
    cfg.max_retries = 3;
    cfg.retry_min_backoff = Duration::from_millis(5);
    cfg.retry_max_backoff = Duration::from_millis(40);
    cfg.rate_limit_max_wait = Duration::from_millis(200);
    cfg
}

pub(crate) fn test_client(server: &FakeServer) -> ConsoleClient {
    ConsoleClient::new(test_config(server.url.clone())).unwrap()
}

/// A minimal component JSON like the console returns.
pub(crate) fn component_json(id: &str, display_name: &str, ty: &str) -> String {
    serde_json::json!({
        "api_url": "https://127.0.0.1:7054",
        "display_name": display_name,
        "id": id,
        "location": "ibm_saas",
        "msp": {"ca": {"name": "ca"}, "tlsca": {"name": "tlsca"}, "component": {"tls_cert": "LS0t"}},
        "scheme_version": "v1",
        "tags": [ty, "ibm_saas"],
        "timestamp": 1795719424554u64,
        "type": ty
    })
    .to_string()
}
