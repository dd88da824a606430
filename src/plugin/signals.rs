//! Process signals. Ctrl-C reaches the whole process group, and Terraform answers
//! it with the `Stop` RPC, so a served provider must survive SIGINT; dying would
//! turn a clean cancel into "Plugin did not respond" (docs/dev/plugin-protocol.md#sigint).
//! SIGTERM shuts down gracefully.

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// Registered signal streams. Registering replaces the default action (exit) at
/// once and for the rest of the process, so create this before the handshake.
#[derive(Debug)]
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    /// Registers SIGINT and SIGTERM. Must run inside the tokio runtime.
    pub fn install() -> io::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for signals in a background task: SIGTERM always cancels `shutdown`;
    /// SIGINT does only when `interrupt_stops` (debug mode, run by a person).
    pub fn spawn_watcher(mut self, shutdown: CancellationToken, interrupt_stops: bool) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    Some(()) = self.terminate.recv() => {
                        debug!("SIGTERM received, shutting down");
                        shutdown.cancel();
                    }
                    Some(()) = self.interrupt.recv() => {
                        if interrupt_stops {
                            debug!("SIGINT received, shutting down");
                            shutdown.cancel();
                        } else {
                            debug!("SIGINT ignored; Terraform sends Stop instead");
                        }
                    }
                    else => break,
                }
            }
        });
    }
}
