//! The reconcile function: invoked by its schedule (EventBridge Scheduler, every quarter of an hour), each
//! invocation ticks the walks of every tracked bucket's two series (its objects, then its versions) in
//! turn until its time runs out (see
//! [`tracker::reconcile::tick`]). A finished walk logs its report and an EMF line: the drift it found and
//! the bucket's tracked totals. An invocation by hand may ask for a new walk of some buckets at once
//! ([`TickRequest`]). It links the DynamoDB store only.

mod config;

use std::process::ExitCode;

pub use config::ReconcileLambdaConfig;
use domain::{BucketName, Clock, Series, system_clock};
use lambda_runtime::{LambdaEvent, service_fn};
use store_dynamodb::DynamoLedger;
use tracker::TrackingRules;
use tracker::reconcile::{ReconcileError, Schedule, TickOutcome, tick};

/// What one invocation did for one bucket: one element of its answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BucketTick {
    pub bucket: String,
    /// Which of the bucket's series the tick walked (see [`Series::ALL`]).
    pub series: Series,
    #[serde(flatten)]
    pub outcome: TickOutcome,
    /// The EMF line printed for the bucket: a finished walk's drift and totals, or else the bucket's
    /// tracked totals as they stand, so that a bucket without events reports its size at every tick.
    #[serde(skip)]
    pub metrics: Option<String>,
}

/// What an invocation asks for beyond the schedule's tick: the schedule sends `{}`; by hand,
/// `{"walk_now": ["bucket", …]}` begins a new walk of those tracked buckets at once, whenever the last one
/// began (a walk under way goes on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickRequest {
    pub walk_now: Vec<BucketName>,
}

/// An invocation's event the function cannot follow: answered, not failed (it is the caller's mistake).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRequest(pub String);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFields {
    #[serde(default)]
    walk_now: Vec<String>,
}

impl TickRequest {
    /// Reads an invocation's event (`null` counts as `{}`); each bucket of `walk_now` must be one of
    /// `tracked`.
    pub fn from_event(event: serde_json::Value, tracked: &[BucketName]) -> Result<Self, InvalidRequest> {
        if event.is_null() {
            return Ok(Self::default());
        }
        let fields: RequestFields = serde_json::from_value(event).map_err(|e| {
            InvalidRequest(format!("the event must be {{}} or {{\"walk_now\": [bucket, …]}}: {e}"))
        })?;
        let walk_now = fields
            .walk_now
            .iter()
            .map(|name| match BucketName::parse(name.as_str()) {
                Ok(bucket) if tracked.contains(&bucket) => Ok(bucket),
                _ => Err(InvalidRequest(format!(
                    "walk_now: {name:?} is not a tracked bucket (tracked: {})",
                    tracked.iter().map(BucketName::as_str).collect::<Vec<_>>().join(", ")
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { walk_now })
    }
}

/// Some bucket's tick failed; the others were ticked, and the next invocation tries it again.
#[derive(Debug, thiserror::Error)]
#[error("reconciling the {} series of s3://{bucket} failed: {source}", .series.as_str())]
pub struct TickFailed {
    pub bucket: String,
    pub series: Series,
    #[source]
    pub source: ReconcileError,
}

/// The function's state across invocations: its clients and configuration.
pub struct Reconciler {
    s3: aws_sdk_s3::Client,
    ledger: DynamoLedger,
    config: ReconcileLambdaConfig,
    /// The reserved prefixes of `config`, asked per bucket.
    rules: TrackingRules,
    schedule: Schedule,
    clock: Clock,
}

impl Reconciler {
    pub fn new(
        config: ReconcileLambdaConfig,
        dynamodb: aws_sdk_dynamodb::Client,
        s3: aws_sdk_s3::Client,
    ) -> Self {
        let every_ms = i64::try_from(config.every.as_millis()).unwrap_or(i64::MAX);
        let ledger = DynamoLedger::new(dynamodb, config.tables.clone());
        let rules = TrackingRules { reserved: config.reserved.clone(), tracked_buckets: None };
        Self { s3, ledger, config, rules, schedule: Schedule::every(every_ms), clock: system_clock() }
    }

    /// The same, reading `page_keys` keys a page and telling the schedule's time by `clock` (tests; the
    /// ledger's samples keep the system's).
    pub fn with_pages_and_clock(mut self, page_keys: usize, clock: Clock) -> Self {
        self.schedule.page_keys = page_keys;
        self.clock = clock;
        self
    }

    /// The ledger the walks correct (it keeps the checkpoints too).
    pub fn ledger(&self) -> &DynamoLedger {
        &self.ledger
    }

    /// Ticks each bucket in turn, for an invocation that must end by `deadline_ms`; once one pauses (the
    /// time is up) the rest wait for the next invocation. Answers what each tick did, or the first
    /// failure once every bucket had its turn.
    pub async fn handle(
        &self,
        deadline_ms: i64,
        request: &TickRequest,
    ) -> Result<Vec<BucketTick>, TickFailed> {
        let mut ticks = Vec::with_capacity(self.config.buckets.len());
        let mut failed = None;
        'buckets: for bucket in &self.config.buckets {
            // A walk asked for now is due whenever the last one began.
            let schedule = if request.walk_now.contains(bucket) {
                Schedule { every_ms: 0, ..self.schedule }
            } else {
                self.schedule
            };
            let reserved = self.rules.reserved_prefixes_of(bucket);
            for series in Series::ALL {
                let name = series.of(bucket);
                let outcome = tick(
                    &self.s3,
                    &self.ledger,
                    &self.ledger,
                    &name,
                    &reserved,
                    &schedule,
                    &self.clock,
                    deadline_ms,
                )
                .await;
                match outcome {
                    Ok(outcome) => {
                        let metrics = self.metrics_line(&name, &outcome).await;
                        if let Some(line) = &metrics {
                            // Standard output is the function's log stream, where CloudWatch reads EMF lines.
                            println!("{line}");
                        }
                        let paused = matches!(outcome, TickOutcome::Paused { .. });
                        ticks.push(BucketTick { bucket: bucket.to_string(), series, outcome, metrics });
                        if paused {
                            break 'buckets;
                        }
                    }
                    Err(source) => {
                        tracing::error!(%bucket, series = series.as_str(), error = %source, "reconcile failed; the next invocation tries again");
                        failed.get_or_insert(TickFailed { bucket: bucket.to_string(), series, source });
                    }
                }
            }
        }
        failed.map_or(Ok(ticks), Err)
    }

    /// The EMF line of `name` (a bucket, or its all-versions series) after a tick: a finished walk's report,
    /// or the tracked totals as they stand (one read; a failed read only costs this tick's line).
    async fn metrics_line(&self, name: &domain::BucketName, outcome: &TickOutcome) -> Option<String> {
        let now_ms = (self.clock)();
        if let TickOutcome::Finished(report) = outcome {
            return Some(tracker::metrics::reconcile_emf_line(report, now_ms));
        }
        match domain::Ledger::totals(&self.ledger, name).await {
            Ok(totals) => Some(tracker::metrics::tracked_totals_emf_line(name, totals, now_ms)),
            Err(error) => {
                tracing::warn!(bucket = %name, error = %error, "the tracked totals could not be read for their metrics");
                None
            }
        }
    }
}

/// Builds the reconciler once, then serves invocations: the schedule's (`{}`), or one by hand naming the
/// buckets to walk now. An event it cannot follow is answered `{"error": "invalid_request", "detail"}`
/// and changes nothing.
pub async fn run(config: ReconcileLambdaConfig) -> ExitCode {
    let sdk = startup::sdk_config().await;
    let reconciler = Reconciler::new(config, store_dynamodb::client(&sdk), startup::s3_client(&sdk));
    let served = lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let reconciler = &reconciler;
        async move {
            let deadline_ms = i64::try_from(event.context.deadline).unwrap_or(i64::MAX);
            let request = match TickRequest::from_event(event.payload, &reconciler.config.buckets) {
                Ok(request) => request,
                Err(invalid) => {
                    tracing::warn!(%invalid, "an invocation the function cannot follow");
                    let answer =
                        serde_json::json!({"error": "invalid_request", "detail": invalid.to_string()});
                    return Ok::<_, lambda_runtime::Error>(answer);
                }
            };
            let ticks = reconciler.handle(deadline_ms, &request).await?;
            Ok(serde_json::to_value(ticks)?)
        }
    }))
    .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
