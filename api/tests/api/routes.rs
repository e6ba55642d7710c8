use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::{png_size, spawn};

fn sizes(samples: &serde_json::Value) -> Vec<u64> {
    samples.as_array().unwrap().iter().map(|s| s["size_bytes"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn plot_stores_the_png_and_links_to_the_same_bytes() {
    let world = spawn().await;
    world.record_classic_scenario().await;

    let answer = world.get("/plot?window=10").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
    let body = answer.json();
    assert_eq!(body["bucket"], world.bucket.as_str());
    assert_eq!(body["window_seconds"], 10);
    // A summary of the window, not its samples (those are /window's).
    assert!(body.get("samples").is_none(), "{body}");
    let summary = &body["summary"];
    assert_eq!(summary["sample_count"], 4);
    assert_eq!(
        (summary["first"]["size_bytes"].as_u64(), summary["last"]["size_bytes"].as_u64()),
        (Some(18), Some(2))
    );
    assert_eq!((summary["min_size_bytes"].as_u64(), summary["max_size_bytes"].as_u64()), (Some(0), Some(27)));
    assert_eq!(body["max"]["size_bytes"], 27);
    // The render under a name of its own; the latest plot at plots/plot.png, the same image.
    let render = body["key"].as_str().unwrap();
    assert!(render.starts_with("plots/renders/") && render.ends_with(".png"), "{render}");
    assert_eq!(body["expires_in"], 300);

    let stored =
        world.s3.get_object().bucket(world.bucket.as_str()).key("plots/plot.png").send().await.unwrap();
    assert_eq!(stored.content_type(), Some("image/png"));
    let stored = stored.body.collect().await.unwrap().into_bytes().to_vec();
    assert_eq!(png_size(&stored), (1000, 600));

    let url = body["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let downloaded = reqwest::get(url).await.unwrap();
    assert_eq!(downloaded.status(), 200);
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), stored);
}

#[tokio::test]
async fn plot_answers_the_image_itself_when_asked() {
    let world = spawn().await;
    world.record_classic_scenario().await;
    let request = Request::get("/plot?window=60").header("accept", "image/png").body(Body::empty()).unwrap();
    let answer = world.request(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type, "image/png");
    assert_eq!(png_size(&answer.body), (1000, 600));
}

#[tokio::test]
async fn plot_takes_its_size_from_width_and_height() {
    let world = spawn().await;
    world.record_classic_scenario().await;
    let image = |uri: &str| Request::get(uri).header("accept", "image/png").body(Body::empty()).unwrap();
    let phone = world.request(image("/plot?window=60&width=360&height=300")).await;
    assert_eq!(phone.status, StatusCode::OK, "{}", String::from_utf8_lossy(&phone.body));
    assert_eq!(png_size(&phone.body), (360, 300));
    let zero = world.request(image("/plot?window=60&width=320&height=200&scale=zero")).await;
    assert_eq!(png_size(&zero.body), (320, 200));

    // The stored render has the size asked for too.
    let body = world.get("/plot?window=60&width=2000&height=1200").await.json();
    let key = body["key"].as_str().unwrap();
    let stored = world.s3.get_object().bucket(world.bucket.as_str()).key(key).send().await.unwrap();
    assert_eq!(png_size(&stored.body.collect().await.unwrap().into_bytes()), (2000, 1200));
}

#[tokio::test]
async fn an_empty_bucket_still_gets_a_plot() {
    let world = spawn().await;
    let body = world.get("/plot").await.json();
    assert_eq!(body["summary"]["sample_count"], 0);
    assert_eq!(body["summary"]["first"], serde_json::Value::Null);
    assert_eq!(body["max"], serde_json::Value::Null);
    assert_eq!(body["window_seconds"], 10);
}

#[tokio::test]
async fn window_max_and_health() {
    let world = spawn().await;
    world.record_classic_scenario().await;

    let window = world.get("/window?window=30").await;
    assert_eq!(window.status, StatusCode::OK);
    let body = window.json();
    assert_eq!(sizes(&body["samples"]), vec![18, 27, 0, 2]);
    assert_eq!(body["carry_in"], serde_json::Value::Null);
    let (from, to) = (body["from"].as_i64().unwrap(), body["to"].as_i64().unwrap());
    assert_eq!(to - from, 30_000);

    let max = world.get("/max").await;
    assert_eq!(max.status, StatusCode::OK);
    assert_eq!(max.json()["size_bytes"], 27);
    assert_eq!(max.json()["object_count"], 1);

    let health = world.get("/healthz").await;
    assert_eq!((health.status, health.json()["status"].clone()), (StatusCode::OK, "ok".into()));
}

#[tokio::test]
async fn a_window_after_the_changes_carries_the_last_size_in() {
    let world = spawn().await;
    world.record_classic_scenario().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let body = world.get("/window?window=1").await.json();
    assert_eq!(body["samples"], serde_json::json!([]));
    assert_eq!(body["carry_in"]["size_bytes"], 2);
}

#[tokio::test]
async fn presign_signs_plots_that_exist() {
    let world = spawn().await;
    world.get("/plot").await;
    let answer = world.get("/presign?key=plots/plot.png&expires=60").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["expires_in"], 60);
    assert!(body["url"].as_str().unwrap().contains("X-Amz-Expires=60"));
    assert_eq!(reqwest::get(body["url"].as_str().unwrap()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn another_bucket_is_plotted_beside_the_default_plot() {
    let world = spawn().await;
    world.get("/plot").await;
    let other = domain::ObjectChange {
        bucket: domain::BucketName::parse("other-bucket").unwrap(),
        key: domain::ObjectKey::parse("k").unwrap(),
        sequencer: domain::Sequencer::parse("1").unwrap(),
        kind: domain::ChangeKind::Created { size: 5 },
    };
    domain::Ledger::apply(world.store.as_ref(), &other).await.unwrap();
    let object = |key: &'static str| {
        let (s3, bucket) = (world.s3.clone(), world.bucket.to_string());
        async move {
            let stored = s3.get_object().bucket(bucket).key(key).send().await.expect("the object exists");
            stored.body.collect().await.unwrap().into_bytes()
        }
    };
    let default_before = object("plots/plot.png").await;

    let answer = world.get("/plot?bucket=other-bucket").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.json()["key"].as_str().unwrap().starts_with("plots/renders/"));
    assert_eq!(answer.json()["bucket"], "other-bucket");
    let other = object("plots/plot-other-bucket.png").await;
    assert!(other.starts_with(b"\x89PNG"));
    assert_ne!(other, default_before, "the other bucket's plot shows the other bucket");
    assert_eq!(object("plots/plot.png").await, default_before, "the default plot is untouched");
}

#[tokio::test]
async fn a_bucket_nobody_tracks_is_a_404_and_writes_nothing() {
    let world = spawn().await;
    for uri in [
        "/plot?bucket=nobody-tracks-this",
        "/window?window=60&bucket=nobody-tracks-this",
        "/max?bucket=nobody-tracks-this",
    ] {
        let answer = world.get(uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.json()["error"], "not_found", "{uri}");
        assert!(answer.json()["detail"].as_str().unwrap().contains("not tracked"), "{uri}");
    }
    let stored = world.s3.list_objects_v2().bucket(world.bucket.as_str()).send().await.unwrap();
    assert_eq!(stored.key_count(), Some(0), "no plot was stored: {:?}", stored.contents());
    // The configured bucket answers even before anything was recorded.
    assert_eq!(world.get("/plot").await.status, StatusCode::OK);
}

#[tokio::test]
async fn window_takes_the_same_parameter_as_plot_and_still_its_former_name() {
    let world = spawn().await;
    world.record_classic_scenario().await;
    let by_name = world.get("/window?window=30").await.json();
    let by_former_name = world.get("/window?seconds=30").await.json();
    assert_eq!(by_name["window_seconds"], 30);
    assert_eq!(by_name["samples"], by_former_name["samples"]);
    assert_eq!(by_name["samples"].as_array().map(Vec::len), Some(4));
    assert_eq!(world.get("/window").await.json()["window_seconds"], 10, "the default, as for /plot");
    let both = world.get("/window?window=20&seconds=0").await;
    assert_eq!(both.json()["window_seconds"], 20, "window wins; the former name is then ignored");
}

#[tokio::test]
async fn a_window_with_more_samples_than_max_points_is_reduced_per_interval() {
    let world = spawn().await;
    world.record_classic_scenario().await;
    let all = world.get("/window?window=60&max_points=4").await.json();
    assert_eq!((all["downsampled"].as_bool(), all["sample_count"].as_u64()), (Some(false), Some(4)));
    assert_eq!(all["interval_ms"], serde_json::Value::Null);
    assert_eq!(sizes(&all["samples"]), vec![18, 27, 0, 2]);

    // The four changes happened within milliseconds: in a 60 s window cut into at most 2 intervals (aligned
    // on multiples of their length, itself a multiple of the rollup level read) they share one.
    let reduced = world.get("/window?window=60&max_points=2").await.json();
    assert_eq!((reduced["downsampled"].as_bool(), reduced["sample_count"].as_u64()), (Some(true), Some(4)));
    let interval = reduced["interval_ms"].as_i64().unwrap();
    assert!(interval >= 30_000 && interval % 15_000 == 0, "{reduced}");
    let points = reduced["samples"].as_array().unwrap();
    assert_eq!(points.len(), 1, "{reduced}");
    assert_eq!(
        (
            points[0]["size_bytes"].as_u64(),
            points[0]["min_size_bytes"].as_u64(),
            points[0]["max_size_bytes"].as_u64()
        ),
        (Some(2), Some(0), Some(27)),
        "the interval's last size, and its smallest and largest"
    );
    for bad in ["0", "10001", "x"] {
        let answer = world.get(&format!("/window?max_points={bad}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "max_points={bad}");
        assert!(answer.json()["detail"].as_str().unwrap().starts_with("max_points"));
    }
}

#[tokio::test]
async fn identical_plots_render_once_and_share_one_object() {
    let world = spawn().await;
    world.record_classic_scenario().await;
    let now = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(chrono_now_ms()));
    let clock_now = std::sync::Arc::clone(&now);
    let clock: domain::Clock =
        std::sync::Arc::new(move || clock_now.load(std::sync::atomic::Ordering::SeqCst));
    let app = api::Application::build_with(
        world.store.clone(),
        world.s3.clone(),
        api::ApiConfig::new(world.bucket.clone()),
        clock,
    )
    .router();
    let plot = |uri: &'static str| {
        let app = app.clone();
        async move {
            let response = tower::ServiceExt::oneshot(app, Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()["key"].as_str().unwrap().to_owned()
        }
    };
    let latest_exists = || async {
        world.s3.head_object().bucket(world.bucket.as_str()).key("plots/plot.png").send().await.is_ok()
    };
    let first = plot("/plot?window=60").await;
    assert!(latest_exists().await);
    world.s3.delete_object().bucket(world.bucket.as_str()).key("plots/plot.png").send().await.unwrap();

    // The same request in the same second: the stored render is shared, nothing is rendered or written.
    now.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(plot("/plot?window=60").await, first);
    assert!(!latest_exists().await, "a shared render writes nothing");
    let stored = world.s3.get_object().bucket(world.bucket.as_str()).key(&first).send().await.unwrap();
    assert!(stored.body.collect().await.unwrap().into_bytes().starts_with(b"\x89PNG"));

    // The defaults named, or a name for every shape: another size or scale is another image.
    assert_eq!(plot("/plot?window=60&width=1000&height=600&dpr=1&scale=fitted").await, first);
    let shapes = [
        plot("/plot?window=60&scale=zero").await,
        plot("/plot?window=60&width=360&height=300").await,
        plot("/plot?window=60&width=360&height=301").await,
        plot("/plot?window=60&width=361&height=300").await,
        plot("/plot?window=60&width=360&height=300&dpr=2").await,
    ];
    for (i, key) in shapes.iter().enumerate() {
        assert_ne!(key, &first, "shape {i}");
        assert!(shapes[i + 1..].iter().all(|other| other != key), "shape {i} shares its name");
    }

    // Another window, or the window a second later, is another image.
    assert_ne!(plot("/plot?window=30").await, first);
    now.fetch_add(1_000, std::sync::atomic::Ordering::SeqCst);
    assert_ne!(plot("/plot?window=60").await, first);
    assert!(latest_exists().await, "a new render is the latest plot");
}

/// Now, in epoch milliseconds, away from a second's boundary (so that adding 1 ms stays in the second).
fn chrono_now_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    now - now % 1_000 + 100
}
