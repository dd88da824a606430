//! Entry point: the go-plugin runtime serving the provider.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::Service;
use tonic::server::NamedService;

fn main() -> std::process::ExitCode {
    tfprovider_blockchain::plugin::main_entry(|| PendingProvider)
}

/// Placeholder until the framework's provider service is wired in: answers every
/// `tfplugin5.Provider` call with Unimplemented.
#[derive(Debug, Clone, Copy)]
struct PendingProvider;

impl NamedService for PendingProvider {
    const NAME: &'static str = "tfplugin5.Provider";
}

impl Service<http::Request<Body>> for PendingProvider {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _request: http::Request<Body>) -> Self::Future {
        ready(Ok(
            tonic::Status::unimplemented("provider not wired yet").into_http()
        ))
    }
}
