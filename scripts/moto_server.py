"""moto's server, answering one request at a time.

moto's in-memory backends do not isolate concurrent requests: two TransactWriteItems that both pass their
conditions can both be written. DynamoDB guarantees they cannot, and the ledger's concurrency tests rely on
that, so requests are serialized here. Connections are still accepted concurrently; only the handling waits.

    python scripts/moto_server.py -H 127.0.0.1 -p PORT [--exit-with-parent PID]

With --exit-with-parent (as the Rust tests start it), the server stops once process PID is gone, so a test
binary that ends, however it ends, leaves no server behind. Where moto's answer differs from AWS's in a way
a test relies on, moto_s3_notifications.py and moto_s3_versions.py make it read as AWS's.
"""

import argparse
import os
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

import moto_s3_notifications
import moto_s3_versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--exit-with-parent", type=int, metavar="PID")
    args = parser.parse_args()
    if args.exit_with_parent:
        threading.Thread(target=exit_with, args=(args.exit_with_parent,), daemon=True).start()

    moto_s3_notifications.install()
    moto_s3_versions.install()
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        with one_at_a_time:
            # moto's responses are computed whole, so the lock covers the complete request.
            return list(app(environ, start_response))

    run_simple(args.host, args.port, serialized, threaded=True)


def exit_with(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.5)


if __name__ == "__main__":
    main()
