use std::cmp::Ordering;
use std::fmt;

use crate::DomainError;

/// An S3 event sequencer: a hex string that orders the events of one key.
///
/// S3 gives no fixed length, so two sequencers compare as numbers: the shorter is left-padded with zeros.
/// Letters are kept in upper case so that equal values are equal strings.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Sequencer(String);

impl Sequencer {
    /// Orders before every sequencer S3 sends; given to keys found by listing the bucket.
    pub fn lowest() -> Self {
        Self("0".to_owned())
    }

    pub fn parse(value: impl Into<String>) -> Result<Self, DomainError> {
        let value = value.into();
        if value.is_empty() {
            return Err(DomainError::Sequencer { value, reason: "must not be empty" });
        }
        if value.len() > 64 {
            return Err(DomainError::Sequencer { value, reason: "must be at most 64 hex digits" });
        }
        if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DomainError::Sequencer { value, reason: "must be hexadecimal" });
        }
        Ok(Self(value.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The next sequencer: this one plus one, as a hex number (one digit longer on overflow).
    pub fn successor(&self) -> Self {
        let mut digits: Vec<u8> = self.0.bytes().collect();
        for digit in digits.iter_mut().rev() {
            match *digit {
                b'F' => *digit = b'0',
                b'9' => {
                    *digit = b'A';
                    return Self(String::from_utf8(digits).expect("hex digits"));
                }
                _ => {
                    *digit += 1;
                    return Self(String::from_utf8(digits).expect("hex digits"));
                }
            }
        }
        digits.insert(0, b'1');
        Self(String::from_utf8(digits).expect("hex digits"))
    }

    fn significant(&self) -> &str {
        let trimmed = self.0.trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }
    }
}

impl PartialEq for Sequencer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Sequencer {}

impl Ord for Sequencer {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

impl PartialOrd for Sequencer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Sequencer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(s: &str) -> Sequencer {
        Sequencer::parse(s).unwrap()
    }

    #[test]
    fn shorter_is_left_padded() {
        assert!(seq("FF") < seq("0100"));
        assert!(seq("100") > seq("0FF"));
        assert_eq!(seq("00AB").cmp(&seq("ab")), Ordering::Equal);
        assert!(seq("0062B1A6F0A1B2C3D4") < seq("0062B1A6F0A1B2C3D5"));
        assert!(Sequencer::lowest() < seq("1"));
    }

    #[test]
    fn the_successor_is_one_more() {
        assert_eq!(seq("0FF").successor(), seq("100"));
        assert_eq!(seq("19").successor().as_str(), "1A");
        assert_eq!(seq("FF").successor().as_str(), "100");
        assert_eq!(seq("0062B1A6F0A1B2C3D4").successor().as_str(), "0062B1A6F0A1B2C3D5");
        assert!(seq("ABC").successor() > seq("ABC"));
    }

    #[test]
    fn refuses_non_hex() {
        assert!(Sequencer::parse("").is_err());
        assert!(Sequencer::parse("12G4").is_err());
        assert!(Sequencer::parse("1".repeat(65)).is_err());
    }
}
