"""`flask synchronizer simulate` and `flask synchronizer practice`: stand-in Synchronizers
that speak the agent protocol over HTTP to a running portal, for demos and end-to-end tests.
`simulate` only activates and reports health; `practice` plays a whole practice
(`portal.simulated_practice`): it uploads the practice's records and applies the platform's
writes, cycle after cycle."""

import signal
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import httpx

from portal.simulated_practice import Practice


@click.group("synchronizer")
def synchronizer_group() -> None:
    """Act as a Synchronizer agent against a running SyncPortal."""


@synchronizer_group.command("simulate")
@click.option("--url", required=True, help="The portal's base URL, e.g. http://127.0.0.1:5000")
@click.option("--product-key", required=True, help="The key shown on the sync's page.")
@click.option("--locations", default=1, type=click.IntRange(0, 500), help="Locations to report.")
@click.option("--fail", "fail_reason", default=None, help="Report this failure instead.")
@click.option("--interval", default=0.0, type=click.FloatRange(0), help="Seconds between beats.")
@click.option("--count", default=1, type=click.IntRange(1), help="Heartbeats to send.")
@click.option("--hostname", default=socket.gethostname(), help="The server name to report.")
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the agent token here, as the Synchronizer does: a restart resumes with it.",
)
def simulate(url, product_key, locations, fail_reason, interval, count, hostname, state_file):
    """Activate with a product key (or resume with the token kept in --state-file), then
    send heartbeats (or one failure report)."""
    with httpx.Client(base_url=url.rstrip("/") + "/synchronizer/v1", timeout=15) as client:
        token = _kept_token(state_file) or _activate(client, product_key, hostname, state_file)
        auth = {"Authorization": f"Bearer {token}"}
        if fail_reason:
            body = {"code": "simulated", "message": fail_reason}
            result = _post(client, "/failures", body, headers=auth)
            click.echo(f"Reported failure; sync is {result['status']}.")
            return
        for beat in range(1, count + 1):
            result = _post(client, "/heartbeat", _heartbeat(locations), headers=auth)
            click.echo(f"Heartbeat {beat}/{count}: sync is {result['status']}.")
            if beat < count:
                time.sleep(interval)


def _kept_token(state_file: Path | None) -> str | None:
    if state_file is None or not state_file.exists():
        return None
    click.echo("Resumed with the kept agent token.")
    return state_file.read_text().strip() or None


def _activate(client: httpx.Client, product_key: str, hostname: str, state_file) -> str:
    body = {"product_key": product_key, "hostname": hostname, "version": "simulator-1.0"}
    activation = _post(client, "/activate", body)
    click.echo(f"Activated sync {activation['sync_id']} as {hostname}.")
    token = activation["agent_token"]
    if state_file is not None:
        state_file.touch(mode=0o600)
        state_file.write_text(token)
    return token


@synchronizer_group.command("practice")
@click.option("--url", required=True, help="The portal's base URL, e.g. http://127.0.0.1:5000")
@click.option("--product-key", default=None, help="The key shown on the sync's page.")
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the agent token is kept: read when it exists, written after activating.",
)
@click.option("--patients", default=300, type=click.IntRange(1, 20_000))
@click.option("--providers", default=4, type=click.IntRange(1, 50))
@click.option("--operatories", default=5, type=click.IntRange(1, 50))
@click.option("--weeks", default=4, type=click.IntRange(1, 26), help="Weeks of appointments.")
@click.option(
    "--fail-share",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of the platform's writes the practice refuses, with a reason.",
)
@click.option(
    "--refuse-patient",
    "locked",
    multiple=True,
    metavar="FOREIGN_ID",
    help="Refuse every write for this patient (its id at the practice), as a chart locked on "
    "another workstation does; repeat for more patients.",
)
@click.option("--interval", default=5.0, type=click.FloatRange(0), help="Seconds between cycles.")
@click.option(
    "--cycles", default=0, type=click.IntRange(0), help="Cycles to run; 0: until stopped."
)
@click.option("--seed", default=1, type=int, help="The same seed opens the same practice.")
def practice_command(url, product_key, state_file, interval, cycles, seed, **size) -> None:
    """Play a practice: each cycle reports health, uploads what changed in the practice,
    applies the writes waiting for it and reports their results."""
    with httpx.Client(base_url=url.rstrip("/") + "/synchronizer/v1", timeout=60) as client:
        auth = {"Authorization": f"Bearer {_token(client, product_key, state_file)}"}
        office = Practice.opened(
            seed,
            patients=size["patients"],
            providers=size["providers"],
            operatories=size["operatories"],
            weeks=size["weeks"],
            fail=size["fail_share"],
            locked=size["locked"],
        )
        stop = threading.Event()  # SIGTERM ends the run after the current cycle
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        cycle = 0
        while not stop.is_set():
            cycle += 1
            if cycle > 1:
                office.evolve()
            _cycle(client, auth, office, cycle)
            if cycles and cycle >= cycles:
                return
            stop.wait(interval)
        click.echo("Stopped.")


def _token(client: httpx.Client, product_key: str | None, state_file: Path | None) -> str:
    token = _kept_token(state_file)
    if token:
        return token
    if not product_key:
        raise click.ClickException("Give --product-key (or a --state-file that exists).")
    return _activate(client, product_key, socket.gethostname(), state_file)


def _cycle(client: httpx.Client, auth: dict, office: Practice, cycle: int) -> None:
    now = datetime.now(UTC).isoformat()
    main = {"foreign_id": "1", "name": "Main office", "state": "NY", "zip_code": "10001"}
    beat = {"last_read_at": now, "last_write_at": now, "locations": [main]}
    _post(client, "/heartbeat", beat, headers=auth)
    uploaded = 0
    for kind, records, deleted in office.batches():
        body = {"location_foreign_id": "1", "records": records, "deleted": deleted}
        _post(client, f"/uploads/{kind}", body, headers=auth)
        uploaded += len(records) + len(deleted)
    writes = _post(client, "/writes/collect", {}, headers=auth)["writes"]
    known: dict[int, str] = {}
    results = [office.apply(write, known) for write in writes]
    if results:
        _post(client, "/writes/results", {"results": results}, headers=auth)
    failed = [r for r in results if r.get("error")]
    for result in failed:
        click.echo(f"Write {result['id']} refused: {result['error']}")
    click.echo(
        f"Cycle {cycle}: uploaded {uploaded} records; applied {len(results) - len(failed)} "
        f"writes, refused {len(failed)}."
    )


def _heartbeat(locations: int) -> dict:
    now = datetime.now(UTC).isoformat()
    return {
        "last_read_at": now,
        "last_write_at": now,
        "locations": [
            {"foreign_id": str(n), "name": f"Location {n}", "state": "NY", "zip_code": "10001"}
            for n in range(1, locations + 1)
        ],
    }


def _post(client: httpx.Client, path: str, body: dict, headers: dict | None = None) -> dict:
    try:
        response = client.post(path, json=body, headers=headers)
    except httpx.HTTPError as error:
        raise click.ClickException(f"Cannot reach the portal: {error}") from error
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code >= 400:
        reasons = "; ".join(payload.get("error") or [response.reason_phrase])
        raise click.ClickException(f"{path} refused ({response.status_code}): {reasons}")
    return payload["data"]
