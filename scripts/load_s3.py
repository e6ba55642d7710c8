#!/usr/bin/env python3
"""S3 load for scripts/load: puts and deletes through an S3 endpoint from concurrent clients, then checks
that the Plot API's tracked totals equal a listing of the bucket.

    python3 scripts/load_s3.py --endpoint-url http://127.0.0.1:PORT --api-url http://127.0.0.1:PORT

Each of --clients threads has its own boto3 client (path-style, signed with the local stack's credentials
unless AWS_ACCESS_KEY_ID is set) and plays its share of --ops operations: a put of 0 to --max-size random
bytes or a delete (also of keys that do not exist), over --keys keys under --prefix, chosen with --seed.
Then it lists the bucket (without the reserved prefix plots/) and polls GET /window?window=3600 until the
latest sample (or the carry-in, when the window holds none) has the same size and count, for at most
--settle seconds. Prints progress lines and, with --summary FILE, writes the figures as JSON.
Exit codes: 0 the totals match and no operation failed; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

LOCAL_ACCESS_KEY_ID = "local-access-key"
LOCAL_SECRET_ACCESS_KEY = "local-secret-key"
LOCAL_REGION = "us-east-1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint-url", required=True, help="the S3 endpoint")
    parser.add_argument("--api-url", required=True, help="the Plot API's base URL")
    parser.add_argument("--bucket", default="size-tracking-local")
    parser.add_argument("--ops", type=int, default=10_000, help="puts and deletes in all")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--keys", type=int, default=200, help="distinct keys")
    parser.add_argument("--max-size", type=int, default=4096, help="largest object, bytes")
    parser.add_argument("--put-ratio", type=float, default=0.6, help="share of puts among the operations")
    parser.add_argument("--prefix", default="load/")
    parser.add_argument("--reserved-prefix", default="plots/", help="keys under it are not tracked")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to wait for the totals to match")
    parser.add_argument("--summary", help="write the figures here as JSON")
    return parser.parse_args()


def s3_client(endpoint_url: str, pool: int):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY),
        region_name=os.environ.get("AWS_REGION", LOCAL_REGION),
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},  # a failed operation is counted, not hidden
            max_pool_connections=pool,
            connect_timeout=10,
            read_timeout=30,
        ),
    )


def run_client(args: argparse.Namespace, index: int, ops: int, errors: list[str], lock: threading.Lock) -> dict:
    rng = random.Random(args.seed * 1000 + index)
    client = s3_client(args.endpoint_url, 2)
    puts = deletes = put_bytes = 0
    latencies: list[float] = []
    for _ in range(ops):
        key = f"{args.prefix}k{rng.randrange(args.keys):04d}"
        started = time.perf_counter()
        try:
            if rng.random() < args.put_ratio:
                body = rng.randbytes(rng.randint(0, args.max_size))
                client.put_object(Bucket=args.bucket, Key=key, Body=body)
                puts += 1
                put_bytes += len(body)
            else:
                client.delete_object(Bucket=args.bucket, Key=key)
                deletes += 1
        except Exception as error:  # noqa: BLE001 - every failure is reported
            with lock:
                errors.append(f"client {index} {key}: {error}")
        latencies.append(time.perf_counter() - started)
    return {"puts": puts, "deletes": deletes, "put_bytes": put_bytes, "latencies": latencies}


def listing(client, bucket: str, reserved_prefix: str) -> tuple[int, int]:
    size = count = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if not item["Key"].startswith(reserved_prefix):
                size += item["Size"]
                count += 1
    return size, count


def tracked(api_url: str, bucket: str) -> tuple[int, int] | None:
    url = f"{api_url.rstrip('/')}/window?window=3600&bucket={bucket}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        window = json.load(answer)
    latest = window["samples"][-1] if window["samples"] else window.get("carry_in")
    if latest is None:
        return None
    return latest["size_bytes"], latest["object_count"]


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main() -> int:
    args = parse_args()
    shares = [args.ops // args.clients + (1 if i < args.ops % args.clients else 0) for i in range(args.clients)]
    errors: list[str] = []
    lock = threading.Lock()
    print(f"S3 load: {args.ops} operations from {args.clients} clients over {args.keys} keys "
          f"(puts of 0-{args.max_size} B: {args.put_ratio:.0%}), {args.endpoint_url}", flush=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        results = list(pool.map(lambda i: run_client(args, i, shares[i], errors, lock), range(args.clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for result in results for latency in result["latencies"])
    puts = sum(result["puts"] for result in results)
    deletes = sum(result["deletes"] for result in results)
    ops_per_s = args.ops / elapsed if elapsed > 0 else 0.0
    print(f"  {puts} puts, {deletes} deletes, {len(errors)} errors in {elapsed:.2f} s: {ops_per_s:.0f} ops/s, "
          f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms",
          flush=True)
    for error in errors[:10]:
        print(f"  error: {error}", file=sys.stderr)

    client = s3_client(args.endpoint_url, 2)
    listed = listing(client, args.bucket, args.reserved_prefix)
    print(f"  listing of {args.bucket} (without {args.reserved_prefix}): {listed[0]} bytes in {listed[1]} objects",
          flush=True)
    settle_started = time.perf_counter()
    latest = None
    deadline = settle_started + args.settle
    while True:  # bounded by --settle
        latest = tracked(args.api_url, args.bucket)
        if latest == listed or time.perf_counter() >= deadline:
            break
        time.sleep(0.25)
        listed = listing(client, args.bucket, args.reserved_prefix)  # unchanged unless something else writes
    settled = time.perf_counter() - settle_started
    match = latest == listed
    print(f"  tracked: {latest[0] if latest else '-'} bytes in {latest[1] if latest else '-'} objects: "
          f"{'equal to the listing' if match else 'DIFFERENT from the listing'} after {settled:.2f} s", flush=True)

    summary = {
        "ops": args.ops,
        "clients": args.clients,
        "keys": args.keys,
        "puts": puts,
        "deletes": deletes,
        "errors": len(errors),
        "seconds": round(elapsed, 3),
        "ops_per_s": round(ops_per_s, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "listed_bytes": listed[0],
        "listed_objects": listed[1],
        "tracked_bytes": latest[0] if latest else None,
        "tracked_objects": latest[1] if latest else None,
        "settle_seconds": round(settled, 3),
        "totals_match": match,
    }
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f)
    return 0 if match and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
