"""The app as gunicorn serves it for the load scenarios: the benchmark database, rate limits
off (the load tool is one client hammering one key), and a bare endpoint beside the API so
the table shows what Flask and gunicorn cost before any of our code runs."""

import os

from flask import jsonify

from portal import create_app

app = create_app(
    "development",
    SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"],
    RATELIMIT_ENABLED=False,
)


@app.get("/bench/bare")
def bare():
    return jsonify({"ok": True})
