//! `?series=all-versions`: the same routes over a bucket's all-versions series (what the tracker keeps
//! of every version, see `domain::versions`), its plot stored beside the bucket's own.

use axum::http::StatusCode;
use domain::{ChangeKind, Ledger, ObjectChange, ObjectKey, Sequencer};

use crate::helpers::spawn;

/// Records a key with two versions: 10 B, then 25 B, the first kept as a noncurrent version.
async fn record_two_versions(world: &crate::helpers::World) {
    let versions = world.bucket.all_versions();
    for (sequencer, version, size) in [("1", "v1", 10), ("2", "v2", 25)] {
        let current = ObjectChange {
            bucket: world.bucket.clone(),
            key: ObjectKey::parse("doc.txt").unwrap(),
            sequencer: Sequencer::parse(sequencer).unwrap(),
            kind: ChangeKind::Created { size },
        };
        let version = domain::versions::version_change(&current, Some(version), current.kind).unwrap();
        assert_eq!(version.bucket, versions);
        for result in world.store.apply_batch(&[current, version]).await {
            result.unwrap();
        }
    }
    // Samples of one bucket taken in the same millisecond get rising timestamps, the second one a
    // millisecond ahead of the clock; a window ends now, so it shows that sample once the clock is past it.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}

#[tokio::test]
async fn the_all_versions_series_is_read_and_plotted_beside_the_current_one() {
    let world = spawn().await;
    record_two_versions(&world).await;

    let current = world.get("/window?window=60").await.json();
    let all = world.get("/window?window=60&series=all-versions").await.json();
    assert_eq!(
        (current["bucket"].as_str(), current["series"].as_str()),
        (Some(world.bucket.as_str()), Some("current"))
    );
    assert_eq!(
        (all["bucket"].as_str(), all["series"].as_str()),
        (Some(world.bucket.as_str()), Some("all-versions"))
    );
    let last = |window: &serde_json::Value| {
        let samples = window["samples"].as_array().unwrap();
        let last = &samples[samples.len() - 1];
        (last["size_bytes"].as_u64().unwrap(), last["object_count"].as_u64().unwrap())
    };
    assert_eq!(last(&current), (25, 1));
    assert_eq!(last(&all), (35, 2), "the noncurrent version counts in the all-versions series");

    let max = world.get("/max?series=all-versions").await.json();
    assert_eq!(max["size_bytes"], 35);
    assert_eq!(world.get("/max").await.json()["size_bytes"], 25);

    let plot = world.get("/plot?window=60&series=all-versions").await;
    assert_eq!(plot.status, StatusCode::OK);
    assert_eq!(plot.json()["series"], "all-versions");
    let buckets = world.get("/buckets").await.json();
    let key = buckets["buckets"][0]["all_versions_plot_key"].as_str().unwrap().to_owned();
    assert_eq!(key, "plots/plot:all-versions.png");
    let stored = world.s3.head_object().bucket(world.bucket.as_str()).key(&key).send().await;
    assert!(stored.is_ok(), "the series' latest plot is stored under the key /buckets names");
    let signed = world.get(&format!("/presign?key={}", key.replace(':', "%3A"))).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", String::from_utf8_lossy(&signed.body));
}

#[tokio::test]
async fn a_series_that_is_not_one_is_a_400_naming_the_parameter() {
    let world = spawn().await;
    for route in ["/window", "/max", "/plot"] {
        let answer = world.get(&format!("{route}?series=noncurrent")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{route}");
        let body = answer.json();
        assert_eq!(body["error"], "invalid_parameter", "{route}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("series") && detail.contains("all-versions"), "{route}: {body}");
    }
}
