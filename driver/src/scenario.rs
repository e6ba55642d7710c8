//! The scenario: its steps, the classic default, and the totals the bucket should have after each step.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::InvalidOption;

/// Keys under this prefix belong to the api (the plot) and are not tracked: the scenario never writes
/// there, and the bucket's totals leave them out.
pub use domain::PLOTS_PREFIX as RESERVED_PREFIX;
/// A bucket's tracked size and object count (keys under `plots/` left out).
pub use domain::Totals;

/// S3's limit on a key, in bytes.
pub const MAX_KEY_BYTES: usize = domain::ObjectKey::MAX_BYTES;

/// One change to the bucket.
///
/// As JSON (the Lambda event's `steps`): `{"put": {"key": "a.txt", "body": "hello"}}` or
/// `{"delete": "a.txt"}`. As text (the CLI's `--step`): `put:a.txt=hello` or `delete:a.txt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Creates or overwrites `key` with `body` (its size is the body's length in UTF-8 bytes).
    Put { key: String, body: String },
    /// Deletes `key`; deleting a key that does not exist changes nothing.
    Delete(String),
}

impl Step {
    pub fn put(key: impl Into<String>, body: impl Into<String>) -> Self {
        Self::Put { key: key.into(), body: body.into() }
    }

    pub fn delete(key: impl Into<String>) -> Self {
        Self::Delete(key.into())
    }

    pub fn key(&self) -> &str {
        match self {
            Self::Put { key, .. } | Self::Delete(key) => key,
        }
    }

    /// `"put"` or `"delete"`.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Put { .. } => "put",
            Self::Delete(_) => "delete",
        }
    }

    /// The object's size after a put; `None` for a delete.
    pub fn size_bytes(&self) -> Option<u64> {
        match self {
            Self::Put { body, .. } => Some(body.len() as u64),
            Self::Delete(_) => None,
        }
    }

    fn with_key(&self, key: String) -> Self {
        match self {
            Self::Put { body, .. } => Self::Put { key, body: body.clone() },
            Self::Delete(_) => Self::Delete(key),
        }
    }
}

/// The text form, as `--step` takes it.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Put { key, body } => write!(f, "put:{key}={body}"),
            Self::Delete(key) => write!(f, "delete:{key}"),
        }
    }
}

/// Parses `put:KEY=BODY` (the first `=` ends the key; the body may be empty) or `delete:KEY`.
impl FromStr for Step {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const FORMS: &str = "expected put:KEY=BODY or delete:KEY";
        let (action, rest) = text.split_once(':').ok_or_else(|| format!("{FORMS}, got {text:?}"))?;
        match action {
            "put" => {
                let (key, body) =
                    rest.split_once('=').ok_or_else(|| format!("{FORMS}: put needs KEY=BODY"))?;
                Ok(Self::put(key, body))
            }
            "delete" => Ok(Self::delete(rest)),
            other => Err(format!("{FORMS}: unknown action {other:?}")),
        }
    }
}

/// The classic scenario: an object is created, grows, is deleted, and another small one appears.
/// On an empty bucket the sizes after each step are 18, 27, 0 and 2 bytes.
pub fn classic_steps() -> Vec<Step> {
    vec![
        Step::put("assignment1.txt", "Empty Assignment 1"),
        Step::put("assignment1.txt", "Empty Assignment 2222222222"),
        Step::delete("assignment1.txt"),
        Step::put("assignment2.txt", "33"),
    ]
}

/// Validated steps whose keys carry the prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    steps: Vec<Step>,
}

impl Scenario {
    /// The classic scenario with no prefix.
    pub fn classic() -> Self {
        Self::new("", classic_steps()).expect("the classic steps are valid")
    }

    /// Prefixes every step's key with `prefix` and checks the result: at least one step; keys non-empty,
    /// at most 1024 bytes with the prefix, and not under `plots/`.
    pub fn new(prefix: &str, steps: Vec<Step>) -> Result<Self, InvalidOption> {
        if steps.is_empty() {
            return Err(InvalidOption::new("steps", "there must be at least one step"));
        }
        if prefix.len() >= MAX_KEY_BYTES {
            return Err(InvalidOption::new("prefix", format!("must be shorter than {MAX_KEY_BYTES} bytes")));
        }
        let steps = steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let invalid = |reason: String| InvalidOption::new(format!("step {} ({step})", index + 1), reason);
                if step.key().is_empty() {
                    return Err(invalid("the key must not be empty".into()));
                }
                let key = format!("{prefix}{}", step.key());
                if key.len() > MAX_KEY_BYTES {
                    return Err(invalid(format!(
                        "the key with its prefix is {} bytes; S3 allows {MAX_KEY_BYTES}",
                        key.len()
                    )));
                }
                if key.starts_with(RESERVED_PREFIX) {
                    return Err(invalid(format!(
                        "the key {key:?} lies under {RESERVED_PREFIX}, which holds the plot and is not tracked"
                    )));
                }
                Ok(step.with_key(key))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { steps })
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

/// What the bucket should hold as the scenario runs: the totals, and the size of each key the scenario
/// touches (so an overwrite or a delete of an object that existed before counts right). Memory is bounded
/// by the scenario's keys, whatever the bucket's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    totals: Totals,
    touched: HashMap<String, Option<u64>>,
}

impl Expectation {
    /// An empty bucket, before any listing.
    pub fn new(scenario: &Scenario) -> Self {
        let touched = scenario.steps().iter().map(|step| (step.key().to_owned(), None)).collect();
        Self { totals: Totals::default(), touched }
    }

    /// Counts one object of the bucket's listing before the scenario. Keys under `plots/` are ignored.
    pub fn observe(&mut self, key: &str, size_bytes: u64) {
        if key.starts_with(RESERVED_PREFIX) {
            return;
        }
        self.totals.size_bytes += size_bytes;
        self.totals.object_count += 1;
        if let Some(size) = self.touched.get_mut(key) {
            *size = Some(size_bytes);
        }
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Applies `step` (one of the scenario's) and answers the totals after it.
    pub fn apply(&mut self, step: &Step) -> Totals {
        let slot = self.touched.entry(step.key().to_owned()).or_default();
        if let Some(old) = slot.take() {
            self.totals.size_bytes -= old;
            self.totals.object_count -= 1;
        }
        if let Some(new) = step.size_bytes() {
            self.totals.size_bytes += new;
            self.totals.object_count += 1;
            *slot = Some(new);
        }
        self.totals
    }
}
