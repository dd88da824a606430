//! Errors of the emulator's library API.

/// Why the emulator could not start or persist.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("console {0}: only loopback (127.0.0.1) addresses are allowed")]
    NotLoopback(String),
    #[error("duplicate console name {0}")]
    DuplicateConsole(String),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(String),
    #[error("spec: {0}")]
    Spec(#[from] crate::spec::SpecError),
    #[error("fabric ca: {0}")]
    Ca(String),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The (emulated) deployer refused: athena relays `status` and `body` as
    /// `{statusCode, msg}` (docs/dev/console-api.md#error-bodies).
    #[error("the deployer answered {status}")]
    Deployer {
        status: u16,
        body: serde_json::Value,
    },
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for EmulatorError {
            fn from(e: $t) -> Self { EmulatorError::Db(e.to_string()) }
        }
    )*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
