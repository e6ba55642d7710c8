"""What scripts/boot-lambdas needs besides the Lambda stand-in: the contract's names, the DynamoDB tables and
the bucket on moto, the invocation events, and the checks of each function's answer.

    python boot_lambdas.py contract FUNCTIONS_JSON
    python boot_lambdas.py unzip ZIP DEST_DIR
    python boot_lambdas.py elf-arm64 FILE
    python boot_lambdas.py elf-x86-64 FILE
    python boot_lambdas.py wait-moto ENDPOINT SECONDS
    python boot_lambdas.py tables ENDPOINT TABLES_JSON HISTORY_NAME INDEX_NAME
    python boot_lambdas.py bucket ENDPOINT NAME
    python boot_lambdas.py fresh-notification FIXTURE > event.json
    python boot_lambdas.py apigw-event FIXTURE PATH > event.json
    python boot_lambdas.py function-env FUNCTIONS_JSON FUNCTION ENDPOINT [VAR=VALUE]... > env.json
    python boot_lambdas.py check-tracker RESULT EVENT ENDPOINT HISTORY_NAME
    python boot_lambdas.py check-api RESULT OPENAPI_JSON
    python boot_lambdas.py check-driver RESULT ENDPOINT BUCKET

A check prints one line and exits 0 when the function served its invocation as expected, else 1. The
subcommands that talk to moto need boto3 (moto's venv); the others only the standard library.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
import urllib.request
from pathlib import Path


def fail(message: str) -> None:
    print(message)
    sys.exit(1)


def contract(functions_json: str) -> None:
    """One line per function: NAME|BINARY|REQUIRED,…|OPTIONAL,…|READ_BY_OTHERS,…"""
    doc = json.loads(Path(functions_json).read_text())
    for name, function in doc["functions"].items():
        env = function.get("environment", {})
        print("|".join([name, function["binary"], ",".join(env.get("required", [])),
                        ",".join(env.get("optional", [])), ",".join(env.get("readByOthers", {}))]))


AARCH64 = 183  # ELF e_machine of arm64
X86_64 = 62  # ELF e_machine of x86-64
MACHINE_NAMES = {X86_64: "x86-64", AARCH64: "arm64", 40: "arm (32-bit)"}


def elf_machine(path: str, expected: int, label: str | None = None) -> None:
    """Fails unless `path` is a 64-bit little-endian ELF executable for the machine `expected`."""
    label = label or path
    header = Path(path).read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        fail(f"{label} is not an ELF executable")
    machine = int.from_bytes(header[18:20], "little")
    if header[4] != 2 or header[5] != 1 or machine != expected:
        fail(f"{label} is not an {MACHINE_NAMES[expected]} executable: it is built for "
             f"{MACHINE_NAMES.get(machine, f'ELF machine {machine}')}")


def elf_arm64(path: str, label: str | None = None) -> None:
    """Fails unless `path` is a 64-bit little-endian ELF executable for arm64."""
    elf_machine(path, AARCH64, label)


def elf_x86_64(path: str, label: str | None = None) -> None:
    """Fails unless `path` is a 64-bit little-endian ELF executable for x86-64 (runs here without qemu)."""
    elf_machine(path, X86_64, label)


def unzip(zip_path: str, dest: str) -> None:
    """Extracts `bootstrap` with the mode the zip gives it, as Lambda does: it must be executable."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        try:
            info = archive.getinfo("bootstrap")
        except KeyError:
            fail(f"{zip_path} holds no bootstrap at its root (it holds {archive.namelist()[:5]})")
        mode = (info.external_attr >> 16) & 0o777
        if not mode & 0o100:
            fail(f"bootstrap in {zip_path} is not executable (mode {mode:o}): Lambda could not start it")
        target = Path(archive.extract(info, dest))
        target.chmod(mode)
    elf_arm64(str(target), f"bootstrap in {zip_path}")


def client(service: str, endpoint: str):
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def wait_moto(endpoint: str, seconds: str) -> None:
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    fail(f"moto did not answer at {endpoint} within {seconds} s")


def tables(endpoint: str, tables_json: str, history: str, index: str) -> None:
    """Creates the two tables as contract/dynamodb-tables.json describes them."""
    layout = json.loads(Path(tables_json).read_text())
    dynamodb = client("dynamodb", endpoint)
    for role, name in (("history", history), ("index", index)):
        spec = layout[role]
        keys = [spec["partitionKey"], spec["sortKey"]]
        for gsi in spec.get("globalSecondaryIndexes", []):
            keys += [gsi["partitionKey"], gsi["sortKey"]]
        attributes = {k["name"]: k["type"] for k in keys}
        args = {
            "TableName": name,
            "KeySchema": [{"AttributeName": spec["partitionKey"]["name"], "KeyType": "HASH"},
                          {"AttributeName": spec["sortKey"]["name"], "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
            "BillingMode": spec.get("billing", "PAY_PER_REQUEST"),
        }
        if spec.get("globalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [{
                "IndexName": gsi["name"],
                "KeySchema": [{"AttributeName": gsi["partitionKey"]["name"], "KeyType": "HASH"},
                              {"AttributeName": gsi["sortKey"]["name"], "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": gsi.get("projection", "ALL")},
            } for gsi in spec["globalSecondaryIndexes"]]
        dynamodb.create_table(**args)
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        if spec.get("timeToLiveAttribute"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": spec["timeToLiveAttribute"]})


def bucket(endpoint: str, name: str) -> None:
    client("s3", endpoint).create_bucket(Bucket=name)


def fresh_notification(fixture: str) -> None:
    """The S3 notification of `fixture` as if it happened now: the tracker parks events older than its
    tombstone lifetime, and the fixture's own eventTime ages."""
    event = json.loads(Path(fixture).read_text())
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for record in event["Records"]:
        record["eventTime"] = now
    json.dump(event, sys.stdout, indent=2)


def apigw_event(fixture: str, path: str) -> None:
    """The REST API (v1) proxy event of `fixture`, for GET `path` without a query string."""
    event = json.loads(Path(fixture).read_text())
    stage = event["requestContext"].get("stage", "dev")
    event.update(path=path, httpMethod="GET", queryStringParameters=None, multiValueQueryStringParameters=None,
                 pathParameters={"proxy": path.lstrip("/")}, body=None, isBase64Encoded=False)
    event["requestContext"].update(path=f"/{stage}{path}", httpMethod="GET")
    json.dump(event, sys.stdout, indent=2)


def function_env(functions_json: str, function: str, endpoint: str, *values: str) -> None:
    """The function's environment as JSON, as boot-lambdas builds it: each variable the contract lists for
    `function` (required, optional, read by others) that has a non-empty value among the VAR=VALUE
    arguments, then AWS_ENDPOINT_URL=`endpoint` and moto's credentials. A required variable without a value
    fails."""
    given = dict(v.split("=", 1) for v in values)
    spec = json.loads(Path(functions_json).read_text())["functions"].get(function)
    if spec is None:
        fail(f"{functions_json} names no function {function}")
    env = spec.get("environment", {})
    out = {}
    for var in env.get("required", []):
        if not given.get(var):
            fail(f"the contract's required variable {var} of {function} has no value")
        out[var] = given[var]
    for var in [*env.get("optional", []), *env.get("readByOthers", {})]:
        if given.get(var):
            out[var] = given[var]
    out.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_SESSION_TOKEN="testing")
    print(json.dumps(out, indent=2))


def load_result(path: str, poller: str = "runtime") -> dict:
    """The stand-in's result, when the invocation was answered, polled and answered by `poller`."""
    result = json.loads(Path(path).read_text())
    if result.get("outcome") not in ("response", "error"):
        tails = "; ".join(f"{k}: {v}" for k, v in result.get("log_tails", {}).items() if v)
        fail(f"{result.get('failure', 'no answer')}" + (f" [{tails}]" if tails else ""))
    if result.get("max_concurrent_next", 0) > 1:
        fail(f"{result['max_concurrent_next']} processes polled /invocation/next at once: "
             "more than one process acts as the runtime")
    for role in ("polled_by", "answered_by"):
        who = result["answer"].get(role)
        if who is not None and who != poller:
            fail(f"the invocation was {role.replace('_', ' ')} the {who}, expected the {poller}")
    return result


def response_of(result_path: str, poller: str = "runtime") -> dict:
    """The answer of an invocation that must have succeeded (through /response), polled by `poller`."""
    answer = load_result(result_path, poller)["answer"]
    if answer["kind"] != "response":
        fail(f"the invocation failed through /error: {answer['error_type']}: {answer['body'][:300]}")
    return answer


def history_samples(endpoint: str, history: str, bucket_name: str) -> list[tuple[int, int]]:
    """The (size, count) of each sample the history table holds for the bucket, oldest first."""
    from boto3.dynamodb.conditions import Key
    import boto3

    table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing").Table(history)
    items = table.query(KeyConditionExpression=Key("bucket").eq(bucket_name))["Items"]
    return [(int(i["size_bytes"]), int(i["object_count"])) for i in items]


def check_tracker(result_path: str, event_path: str, endpoint: str, history: str) -> None:
    answer = response_of(result_path)
    record = json.loads(Path(event_path).read_text())["Records"][0]
    bucket_name, size = record["s3"]["bucket"]["name"], record["s3"]["object"]["size"]
    sizes = history_samples(endpoint, history, bucket_name)
    if sizes != [(size, 1)]:
        fail(f"history table {history} holds {sizes} (size, count) for {bucket_name}, expected [({size}, 1)]")
    print(f"{record['eventName']} of {record['s3']['object']['key']} → /response {answer['body'][:120]}; "
          f"history holds 1 sample of {size} B, 1 object")


def check_api(result_path: str, openapi_json: str) -> None:
    answer = response_of(result_path, poller="extension lambda-adapter")
    try:
        expected = json.loads(Path(openapi_json).read_text())["components"]["schemas"]["HealthView"]["example"]
    except (OSError, KeyError, ValueError):
        expected = {"status": "ok"}
    try:
        proxy = json.loads(answer["body"])
        status, body = proxy["statusCode"], proxy.get("body") or ""
        if proxy.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(body).decode()
        parsed = json.loads(body)
    except (ValueError, KeyError, TypeError) as error:
        fail(f"the answer is not an API Gateway proxy response with a JSON body ({error}): {answer['body'][:300]}")
    if status != 200 or parsed != expected:
        fail(f"GET /healthz answered {status} {body[:200]}, expected 200 {json.dumps(expected)}")
    print(f"GET /healthz polled and answered by the {answer.get('polled_by') or 'unidentified process'}, "
          f"forwarded to the api → 200 {body}")


def check_driver(result_path: str, endpoint: str, bucket_name: str) -> None:
    result = load_result(result_path)
    answer = result["answer"]
    if answer["kind"] != "error":
        fail(f"a refused event answered /response: {answer['body'][:300]}")
    try:
        error_type = json.loads(answer["body"]).get("errorType") or answer["error_type"]
    except ValueError:
        error_type = answer["error_type"]
    if not error_type:
        fail(f"the /error answer names no errorType: {answer['body'][:300]}")
    objects = client("s3", endpoint).list_objects_v2(Bucket=bucket_name).get("KeyCount", 0)
    if objects:
        fail(f"the refused event left {objects} object(s) in {bucket_name}")
    message = json.loads(answer["body"]).get("errorMessage", "")
    print(f"refused event → /error errorType={error_type} ({message[:100]}); bucket untouched")


UNANNOUNCED = {"a": 3, "b/c": 5}


def put_unannounced(endpoint: str, bucket_name: str) -> None:
    """Stores objects in the bucket that no event announces: only reconcile can count them."""
    s3 = client("s3", endpoint)
    for key, size in UNANNOUNCED.items():
        s3.put_object(Bucket=bucket_name, Key=key, Body=b"x" * size)


def check_reconcile(result_path: str, endpoint: str, history: str, bucket_name: str) -> None:
    """One tick per series: the current versions and all versions, each walked to the end."""
    answer = response_of(result_path)
    ticks = json.loads(answer["body"])
    size, count = sum(UNANNOUNCED.values()), len(UNANNOUNCED)
    series = ["current", "all-versions"]
    expected = [{"bucket": bucket_name, "series": name, "outcome": "finished", "listed": count, "added": count,
                 "size_bytes": size, "object_count": count} for name in series]
    if len(ticks) != len(expected) or any(tick.get(k) != v for tick, want in zip(ticks, expected)
                                          for k, v in want.items()):
        fail(f"the answer is {answer['body'][:600]}, expected one tick per series: {expected}")
    for history_key in (bucket_name, f"{bucket_name}:all-versions"):
        sizes = history_samples(endpoint, history, history_key)
        if sizes != [(size, count)]:
            fail(f"history table {history} holds {sizes} (size, count) for {history_key}, "
                 f"expected [({size}, {count})]")
    print(f"schedule event → /response: walks of both series finished, {count} unannounced objects added; "
          f"history holds 1 sample of {size} B, {count} objects per series")


def main() -> None:
    commands = {"contract": contract, "unzip": unzip, "elf-arm64": elf_arm64, "elf-x86-64": elf_x86_64,
                "wait-moto": wait_moto, "tables": tables, "bucket": bucket,
                "apigw-event": apigw_event, "fresh-notification": fresh_notification, "function-env": function_env, "check-tracker": check_tracker,
                "check-api": check_api, "check-driver": check_driver, "put-unannounced": put_unannounced,
                "check-reconcile": check_reconcile}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
