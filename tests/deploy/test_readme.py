"""The README's deploy section runs what tests/deploy runs: the Procfile's commands."""

from tests.deploy.harness import ROOT, procfile


def test_the_readme_deploy_section_shows_the_procfile_commands_the_tests_run():
    readme = (ROOT / "README.md").read_text()
    deploy = readme[readme.index("## Deploying") :]
    commands = procfile()
    assert set(commands) == {"web", "worker"}
    for command in commands.values():
        assert f"`{' '.join(command)}`" in deploy
    assert "RATELIMIT_STORAGE_URI=redis://" in deploy and "SYNCPORTAL_ENV=production" in deploy
