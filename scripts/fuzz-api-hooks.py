"""schemathesis hooks for scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS).

The check positive_data_acceptance runs on every operation: a request whose every value matches the spec
must not be refused with a 400. It is forgiven in exactly the cases below, where the api refuses a value
for a rule of the S3 naming rules that the spec (JSON Schema: pattern, minLength, maxLength) does not
state, and only when the answer is the documented 400 naming that parameter:

- `bucket` (/max, /window, /plot): two adjacent dots (`a..b`), or a name that reads as an IPv4 address
  (`192.168.5.4`). The spec's pattern `^[a-z0-9][a-z0-9.-]*[a-z0-9]$` lets both through.
- `key` (/presign): a `.` or `..` path segment (`plots/../x`), or more than 1024 bytes of UTF-8 (the
  spec's maxLength counts characters, the limit is in bytes: 600 × `é` is 600 characters, 1200 bytes).

Any other refusal of schema-valid data fails the run, `window`, `seconds` and `expires` included. Each
forgiven case is appended to $FUZZ_FORGIVEN_LOG, one line per case, so the run can say how many.
"""

import ipaddress
import json
import os

import schemathesis


def _bucket_rule(name):
    if ".." in name:
        return "bucket with two adjacent dots"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return None
    return "bucket that reads as an IPv4 address"


def _key_rule(key):
    if any(segment in (".", "..") for segment in key.split("/")):
        return "key with a . or .. segment"
    if len(key.encode("utf-8")) > 1024:
        return "key longer than 1024 bytes"
    return None


def _inexpressible(case):
    """(parameter, rule) when the case's query breaks a rule the spec cannot state, else None."""
    query = case.query or {}
    if isinstance(query.get("bucket"), str):
        rule = _bucket_rule(query["bucket"])
        if rule:
            return "bucket", rule
    if case.operation.path == "/presign" and isinstance(query.get("key"), str):
        rule = _key_rule(query["key"])
        if rule:
            return "key", rule
    return None


def _documented_refusal(response, parameter):
    """Whether the answer is the api's 400 `invalid_parameter` naming `parameter`."""
    if response.status_code != 400:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and body.get("error") == "invalid_parameter"
        and str(body.get("detail", "")).startswith(f"{parameter}: ")
    )


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False (drop the failure) only for the forgiven refusals the module's docstring lists."""
    if "positive_data_acceptance" not in getattr(failure, "checks", ()):
        return True
    found = _inexpressible(case)
    if found is None or not _documented_refusal(response, found[0]):
        return True
    log = os.environ.get("FUZZ_FORGIVEN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{found[1]}\t{case.operation.label}\t{json.dumps(case.query, ensure_ascii=False)}\n")
    return False
