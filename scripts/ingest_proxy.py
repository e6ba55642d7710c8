"""An HTTP proxy in front of moto for the ingest benchmark: network delay, throttling and request counts.

    python scripts/ingest_proxy.py (--upstream URL | --start-moto) [-p PORT] [--delay-ms 5]
        [--delay-out-ms 5] [--throttle 0.0] [--seed 1] [--exit-with-parent PID] [--moto-as-shipped]

Listens on 127.0.0.1 only (port 0, the default, picks a free one) and prints the port it listens on as the
first line of stdout. Every DynamoDB request waits --delay-ms before it is forwarded and --delay-out-ms
before its answer is sent, in this proxy's own thread per connection, outside moto's lock (moto answers one
request at a time: scripts/moto_server.py). A fraction --throttle of the requests, drawn at random with
--seed, is not forwarded and is answered as DynamoDB answers a throttled request: HTTP 400 with
`x-amzn-ErrorType: ProvisionedThroughputExceededException` (the same delays apply). Real DynamoDB reports a
throttled TransactWriteItems inside a TransactionCanceledException (reason code ThrottlingError); this
proxy answers every operation with the plain throttling error, which clients retry the same way.

Control requests (never delayed, counted or throttled):

    GET  /__proxy/stats    {"requests": {op: n}, "throttled": {op: n}, "errors": {"op ErrorType": n},
                           "total": n, "throttled_total": n}
                           (requests counts every DynamoDB request by its X-Amz-Target operation,
                           throttled ones included; errors counts moto's error answers by type, e.g.
                           "TransactWriteItems TransactionCanceledException", a lost race)
    POST /__proxy/reset    zero the counts (answers the counts before)
    POST /__proxy/config   JSON {"throttle": 0.2, "delay_ms": 5, "delay_out_ms": 5, "seed": 1}, any subset;
                           answers the configuration now in force

With --start-moto the proxy starts its own moto server (scripts/moto_server.py, on a free port, stopped with
the proxy). moto's TransactWriteItems deep-copies every table a transaction names once per item of the
transaction, to roll back on failure: a transaction of 100 items on a table of 1 000 rows copies 100 000
rows (~6 s on the reference machine), which no DynamoDB cost resembles. Unless --moto-as-shipped, that moto
rolls back instead from a copy of the items the transaction names, taken before it runs: the same result
(requests are serialized), at a cost in proportion to the transaction's items.

With --exit-with-parent PID the proxy (and its moto) stops once process PID is gone.
"""

import argparse
import copy
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
CONTROL = "/__proxy/"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "trailer"}
THROTTLE_TYPE = "ProvisionedThroughputExceededException"
THROTTLE_BODY = json.dumps(
    {
        "__type": f"com.amazonaws.dynamodb.v20120810#{THROTTLE_TYPE}",
        "message": "The level of configured provisioned throughput for the table was exceeded. Consider "
        "increasing your provisioning level with the UpdateTable API. (injected by ingest_proxy.py)",
    }
).encode()


class State:
    """The configuration in force and the counts, shared by the connection threads."""

    def __init__(self, delay_ms: float, delay_out_ms: float, throttle: float, seed: int) -> None:
        self.lock = threading.Lock()
        self.delay_ms = delay_ms
        self.delay_out_ms = delay_out_ms
        self.throttle = throttle
        self.random = random.Random(seed)
        self.requests: dict[str, int] = {}
        self.throttled: dict[str, int] = {}
        self.errors: dict[str, int] = {}

    def config(self) -> dict:
        return {"throttle": self.throttle, "delay_ms": self.delay_ms, "delay_out_ms": self.delay_out_ms}

    def configure(self, changes: dict) -> dict:
        with self.lock:
            if "throttle" in changes:
                throttle = float(changes["throttle"])
                if not 0.0 <= throttle <= 1.0:
                    raise ValueError(f"throttle must be within 0 and 1, got {throttle}")
                self.throttle = throttle
            for name in ("delay_ms", "delay_out_ms"):
                if name in changes:
                    value = float(changes[name])
                    if value < 0:
                        raise ValueError(f"{name} must not be negative, got {value}")
                    setattr(self, name, value)
            if "seed" in changes:
                self.random = random.Random(int(changes["seed"]))
            return self.config()

    def admit(self, operation: str) -> tuple[bool, float, float]:
        """Counts a request; answers whether to throttle it, and the delays to apply."""
        with self.lock:
            self.requests[operation] = self.requests.get(operation, 0) + 1
            throttled = self.throttle > 0 and self.random.random() < self.throttle
            if throttled:
                self.throttled[operation] = self.throttled.get(operation, 0) + 1
            return throttled, self.delay_ms / 1000, self.delay_out_ms / 1000

    def error(self, operation: str, error_type: str) -> None:
        with self.lock:
            name = f"{operation} {error_type}"
            self.errors[name] = self.errors.get(name, 0) + 1

    def stats(self, reset: bool = False) -> dict:
        with self.lock:
            stats = {
                "requests": dict(sorted(self.requests.items())),
                "throttled": dict(sorted(self.throttled.items())),
                "errors": dict(sorted(self.errors.items())),
                "total": sum(self.requests.values()),
                "throttled_total": sum(self.throttled.values()),
            }
            if reset:
                self.requests.clear()
                self.throttled.clear()
                self.errors.clear()
            return stats


def make_handler(state: State, upstream: urllib.parse.SplitResult):
    local = threading.local()

    def upstream_connection(fresh: bool = False) -> http.client.HTTPConnection:
        if fresh or getattr(local, "connection", None) is None:
            if getattr(local, "connection", None) is not None:
                local.connection.close()
            local.connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            local.connection.connect()
            local.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return local.connection

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the SDK reuses its connections

        def setup(self) -> None:
            super().setup()
            # Without it, an answer's body waits for the client's delayed ACK of its headers (~40 ms).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format, *args):  # noqa: A002 - quiet: one line per request is noise
            pass

        def read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            # Status line, headers and body in one write.
            self._headers_buffer.append(b"\r\n" + body)
            self.flush_headers()

        def control(self, body: bytes) -> None:
            path = self.path[len(CONTROL) :].split("?")[0]
            try:
                if self.command == "GET" and path == "stats":
                    result = state.stats()
                elif self.command == "POST" and path == "reset":
                    result = state.stats(reset=True)
                elif self.command == "POST" and path == "config":
                    result = state.configure(json.loads(body or b"{}"))
                elif self.command == "GET" and path == "config":
                    result = state.config()
                else:
                    self.answer(404, [("Content-Type", "application/json")], b'{"error":"unknown control"}')
                    return
            except (ValueError, TypeError) as error:
                message = json.dumps({"error": str(error)}).encode()
                self.answer(400, [("Content-Type", "application/json")], message)
                return
            self.answer(200, [("Content-Type", "application/json")], json.dumps(result).encode())

        def forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            for attempt in range(2):
                connection = upstream_connection(fresh=attempt > 0)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    if response.will_close:
                        local.connection.close()
                        local.connection = None
                    return response.status, response.getheaders(), data
                except (http.client.HTTPException, OSError):
                    if attempt > 0:
                        raise
            raise AssertionError("unreachable")

        def handle_any(self) -> None:
            body = self.read_body()
            if self.path.startswith(CONTROL):
                self.control(body)
                return
            target = self.headers.get("X-Amz-Target", "")
            operation = target.rsplit(".", 1)[-1] if target else f"{self.command} {self.path.split('?')[0]}"
            throttled, delay_in, delay_out = state.admit(operation)
            if delay_in:
                time.sleep(delay_in)
            if throttled:
                status, headers, data = (
                    400,
                    [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", THROTTLE_TYPE)],
                    THROTTLE_BODY,
                )
            else:
                try:
                    status, headers, data = self.forward(body)
                except (http.client.HTTPException, OSError) as error:
                    status, headers = 502, [("Content-Type", "text/plain")]
                    data = f"ingest_proxy: moto is unreachable: {error}".encode()
                if status >= 400:
                    error_type = next((v for k, v in headers if k.lower() == "x-amzn-errortype"), "")
                    state.error(operation, error_type.split(":")[0].rsplit("#", 1)[-1] or f"HTTP {status}")
            if delay_out:
                time.sleep(delay_out)
            self.answer(status, headers, data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def exit_with(pid: int, on_exit) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            on_exit()
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto(as_shipped: bool) -> tuple[subprocess.Popen, str]:
    """Starts moto (this file with --serve-moto) on a free port; answers the process and its URL."""
    port = free_port()
    command = [sys.executable, os.path.abspath(__file__), "--serve-moto", "-p", str(port)]
    command += ["--exit-with-parent", str(os.getpid())]
    if as_shipped:
        command.append("--moto-as-shipped")
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ingest-moto-{os.getpid()}.log"), "wb")
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            sys.exit(f"ingest_proxy: moto exited with {child.returncode} at start (log: {log.name})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return child, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    child.kill()
    sys.exit(f"ingest_proxy: moto did not listen on 127.0.0.1:{port} within 60 s (log: {log.name})")


def roll_back_touched_items_only() -> None:
    """Makes moto's TransactWriteItems roll back from a copy of the items it names, not of whole tables."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    as_shipped = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        before = []  # (table, hash key, range key, a copy of the item before, or None)
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
                if table is None:
                    continue
                attrs = op["Item"] if "Item" in op else op["Key"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
                hash_key, range_key = self.get_keys_value(table, key)
                before.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
            except Exception:  # a malformed entry: moto refuses it before it writes anything of it
                continue
        # moto snapshots the tables by deep copy and restores that snapshot on failure; here the snapshot is
        # the table itself (restoring it changes nothing) and the items are put back below instead.
        own = Table.__dict__.get("__deepcopy__")
        Table.__deepcopy__ = lambda table, memo: table
        try:
            return as_shipped(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(before):
                if range_key is not None:
                    if item is None:
                        table.items.get(hash_key, {}).pop(range_key, None)
                    else:
                        table.items[hash_key][range_key] = item
                elif item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            raise
        finally:
            if own is None:
                del Table.__deepcopy__
            else:
                Table.__deepcopy__ = own

    DynamoDBBackend.transact_write_items = transact_write_items


def serve_moto(argv: list[str]) -> None:
    as_shipped = "--moto-as-shipped" in argv
    argv = [arg for arg in argv if arg not in ("--serve-moto", "--moto-as-shipped")]
    if not as_shipped:
        roll_back_touched_items_only()
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True  # no scripts/__pycache__ in the work tree
    import moto_server

    sys.argv = [os.path.join(HERE, "moto_server.py"), *argv]
    moto_server.main()


def main() -> None:
    if "--serve-moto" in sys.argv[1:]:
        serve_moto(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--upstream", help="the moto server's URL, e.g. http://127.0.0.1:5000")
    where.add_argument("--start-moto", action="store_true", help="start a moto server for this proxy")
    parser.add_argument("--moto-as-shipped", action="store_true", help="with --start-moto: moto unchanged")
    parser.add_argument("-p", "--port", type=int, default=0, help="the port to listen on (0: a free one)")
    parser.add_argument("--delay-ms", type=float, default=5.0, help="before forwarding a request")
    parser.add_argument("--delay-out-ms", type=float, default=5.0, help="before answering it")
    parser.add_argument("--throttle", type=float, default=0.0, help="the fraction of requests throttled")
    parser.add_argument("--seed", type=int, default=1, help="of the throttling draws")
    parser.add_argument("--exit-with-parent", type=int, metavar="PID")
    args = parser.parse_args()

    state = State(args.delay_ms, args.delay_out_ms, 0.0, args.seed)
    try:
        state.configure({"throttle": args.throttle})
    except ValueError as error:
        parser.error(str(error))
    moto = None
    if args.start_moto:
        moto, upstream_url = start_moto(args.moto_as_shipped)
    else:
        upstream_url = args.upstream
    upstream = urllib.parse.urlsplit(upstream_url)
    if upstream.scheme != "http" or not upstream.hostname or not upstream.port:
        parser.error(f"--upstream must be http://HOST:PORT, got {upstream_url!r}")

    def stop_moto() -> None:
        if moto is not None and moto.poll() is None:
            moto.kill()

    server = Server(("127.0.0.1", args.port), make_handler(state, upstream))
    if args.exit_with_parent:
        threading.Thread(target=exit_with, args=(args.exit_with_parent, stop_moto), daemon=True).start()
    print(server.server_address[1], flush=True)
    print(f"ingest_proxy: 127.0.0.1:{server.server_address[1]} -> {upstream_url}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_moto()


if __name__ == "__main__":
    main()
