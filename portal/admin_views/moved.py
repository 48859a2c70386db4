"""Old console URLs (`/portal/portal_institutions/...`, `/ops/ops_syncs/...`) keep working:
each answers a permanent redirect to the readable URL that replaced it, method, path below
and query string kept (308), so bookmarks and links in old emails still land."""

from flask import Flask, redirect, request


def redirect_moved(app: Flask, console: str, moved: dict[str, str]) -> None:
    """Register `/<console>/<old>/...` -> `/<console>/<new>/...` for each of `moved`."""
    for old, new in moved.items():
        view = _redirector(f"/{console}/{new}/")
        endpoint = f"moved_{console}_{old}"
        methods = ["GET", "HEAD", "POST"]
        app.add_url_rule(f"/{console}/{old}/", endpoint, view, methods=methods)
        app.add_url_rule(f"/{console}/{old}/<path:rest>", endpoint, view, methods=methods)


def _redirector(target: str):
    def go(rest: str = ""):
        query = request.query_string.decode("latin-1")
        return redirect(target + rest + (f"?{query}" if query else ""), code=308)

    return go
