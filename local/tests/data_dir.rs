//! One data dir, one running stack: a second start on the same folder is refused with a clear error.

use std::net::SocketAddr;
use std::path::Path;

use domain::BucketName;
use local::data_dir::DataDirError;
use local::stack::{StackConfig, StackError, start};

fn config(data_dir: &Path) -> StackConfig {
    let free = SocketAddr::from(([127, 0, 0, 1], 0));
    StackConfig {
        data_dir: data_dir.to_owned(),
        s3_addr: free,
        api_addr: free,
        bucket: BucketName::parse(startup::local::BUCKET).expect("bucket name"),
        chaos: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_stack_on_one_data_dir_is_refused_until_the_first_stops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = start(config(dir.path())).await.expect("the first stack starts");

    let error = match start(config(dir.path())).await {
        Ok(_) => panic!("a second stack started on the same data dir"),
        Err(error) => error,
    };
    assert!(matches!(error, StackError::DataDir(DataDirError::InUse { .. })), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&dir.path().display().to_string()), "{message}");
    assert!(message.contains("another instance"), "{message}");

    first.shutdown().await;
    let again = start(config(dir.path())).await.expect("starts once the first has stopped");
    again.shutdown().await;
}
