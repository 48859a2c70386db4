"""`flask worker` with its clock moved by the seconds given on the command line: a test's
time travel, in another process (`python -m tests.processes.worker_at 176400`)."""

import sys
from datetime import timedelta

from flask.cli import main

from portal import clock

if __name__ == "__main__":
    with clock.travel(timedelta(seconds=float(sys.argv[1]))):
        sys.argv = ["flask", "worker"]
        main()
