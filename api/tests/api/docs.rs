use axum::http::StatusCode;

use crate::helpers::spawn_without_aws;

#[tokio::test]
async fn docs_redirect_relatively_so_a_stage_prefix_is_kept() {
    let world = spawn_without_aws().await;
    let answer = world.get("/docs").await;
    assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(answer.location.as_deref(), Some("docs/"));
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary_and_points_at_the_spec_relatively() {
    let world = spawn_without_aws().await;
    let index = world.get("/docs/").await;
    assert_eq!(index.status, StatusCode::OK);
    let html = String::from_utf8(index.body).unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("//unpkg") && !html.contains("//cdn"), "no CDN");

    let initializer = String::from_utf8(world.get("/docs/swagger-initializer.js").await.body).unwrap();
    assert!(initializer.contains("\"../openapi.json\""), "{initializer}");
    assert!(initializer.contains("\"validatorUrl\": \"none\""), "{initializer}");

    // Under API Gateway the page is /dev/docs/; its spec URL resolves to /dev/openapi.json.
    let page = reqwest::Url::parse("https://abc123.execute-api.us-east-1.amazonaws.com/dev/docs/").unwrap();
    assert_eq!(page.join("../openapi.json").unwrap().path(), "/dev/openapi.json");

    assert_eq!(world.get("/docs/swagger-ui.css").await.status, StatusCode::OK);
    assert_eq!(world.get("/docs/swagger-ui-bundle.js").await.status, StatusCode::OK);
}
