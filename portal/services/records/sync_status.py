"""Sync status as the API reports it: green while the Synchronizer read (or wrote) recently
(the rule of `syncs.health`; pending, before the first report, shows as red).

Sandbox institutions have no Synchronizer; they report one simulated, always-green sync so
that clients can exercise the endpoint.
"""

from dataclasses import dataclass
from datetime import datetime

from portal import clock
from portal.models import InstallMethod, Institution, Location, Mode
from portal.services.syncs import health as sync_health
from portal.services.syncs.health import Health


@dataclass(frozen=True)
class SyncState:
    institution_id: int
    sync_id: int
    ehr: str
    cloud: bool
    read_at: datetime | None
    write_at: datetime | None
    read_green: bool
    write_green: bool
    locations: list[Location]


def statuses(
    institutions: list[Institution], locations: dict[int, list[Location]]
) -> list[SyncState]:
    """One entry per Synchronizer of each institution (its syncs loaded), with the caller's
    `locations` (by institution id) on it."""
    now = clock.now()
    states = []
    for institution in institutions:
        reachable = locations.get(institution.id, [])
        if institution.mode == Mode.SANDBOX:
            states.append(_simulated(institution, reachable))
            continue
        for sync in institution.syncs:
            states.append(
                SyncState(
                    institution_id=institution.id,
                    sync_id=sync.id,
                    ehr=sync.ehr,
                    cloud=sync.install_method == InstallMethod.CLOUD,
                    read_at=sync.last_read_at,
                    write_at=sync.last_write_at,
                    read_green=sync_health.of(sync.last_read_at, now) == Health.GREEN,
                    write_green=sync_health.of(sync.last_write_at, now) == Health.GREEN,
                    locations=[loc for loc in reachable if loc.sync_id == sync.id],
                )
            )
    return states


def _simulated(institution: Institution, locations: list[Location]) -> SyncState:
    now = clock.now()
    return SyncState(institution.id, 0, "Sandbox", True, now, now, True, True, locations)
