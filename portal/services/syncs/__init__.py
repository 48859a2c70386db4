"""The sync lifecycle: one Synchronizer installation, from its creation to active or failed.

`lifecycle` holds the transition table and the one function that changes a sync's stage;
the full actions are grouped by who takes them: `setup` (the developer), `installs` (staff)
and `agents` (the Synchronizer). `keys` are the secrets a sync carries, `health` its read
and write health.
"""
