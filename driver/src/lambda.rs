//! The Lambda entry point: each invocation runs the scenario its event describes (see
//! [`Event`](crate::options::Event)) against `BUCKET_NAME` and `PLOT_API_URL`, and answers the
//! [`Summary`]. A failure is the invocation's error result, with `errorType` naming its kind.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};

use crate::api_auth::AuthContext;
use crate::error::DriverError;
use crate::options::{Event, LambdaEnv};
use crate::report::Summary;
use crate::run::{run, scenario_duration};
use crate::s3::S3;

/// Time kept for the S3 calls and the plot request beyond the steps' sleeps.
pub const MARGIN: Duration = Duration::from_secs(20);

/// Handles one event. `time_left` is the invocation's remaining time, when known: a scenario that cannot
/// finish in it is refused before it changes anything.
pub async fn handle(
    s3: &S3,
    auth: &AuthContext,
    env: &LambdaEnv,
    payload: serde_json::Value,
    time_left: Option<Duration>,
) -> Result<Summary, DriverError> {
    let options = Event::from_value(payload)?.into_options(env)?;
    let needed = scenario_duration(&options) + MARGIN;
    if let Some(left) = time_left.filter(|left| *left < needed) {
        return Err(DriverError::NotEnoughTime { needed_s: needed.as_secs(), left_s: left.as_secs() });
    }
    run(s3, auth, &options, |progress| {
        for line in progress.lines() {
            tracing::info!("{line}");
        }
    })
    .await
}

/// Serves invocations until the runtime stops.
pub async fn serve(s3: S3, auth: AuthContext, env: LambdaEnv) -> Result<(), lambda_runtime::Error> {
    let (s3, auth, env) = (&s3, &auth, &env);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let time_left = remaining(event.context.deadline);
        handle(s3, auth, env, event.payload, time_left)
            .await
            .inspect_err(|error| {
                if error.is_callers_mistake() {
                    tracing::warn!(kind = error.kind(), "{error}");
                } else {
                    tracing::error!(kind = error.kind(), "{error}");
                }
            })
            .map_err(Diagnostic::from)
    }))
    .await
}

/// The time until `deadline_ms` (epoch milliseconds), if it is a plausible deadline.
fn remaining(deadline_ms: u64) -> Option<Duration> {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    (deadline_ms > 0).then(|| Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_ms() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
    }

    #[test]
    fn no_deadline_is_no_limit() {
        assert_eq!(remaining(0), None);
    }

    #[test]
    fn a_deadline_ahead_leaves_the_time_until_it() {
        let left = remaining(now_ms() + 60_000).expect("a deadline");
        assert!(left <= Duration::from_secs(60) && left > Duration::from_secs(59), "{left:?}");
    }

    #[test]
    fn a_deadline_passed_leaves_nothing() {
        assert_eq!(remaining(now_ms() - 1_000), Some(Duration::ZERO));
    }
}
