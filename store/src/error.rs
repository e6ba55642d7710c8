/// A failure of the store behind the port. Callers report it as "unavailable" and never show its text to users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{backend}: {message}")]
    Backend { backend: &'static str, message: String },
    #[error("gave up after {attempts} attempts: concurrent writers kept changing the totals of {bucket}")]
    Contention { bucket: String, attempts: u32 },
    #[error("{backend}: a stored row is malformed: {message}")]
    Corrupt { backend: &'static str, message: String },
}

impl StoreError {
    pub(crate) fn sqlite(error: impl std::fmt::Display) -> Self {
        Self::Backend { backend: "sqlite", message: error.to_string() }
    }

    pub(crate) fn dynamodb(error: impl std::fmt::Display) -> Self {
        Self::Backend { backend: "dynamodb", message: error.to_string() }
    }
}
