//! Flags and Lambda events into `Options`: defaults, validation, and the api URL's joining.

use std::time::Duration;

use clap::{CommandFactory, Parser};
use driver::options::{MAX_WINDOW_SECONDS, parse_api_url, parse_endpoint, parse_sleep, parse_window};
use driver::scenario::classic_steps;
use driver::{Cli, DriverError, Event, LambdaEnv, PlotApi, S3Endpoint, Scenario, Step};

/// Explicit values for the flags that have environment equivalents, so the process environment does
/// not matter.
fn cli(extra: &[&str]) -> Result<Cli, clap::Error> {
    let mut args = vec!["driver"];
    for (flag, value) in [
        ("--api-url", "http://127.0.0.1:3000"),
        ("--endpoint-url", "http://127.0.0.1:4566"),
        ("--bucket", "size-tracking-local"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    Cli::try_parse_from(args)
}

#[test]
fn defaults_are_the_local_stack() {
    let command = Cli::command();
    let default = |id: &str| {
        let argument = command.get_arguments().find(|a| a.get_id() == id).unwrap();
        argument.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>()
    };
    assert_eq!(default("api_url"), [format!("http://127.0.0.1:{}", startup::local::API_PORT)]);
    assert_eq!(default("endpoint_url"), [format!("http://127.0.0.1:{}", startup::local::S3_PORT)]);
    assert_eq!(default("bucket"), [startup::local::BUCKET]);
    assert_eq!(default("sleep"), ["2s"]);
    assert_eq!(default("window"), ["10"]);
    let env = |id: &str| {
        let argument = command.get_arguments().find(|a| a.get_id() == id).unwrap();
        argument.get_env().map(|name| name.to_string_lossy().into_owned())
    };
    assert_eq!(env("api_url").as_deref(), Some("PLOT_API_URL"));
    assert_eq!(env("endpoint_url").as_deref(), Some("DRIVER_ENDPOINT_URL"));
    assert_eq!(env("bucket").as_deref(), Some("BUCKET_NAME"));

    let run = cli(&[]).unwrap().into_options().unwrap();
    assert_eq!(run.options.sleep, Duration::from_secs(2));
    assert_eq!(run.options.window, 10);
    assert_eq!(run.options.scenario, Scenario::classic());
    assert_eq!(run.endpoint, S3Endpoint::Url("http://127.0.0.1:4566".into()));
    assert!(run.endpoint.is_local_stack());
    assert!(!run.json);
}

#[test]
fn flags_set_everything() {
    let run = cli(&[
        "--sleep",
        "500ms",
        "--window",
        "30",
        "--prefix",
        "runs/1/",
        "--step",
        "put:a.txt=hello",
        "--step",
        "delete:a.txt",
        "--json",
        "--endpoint-url",
        "aws",
    ])
    .unwrap()
    .into_options()
    .unwrap();
    assert_eq!(run.options.sleep, Duration::from_millis(500));
    assert_eq!(run.options.window, 30);
    assert_eq!(
        run.options.scenario.steps(),
        [Step::put("runs/1/a.txt", "hello"), Step::delete("runs/1/a.txt")]
    );
    assert_eq!(run.endpoint, S3Endpoint::Aws);
    assert!(run.json);
}

#[test]
fn bad_flags_are_refused_with_the_reason() {
    let error = |extra: &[&str]| cli(extra).unwrap_err().to_string();
    assert!(
        error(&["--window", "0"])
            .contains("invalid value '0' for '--window <SECONDS>': must be at least 1 second")
    );
    assert!(error(&["--window=-3"]).contains("must be at least 1 second"));
    assert!(error(&["--window", "2678401"]).contains("must be at most 2678400 seconds (31 days)"));
    assert!(error(&["--window", "ten"]).contains("not a whole number of seconds"));
    assert!(error(&["--sleep", "16m"]).contains("must be at most 15m"));
    assert!(error(&["--sleep", "2 parsecs"]).contains("not a duration"));
    assert!(error(&["--bucket", "Bad_Bucket"]).contains("invalid bucket name"));
    assert!(error(&["--api-url", "ftp://host"]).contains("must be an http:// or https:// URL with a host"));
    assert!(error(&["--api-url", "http://host/dev/?window=3"]).contains("must have no query or fragment"));
    assert!(error(&["--endpoint-url", "nowhere"]).contains("not a URL"));
    assert!(error(&["--step", "put:a"]).contains("put needs KEY=BODY"));
    assert!(error(&["--frobnicate"]).contains("unexpected argument"));
    // What the flags alone cannot see: the key with the prefix.
    let scenario_error = cli(&["--prefix", "plots/"]).unwrap().into_options().unwrap_err();
    assert_eq!(
        scenario_error.to_string(),
        "invalid step 1 (put:assignment1.txt=Empty Assignment 1): the key \"plots/assignment1.txt\" lies under plots/, which holds the plot and is not tracked"
    );
}

#[test]
fn value_parsers() {
    assert_eq!(parse_sleep("0s"), Ok(Duration::ZERO));
    assert_eq!(parse_sleep("1m 30s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_sleep("15min"), Ok(Duration::from_secs(900)));
    assert_eq!(parse_window("1"), Ok(1));
    assert_eq!(parse_window(&MAX_WINDOW_SECONDS.to_string()), Ok(MAX_WINDOW_SECONDS));
    assert_eq!(parse_endpoint("AWS"), Ok(S3Endpoint::Aws));
    assert_eq!(parse_endpoint("http://127.0.0.1:5000/"), Ok(S3Endpoint::Url("http://127.0.0.1:5000".into())));
    assert!(S3Endpoint::Url("http://localhost:4566".into()).is_local_stack());
    assert!(!S3Endpoint::Url("http://127.0.0.1:5000".into()).is_local_stack());
    assert!(!S3Endpoint::Aws.is_local_stack());
    assert!(parse_api_url("https://abc.execute-api.eu-west-1.amazonaws.com/dev/").is_ok());
}

#[test]
fn api_paths_join_with_exactly_one_slash() {
    let join = |base: &str| PlotApi::new(parse_api_url(base).unwrap()).url("plot").to_string();
    assert_eq!(join("http://127.0.0.1:3000"), "http://127.0.0.1:3000/plot");
    assert_eq!(join("http://127.0.0.1:3000/"), "http://127.0.0.1:3000/plot");
    let stage = "https://abc.execute-api.eu-west-1.amazonaws.com/dev/plot";
    assert_eq!(join("https://abc.execute-api.eu-west-1.amazonaws.com/dev/"), stage);
    assert_eq!(join("https://abc.execute-api.eu-west-1.amazonaws.com/dev"), stage);
    assert_eq!(join("https://abc.execute-api.eu-west-1.amazonaws.com/dev//"), stage);
    let api = PlotApi::new(parse_api_url("https://abc.execute-api.eu-west-1.amazonaws.com/dev/").unwrap());
    assert_eq!(api.url("/healthz").as_str(), "https://abc.execute-api.eu-west-1.amazonaws.com/dev/healthz");
    assert_eq!(api.base(), "https://abc.execute-api.eu-west-1.amazonaws.com/dev");
}

fn lambda_env() -> LambdaEnv {
    LambdaEnv {
        bucket: Some("size-tracking-bucket".into()),
        api_url: Some("https://abc.execute-api.eu-west-1.amazonaws.com/dev/".into()),
        ..LambdaEnv::default()
    }
}

fn event_options(event: serde_json::Value) -> Result<driver::Options, DriverError> {
    Event::from_value(event).map_err(DriverError::from)?.into_options(&lambda_env())
}

#[test]
fn empty_lambda_event_runs_the_classic_scenario() {
    for event in [serde_json::Value::Null, serde_json::json!({})] {
        let options = event_options(event).unwrap();
        assert_eq!(options.bucket.as_str(), "size-tracking-bucket");
        assert_eq!(options.api_url.as_str(), "https://abc.execute-api.eu-west-1.amazonaws.com/dev/");
        assert_eq!(options.sleep, Duration::from_secs(2));
        assert_eq!(options.window, 10);
        assert_eq!(options.scenario.steps(), classic_steps());
    }
}

#[test]
fn lambda_event_sets_everything() {
    let options = event_options(serde_json::json!({
        "sleep": "750ms",
        "window": 60,
        "prefix": "lambda/",
        "steps": [{"put": {"key": "a.txt", "body": "hello"}}, {"delete": "a.txt"}],
    }))
    .unwrap();
    assert_eq!(options.sleep, Duration::from_millis(750));
    assert_eq!(options.window, 60);
    assert_eq!(options.scenario.steps(), [Step::put("lambda/a.txt", "hello"), Step::delete("lambda/a.txt")]);

    let options = event_options(serde_json::json!({"sleep_ms": 250})).unwrap();
    assert_eq!(options.sleep, Duration::from_millis(250));
}

#[test]
fn bad_lambda_events_are_refused_with_the_field() {
    let error = |event: serde_json::Value| event_options(event).unwrap_err().to_string();
    assert_eq!(error(serde_json::json!({"window": 0})), "invalid window: must be at least 1 second");
    assert_eq!(error(serde_json::json!({"sleep": "20m"})), "invalid sleep: must be at most 15m");
    assert_eq!(error(serde_json::json!({"sleep_ms": 900_001})), "invalid sleep_ms: must be at most 15m");
    assert_eq!(
        error(serde_json::json!({"sleep": "1s", "sleep_ms": 5})),
        "invalid sleep: give sleep or sleep_ms, not both"
    );
    assert!(error(serde_json::json!({"sleep": "soon"})).starts_with("invalid sleep: not a duration"));
    assert!(
        error(serde_json::json!({"windows": 5}))
            .starts_with("invalid event: unknown field `windows`, expected one of"),
        "{}",
        error(serde_json::json!({"windows": 5}))
    );
    assert!(error(serde_json::json!({"window": "10"})).starts_with("invalid event: invalid type"));
    assert!(error(serde_json::json!([1, 2])).starts_with("invalid event:"));
    assert_eq!(error(serde_json::json!({"steps": []})), "invalid steps: there must be at least one step");
    assert!(
        error(serde_json::json!({"steps": [{"delete": "plots/plot.png"}]})).contains("lies under plots/")
    );
    assert!(
        error(serde_json::json!({"steps": [{"put": {"key": "", "body": "x"}}]}))
            .contains("must not be empty")
    );
}

#[test]
fn lambda_settings_come_from_the_environment() {
    let event = Event::default;
    let env = |bucket: Option<&str>, api: Option<&str>| LambdaEnv {
        bucket: bucket.map(Into::into),
        api_url: api.map(Into::into),
        ..LambdaEnv::default()
    };
    let error = |env: LambdaEnv| event().into_options(&env).unwrap_err().to_string();
    assert_eq!(error(env(None, Some("https://x/dev/"))), "bad setting BUCKET_NAME: not set");
    assert_eq!(error(env(Some("b-1"), None)), "bad setting PLOT_API_URL: not set");
    assert!(
        error(env(Some("B_1"), Some("https://x/dev/")))
            .starts_with("bad setting BUCKET_NAME: invalid bucket name")
    );
    assert_eq!(
        error(env(Some("b-1"), Some("x/dev"))),
        "bad setting PLOT_API_URL: not a URL: relative URL without a base"
    );
}

#[test]
fn a_protected_api_is_named_by_its_mode_and_its_keys_id() {
    use driver::ApiAuthChoice;
    let auth = |extra: &[&str]| cli(extra).unwrap().into_options().map(|c| c.options.api_auth);
    assert_eq!(auth(&["--api-auth", "none"]), Ok(ApiAuthChoice::None));
    assert_eq!(auth(&["--api-auth", "iam"]), Ok(ApiAuthChoice::Iam));
    let keyed = Ok(ApiAuthChoice::ApiKey { id: "a1b2c3".into() });
    assert_eq!(auth(&["--api-auth", "api-key", "--api-key-id", "a1b2c3"]), keyed);
    assert_eq!(auth(&["--api-key-id", "a1b2c3"]), keyed, "an id alone means api-key");
    let refused = |extra: &[&str]| auth(extra).unwrap_err().to_string();
    assert_eq!(refused(&["--api-auth", "api-key"]), "invalid --api-auth: api-key needs the API key's id");
    assert_eq!(
        refused(&["--api-auth", "iam", "--api-key-id", "a1b2c3"]),
        "invalid --api-auth: an API key's id goes with api-key, not iam"
    );
    let bad_mode = cli(&["--api-auth", "cognito"]).unwrap_err().to_string();
    assert!(bad_mode.contains("must be one of none, api-key, iam, got \"cognito\""), "{bad_mode}");

    let from_env = |mode: Option<&str>, id: Option<&str>| {
        let env =
            LambdaEnv { api_auth: mode.map(Into::into), api_key_id: id.map(Into::into), ..lambda_env() };
        Event::default().into_options(&env).map(|options| options.api_auth).map_err(|e| e.to_string())
    };
    assert_eq!(from_env(None, None), Ok(ApiAuthChoice::None));
    assert_eq!(from_env(Some("iam"), None), Ok(ApiAuthChoice::Iam));
    assert_eq!(from_env(Some("api-key"), Some("k-1")), Ok(ApiAuthChoice::ApiKey { id: "k-1".into() }));
    assert_eq!(
        from_env(Some("api-key"), None),
        Err("bad setting PLOT_API_KEY_ID: api-key needs the API key's id".into())
    );
    assert_eq!(
        from_env(Some("IAM"), None),
        Err("bad setting PLOT_API_AUTH: must be one of none, api-key, iam, got \"IAM\"".into())
    );
}
