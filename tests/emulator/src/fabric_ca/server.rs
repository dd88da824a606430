//! The HTTPS server: TLS with the state's server certificate, fabric-ca's routes (both `/X`
//! and `/api/v1/X`, `lib/server.go` registerHandlers), and clean shutdown.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use super::endpoint::{self, CaRequest, Reply};
use super::enroll;
use super::error::CaError;
use super::identities;
use super::register::{self, RegisterRoute};
use super::responses::{codes, ApiError};
use super::revoke;
use super::state::FabricCaState;
use crate::tls_server::{self, ServerHandle};

/// Callback run (with the lock held) after every registry change, so the owner can persist.
type OnChange = Arc<dyn Fn(&FabricCaState) + Send + Sync>;

/// A running CA server (the shared TLS server handle).
pub type CaServerHandle = ServerHandle;

#[derive(Clone)]
struct App {
    state: Arc<Mutex<FabricCaState>>,
    on_change: OnChange,
}

/// Serve both CAs of `state` over HTTPS on `listener` (already bound, e.g. to 127.0.0.1:0).
pub async fn serve(
    listener: TcpListener,
    state: Arc<Mutex<FabricCaState>>,
    on_change: Arc<dyn Fn(&FabricCaState) + Send + Sync>,
) -> Result<CaServerHandle, CaError> {
    let tls = {
        let guard = state.lock().await;
        tls_server::server_config(guard.tls_cert_pem(), guard.tls_key_pem(), &[b"http/1.1"])
            .map_err(|e| CaError::InvalidMaterial(e.to_string()))?
    };
    let router = router(App { state, on_change });
    Ok(tls_server::spawn_http(
        listener,
        Arc::new(tls),
        "fabric CA emulator",
        router,
    )?)
}

/// Each endpoint under both its bare and `/api/v1` path.
fn router(app: App) -> Router {
    let routes: [(&str, MethodRouter<App>); 8] = [
        ("/cainfo", get(cainfo).post(cainfo)),
        ("/enroll", post(enroll)),
        ("/reenroll", post(reenroll)),
        ("/register", post(register)),
        ("/revoke", post(revoke)),
        ("/gencrl", post(gencrl)),
        ("/identities", get(list_identities).post(add_identity)),
        (
            "/identities/{id}",
            get(get_identity)
                .put(modify_identity)
                .delete(remove_identity),
        ),
    ];
    let mut router = Router::new();
    for (path, route) in routes {
        let route = route.fallback(method_not_allowed);
        router = router
            .route(path, route.clone())
            .route(&format!("/api/v1{path}"), route);
    }
    router.with_state(app)
}

/// What a handler needs from the HTTP request, extracted the same way for every endpoint.
struct Incoming {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Incoming {
    /// Only reading the body can fail; axum answers as it does for a `Bytes` argument.
    type Rejection = BytesRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = req.method().clone();
        let uri = req.uri().clone();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await?;
        Ok(Self {
            method,
            uri,
            headers,
            body,
        })
    }
}

impl Incoming {
    fn ca_request(&self) -> CaRequest<'_> {
        CaRequest {
            method: self.method.as_str(),
            uri: self
                .uri
                .path_and_query()
                .map_or_else(|| self.uri.path(), |pq| pq.as_str()),
            query: self.uri.query(),
            authorization: self
                .headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
            body: &self.body,
        }
    }
}

/// Run one endpoint under the state lock, persist on change, log like fabric-ca's access log.
async fn run<F>(app: &App, incoming: Incoming, endpoint: F) -> Response
where
    F: FnOnce(&mut FabricCaState, &CaRequest<'_>) -> Result<Reply, ApiError>,
{
    let req = incoming.ca_request();
    let mut state = app.state.lock().await;
    match endpoint(&mut state, &req) {
        Ok(reply) => {
            if reply.changed {
                (app.on_change)(&state);
            }
            tracing::info!(
                method = req.method,
                uri = req.uri,
                status = reply.status,
                "0 \"OK\""
            );
            respond(reply.status, reply.body, reply.location)
        }
        Err(e) => {
            if e.persist {
                (app.on_change)(&state);
            }
            tracing::info!(
                method = req.method,
                uri = req.uri,
                status = e.status,
                code = e.local_code,
                message = %e.local_message,
                "fabric CA request failed"
            );
            respond(e.status, e.body(), None)
        }
    }
}

fn respond(status: u16, body: Vec<u8>, location: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(LOCATION, value);
    }
    response
}

async fn cainfo(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, |state, req| endpoint::cainfo(state, req)).await
}

async fn enroll(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, enroll::enroll).await
}

async fn register(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, |state, req| {
        register::register(state, req, RegisterRoute::Register)
    })
    .await
}

async fn add_identity(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, |state, req| {
        register::register(state, req, RegisterRoute::Identities)
    })
    .await
}

async fn reenroll(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, enroll::reenroll).await
}

async fn revoke(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, revoke::revoke).await
}

async fn gencrl(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, |state, req| revoke::gencrl(state, req)).await
}

async fn list_identities(State(app): State<App>, incoming: Incoming) -> Response {
    run(&app, incoming, |state, req| identities::list(state, req)).await
}

async fn get_identity(
    State(app): State<App>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    run(&app, incoming, |state, req| {
        identities::get(state, req, &id)
    })
    .await
}

async fn modify_identity(
    State(app): State<App>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    run(&app, incoming, |state, req| {
        identities::modify(state, req, &id)
    })
    .await
}

async fn remove_identity(
    State(app): State<App>,
    Path(id): Path<String>,
    incoming: Incoming,
) -> Response {
    run(&app, incoming, |state, req| {
        identities::remove(state, req, &id)
    })
    .await
}

/// `serverendpoint.go` validateMethod: 405 with code 1.
async fn method_not_allowed(method: Method) -> Response {
    let err = ApiError::http(
        405,
        codes::METHOD_NOT_ALLOWED,
        format!("Method {method} is not allowed"),
    );
    respond(err.status, err.body(), None)
}
