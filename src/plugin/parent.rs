//! Exit when Terraform is gone. Terraform normally ends its providers with the controller's
//! Shutdown RPC; killed (SIGKILL, OOM), it cannot, and a provider that waits on its socket
//! would live on forever holding console connections. go-plugin gives the plugin no signal for
//! this, so the process watches its parent: once it is re-parented (the parent died), it shuts
//! down (docs/dev/plugin-protocol.md#when-terraform-dies).

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::warn;

/// How often the parent is looked at: cheap (one getppid), and quick enough that a killed
/// Terraform's providers are gone within seconds.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// Cancels `shutdown` once the parent process is no longer the one that started us.
pub fn exit_with_parent(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(LOOK_EVERY) => {}
            }
            if std::os::unix::process::parent_id() != parent {
                warn!(
                    parent,
                    "Terraform (the parent process) is gone; shutting down"
                );
                shutdown.cancel();
                return;
            }
        }
    });
}
