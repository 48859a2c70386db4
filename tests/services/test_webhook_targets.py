"""Where webhooks may go: only public addresses, checked after name resolution. Name
resolution is faked here and no connection is ever opened to a refused address."""

import pytest

from portal import create_app
from portal.services.webhooks import targets
from portal.services.webhooks.targets import UnsafeTarget


@pytest.fixture
def no_loopback(app):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    yield
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True


@pytest.fixture
def names(monkeypatch):
    """Fake DNS: {name: [addresses]}; a name missing from it does not resolve."""
    table = {}

    def resolve(host, port):
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    monkeypatch.setattr(targets, "resolve", resolve)
    return table


@pytest.fixture
def no_connections(monkeypatch):
    opened = []
    monkeypatch.setattr(targets, "open_socket", lambda *args: opened.append(args))
    yield opened
    assert opened == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/hooks", "loopback"),
        ("http://127.9.9.9:8080/hooks", "loopback"),
        ("http://[::1]/hooks", "loopback"),
        ("http://10.1.2.3/hooks", "private"),
        ("http://172.16.0.10/hooks", "private"),
        ("http://192.168.1.20/hooks", "private"),
        ("http://[fd12:3456::1]/hooks", "private"),
        ("http://169.254.169.254/latest/meta-data", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://169.254.10.10/hooks", "link-local"),
        ("http://[fe80::1]/hooks", "link-local"),
        ("http://[::ffff:10.0.0.1]/hooks", "private"),
        ("http://0.0.0.0/hooks", "private"),
        ("http://100.64.0.1/hooks", "not a public address"),
        ("http://224.0.0.1/hooks", "reserved"),
    ],
)
def test_addresses_that_are_not_public_are_refused(no_loopback, no_connections, url, why):
    with pytest.raises(UnsafeTarget, match=why):
        targets.check(url)


def test_a_name_resolving_to_a_private_address_is_refused(no_loopback, names, no_connections):
    names["hooks.partner.example"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(UnsafeTarget, match="hooks.partner.example points at 10.0.0.7"):
        targets.check("https://hooks.partner.example/in")


def test_a_name_resolving_to_the_metadata_service_is_refused(no_loopback, names):
    names["metadata.partner.example"] = ["169.254.169.254"]
    with pytest.raises(UnsafeTarget, match="cloud metadata"):
        targets.check("https://metadata.partner.example/")


def test_a_name_resolving_only_to_public_addresses_is_accepted(no_loopback, names):
    names["hooks.partner.example"] = ["93.184.216.34", "2606:2800:220:1::1"]
    target = targets.check("https://hooks.partner.example:8443/in?x=1")
    assert (target.host, target.port, target.path) == ("hooks.partner.example", 8443, "/in?x=1")


def test_a_name_that_does_not_resolve_is_refused(names):
    with pytest.raises(UnsafeTarget, match="could not be resolved"):
        targets.check("https://nowhere.partner.example/")


def test_loopback_is_accepted_only_while_the_setting_allows_it(app, names):
    names["localhost"] = ["127.0.0.1", "::1"]
    assert targets.check("http://localhost:8085/hook").port == 8085
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    try:
        with pytest.raises(UnsafeTarget, match="loopback"):
            targets.check("http://localhost:8085/hook")
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = True


def test_https_is_required_where_the_setting_says_so(app, names):
    names["hooks.partner.example"] = ["93.184.216.34"]
    app.config["WEBHOOK_REQUIRE_HTTPS"] = True
    try:
        with pytest.raises(UnsafeTarget, match="HTTPS"):
            targets.check("http://hooks.partner.example/in")
        assert targets.check("https://hooks.partner.example/in").scheme == "https"
    finally:
        app.config["WEBHOOK_REQUIRE_HTTPS"] = False


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "Enter the URL"),
        ("ftp://hooks.partner.example/", "must start with https"),
        ("hooks.partner.example/in", "must start with https"),
        ("https://user:pass@hooks.partner.example/", "no user name or password"),
        ("https://hooks.partner.example:99999/", "not a valid web address"),
        ("https://hooks.partner.example/a b", "spaces"),
        ("https://" + "a" * 2000 + ".example/", "too long"),
        ("https://" + "a" * 64 + ".example/", "longer than a host name can be"),
        ("https://" + "abcdefghi." * 26 + "example/", "longer than a host name can be"),
    ],
)
def test_urls_that_are_not_usable_are_refused_with_the_reason(url, why):
    with pytest.raises(UnsafeTarget, match=why):
        targets.parse(url)


def test_production_refuses_to_start_with_loopback_targets_allowed():
    from portal import config

    production = type("Production", (config.ProductionConfig,), {"WEBHOOK_ALLOW_LOOPBACK": True})
    with pytest.raises(RuntimeError, match="WEBHOOK_ALLOW_LOOPBACK"):
        create_app(
            production,
            SECRET_KEY="x",
            SQLALCHEMY_DATABASE_URI="sqlite://",
            BASE_URL="https://portal.example.com",
        )
    assert config.ProductionConfig.WEBHOOK_REQUIRE_HTTPS is True


def test_a_host_name_too_long_to_exist_is_not_looked_up_or_echoed(names, no_connections):
    host = "hooks-" + "x" * 300 + ".example"
    with pytest.raises(UnsafeTarget) as refused:
        targets.check(f"https://{host}/in")
    assert host not in str(refused.value)
