"""A stand-in for one Lambda execution environment: the Runtime API and the Extensions API on 127.0.0.1,
and the lifecycle that drives them, for ONE invocation.

    python3 scripts/lambda_runtime_stub.py --task-dir DIR [--opt-dir DIR] --event FILE --result FILE \
        [--env-file ENV.json] [--launcher "qemu-aarch64-static -L /usr/aarch64-linux-gnu"] [--log-dir DIR]

What it does, in the order Lambda does it (as in aws/aws-lambda-runtime-interface-emulator, rapid):

1. Init, extensions: starts every external extension, i.e. each regular executable file directly in
   OPT_DIR/extensions (a layer's /opt/extensions; symlinks and subfolders are ignored), and waits until each
   has registered (POST /2020-01-01/extension/register, with Lambda-Extension-Name equal to its file name).
2. Init, runtime: starts TASK_DIR/bootstrap, the runtime of an OS-only (provided.al2023) function. Wrapper
   scripts (AWS_LAMBDA_EXEC_WRAPPER) are not applied on OS-only runtimes, so none is run here either.
   Init ends when the Runtime API has been polled (GET /2018-06-01/runtime/invocation/next) and every
   extension waits in GET /2020-01-01/extension/event/next.
3. Invoke: the event goes to the poller of /invocation/next (and an INVOKE event to each extension that
   subscribed to INVOKE); the answer is the POST to /invocation/{id}/response or /invocation/{id}/error.
4. Shutdown: SHUTDOWN to the extensions that subscribed to it, SIGTERM to the runtime, 2 s, then SIGKILL for
   every process left.

Environment, as Lambda builds it: the runtime gets the function's variables (--env-file, a JSON object;
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in it are the role's credentials) plus the
reserved ones (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME, _HANDLER, LAMBDA_TASK_ROOT, …);
extensions get the same less the runtime's own (_HANDLER, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, the log group
and stream, AWS_EXECUTION_ENV) and anything starting with "_".

The result file is JSON: "outcome" is "response", "error", "init_error" or "failed" (with "failure", one
line), the answer's body and error type, each process's exit code, and "max_concurrent_next" (more than 1
means two processes act as the runtime). Exit code 0 when the invocation was answered (response or
error), 1 otherwise. Every wait is bounded; only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

RUNTIME_PREFIX = "/2018-06-01/runtime"
EXTENSION_PREFIX = "/2020-01-01/extension"
SHUTDOWN_GRACE_S = 2.0
EXTERNAL_EVENTS = {"INVOKE", "SHUTDOWN"}


def log(message: str) -> None:
    sys.stderr.write(f"[stub] {message}\n")  # one write per line: the API's threads log too
    sys.stderr.flush()


def socket_owner(client_port: int, server_port: int, processes: dict) -> str | None:
    """Which of `processes` holds the client end 127.0.0.1:client_port of a connection (Linux /proc)."""
    inode = None
    try:
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                local, remote = fields[1], fields[2]
                if int(local.split(":")[1], 16) == client_port and int(remote.split(":")[1], 16) == server_port:
                    inode = fields[9]
                    break
    except OSError:
        return None
    if inode is None:
        return None
    for name, process in list(processes.items()):
        try:
            for fd in os.listdir(f"/proc/{process.pid}/fd"):
                if os.readlink(f"/proc/{process.pid}/fd/{fd}") == f"socket:[{inode}]":
                    return name
        except OSError:
            continue
    return None


class Extension:
    def __init__(self, name: str, external: bool) -> None:
        self.name = name
        self.external = external
        self.id = str(uuid.uuid4())
        self.registered = False
        self.events: list[str] = []
        self.waiting = False  # blocked in /event/next
        self.queue: list[dict] = []
        self.next_calls = 0
        self.errors: list[dict] = []


class Sandbox:
    """The state shared by the API handlers and the lifecycle; one lock, one condition."""

    def __init__(self, function_name: str, function_version: str, handler: str, arn: str) -> None:
        self.cond = threading.Condition()
        self.function_name = function_name
        self.function_version = function_version
        self.handler = handler
        self.arn = arn
        self.extensions: dict[str, Extension] = {}  # by name
        self.registration_open = True
        self.pending: dict | None = None  # the invocation waiting for a poller
        self.taken: dict | None = None  # the invocation a poller has taken
        self.answer: dict | None = None
        self.init_error: dict | None = None
        self.next_waiting = 0
        self.next_calls = 0
        self.max_concurrent_next = 0
        self.shutting_down = False
        self.notes: list[str] = []
        self.processes: dict = {}  # name -> Popen, to tell which process called the API
        self.port = 0

    def by_id(self, ext_id: str) -> Extension | None:
        return next((e for e in self.extensions.values() if e.id == ext_id), None)


def make_handler(box: Sandbox):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the Rust clients pool their connections

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
            log(f"{self.command} {self.path} -> " + (args[1] if len(args) > 1 else ""))

        def read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the caller is gone (killed at shutdown)

        def caller(self) -> str | None:
            return socket_owner(self.client_address[1], box.port, box.processes)

        def forbidden(self, error_type: str, message: str) -> None:
            self.send(403, {"errorType": error_type, "errorMessage": message})

        def do_GET(self) -> None:  # noqa: N802
            if self.path == f"{RUNTIME_PREFIX}/invocation/next":
                self.runtime_next()
            elif self.path == f"{EXTENSION_PREFIX}/event/next":
                self.extension_next()
            else:
                self.send(404, {"errorType": "NotFound", "errorMessage": self.path})

        def do_POST(self) -> None:  # noqa: N802
            body = self.read_body()
            path = self.path
            if path == f"{EXTENSION_PREFIX}/register":
                self.register(body)
            elif path in (f"{EXTENSION_PREFIX}/init/error", f"{EXTENSION_PREFIX}/exit/error"):
                self.extension_error(path.rsplit("/", 2)[-2], body)
            elif path == f"{RUNTIME_PREFIX}/init/error":
                with box.cond:
                    box.init_error = {"type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                                      "body": body.decode(errors="replace")}
                    box.cond.notify_all()
                self.send(202, {"status": "OK"})
            elif path.startswith(f"{RUNTIME_PREFIX}/invocation/") and path.rsplit("/", 1)[-1] in ("response", "error"):
                self.invocation_answer(path, body)
            else:
                self.send(404, {"errorType": "NotFound", "errorMessage": path})

        def runtime_next(self) -> None:
            with box.cond:
                box.next_calls += 1
                box.next_waiting += 1
                box.max_concurrent_next = max(box.max_concurrent_next, box.next_waiting)
                box.cond.notify_all()
                while box.pending is None and not box.shutting_down:
                    box.cond.wait(0.5)
                box.next_waiting -= 1
                invocation, box.pending = box.pending, None
                if invocation is not None:
                    box.taken = invocation
                box.cond.notify_all()
            if invocation is None:
                self.send(500, {"errorType": "Shutdown", "errorMessage": "the environment is shutting down"})
                return
            invocation["polled_by"] = self.caller()
            log(f"invocation {invocation['id']} taken by {invocation['polled_by'] or 'an unknown process'}")
            self.send(200, invocation["event"], {
                "Lambda-Runtime-Aws-Request-Id": invocation["id"],
                "Lambda-Runtime-Deadline-Ms": str(invocation["deadline_ms"]),
                "Lambda-Runtime-Invoked-Function-Arn": box.arn,
                "Lambda-Runtime-Trace-Id": invocation["trace_id"],
            })

        def invocation_answer(self, path: str, body: bytes) -> None:
            request_id, kind = path.split("/")[-2:]
            with box.cond:
                current = box.taken
                if current is None or current["id"] != request_id:
                    self.send(400, {"errorType": "InvalidRequestID", "errorMessage": request_id})
                    return
                if box.answer is not None:
                    self.send(400, {"errorType": "InvalidStateTransition", "errorMessage": "already answered"})
                    return
                box.answer = {
                    "kind": kind,
                    "body": body.decode(errors="replace"),
                    "content_type": self.headers.get("Content-Type"),
                    "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                    "response_mode": self.headers.get("Lambda-Runtime-Function-Response-Mode"),
                    "polled_by": current.get("polled_by"),
                    "answered_by": self.caller(),
                }
                box.cond.notify_all()
            self.send(202, {"status": "OK"})

        def register(self, body: bytes) -> None:
            name = self.headers.get("Lambda-Extension-Name", "")
            if not name:
                self.forbidden("Extension.InvalidExtensionName", "Empty extension name")
                return
            try:
                events = json.loads(body or b"{}").get("events") or []
            except (ValueError, AttributeError) as error:
                self.forbidden("InvalidRequestFormat", str(error))
                return
            with box.cond:
                extension = box.extensions.get(name)
                if extension is None:  # not a file in /opt/extensions: an internal extension of the runtime
                    if not box.registration_open:
                        self.forbidden("Extension.RegistrationClosed", "Extension registration closed already")
                        return
                    extension = box.extensions[name] = Extension(name, external=False)
                    box.notes.append(f"internal extension {name!r} registered (no file of that name in extensions/)")
                allowed = EXTERNAL_EVENTS if extension.external else {"INVOKE"}
                bad = [e for e in events if e not in allowed]
                if bad:
                    self.forbidden("Extension.InvalidEventType", f"{bad[0]}: not one of {sorted(allowed)}")
                    return
                if extension.registered:
                    self.forbidden("Extension.InvalidExtensionState", f"{name} is registered already")
                    return
                extension.registered, extension.events = True, list(events)
                box.cond.notify_all()
            log(f"extension {name} registered, events {events}")
            self.send(200, {"functionName": box.function_name, "functionVersion": box.function_version,
                            "handler": box.handler}, {"Lambda-Extension-Identifier": extension.id})

        def extension_next(self) -> None:
            with box.cond:
                extension = box.by_id(self.headers.get("Lambda-Extension-Identifier", ""))
                if extension is None or not extension.registered:
                    self.forbidden("Extension.InvalidExtensionIdentifier", "unknown Lambda-Extension-Identifier")
                    return
                extension.next_calls += 1
                extension.waiting = True
                box.cond.notify_all()
                # An extension that subscribed to no event waits here until the environment goes away.
                while not extension.queue and not box.shutting_down:
                    box.cond.wait(0.5)
                extension.waiting = False
                event = extension.queue.pop(0) if extension.queue else None
                box.cond.notify_all()
            if event is None:
                self.send(500, {"errorType": "Shutdown", "errorMessage": "the environment is shutting down"})
                return
            self.send(200, event, {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})

        def extension_error(self, phase: str, body: bytes) -> None:
            with box.cond:
                extension = box.by_id(self.headers.get("Lambda-Extension-Identifier", ""))
                if extension is None:
                    self.forbidden("Extension.InvalidExtensionIdentifier", "unknown Lambda-Extension-Identifier")
                    return
                extension.errors.append({"phase": phase, "body": body.decode(errors="replace"),
                                         "type": self.headers.get("Lambda-Extension-Function-Error-Type")})
                box.cond.notify_all()
            self.send(202, {"status": "OK"})

    return Handler


class Failure(Exception):
    pass


def start(argv: list[str], env: dict[str, str], cwd: Path, log_path: Path, pid_file: Path) -> subprocess.Popen:
    out = open(log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    with open(pid_file, "a") as pids:  # each child leads its own process group; the caller's trap may kill it
        pids.write(f"{process.pid}\n")
    return process


def on_sigterm(signum, frame) -> None:
    raise Failure("stopped by SIGTERM")


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def wait_until(box: Sandbox, done, seconds: float, watch: dict[str, subprocess.Popen], what: str) -> None:
    """Waits (bounded) until done() holds; fails when a watched process exits first or time runs out."""
    deadline = time.monotonic() + seconds
    with box.cond:
        while not done():
            for name, process in watch.items():
                if process.poll() is not None:
                    raise Failure(f"{name} exited with code {process.returncode} while waiting for {what}")
            if box.init_error is not None:
                raise Failure(f"init error posted ({box.init_error['type']}): {box.init_error['body'][:300]}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no {what} within {seconds:.0f} s")
            box.cond.wait(min(left, 0.2))


def external_agent_paths(opt_dir: Path | None) -> list[Path]:
    folder = opt_dir / "extensions" if opt_dir else None
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if not p.is_symlink() and p.is_file() and os.access(p, os.X_OK) and p.stat().st_size > 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-dir", type=Path, required=True, help="the unzipped function code (/var/task)")
    parser.add_argument("--opt-dir", type=Path, help="the layers' contents (/opt)")
    parser.add_argument("--event", type=Path, required=True, help="the invocation's payload (JSON)")
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--env-file", type=Path, help="the function's environment variables (JSON object)")
    parser.add_argument("--launcher", default="", help="prefix for every process, e.g. an emulator")
    parser.add_argument("--log-dir", type=Path, default=Path("."))
    parser.add_argument("--function-name", default="boot-check")
    parser.add_argument("--memory-mb", default="128")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--init-timeout", type=float, default=120.0)
    parser.add_argument("--invoke-timeout", type=float, default=120.0)
    args = parser.parse_args()

    customer = json.loads(args.env_file.read_text()) if args.env_file else {}
    credentials = {k: customer.pop(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
                   if k in customer}
    launcher = shlex.split(args.launcher)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    event = args.event.read_bytes()
    json.loads(event)  # a payload Lambda would accept

    arn = f"arn:aws:lambda:{args.region}:123456789012:function:{args.function_name}"
    box = Sandbox(args.function_name, "$LATEST", "bootstrap", arn)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(box))
    server.daemon_threads = True
    server.handle_error = lambda request, address: log(f"request from {address} failed: {sys.exc_info()[1]!r}")
    box.port = server.server_address[1]
    runtime_api = f"127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    log(f"Runtime and Extensions API on http://{runtime_api}")

    task_dir = args.task_dir.resolve()
    platform = {
        "AWS_REGION": args.region, "AWS_DEFAULT_REGION": args.region,
        "AWS_LAMBDA_FUNCTION_NAME": args.function_name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": args.memory_mb,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_RUNTIME_API": runtime_api, "TZ": ":UTC",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    }
    unreserved = {"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8"}
    runtime_only = {
        "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": str(task_dir), "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{args.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
    }
    runtime_env = {**unreserved, **customer, **credentials, **runtime_only, **platform}
    agent_env = {k: v for k, v in {**unreserved, **customer, **credentials, **platform}.items()
                 if not k.startswith("_")}

    signal.signal(signal.SIGTERM, on_sigterm)
    pid_file = args.log_dir / "pids"
    pid_file.write_text("")
    processes: dict[str, subprocess.Popen] = box.processes
    logs: dict[str, Path] = {}
    result: dict = {"runtime_api": runtime_api, "outcome": "failed", "extensions": [], "exits": {}}
    phase = "init"
    try:
        # The environment's clock starts with its first process (an extension, or else the runtime).
        started_at = time.monotonic()
        agents = external_agent_paths(args.opt_dir)
        with box.cond:
            for path in agents:
                box.extensions[path.name] = Extension(path.name, external=True)
        for path in agents:
            name = f"extension {path.name}"
            logs[name] = args.log_dir / f"extension-{path.name}.log"
            processes[name] = start(launcher + [str(path)], agent_env, task_dir, logs[name], pid_file)
            log(f"started {name} (pid {processes[name].pid})")
        wait_until(box, lambda: all(e.registered for e in box.extensions.values() if e.external),
                   args.init_timeout, processes, "registration of every extension")

        bootstrap = task_dir / "bootstrap"
        if not (bootstrap.is_file() and os.access(bootstrap, os.X_OK)):
            raise Failure(f"{bootstrap} is missing or not executable")
        if customer.get("AWS_LAMBDA_EXEC_WRAPPER"):
            box.notes.append("AWS_LAMBDA_EXEC_WRAPPER is set; OS-only runtimes (provided.al2023) apply no wrapper "
                             "script, so the runtime is $LAMBDA_TASK_ROOT/bootstrap itself")
        logs["runtime"] = args.log_dir / "runtime.log"
        processes["runtime"] = start(launcher + [str(bootstrap)], runtime_env, task_dir, logs["runtime"], pid_file)
        log(f"started runtime {bootstrap} (pid {processes['runtime'].pid})")
        wait_until(box, lambda: box.next_waiting > 0
                   and all(e.waiting for e in box.extensions.values() if e.registered),
                   args.init_timeout, processes, "end of init (the Runtime API polled, every extension in event/next)")
        with box.cond:
            box.registration_open = False
        init_done_at = time.monotonic()
        log("init done")

        phase = "invoke"
        deadline_ms = int(time.time() * 1000 + args.invoke_timeout * 1000)
        invocation = {"id": str(uuid.uuid4()), "event": event, "deadline_ms": deadline_ms,
                      "trace_id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"}
        with box.cond:
            for extension in box.extensions.values():
                if "INVOKE" in extension.events:
                    extension.queue.append({"eventType": "INVOKE", "deadlineMs": deadline_ms,
                                            "requestId": invocation["id"], "invokedFunctionArn": arn,
                                            "tracing": {"type": "X-Amzn-Trace-Id", "value": invocation["trace_id"]}})
            box.pending = invocation
            box.cond.notify_all()
        wait_until(box, lambda: box.answer is not None, args.invoke_timeout, processes,
                   "answer to the invocation (/response or /error)")
        answered_at = time.monotonic()
        result["outcome"] = box.answer["kind"]
        result["answer"] = box.answer
        result["timings_ms"] = {
            "init": round((init_done_at - started_at) * 1000, 2),
            "first_answer": round((answered_at - started_at) * 1000, 2),
        }
        # The invocation is complete when every extension subscribed to INVOKE has come back to event/next.
        try:
            wait_until(box, lambda: all(e.waiting and not e.queue for e in box.extensions.values()
                                        if "INVOKE" in e.events), 10, {}, "extensions back in event/next")
        except Failure as failure:
            box.notes.append(str(failure))
        log(f"invocation answered: {box.answer['kind']}")
    except (Failure, KeyboardInterrupt) as failure:
        result["failure"] = f"{phase}: {failure or 'interrupted'}"
        if box.init_error is not None:
            result["outcome"] = "init_error"
            result["init_error"] = box.init_error
        log(f"FAILED {result['failure']}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # Shutdown: SHUTDOWN to the subscribers, SIGTERM to the runtime, a grace period, then SIGKILL.
        with box.cond:
            for extension in box.extensions.values():
                if "SHUTDOWN" in extension.events:
                    extension.queue.append({"eventType": "SHUTDOWN", "shutdownReason": "spindown",
                                            "deadlineMs": int(time.time() * 1000 + SHUTDOWN_GRACE_S * 1000)})
            box.cond.notify_all()
        runtime = processes.get("runtime")
        if runtime is not None and runtime.poll() is None:
            os.killpg(runtime.pid, signal.SIGTERM)
        grace = time.monotonic() + SHUTDOWN_GRACE_S
        while time.monotonic() < grace and any(p.poll() is None for p in processes.values()):
            time.sleep(0.05)
        for name, process in processes.items():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    box.notes.append(f"{name} (pid {process.pid}) did not die after SIGKILL")
            result["exits"][name] = process.returncode
        with box.cond:
            box.shutting_down = True
            box.cond.notify_all()
        server.shutdown()
        server.server_close()

    result["max_concurrent_next"] = box.max_concurrent_next
    result["next_calls"] = box.next_calls
    result["extensions"] = [{"name": e.name, "external": e.external, "registered": e.registered,
                             "events": e.events, "event_next_calls": e.next_calls, "errors": e.errors}
                            for e in box.extensions.values()]
    result["notes"] = box.notes
    result["logs"] = {name: str(path) for name, path in logs.items()}
    if result.get("failure"):
        result["log_tails"] = {name: tail(path) for name, path in logs.items()}
    args.result.write_text(json.dumps(result, indent=2))
    return 0 if result["outcome"] in ("response", "error") else 1


if __name__ == "__main__":
    sys.exit(main())
