"""A file's groups classified round by round for its apply (`applying.py`), each round with
the subdomains of its new institutions.

On PostgreSQL, for a file of more than one round, a thread of its own classifies the
rounds on a connection of its own while the transaction's connection takes in the rows of
the rounds before (`bulk.Copies`). The lookups and the classifying used to come first, with
the server idle (0.35 s of a 10,000-row apply's 2 s; the overlap measured 0.1-0.15 s off,
as the thread shares Python with the rows being built). Its reads see one snapshot of what
was committed, as the plan always saw the database without the apply's own rows; the
practices it finds are read again in the transaction's session before anything is written
to them (`attach`). Elsewhere, and for a single round, every round is classified first, on
the transaction's connection, before anything is written.
"""

from contextlib import closing, contextmanager
from dataclasses import dataclass

from flask import current_app

from portal.extensions import db
from portal.models import Enrollment, Institution, Organization
from portal.services import bulk, naming, read_ahead
from portal.services.imports.import_plan import NOTHING_NEW, Group, classify

ROUND = 1_000  # groups per round; a round's new institutions are one set of statements


@dataclass
class Round:
    creating: list[tuple[Group, str]]  # new institutions with their subdomains, in file order
    others: list[Group]  # for the services, or nothing to do


def todo(group: Group) -> list[tuple]:
    """The group's rows that add something: (row, ehr, server_name)."""
    return [row for row in group.rows if row[0].kind not in NOTHING_NEW]


@contextmanager
def classified(organization: Organization, groups: list[Group]):
    """The rounds of `groups`, classified, as an iterator, for the duration of the block."""
    if db.session.get_bind().dialect.name != "postgresql" or len(groups) <= ROUND:
        yield iter(list(_rounds(organization, groups)))
        return
    with closing(_classified_ahead(organization.id, groups)) as rounds:
        yield rounds


def attach(group: Group) -> None:
    """The group's practice read again in the transaction's session, where the services
    write to it (the classifying session may be another one, and closed)."""
    if group.match is not None:
        group.match = db.session.get(Institution, group.match.id)
    if group.enrollment is not None:
        group.enrollment = db.session.get(Enrollment, group.enrollment.id)


def _rounds(organization: Organization, groups: list[Group], stopped=None):
    taken: set[str] = set()  # the subdomains chosen in the rounds before
    for part in bulk.chunks(groups, ROUND):
        if stopped is not None and stopped.is_set():
            return
        classify(organization, part)
        creating, others = [], []
        for group in part:
            new = group.match is None and group.enrollment is None and todo(group)
            (creating if new else others).append(group)
        names = [group.details.name for group in creating]
        subdomains = naming.unique_slugs(Institution.subdomain, names, taken)
        yield Round(list(zip(creating, subdomains, strict=True)), others)


def _classified_ahead(organization_id: int, groups: list[Group]):
    """Rounds classified by a thread with an app context, so a session and a connection, of
    its own. The caller reads a round's groups once it has it, and their practices (`match`,
    `enrollment`) only through `attach`, after the block: the thread is done with them
    then."""
    app = current_app._get_current_object()

    def classify_rounds(stopped):
        with app.app_context():  # its session closes with it
            # Every round reads the same snapshot, and nothing is written through it.
            snapshot = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            db.session.connection(execution_options=snapshot)
            organization = db.session.get(Organization, organization_id)
            yield from _rounds(organization, groups, stopped)

    return read_ahead.produced(classify_rounds, name="import-rounds")
