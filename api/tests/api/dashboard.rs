use axum::http::StatusCode;

use crate::helpers::spawn_without_aws;

#[tokio::test]
async fn the_dashboard_is_served_at_the_root_as_html() {
    let world = spawn_without_aws().await;
    let answer = world.get("/").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type.starts_with("text/html"), "{}", answer.content_type);
    let html = String::from_utf8(answer.body).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{html}");
    for id in
        ["current-size", "object-count", "max-size", "window-picker", "plot", "docs-link", "presigned-link"]
    {
        assert!(html.contains(&format!("id=\"{id}\"")), "the page has #{id}");
    }
}

/// Under API Gateway the page is `/dev/`: a URL starting with `/` would leave the stage, and a host would
/// leave the deployment (or need a CDN).
#[tokio::test]
async fn the_dashboard_uses_relative_urls_only() {
    let world = spawn_without_aws().await;
    let html = String::from_utf8(world.get("/").await.body).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "no hosts");
    // A URL opens a string, a template or a CSS `url(`; `/` then a name or a second `/` would be absolute.
    for opener in ['"', '\'', '`', '('] {
        for (at, _) in html.match_indices(&format!("{opener}/")) {
            let next = html[at + 2..].chars().next().unwrap_or(' ');
            assert!(
                !(next.is_ascii_alphanumeric() || "_.-/".contains(next)),
                "an absolute path at {at}: {}",
                &html[at..(at + 40).min(html.len())]
            );
        }
    }
    for relative in [
        "\"docs/\"",
        "\"openapi.json\"",
        "\"buckets\"",
        "forBucket(\"max\")",
        "forBucket(\"window\", `window=${seconds}`)",
        "forBucket(\"plot\", `window=${seconds}`)",
    ] {
        assert!(html.contains(relative), "the page uses {relative}");
    }
}

#[tokio::test]
async fn the_dashboard_is_in_the_spec() {
    let spec = api::openapi();
    let spec = serde_json::to_value(&spec).unwrap();
    let root = &spec["paths"]["/"]["get"];
    assert_eq!(root["tags"], serde_json::json!(["service"]));
    assert!(root["responses"]["200"]["content"]["text/html"].is_object(), "{root}");
}
