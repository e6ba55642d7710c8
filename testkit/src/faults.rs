//! Failures on purpose: an SDK interceptor that makes chosen DynamoDB requests fail as AWS can make them
//! fail, so that a test can show what the code does then.
//!
//! Build a [`FaultInjector`] from a seed, tell it which requests to fail (a fraction of them, every one, or
//! a scripted sequence, per operation or for all), attach it to a client with [`FaultInjector::dynamodb`],
//! run the code under test, and read back every request it saw and what it did to each
//! ([`FaultInjector::log`]). The same seed and the same requests give the same faults.
//!
//! ```no_run
//! # async fn demo(sdk: aws_config::SdkConfig) {
//! use testkit::faults::{Fault, FaultInjector, Reach};
//! let injector = FaultInjector::new(7)
//!     .always("TransactWriteItems", Fault::TransactionCanceled(Reach::Withheld))
//!     .fraction(testkit::faults::ANY, 0.1, Fault::Throttling(Reach::Processed))
//!     .script("BatchGetItem", [(0, Fault::UnprocessedKeys)]);
//! let client = injector.dynamodb(&sdk);
//! # }
//! ```
//!
//! Every injected error says [`INJECTED`] in its message; [`is_injected`] finds it in an error's chain.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Every injected failure's message holds these words.
pub const INJECTED: &str = "injected by FaultInjector";

/// A rule for this operation name applies to every operation.
pub const ANY: &str = "*";

/// What happens to a request chosen to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The request is never sent: the call fails at once with a dispatch failure, as when the connection
    /// is refused. The SDK does not retry it.
    Unsent,
    /// The answer is `ProvisionedThroughputExceededException` (HTTP 400): throttling, which the SDK retries
    /// while it has attempts left.
    Throttling(Reach),
    /// The answer is `InternalServerError` (HTTP 500): a transient error, which the SDK retries.
    ServerError(Reach),
    /// The answer is `TransactionCanceledException` with a `ConditionalCheckFailed` reason: to a
    /// conditional writer, a lost race. The SDK does not retry it.
    TransactionCanceled(Reach),
    /// `BatchGetItem` only (other operations pass untouched): of each table's keys, the last half (rounded
    /// down) come back in `UnprocessedKeys` and their items are left out of `Responses`, as DynamoDB does
    /// when a batch exceeds its limits. Items are matched to keys on the key attributes they carry.
    UnprocessedKeys,
}

/// Whether the service saw a request whose answer is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// The table never sees the request: before signing it is swapped for a `ListTables`, which changes
    /// nothing, and that answer is replaced.
    Withheld,
    /// The service handles the request, then its answer is replaced: the caller cannot tell that a write
    /// it was told failed did happen.
    Processed,
}

impl Fault {
    /// Whether the service handles the request (and a write in it takes effect).
    pub fn reaches_service(self) -> bool {
        match self {
            Fault::Unsent => false,
            Fault::Throttling(reach) | Fault::ServerError(reach) | Fault::TransactionCanceled(reach) => {
                reach == Reach::Processed
            }
            Fault::UnprocessedKeys => true,
        }
    }

    fn withheld(self) -> bool {
        matches!(
            self,
            Fault::Throttling(Reach::Withheld)
                | Fault::ServerError(Reach::Withheld)
                | Fault::TransactionCanceled(Reach::Withheld)
        )
    }

    /// The answer that replaces the service's, for the faults that replace it.
    fn answer(self) -> Option<(u16, serde_json::Value)> {
        let error = |code: &str, message: String| serde_json::json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": message });
        match self {
            Fault::Unsent | Fault::UnprocessedKeys => None,
            Fault::Throttling(_) => Some((
                400,
                error(
                    "ProvisionedThroughputExceededException",
                    format!(
                        "The level of configured provisioned throughput for the table was exceeded ({INJECTED})"
                    ),
                ),
            )),
            Fault::ServerError(_) => {
                Some((500, error("InternalServerError", format!("Internal server error ({INJECTED})"))))
            }
            Fault::TransactionCanceled(_) => {
                let mut body = error(
                    "TransactionCanceledException",
                    format!(
                        "Transaction cancelled, please refer cancellation reasons for specific reasons \
                         [ConditionalCheckFailed] ({INJECTED})"
                    ),
                );
                body["CancellationReasons"] = serde_json::json!([
                    { "Code": "ConditionalCheckFailed", "Message": "The conditional request failed" }
                ]);
                Some((400, body))
            }
        }
    }
}

/// One request attempt the injector saw (an SDK retry is another attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The operation, e.g. `TransactWriteItems`.
    pub operation: String,
    /// What the injector did to it.
    pub fault: Option<Fault>,
    /// The HTTP status of the answer the SDK read (after any replacement); `None` when none was received.
    pub status: Option<u16>,
    /// The error code of an error answer, e.g. `TransactionCanceledException`.
    pub error_code: Option<String>,
}

/// Fails chosen DynamoDB requests. Clones share their rules, counters and log.
#[derive(Debug, Clone)]
pub struct FaultInjector {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    rng: fastrand::Rng,
    rules: Vec<Rule>,
    limit: Option<u64>,
    injected: u64,
    paused: bool,
    log: Vec<Attempt>,
}

#[derive(Debug)]
struct Rule {
    operation: String,
    /// How many requests this rule has matched: the position of the next one in its script.
    seen: u64,
    plan: Plan,
}

#[derive(Debug)]
enum Plan {
    Fraction(f64, Fault),
    Script(BTreeMap<u64, Fault>),
}

impl State {
    /// Every rule that matches counts the request, whether or not a fault is injected, so that script
    /// positions and random draws do not depend on the other rules, the limit or a pause.
    fn decide(&mut self, operation: &str) -> Option<Fault> {
        let mut chosen = None;
        for rule in self.rules.iter_mut().filter(|rule| rule.operation == ANY || rule.operation == operation)
        {
            let position = rule.seen;
            rule.seen += 1;
            let fault = match &rule.plan {
                Plan::Fraction(fraction, fault) => (self.rng.f64() < *fraction).then_some(*fault),
                Plan::Script(script) => script.get(&position).copied(),
            };
            chosen = chosen.or(fault);
        }
        let applies = |fault: &Fault| *fault != Fault::UnprocessedKeys || operation == "BatchGetItem";
        let allowed = !self.paused && self.limit.is_none_or(|limit| self.injected < limit);
        let chosen = chosen.filter(applies).filter(|_| allowed);
        if chosen.is_some() {
            self.injected += 1;
        }
        chosen
    }
}

impl FaultInjector {
    /// An injector that fails nothing until rules are added; `seed` drives its fractions.
    pub fn new(seed: u64) -> Self {
        let state = State {
            rng: fastrand::Rng::with_seed(seed),
            rules: Vec::new(),
            limit: None,
            injected: 0,
            paused: false,
            log: Vec::new(),
        };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn rule(self, operation: &str, plan: Plan) -> Self {
        self.state().rules.push(Rule { operation: operation.to_owned(), seen: 0, plan });
        self
    }

    /// Fails every request of `operation` (or of every operation: [`ANY`]) with `fault`.
    pub fn always(self, operation: &str, fault: Fault) -> Self {
        self.rule(operation, Plan::Fraction(1.0, fault))
    }

    /// Fails each request of `operation` with probability `fraction`, drawn from the seeded generator.
    pub fn fraction(self, operation: &str, fraction: f64, fault: Fault) -> Self {
        self.rule(operation, Plan::Fraction(fraction, fault))
    }

    /// Fails the requests of `operation` at the given positions: 0 is the first request of that operation
    /// (of any, for [`ANY`]) this injector sees, SDK retries counted.
    pub fn script(self, operation: &str, faults: impl IntoIterator<Item = (u64, Fault)>) -> Self {
        self.rule(operation, Plan::Script(faults.into_iter().collect()))
    }

    /// Injects at most `limit` faults in all; the requests after that pass.
    pub fn at_most(self, limit: u64) -> Self {
        self.state().limit = Some(limit);
        self
    }

    /// Stops injecting until [`Self::resume`]; requests are still counted and logged.
    pub fn pause(&self) {
        self.state().paused = true;
    }

    pub fn resume(&self) {
        self.state().paused = false;
    }

    /// Every attempt seen so far, in order.
    pub fn log(&self) -> Vec<Attempt> {
        self.state().log.clone()
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> u64 {
        self.state().injected
    }

    /// A DynamoDB client for `sdk` whose requests pass through this injector.
    pub fn dynamodb(&self, sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(self.clone()).build(),
        )
    }
}

/// `sdk` with standard retries of `max_attempts` attempts that back off for milliseconds, not seconds (so
/// that a retried fault costs no time), and timeouts on every attempt and operation (so that no call waits
/// for ever on a peer that stopped answering).
pub fn quick_retries(sdk: &SdkConfig, max_attempts: u32) -> SdkConfig {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    sdk.to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(max_attempts)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build()
}

/// Whether an error, or any of its sources, is a failure this injector made.
pub fn is_injected(error: &(dyn Error + 'static)) -> bool {
    chain(error).any(|link| link.to_string().contains(INJECTED))
}

/// Whether an error, or any of its sources, is a failure to reach the service at all (a refused or broken
/// connection, a timeout) that was not injected: the peer is gone, not the code wrong.
pub fn is_unreachable(error: &(dyn Error + 'static)) -> bool {
    !is_injected(error)
        && chain(error).any(|link| {
            link.downcast_ref::<ConnectorError>().is_some()
                // The SDK's `SdkError::TimeoutError` says so; its source is a private type.
                || link.to_string() == "request has timed out"
        })
}

fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&link| link.source())
}

/// The failure [`Fault::Unsent`] stops a request with.
#[derive(Debug)]
struct Unsent {
    operation: String,
}

impl std::fmt::Display for Unsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} was not sent ({INJECTED})", self.operation)
    }
}

impl Error for Unsent {}

/// What was decided for the current attempt: its entry in the log and its fault.
#[derive(Debug, Clone)]
struct Decision {
    entry: usize,
    operation: String,
    fault: Option<Fault>,
}

impl Storable for Decision {
    type Storer = StoreReplace<Self>;
}

/// The keys a `BatchGetItem` asked for (the input is gone once serialized).
#[derive(Debug, Clone)]
struct RequestedKeys(HashMap<String, KeysAndAttributes>);

impl Storable for RequestedKeys {
    type Storer = StoreReplace<Self>;
}

fn operation_name(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>().map(|metadata| metadata.name().to_owned()).unwrap_or_default()
}

impl Intercept for FaultInjector {
    fn name(&self) -> &'static str {
        "FaultInjector"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input().downcast_ref::<BatchGetItemInput>() {
            let requested = input.request_items.clone().unwrap_or_default();
            cfg.interceptor_state().store_put(RequestedKeys(requested));
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation_name(cfg);
        let mut state = self.state();
        let fault = state.decide(&operation);
        let entry = state.log.len();
        state.log.push(Attempt { operation: operation.clone(), fault, status: None, error_code: None });
        drop(state);
        cfg.interceptor_state().store_put(Decision { entry, operation, fault });
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Decision>().and_then(|d| d.fault).is_some_and(Fault::withheld) {
            // DynamoDB's JSON protocol names the operation in this header; ListTables changes nothing.
            const NEUTRAL: &str = r#"{"Limit":1}"#;
            let request = context.request_mut();
            request.headers_mut().insert("x-amz-target", "DynamoDB_20120810.ListTables");
            request.headers_mut().insert("content-length", NEUTRAL.len().to_string());
            *request.body_mut() = SdkBody::from(NEUTRAL);
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Decision>() {
            Some(Decision { fault: Some(Fault::Unsent), operation, .. }) => {
                Err(Box::new(Unsent { operation: operation.clone() }))
            }
            _ => Ok(()),
        }
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some((status, body)) = cfg.load::<Decision>().and_then(|d| d.fault).and_then(Fault::answer)
        else {
            return Ok(());
        };
        let body = body.to_string();
        let mut response = HttpResponse::new(StatusCode::try_from(status)?, SdkBody::from(body.clone()));
        response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
        response.headers_mut().insert("content-length", body.len().to_string());
        response.headers_mut().insert("x-amzn-requestid", "fault-injector");
        *context.response_mut() = response;
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(decision) = cfg.load::<Decision>().cloned() else { return Ok(()) };
        if decision.fault == Some(Fault::UnprocessedKeys)
            && let Some(RequestedKeys(requested)) = cfg.load::<RequestedKeys>()
            && let Some(Ok(output)) = context.output_or_error_mut()
            && let Some(output) = output.downcast_mut::<BatchGetItemOutput>()
        {
            leave_unprocessed(requested, output);
        }
        let status = context.response().map(|response| response.status().as_u16());
        let error_code = context
            .response()
            .filter(|response| !response.status().is_success())
            .and_then(|response| response.body().bytes())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
            .and_then(|body| body.get("__type").and_then(|t| t.as_str()).map(str::to_owned))
            .map(|code| code.rsplit('#').next().unwrap_or_default().to_owned());
        if let Some(attempt) = self.state().log.get_mut(decision.entry) {
            attempt.status = status;
            attempt.error_code = error_code;
        }
        Ok(())
    }
}

/// Moves the last half (rounded down) of each table's requested keys to `UnprocessedKeys`, and their items
/// out of `Responses`.
fn leave_unprocessed(requested: &HashMap<String, KeysAndAttributes>, output: &mut BatchGetItemOutput) {
    let mut unprocessed = output.unprocessed_keys.take().unwrap_or_default();
    for (table, asked) in requested {
        let kept = asked.keys.len() - asked.keys.len() / 2;
        let left = &asked.keys[kept..];
        if left.is_empty() {
            continue;
        }
        if let Some(items) = output.responses.as_mut().and_then(|responses| responses.get_mut(table)) {
            items.retain(|item| !left.iter().any(|key| corresponds(item, key)));
        }
        unprocessed
            .entry(table.clone())
            .or_insert_with(|| {
                let mut rest = asked.clone();
                rest.keys.clear();
                rest
            })
            .keys
            .extend_from_slice(left);
    }
    output.unprocessed_keys = Some(unprocessed);
}

/// Whether `item` is the item of `key`, judged on the key attributes the item carries (a projection may
/// leave some out).
fn corresponds(item: &HashMap<String, AttributeValue>, key: &HashMap<String, AttributeValue>) -> bool {
    key.iter().all(|(name, value)| item.get(name).is_none_or(|held| held == value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decisions(injector: &FaultInjector, operations: &[&str]) -> Vec<Option<Fault>> {
        operations.iter().map(|operation| injector.state().decide(operation)).collect()
    }

    #[test]
    fn a_script_counts_only_the_requests_of_its_operation() {
        let canceled = Fault::TransactionCanceled(Reach::Withheld);
        let injector = FaultInjector::new(1).script("TransactWriteItems", [(1, canceled)]);
        let seen = decisions(
            &injector,
            &["TransactGetItems", "TransactWriteItems", "GetItem", "TransactWriteItems"],
        );
        assert_eq!(seen, [None, None, None, Some(canceled)]);
        assert_eq!(injector.injected(), 1);
    }

    #[test]
    fn the_same_seed_fails_the_same_requests() {
        let pick = |seed| {
            let injector = FaultInjector::new(seed).fraction(ANY, 0.3, Fault::Unsent);
            decisions(&injector, &["GetItem"; 200])
        };
        assert_eq!(pick(42), pick(42));
        let failed = pick(42).iter().filter(|d| d.is_some()).count();
        assert!((30..=90).contains(&failed), "0.3 of 200 requests, got {failed}");
    }

    #[test]
    fn a_limit_or_a_pause_stops_injecting_without_shifting_the_script() {
        let throttled = Fault::Throttling(Reach::Processed);
        let injector =
            FaultInjector::new(1).script(ANY, [(0, throttled), (2, throttled), (3, throttled)]).at_most(2);
        injector.pause();
        assert_eq!(decisions(&injector, &["GetItem"]), [None]);
        injector.resume();
        assert_eq!(decisions(&injector, &["GetItem"; 3]), [None, Some(throttled), Some(throttled)]);
        assert_eq!(decisions(&injector, &["GetItem"]), [None], "the limit of 2 is reached");
    }

    #[test]
    fn unprocessed_keys_apply_to_batch_gets_only() {
        let injector = FaultInjector::new(1).always(ANY, Fault::UnprocessedKeys);
        assert_eq!(decisions(&injector, &["GetItem", "BatchGetItem"]), [None, Some(Fault::UnprocessedKeys)]);
    }

    #[test]
    fn half_the_keys_are_left_unprocessed_with_their_items() {
        let key = |sk: &str| {
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S("p".into())),
                ("sk".to_owned(), AttributeValue::S(sk.into())),
            ])
        };
        let asked = KeysAndAttributes::builder()
            .set_keys(Some(["a", "b", "c", "d", "e"].map(key).to_vec()))
            .projection_expression("sk")
            .build()
            .unwrap();
        let found = |sk: &str| HashMap::from([("sk".to_owned(), AttributeValue::S(sk.into()))]);
        let mut output =
            BatchGetItemOutput::builder().responses("t", vec![found("a"), found("d"), found("e")]).build();
        leave_unprocessed(&HashMap::from([("t".to_owned(), asked)]), &mut output);
        assert_eq!(output.responses.unwrap()["t"], vec![found("a")]);
        let rest = &output.unprocessed_keys.unwrap()["t"];
        assert_eq!(rest.keys, vec![key("d"), key("e")]);
        assert_eq!(rest.projection_expression.as_deref(), Some("sk"));
    }

    #[test]
    fn injected_and_unreachable_are_told_apart() {
        let unsent = Unsent { operation: "GetItem".into() };
        assert!(is_injected(&unsent) && !is_unreachable(&unsent));
        let refused =
            ConnectorError::io(Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)));
        assert!(is_unreachable(&refused) && !is_injected(&refused));
    }
}
