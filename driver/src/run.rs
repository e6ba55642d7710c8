//! One run: list the bucket, take each step (sleeping after it), ask the api for the plot and the window.

use std::time::Duration;

use crate::api_auth::{ApiAuth, AuthContext};
use crate::error::DriverError;
use crate::options::Options;
use crate::plot_api::PlotApi;
use crate::report::{PlotSummary, Progress, StepReport, Summary};
use crate::s3::S3;
use crate::scenario::{Expectation, Step};

/// Runs `options` against `s3`, telling `progress` as it goes.
///
/// Before changing anything it makes ready what lets it into a protected api (`auth` reads the API key or
/// holds the credentials to sign with), lists the bucket (the baseline; a missing bucket or an unreachable
/// endpoint fails here) and checks that the api answers at all. A failure later stops the run where it
/// is: the steps already taken stay, and nothing is cleaned up beyond what the scenario's own steps do.
pub async fn run(
    s3: &S3,
    auth: &AuthContext,
    options: &Options,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Summary, DriverError> {
    let bucket = options.bucket.as_str();
    let api = PlotApi::with_auth(options.api_url.clone(), ApiAuth::resolve(&options.api_auth, auth).await?);
    let steps = options.scenario.steps();

    let mut expectation = Expectation::new(&options.scenario);
    s3.survey(bucket, &mut expectation).await?;
    api.check_reachable().await?;
    warn_if_longer_than_window(options);

    let before = expectation.totals();
    progress(Progress::Start { bucket, before, steps: steps.len(), sleep: options.sleep });
    let mut reports = Vec::with_capacity(steps.len());
    for (index, step) in steps.iter().enumerate() {
        match step {
            Step::Put { key, body } => s3.put(bucket, key, body).await?,
            Step::Delete(key) => s3.delete(bucket, key).await?,
        }
        let report = StepReport::new(step, expectation.apply(step));
        progress(Progress::Step { number: index + 1, of: steps.len(), report: &report });
        reports.push(report);
        tokio::time::sleep(options.sleep).await;
    }

    let answer = api.plot(bucket, options.window).await?;
    if answer.bucket != bucket {
        tracing::warn!(asked = bucket, answered = %answer.bucket, "the Plot API answered for another bucket");
    }
    let window = api.window(bucket, options.window).await?;
    let plot = PlotSummary::new(answer, window);
    progress(Progress::Plot(&plot));
    Ok(Summary { bucket: bucket.to_owned(), before, steps: reports, plot })
}

/// How long the steps and their sleeps take, roughly (the S3 calls are not counted).
pub fn scenario_duration(options: &Options) -> Duration {
    options.sleep.saturating_mul(options.scenario.steps().len() as u32)
}

fn warn_if_longer_than_window(options: &Options) {
    let duration = scenario_duration(options);
    if duration >= Duration::from_secs(options.window.into()) {
        tracing::warn!(
            "the steps take about {} but the window is {} s: the first changes will fall before it",
            humantime::format_duration(duration),
            options.window
        );
    }
}
