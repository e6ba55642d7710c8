use domain::StoreError;

pub(crate) const BACKEND: &str = "dynamodb";

/// The SDK's errors (a failed call, a request that could not be built) as the port's error, source kept.
pub(crate) trait OrStore<T> {
    fn or_store(self) -> Result<T, StoreError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> OrStore<T> for Result<T, E> {
    fn or_store(self) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::backend(BACKEND, error))
    }
}

pub(crate) fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt { backend: BACKEND, message }
}
