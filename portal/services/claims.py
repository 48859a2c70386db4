"""Claims: a state change that two people or processes can race on is one conditional UPDATE.

`claim` changes a row only if it still matches the conditions the caller checked; exactly
one of several racers gets the row (the database serialises the UPDATEs), the others learn
that they lost and can say what happened instead. No lock is held across slow work.
"""

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db


def claim(row, *conditions, **values) -> bool:
    """Set `values` on `row` if it still meets `conditions`; True when this call won.

    On success the loaded object carries the new values; on failure it is re-read, so the
    caller's refusal message describes what the winner did.
    """
    model = type(row)
    changed = db.session.execute(
        update(model)
        .where(model.id == row.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.refresh(row)
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True
