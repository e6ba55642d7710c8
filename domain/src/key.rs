use std::fmt;

use crate::DomainError;

/// An object key: 1 to 1024 bytes of UTF-8, already URL-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(key: impl Into<String>) -> Result<Self, DomainError> {
        let key = key.into();
        if key.is_empty() {
            return Err(DomainError::ObjectKey { reason: "must not be empty" });
        }
        if key.len() > Self::MAX_BYTES {
            return Err(DomainError::ObjectKey { reason: "must be at most 1024 bytes" });
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the key lies under any of the given prefixes.
    pub fn is_under_any(&self, prefixes: &[String]) -> bool {
        prefixes.iter().any(|prefix| self.0.starts_with(prefix.as_str()))
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        assert!(ObjectKey::parse("").is_err());
        assert!(ObjectKey::parse("é".repeat(513)).is_err());
        assert!(ObjectKey::parse("é".repeat(512)).is_ok());
    }

    #[test]
    fn prefixes_match_from_the_start() {
        let key = ObjectKey::parse("plots/plot.png").unwrap();
        assert!(key.is_under_any(&["plots/".into()]));
        assert!(!key.is_under_any(&["lots/".into()]));
    }
}
