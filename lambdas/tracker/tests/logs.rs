//! The tracker function's logs in Lambda: one JSON line per record, `record handled`, carrying the
//! invocation's request id and the record's bucket, key, sequencer and outcome — applied or skipped, and
//! why. The real binary runs against a stand-in of the Lambda Runtime API and the tables on moto, with an
//! SQS batch of EventBridge events (how the events of a tracked bucket the stack does not own arrive).

use std::time::Duration;

use testkit::runtime_api::RuntimeApi;

fn sqs_batch_of_eventbridge_events() -> serde_json::Value {
    let path = testkit::workspace_root().join("tracker/tests/fixtures/sqs-batch-eventbridge.json");
    let mut batch: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let records = batch["Records"].as_array_mut().unwrap();
    for record in records.iter_mut() {
        let mut event: serde_json::Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        event["time"] = now.clone().into();
        record["body"] = event.to_string().into();
    }
    // The same creation in a bucket nobody tracks.
    let mut elsewhere = records[0].clone();
    let mut event: serde_json::Value = serde_json::from_str(elsewhere["body"].as_str().unwrap()).unwrap();
    event["detail"]["bucket"]["name"] = "someone-elses-bucket".into();
    elsewhere["body"] = event.to_string().into();
    elsewhere["messageId"] = "059f36b4-87a3-44ab-83d2-661975210003".into();
    records.push(elsewhere);
    batch
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_is_one_json_line_with_the_request_id_bucket_key_sequencer_and_outcome() {
    let sdk = testkit::moto_sdk_config().await;
    let tables = testkit::moto_tables(&sdk).await;
    // The fixtures' bucket, which the removed version is read from.
    startup::s3_client(&sdk).create_bucket().bucket("size-tracking-local").send().await.ok();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");

    let mut runtime = RuntimeApi::start(sqs_batch_of_eventbridge_events(), Duration::from_secs(30)).await;
    let function = runtime.launch_logging_to(
        env!("CARGO_BIN_EXE_tracker-lambda"),
        &[
            ("AWS_ENDPOINT_URL", testkit::moto_endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("HISTORY_TABLE", tables.history.clone()),
            ("INDEX_TABLE", tables.index.clone()),
            ("TRACKED_BUCKETS", "size-tracking-local".into()),
        ],
        &log,
    );
    let answer = runtime.answer(Duration::from_secs(60)).await;
    assert_eq!(answer.kind, "response", "{:?}", answer.body);
    assert_eq!(answer.body["batchItemFailures"], serde_json::json!([]), "{:?}", answer.body);
    drop(function);

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    let records: Vec<&serde_json::Value> =
        lines.iter().filter(|line| line["fields"]["message"] == "record handled").collect();
    assert_eq!(records.len(), 4, "one line per record:\n{text}");
    for record in &records {
        assert_eq!(record["span"]["requestId"], "request-1", "{record}");
        assert_eq!(record["level"], "INFO", "{record}");
        for field in ["bucket", "key", "sequencer", "outcome"] {
            assert!(record["fields"][field].as_str().is_some_and(|v| !v.is_empty()), "{field}: {record}");
        }
    }
    let line_of = |bucket: &str, sequencer: &str| {
        records
            .iter()
            .find(|r| r["fields"]["bucket"] == bucket && r["fields"]["sequencer"] == sequencer)
            .unwrap_or_else(|| panic!("no line for {bucket} {sequencer}:\n{text}"))
            .to_owned()
    };
    let created = line_of("size-tracking-local", "00617F08299329D189");
    assert_eq!(created["fields"]["key"], "reports/2026 Q3+final.txt", "the key is logged decoded");
    // The delete marker that follows it in the batch is applied in its place.
    assert_eq!(
        (&created["fields"]["outcome"], &created["fields"]["reason"]),
        (&"skipped".into(), &"stale".into())
    );
    let marker = line_of("size-tracking-local", "00617F0829A2B1C2D3");
    assert_eq!(marker["fields"]["outcome"], "applied", "{text}");
    assert_eq!(marker["fields"]["object_count"], 0, "{text}");
    let untracked = line_of("someone-elses-bucket", "00617F08299329D189");
    assert_eq!(untracked["fields"]["outcome"], "skipped");
    assert_eq!(untracked["fields"]["reason"], "untracked_bucket");
}
