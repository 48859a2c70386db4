"""gunicorn settings for SyncPortal (`gunicorn --config gunicorn.conf.py app:app`).

Every value can be changed through the environment. Run it behind a buffering reverse proxy
(README, "Deploying"): gunicorn's workers read requests themselves, so without one a few
slow clients can hold every worker.
"""

import os

from gunicorn.glogging import Logger
from gunicorn.workers.sync import SyncWorker

from portal import serving
from portal.observability import JsonFormatter  # noqa: F401 - named in logconfig_dict

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Plain (sync) workers: no request waits on slow outside work (workers do that) and the
# buffering proxy in front holds slow clients, so a thread pool would only add cost. On the
# 2-core bench machine 4 threads per worker cut the bare endpoint from ~3,400 to ~1,200
# requests/s (BENCHMARKS.md, "The server's configuration"). GUNICORN_THREADS above 1 makes
# gunicorn use its threaded worker instead.
worker_class = "sync"
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak cannot grow for ever, but rarely: a restart
# reloads the app (about a second), and every 2,000 requests cost a busy worker a third of
# its time. The jitter keeps both workers from restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# The app logs one JSON line per request itself (without query strings or secrets in paths);
# gunicorn's access log would print full URLs, so it stays off.
accesslog = None


def post_request(worker, req, environ, resp):
    # A plain worker's answer to a request without a body is closed as soon as it is written,
    # instead of waiting up to 2 s for the client to close first (portal/serving.py). The
    # threaded worker keeps connections alive and closes them itself.
    if type(worker) is SyncWorker and resp is not None and resp.headers_sent:
        serving.close_if_done(resp.sock, environ, resp.sent, resp.response_length)


class AppLogsRequests(Logger):
    """gunicorn's logger without its access log. With a logging configuration gunicorn
    builds every access line even when no handler prints it: a fifth of a bare request."""

    def access(self, resp, req, environ, request_time):
        pass


logger_class = AppLogsRequests
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "portal.observability.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["stderr"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}
