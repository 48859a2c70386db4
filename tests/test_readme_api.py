"""The README's API walk-through runs as written against a served demo world whose sandbox
was reset once (its records get new ids): each of its calls answers a success (only the
address, the key the demo printed and the ids it printed are put in, as a reader would)."""

import json
import re
import subprocess

from portal.services import demo
from portal.services.accounts import users
from portal.services.records import sandbox_controls
from tests.deploy.harness import ROOT


def test_the_readmes_api_walk_through_runs_as_written(app, live_server):
    _, access = demo.load()
    admin = users.find_user_by_email(demo.LOGINS[0].email)
    sandbox_controls.reset(admin.organization, actor=admin)
    readme = (ROOT / "README.md").read_text()
    [block] = re.findall(r"```sh\n(B=http://127\.0\.0\.1:5000/api\n.*?)```", readme, re.S)
    script = (
        block.replace("http://127.0.0.1:5000", live_server)
        .replace("KEY=sp_test_...", f"KEY={access.key}")
        .replace("SUB=acme-dental-apps-demo", f"SUB={access.subdomain}")
        .replace("location_id=1", f"location_id={access.location_id}")
        .replace("lids[]=1", f"lids[]={access.location_id}")
    )
    # Each answer on a line of its own, as a reader sees them one after another.
    shown = subprocess.run(
        ["bash", "-c", 'curl() { command curl "$@"; echo; }\n' + script],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    answers = [json.loads(line) for line in shown.splitlines() if line.strip()]
    assert len(answers) == block.count("\ncurl ") + block.startswith("curl ")
    failed = [answer["error"] for answer in answers if answer["code"] is not True]
    assert not failed, failed
