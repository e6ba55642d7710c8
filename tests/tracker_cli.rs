//! The `tracker` command line: `apply` applies the good files and refuses the bad ones.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use domain::{BucketName, Totals};
use store_sqlite::SqliteStore;
use tracker::{Tracker, TrackingRules};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tracker/tests/fixtures").join(name)
}

#[tokio::test]
async fn apply_applies_good_files_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.sqlite3")).await.unwrap();
    let tracker = Tracker::new(Arc::new(store), TrackingRules::default());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"Records\": [").unwrap();
    let code = s3_size_micro::tracker_cli::apply_files(&tracker, &[fixture_path("s3-put.json"), bad]).await;
    assert_eq!(code, ExitCode::from(2));
    let bucket = BucketName::parse("size-tracking-local").unwrap();
    assert_eq!(tracker.ledger().totals(&bucket).await.unwrap(), Totals { size_bytes: 18, object_count: 1 });
}
