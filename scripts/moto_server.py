"""moto's server, answering one request at a time.

moto's in-memory backends do not isolate concurrent requests: two TransactWriteItems that both pass their
conditions can both be written. DynamoDB guarantees they cannot, and the ledger's concurrency tests rely on
that, so requests are serialized here. Connections are still accepted concurrently; only the handling waits.

    python scripts/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()

    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        with one_at_a_time:
            # moto's responses are computed whole, so the lock covers the complete request.
            return list(app(environ, start_response))

    run_simple(args.host, args.port, serialized, threaded=True)


if __name__ == "__main__":
    main()
