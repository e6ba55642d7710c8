use std::fmt;

use crate::DomainError;

/// An S3 bucket name that follows the general-purpose bucket naming rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct BucketName(String);

impl BucketName {
    pub fn parse(name: impl Into<String>) -> Result<Self, DomainError> {
        let name = name.into();
        match Self::violation(&name) {
            None => Ok(Self(name)),
            Some(reason) => Err(DomainError::BucketName { name, reason }),
        }
    }

    fn violation(name: &str) -> Option<&'static str> {
        let bytes = name.as_bytes();
        if !(3..=63).contains(&bytes.len()) {
            return Some("must be 3 to 63 characters long");
        }
        if !bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-') {
            return Some("may hold only lowercase letters, digits, dots and hyphens");
        }
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !alnum(&bytes[0]) || !alnum(&bytes[bytes.len() - 1]) {
            return Some("must begin and end with a letter or digit");
        }
        if name.contains("..") {
            return Some("must not hold two adjacent dots");
        }
        if name.parse::<std::net::Ipv4Addr>().is_ok() {
            return Some("must not look like an IP address");
        }
        None
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name the bucket's all-versions series is kept under (see [`crate::versions`]): the bucket's
    /// name and `:all-versions`, which no bucket can be named.
    pub fn all_versions(&self) -> Self {
        if self.versions_of().is_some() {
            return self.clone();
        }
        Self(format!("{}{}", self.0, crate::versions::SERIES_SUFFIX))
    }

    /// The bucket whose all-versions series this name is; `None` for a bucket's own name.
    pub fn versions_of(&self) -> Option<Self> {
        self.0.strip_suffix(crate::versions::SERIES_SUFFIX).map(|name| Self(name.to_owned()))
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for BucketName {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_names() {
        for name in ["abc", "size-tracking-local", "my.bucket.2026", &"a".repeat(63)] {
            assert!(BucketName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_invalid_names() {
        for name in
            ["ab", &"a".repeat(64), "Upper", "under_score", "-start", "end-", "a..b", "192.168.5.4", "sp ace"]
        {
            assert!(BucketName::parse(name).is_err(), "{name}");
        }
    }
}
