//! `/buckets`: the tracked buckets, and what naming one of them (or another) does on the other routes.

use axum::http::StatusCode;
use domain::BucketName;

use crate::helpers::{moto_bucket, spawn, spawn_tracking};

fn names(body: &serde_json::Value) -> Vec<String> {
    body["buckets"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_deployment_lists_its_configured_buckets_the_default_first_each_with_its_plot_key() {
    let (s3, bucket) = moto_bucket("plots").await;
    let listed = ["existing-one", "existing-two"].map(|name| BucketName::parse(name).unwrap());
    let world = spawn_tracking(s3, bucket.clone(), |config| {
        config.tracking(api::TrackedBuckets::Listed(vec![
            listed[1].clone(),
            bucket.clone(),
            listed[0].clone(),
        ]))
    })
    .await;

    let answer = world.get("/buckets").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["default"], bucket.as_str());
    assert_eq!(names(&body), [bucket.as_str(), "existing-two", "existing-one"]);
    assert_eq!(body["buckets"][0]["plot_key"], "plots/plot.png");
    assert_eq!(body["buckets"][1]["plot_key"], "plots/plot-existing-two.png");

    // A listed bucket with nothing recorded yet is served (an empty window), one never listed is not.
    let window = world.get("/window?window=60&bucket=existing-two").await;
    assert_eq!(window.status, StatusCode::OK);
    assert_eq!(window.json()["samples"], serde_json::json!([]));
    let plot = world.get("/plot?bucket=existing-one").await;
    assert_eq!(plot.status, StatusCode::OK);
    let stored =
        world.s3.head_object().bucket(bucket.as_str()).key("plots/plot-existing-one.png").send().await;
    assert!(stored.is_ok(), "the listed bucket's plot is stored under the key /buckets gave");
    assert_eq!(world.get("/window?bucket=never-listed").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_deployment_that_names_no_other_bucket_lists_its_own() {
    let world = spawn().await;
    let body = world.get("/buckets").await.json();
    assert_eq!(names(&body), [world.bucket.as_str()]);
}

#[tokio::test]
async fn on_an_endpoint_every_bucket_it_holds_is_listed_including_one_created_after_the_start() {
    let (s3, bucket) = moto_bucket("plots").await;
    let world = spawn_tracking(s3.clone(), bucket.clone(), |config| {
        config.tracking(api::TrackedBuckets::OnEndpoint(s3.clone()))
    })
    .await;
    let later = BucketName::parse(testkit::unique_name("second")).unwrap();
    assert_eq!(world.get(&format!("/max?bucket={later}")).await.status, StatusCode::NOT_FOUND);
    assert!(world.get(&format!("/window?bucket={later}")).await.json()["error"] == "not_found");

    s3.create_bucket().bucket(later.as_str()).send().await.unwrap();
    let body = world.get("/buckets").await.json();
    let listed = names(&body);
    assert_eq!(listed[0], bucket.as_str(), "the default comes first");
    assert!(listed.contains(&later.to_string()), "{listed:?}");
    assert_eq!(
        listed.iter().filter(|name| **name == bucket.as_str()).count(),
        1,
        "the default is listed once"
    );
    // Tracked now: an empty window rather than a 404 (its max is still 404: nothing recorded).
    assert_eq!(world.get(&format!("/window?bucket={later}")).await.status, StatusCode::OK);
}
