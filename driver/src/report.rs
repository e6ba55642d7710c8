//! What a run tells: the summary (the CLI's `--json` output and the Lambda's answer) and the progress
//! lines printed as it goes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::plot_api::{PlotAnswer, WindowAnswer};
use crate::scenario::{RESERVED_PREFIX, Step, Totals};

/// The outcome of a run.
///
/// ```json
/// {
///   "bucket": "size-tracking-local",
///   "before": {"size_bytes": 0, "object_count": 0},
///   "steps": [
///     {"action": "put", "key": "assignment1.txt", "size_bytes": 18,
///      "expected_bucket_size_bytes": 18, "expected_object_count": 1},
///     {"action": "delete", "key": "assignment1.txt", "size_bytes": null,
///      "expected_bucket_size_bytes": 0, "expected_object_count": 0}
///   ],
///   "plot": {"url": "http://…/plots/plot.png?X-Amz-…", "key": "plots/plot.png", "expires_in": 300,
///            "window_seconds": 10, "samples": [18, 27, 0, 2], "carry_in_size_bytes": null,
///            "max_size_bytes": 27}
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub bucket: String,
    /// The bucket's totals before the first step, from a listing (keys under `plots/` left out).
    pub before: Totals,
    /// One entry per step, in order.
    pub steps: Vec<StepReport>,
    pub plot: PlotSummary,
}

/// One step taken, and what the bucket should hold after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// `"put"` or `"delete"`.
    pub action: String,
    /// The full key (with the prefix).
    pub key: String,
    /// The object's size after a put; `null` for a delete.
    pub size_bytes: Option<u64>,
    /// The bucket's tracked size after this step.
    pub expected_bucket_size_bytes: u64,
    /// The bucket's tracked object count after this step.
    pub expected_object_count: u64,
}

impl StepReport {
    pub fn new(step: &Step, after: Totals) -> Self {
        Self {
            action: step.action().to_owned(),
            key: step.key().to_owned(),
            size_bytes: step.size_bytes(),
            expected_bucket_size_bytes: after.size_bytes,
            expected_object_count: after.object_count,
        }
    }

    pub fn expected(&self) -> Totals {
        Totals { size_bytes: self.expected_bucket_size_bytes, object_count: self.expected_object_count }
    }
}

/// The Plot API's answer, reduced to what a reader wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotSummary {
    /// The presigned URL of the plot image.
    pub url: String,
    /// The plot's key in the bucket.
    pub key: String,
    /// Seconds the URL stays valid, as the api said.
    pub expires_in: Option<u64>,
    pub window_seconds: u64,
    /// The sizes of the samples the api saw in the window, oldest first.
    pub samples: Vec<u64>,
    /// The size the window starts with (the last sample before it), if any.
    pub carry_in_size_bytes: Option<u64>,
    /// The all-time largest size, if any sample exists.
    pub max_size_bytes: Option<u64>,
}

impl PlotSummary {
    /// The plot's answer, with the samples of the window it shows.
    pub fn new(plot: PlotAnswer, window: WindowAnswer) -> Self {
        Self {
            url: plot.url,
            key: plot.key,
            expires_in: plot.expires_in,
            window_seconds: plot.window_seconds,
            samples: window.samples.iter().map(|sample| sample.size_bytes).collect(),
            carry_in_size_bytes: window.carry_in.map(|sample| sample.size_bytes),
            max_size_bytes: plot.max.map(|sample| sample.size_bytes),
        }
    }
}

/// A moment of a run worth telling.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The bucket was listed; the steps are about to start.
    Start { bucket: &'a str, before: Totals, steps: usize, sleep: Duration },
    /// Step `number` of `of` is done.
    Step { number: usize, of: usize, report: &'a StepReport },
    /// The api answered.
    Plot(&'a PlotSummary),
}

impl Progress<'_> {
    /// The progress as text: one line per event, two for the plot (its URL, then the samples).
    pub fn lines(&self) -> Vec<String> {
        match *self {
            Progress::Start { bucket, before, steps, sleep } => vec![format!(
                "bucket {bucket} holds {} (keys under {RESERVED_PREFIX} not counted); {steps} step{}, {} apart",
                totals(before),
                plural(steps as u64),
                humantime::format_duration(sleep)
            )],
            Progress::Step { number, of, report } => {
                let object = match report.size_bytes {
                    Some(size) => format!(" ({})", bytes(size)),
                    None => String::new(),
                };
                vec![format!(
                    "[{number}/{of}] {} {}{object} → bucket should hold {}",
                    report.action,
                    report.key,
                    totals(report.expected())
                )]
            }
            Progress::Plot(plot) => {
                let mut seen = if plot.samples.is_empty() {
                    "none".to_owned()
                } else {
                    plot.samples.iter().map(|size| bytes(*size)).collect::<Vec<_>>().join(", ")
                };
                if let Some(carry_in) = plot.carry_in_size_bytes {
                    seen.push_str(&format!("; {} before the window", bytes(carry_in)));
                }
                if let Some(max) = plot.max_size_bytes {
                    seen.push_str(&format!("; all-time max {}", bytes(max)));
                }
                vec![
                    format!("plot: {}", plot.url),
                    format!("samples the api saw in the last {} s: {seen}", plot.window_seconds),
                ]
            }
        }
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn totals(totals: Totals) -> String {
    format!("{} in {} object{}", bytes(totals.size_bytes), totals.object_count, plural(totals.object_count))
}

/// Exact bytes, with a binary-unit reading from 1 KiB on: `18 B`, `1536 B (1.5 KiB)`.
pub fn bytes(size: u64) -> String {
    if size < 1024 { format!("{size} B") } else { format!("{size} B ({})", domain::human_bytes(size)) }
}
