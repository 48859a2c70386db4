"""What proves a practice's consent decision beside its time: the address and browser it
came from, and the version of the consent text the practice was shown.

The text is `templates/practice/_consent_text.html`; change CONSENT_TEXT_VERSION with it.
A decision posted from a page that showed another version is refused: the practice reads
the current text and decides again.
"""

from dataclasses import dataclass

from portal import inputs
from portal.models import AccessRequest
from portal.services import Conflict
from portal.services.naming import fit

CONSENT_TEXT_VERSION = "2026-12-01"


@dataclass(frozen=True)
class Evidence:
    address: str
    user_agent: str
    text_version: str


class ConsentTextChanged(Conflict):
    def __init__(self):
        super().__init__(
            "The consent text has changed since this page was opened. Read it again below, "
            "then grant or deny."
        )


def check(evidence: Evidence | None) -> None:
    """Raises ConsentTextChanged unless the practice was shown the current text."""
    if evidence is not None and evidence.text_version != CONSENT_TEXT_VERSION:
        raise ConsentTextChanged()


def store(request: AccessRequest, evidence: Evidence | None) -> dict:
    """Keep the evidence on the decided request; returns it for the audit row."""
    if evidence is None:
        return {}
    request.decided_ip = fit(inputs.one_line_text(evidence.address), AccessRequest.decided_ip)
    request.decided_user_agent = fit(
        inputs.one_line_text(evidence.user_agent), AccessRequest.decided_user_agent
    )
    request.consent_text_version = evidence.text_version
    return {"user_agent": request.decided_user_agent, "consent_text": evidence.text_version}
