use lambda_http::IntoResponse as _;

use crate::helpers::spawn;

const REST_EVENT: &str = include_str!("../fixtures/apigw-rest-get-plot.json");

/// An API Gateway REST event for `GET /dev/plot?window=10` reaches `/plot`, as `lambda_http::run` would
/// deliver it with the stage dropped.
#[tokio::test]
async fn a_rest_event_reaches_the_plot_route() {
    // SAFETY: read by lambda_http when converting events; every test sets the same value.
    unsafe { std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true") };
    let world = spawn().await;
    world.record_classic_scenario().await;
    let request = lambda_http::request::from_str(REST_EVENT).unwrap();
    assert_eq!(request.uri().path(), "/plot");
    let response = tower::ServiceExt::oneshot(world.app.clone(), request).await.unwrap();
    assert_eq!(response.status(), 200);
    let response = response.into_response().await;
    let lambda_http::Body::Text(text) = response.body() else { panic!("a JSON body is text") };
    let body: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["window_seconds"], 10);
    assert_eq!(body["samples"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn an_image_answer_goes_back_base64_encoded() {
    // SAFETY: as above.
    unsafe { std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true") };
    let world = spawn().await;
    let event = REST_EVENT.replace("\"Accept\": \"application/json\"", "\"Accept\": \"image/png\"").replace(
        "\"Accept\": [\n      \"application/json\"\n    ]",
        "\"Accept\": [\n      \"image/png\"\n    ]",
    );
    let request = lambda_http::request::from_str(&event).unwrap();
    let response = tower::ServiceExt::oneshot(world.app.clone(), request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
    let response = response.into_response().await;
    // lambda_http sends a binary body as base64 with isBase64Encoded = true.
    assert!(matches!(response.body(), lambda_http::Body::Binary(bytes) if bytes.starts_with(b"\x89PNG")));
}
