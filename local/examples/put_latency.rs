//! What a PutObject costs through the local stack (S3 endpoint, outbox, tracker on SQLite), as a client
//! sees it: one client putting 1 KiB objects one after another, then 8 clients at once, over 64 keys, on
//! a fresh data dir in the temp folder. Prints the latency's p50 and p99 and the puts per second.
//!
//! `cargo run --release -p local --example put_latency`

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use domain::BucketName;
use local::stack::{self, StackConfig};

const SEQUENTIAL: usize = 500;
const CLIENTS: usize = 8;
const EACH: usize = 250;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let bucket = BucketName::parse(startup::local::BUCKET).expect("the local bucket's name");
    let config = StackConfig {
        data_dir: dir.path().to_owned(),
        s3_addr: any_port,
        api_addr: any_port,
        bucket: bucket.clone(),
        chaos: false,
    };
    let running = stack::start(config).await.expect("the stack starts");
    let client = startup::s3_client(&startup::local::sdk_config(&running.s3_url()).await);
    puts(&client, bucket.as_str(), 0, 20).await; // warm-up

    let started = Instant::now();
    let latencies = puts(&client, bucket.as_str(), 0, SEQUENTIAL).await;
    report("1 client", latencies, started.elapsed());

    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (client, bucket) = (client.clone(), bucket.as_str().to_owned());
            tokio::spawn(async move { puts(&client, &bucket, n, EACH).await })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a client"));
    }
    report("8 clients", latencies, started.elapsed());
    running.settled().await.expect("every change applied");
    running.shutdown().await;
}

async fn puts(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    client_number: usize,
    count: usize,
) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(count);
    for n in 0..count {
        let key = format!("latency/{}.bin", (client_number * 7 + n) % 64);
        let started = Instant::now();
        let put = client.put_object().bucket(bucket).key(key).body(ByteStream::from(vec![7u8; 1_024]));
        put.send().await.expect("a put");
        latencies.push(started.elapsed());
    }
    latencies
}

fn report(what: &str, mut latencies: Vec<Duration>, took: Duration) {
    latencies.sort_unstable();
    let at = |share: f64| latencies[((latencies.len() - 1) as f64 * share) as usize];
    println!(
        "{what}: {} puts, p50 {:.2} ms, p99 {:.2} ms, {:.0} puts/s",
        latencies.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies.len() as f64 / took.as_secs_f64()
    );
}
