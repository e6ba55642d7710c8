//! Each binary has its own small configuration type, built from its environment in one place; the
//! sections several binaries share (tables, the bucket, tracking rules) are built from the same [`Env`].
//!
//! [`Env`] records every variable a configuration asks for, so a test can check that a binary reads
//! exactly the variables its deployment sets (see `contract/functions.json`).

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Mutex;

/// A variable that is missing or malformed; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

/// Answers a variable's value, if set.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The environment a configuration is read from: the process's, or a map in tests.
pub struct Env {
    lookup: Lookup,
    asked: Mutex<BTreeSet<&'static str>>,
}

impl Env {
    pub fn process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let map: HashMap<String, String> =
            pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        Self::from_lookup(move |name| map.get(name).cloned())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self { lookup: Box::new(lookup), asked: Mutex::new(BTreeSet::new()) }
    }

    /// The value, if set and not blank.
    pub fn optional(&self, variable: &'static str) -> Option<String> {
        self.asked.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(variable);
        (self.lookup)(variable).filter(|value| !value.trim().is_empty())
    }

    pub fn required(&self, variable: &'static str) -> Result<String, ConfigError> {
        self.optional(variable).ok_or_else(|| ConfigError { variable, reason: "must be set".into() })
    }

    /// The value parsed by `FromStr`, if set.
    pub fn parsed<T>(&self, variable: &'static str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        self.optional(variable)
            .map(|text| {
                text.trim().parse().map_err(|e: T::Err| ConfigError { variable, reason: e.to_string() })
            })
            .transpose()
    }

    pub fn required_parsed<T>(&self, variable: &'static str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        self.parsed(variable)?.ok_or_else(|| ConfigError { variable, reason: "must be set".into() })
    }

    /// A comma-separated list, each item parsed; blank items are dropped.
    pub fn list<T>(&self, variable: &'static str) -> Result<Option<Vec<T>>, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        self.optional(variable)
            .map(|text| {
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| {
                        item.parse().map_err(|e: T::Err| ConfigError { variable, reason: e.to_string() })
                    })
                    .collect()
            })
            .transpose()
    }

    /// Every variable asked for so far, set or not.
    pub fn asked(&self) -> BTreeSet<&'static str> {
        self.asked.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// Builds a configuration from the process's environment, or prints one line naming the bad variable and
/// exits with code 2.
pub fn or_exit<T>(build: impl FnOnce(&Env) -> Result<T, ConfigError>) -> T {
    build(&Env::process()).unwrap_or_else(|error| {
        eprintln!("error: bad setting {error}");
        std::process::exit(2);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset_and_errors_name_the_variable() {
        let env = Env::from_pairs(&[("A", "  "), ("N", "x")]);
        assert_eq!(env.optional("A"), None);
        assert_eq!(env.required("A").unwrap_err().variable, "A");
        let error = env.parsed::<u16>("N").unwrap_err();
        assert!(error.to_string().starts_with("N: "), "{error}");
        assert_eq!(env.asked(), BTreeSet::from(["A", "N"]));
    }

    #[test]
    fn lists_split_on_commas() {
        let env = Env::from_pairs(&[("L", "1, 2,,3")]);
        assert_eq!(env.list::<u8>("L").unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(env.list::<u8>("MISSING").unwrap(), None);
    }
}
