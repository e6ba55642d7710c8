use crate::helpers::spawn_without_aws;

const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

/// The committed spec is what the code generates. Regenerate it with
/// `cargo run -q -p api -- openapi > openapi/openapi.json`.
#[test]
fn the_committed_spec_is_current() {
    let generated = api::openapi().to_pretty_json().unwrap();
    assert!(
        generated.trim() == COMMITTED.trim(),
        "openapi/openapi.json is stale: run `cargo run -q -p api -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn the_served_spec_is_the_committed_one() {
    let world = spawn_without_aws().await;
    let served = world.get("/openapi.json").await.json();
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served, committed);
    for path in ["/plot", "/window", "/max", "/presign", "/healthz"] {
        assert!(served["paths"][path]["get"].is_object(), "{path} is documented");
    }
}
