"""`flask` commands. Each parses its arguments, calls one service, and reports."""

import os
import signal
import threading

import click
from flask import Flask, current_app

from portal import readable, worker
from portal.services import PortalError, demo, encryption
from portal.services.accounts import two_factor, users
from portal.services.delivery import outbox
from portal.services.imports import applying, csv_import
from portal.services.onboarding import consent
from portal.simulator import synchronizer_group


def init_app(app: Flask) -> None:
    app.cli.add_command(create_staff)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(requests_group)
    app.cli.add_command(import_institutions)
    app.cli.add_command(rotate_encryption)
    app.cli.add_command(reset_two_factor)
    app.cli.add_command(synchronizer_group)


@click.command("create-staff")
@click.argument("email")
@click.option("--name", default="")
@click.password_option(help="Asked for when not given.")
def create_staff(email: str, name: str, password: str) -> None:
    """Create an ops staff user (signs in to /ops)."""
    try:
        user = users.create_staff(email, password, name=name)
    except PortalError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Staff user {user.email} created.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--new-key", is_flag=True, help="Rotate the demo sandbox API key and print it.")
def demo_command(if_empty: bool, new_key: bool) -> None:
    """Load the demo world and print its logins and sandbox API key."""
    access = None
    if users.count_users():
        if not (if_empty or new_key):
            raise click.ClickException("The database already has users; use an empty database.")
        logins = demo.existing_logins()
        click.echo("Database already has users; demo data not loaded again.")
    else:
        logins, access = demo.load()
    if new_key:
        try:
            access = demo.new_sandbox_key()
        except PortalError as error:
            raise click.ClickException(str(error)) from error
    if logins:
        click.echo(f"Demo logins (password for all: {demo.PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.role:<22} {login.email}")
    if access:
        _print_sandbox_access(access)
    elif logins:
        click.echo(
            "The sandbox API key was shown when it was created; `flask demo --new-key` rotates it."
        )
    if logins:
        _print_where_emails_go()


def _print_sandbox_access(access: demo.SandboxAccess) -> None:
    base = current_app.config["BASE_URL"]
    click.echo(f"Sandbox API key (shown once): {access.key}")
    click.echo(f"  subdomain {access.subdomain}, location_id {access.location_id}")
    click.echo(f'  curl -s -X POST {base}/api/authenticates -H "Authorization: {access.key}"')


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Do what is due, then stop.")
def worker_command(until_idle: bool) -> None:
    """Run the worker: emails, jobs and periodic tasks, until stopped (Ctrl-C, SIGTERM)."""
    if until_idle:
        click.echo(f"{readable.plural(worker.run_until_idle(), 'piece')} of work done.")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        worker.run(current_app._get_current_object(), stop)
    except worker.WorkerAlreadyRunning as error:
        raise click.ClickException(str(error)) from error


def _print_where_emails_go() -> None:
    base = current_app.config["BASE_URL"]
    click.echo(
        f"Emails (invitations, consent requests...) go out through `flask worker`; read each "
        f"one with its links on {base}/ops/outbox/ as ops@syncportal.example."
    )


@click.group("outbox")
def outbox_group() -> None:
    """The email outbox."""


@outbox_group.command("send")
def outbox_send() -> None:
    """Send every email that is due now, then stop (`flask worker` does this continuously)."""
    sent = batch = outbox.send_due()
    while batch:
        batch = outbox.send_due()
        sent += batch
    click.echo(f"{readable.plural(sent, 'email')} sent.")


@click.group("requests")
def requests_group() -> None:
    """Practice access requests."""


@requests_group.command("expire")
def requests_expire() -> None:
    """Expire access requests older than 30 days now (`flask worker` does this hourly)."""
    expired = consent.expire_due()
    click.echo(f"{readable.plural(expired, 'access request')} expired.")


@click.command("import-institutions")
@click.option("--org", "slug", required=True, help="The organization's slug.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--apply", "do_apply", is_flag=True, help="Import; without it, only preview.")
def import_institutions(slug: str, path: str, do_apply: bool) -> None:
    """Preview (and with --apply, import) a bulk-onboarding CSV for an organization."""
    organization = users.find_organization(slug)
    if organization is None:
        raise click.ClickException(f"No organization with slug {slug!r}.")
    with open(path, "rb") as handle:
        content = handle.read()
    try:
        batch = csv_import.upload(organization, os.path.basename(path), content, actor=None)
        plan = csv_import.preview(batch)
        for kind, count in plan.counts.items():
            click.echo(f"{count:>6}  {kind}")
        for error in plan.errors[:50]:
            click.echo(f"  {error}")
        if do_apply:
            summary = applying.apply(batch, actor=None)
            created = readable.plural(len(summary["sync_ids"]), "sync")
            click.echo(f"Imported batch {batch.id}: {created} created.")
    except PortalError as error:
        raise click.ClickException(str(error)) from error


@click.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Turn off a person's two-factor sign-in (a lost phone; staff included). Audited."""
    user = users.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    two_factor.reset(user, actor=None)
    click.echo(f"Two-factor sign-in of {user.email} is reset: they set it up again at sign-in.")


@click.command("rotate-encryption")
def rotate_encryption() -> None:
    """Re-encrypt stored credentials under the first key of ENCRYPTION_KEYS."""
    try:
        rotated = encryption.rotate()
    except ValueError as error:
        raise click.ClickException(f"{error}: keep the old key in ENCRYPTION_KEYS.") from error
    click.echo(f"{readable.plural(rotated, 'stored secret')} re-encrypted under the newest key.")
