//! `plugin.GRPCController`: Terraform calls `Shutdown` when it is done with this
//! process and kills it 2 s later, so the call starts a graceful shutdown at once
//! (docs/dev/plugin-protocol.md#controller-shutdown).

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::go_plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::go_plugin::Empty;

/// The controller service, cancelling `shutdown` on request.
#[derive(Debug, Clone)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown` when Terraform asks us to stop.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }

    /// The tonic service to mount on the server.
    pub fn into_service(self) -> GrpcControllerServer<Self> {
        GrpcControllerServer::new(self)
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by the plugin client");
        // The reply is still sent: graceful shutdown lets in-flight calls finish.
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_cancels_the_token_and_replies() {
        let token = CancellationToken::new();
        let controller = Controller::new(token.clone());
        assert!(!token.is_cancelled());
        let reply = controller.shutdown(Request::new(Empty {})).await;
        assert!(reply.is_ok());
        assert!(token.is_cancelled());
    }
}
