"""The endpoint process: moto's WSGI app, our extensions and middleware, served by werkzeug.

Started in the background by ``python -m tools.local_aws up``; runnable in the foreground
for debugging with ``python -m tools.local_aws.server --port 5000 --state-dir .local``.
"""

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from moto import backends as moto_backends
from moto.moto_api import _internal as moto_api
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import BIND_ADDRESS, configured_port, configured_state_dir, extensions
from . import dataplane
from .dataplane import loopback
from .middleware import LocalAwsMiddleware
from .runtime import runtime


def reset_everything():
    """Empty moto's state and remove every data-plane process and its data."""
    dataplane.delete_all(runtime.state_dir)
    moto_api.moto_api_backend.reset()


def cache_backend_names():
    """moto's dispatcher lists its package directory on every request to match a host to a
    service (backends.list_of_moto_modules); the list never changes while the server runs."""
    names = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: names


def build_app(state_dir):
    # AWS managed policies exist in every account; roles attach them by ARN
    # (e.g. AmazonRDSEnhancedMonitoringRole). moto loads them only when asked.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    runtime.configure_from_environment(state_dir)
    runtime.extensions = extensions.install()
    cache_backend_names()
    moto_app = DomainDispatcherApplication(create_backend_app)
    return LocalAwsMiddleware(moto_app, reset=reset_everything)


def serve(port, state_dir):
    loopback.serve_on(port)
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    # moto keeps state in memory only: databases left by an earlier process have no owner.
    dataplane.delete_all(state_dir)
    # No access log line per request ("POST / 200" says less than calls.jsonl, at a
    # twentieth of each call's time); errors are still logged.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(BIND_ADDRESS, port, build_app(state_dir), threaded=True,
                         request_handler=MotoRequestHandler)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"local AWS endpoint listening on http://{BIND_ADDRESS}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        dataplane.stop_all(state_dir)
        print("local AWS endpoint stopped", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.local_aws.server")
    parser.add_argument("--port", type=int, default=configured_port())
    parser.add_argument("--state-dir", default=str(configured_state_dir()))
    args = parser.parse_args(argv)
    serve(args.port, args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
