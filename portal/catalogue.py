"""The health record systems we sync with (SPEC section 3) and how each one is installed."""

from dataclasses import dataclass

from portal.statuses import InstallMethod, SyncStage


@dataclass(frozen=True)
class System:
    code: str
    name: str
    install: InstallMethod

    @property
    def on_prem(self) -> bool:
        # On-prem systems run on the practice's servers: one sync per server.
        return self.install is not InstallMethod.CLOUD


def _systems(install: InstallMethod, *pairs: tuple[str, str]) -> list[System]:
    return [System(code, name, install) for code, name in pairs]


SYSTEMS = {
    system.code: system
    for system in [
        *_systems(
            InstallMethod.SELF_INSTALLER,
            ("dentrix", "Dentrix (G6.2+)"),
            ("eaglesoft", "Eaglesoft (18+)"),
            ("opendental", "Open Dental (17+)"),
        ),
        *_systems(
            InstallMethod.SCHEDULED,
            ("dentrix_enterprise", "Dentrix Enterprise"),
            ("dolphin", "Dolphin"),
            ("orthotrac", "OrthoTrac"),
            ("practiceworks", "PracticeWorks"),
        ),
        *_systems(
            InstallMethod.CLOUD,
            ("athena", "athenahealth"),
            ("cloud9", "Cloud 9"),
            ("curve2", "Curve Dental"),
            ("denticon", "Denticon"),
            ("dentrixascend", "Dentrix Ascend"),
            ("ecw", "eClinicalWorks"),
            ("modmed", "ModMed"),
            ("drchrono", "DrChrono"),
            ("nextgen", "NextGen"),
        ),
    ]
}

COMPLIMENTARY_SANDBOX_SYSTEM = "opendental"


def get(code: str) -> System | None:
    return SYSTEMS.get(code)


def name_of(code: str) -> str:
    system = SYSTEMS.get(code)
    return system.name if system else code


def live_systems(institution) -> list[str]:
    """The names of the systems an institution's active syncs read (all a match may show)."""
    return sorted({name_of(s.ehr) for s in institution.syncs if s.status is SyncStage.ACTIVE})


def choices() -> list[tuple[str, str]]:
    """(code, label) pairs for a select box, grouped by how the system is installed."""
    labels = {
        InstallMethod.SELF_INSTALLER: "self-installer",
        InstallMethod.SCHEDULED: "scheduled install",
        InstallMethod.CLOUD: "cloud",
    }
    return [(s.code, f"{s.name} ({labels[s.install]})") for s in SYSTEMS.values()]
