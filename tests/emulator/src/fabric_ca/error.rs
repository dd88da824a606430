//! Errors of the Fabric CA emulator's public API (state generation and serving).

/// Why a CA state could not be generated or a CA server could not start.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// Key or certificate generation failed inside rcgen.
    #[error("certificate generation failed: {0}")]
    Certificate(#[from] rcgen::Error),
    /// A stored key or certificate (from a persisted state) is unusable.
    #[error("invalid stored CA material: {0}")]
    InvalidMaterial(String),
    /// A bootstrap identity cannot be registered.
    #[error("bootstrap identity '{name}' is invalid: {reason}")]
    InvalidBootstrap {
        /// The enrollment ID given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The TLS server configuration was rejected by rustls.
    #[error("TLS configuration failed: {0}")]
    Tls(#[from] rustls::Error),
    /// Socket-level failure (e.g. reading the listener's address).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
