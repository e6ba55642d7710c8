use std::error::Error;
use std::fmt;

/// A failure of the store behind the port. Callers report it as "unavailable" and never show its text to
/// users. The backend's own error is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{backend}: {}", ErrorChain(.source.as_ref()))]
    Backend {
        backend: &'static str,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    #[error("gave up after {attempts} attempts: concurrent writers kept changing the totals of {bucket}")]
    Contention { bucket: String, attempts: u32 },
    #[error("{backend}: a stored row is malformed: {message}")]
    Corrupt { backend: &'static str, message: String },
    /// One failure that several changes of a batch share.
    #[error(transparent)]
    Shared(std::sync::Arc<StoreError>),
}

impl StoreError {
    pub fn backend(backend: &'static str, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self::Backend { backend, source: source.into() }
    }
}

/// An error and each of its sources, joined by `: ` (SDK errors say little at the top level).
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            let text = error.to_string();
            write!(f, ": {text}")?;
            source = error.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_message_names_every_cause_and_keeps_the_source() {
        let error = StoreError::backend("sqlite", Outer(std::io::Error::other("disk full")));
        assert_eq!(error.to_string(), "sqlite: outer: disk full");
        let source = error.source().expect("a source");
        assert!(source.downcast_ref::<Outer>().is_some());
    }
}
