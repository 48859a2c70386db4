"""`flask synchronizer simulate`: a stand-in Synchronizer that speaks the agent protocol
over HTTP to a running portal, for demos and end-to-end tests."""

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import httpx


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
