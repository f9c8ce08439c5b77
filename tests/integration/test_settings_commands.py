"""``sla-plugin settings export|import`` on a real database: the document in force, to and from a file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.settings.loading import read_settings

SETTINGS = "/api/v1/settings"


@pytest.fixture
def acme(install, client, database_url, monkeypatch):
    """An installed account, and the CLI pointed at the same database."""
    monkeypatch.setenv("SLA_DATABASE_URL", database_url)
    return install("acme", timezone="Europe/Istanbul")


def test_export_prints_the_document_in_force(acme, capsys):
    assert main(["settings", "export", "--account", "acme"]) == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == {"timezone": "Europe/Istanbul", "calendars": [], "prioritization_rules": [],
                               "sla_policies": []}
    assert err == "sla-plugin settings export: 'acme' is at version 0\n"


def test_import_saves_a_new_audited_version_that_the_api_then_serves(acme, client, example_settings, tmp_path,
                                                                      capsys):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(example_settings))

    assert main(["settings", "import", str(path), "--account", "acme", "--author", "ops@example.com"]) == 0

    assert capsys.readouterr().err == ("sla-plugin settings import: 'acme' is now at version 1 "
                                       "(applied to open tickets)\n")
    served = client.get(SETTINGS, headers=acme.auth())
    assert served.get_json() == read_settings(example_settings).document
    [entry] = client.get(f"{SETTINGS}/versions", headers=acme.auth()).get_json()["versions"]
    assert (entry["created_by"], entry["apply_to"]) == ("ops@example.com", "open_tickets")


def test_an_export_imported_again_is_the_same_document_one_version_later(acme, example_settings, tmp_path,
                                                                        capsys):
    acme.configure(acme.client.application, example_settings)
    exported = tmp_path / "exported.json"
    assert main(["settings", "export", "--account", "acme", "--output", str(exported)]) == 0
    assert main(["settings", "import", str(exported), "--account", "acme", "--apply-to", "new_tickets",
                 "--if-version", "1"]) == 0
    capsys.readouterr()

    assert main(["settings", "export", "--account", "acme"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == json.loads(exported.read_text())
    assert err.endswith("is at version 2\n")


def test_import_reads_standard_input(acme, example_settings, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(example_settings)))
    assert main(["settings", "import", "-", "--account", "acme"]) == 0
    assert "now at version 1" in capsys.readouterr().err


def test_an_invalid_document_is_refused_naming_the_file_and_every_problem_and_nothing_changes(
    acme, example_settings, tmp_path, capsys
):
    example_settings["sla_policies"][0]["targets"][0]["minutes"] = 0
    example_settings["prioritization_rules"][0]["priority"] = "asap"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(example_settings))

    assert main(["settings", "import", str(path), "--account", "acme"]) == 2

    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"sla-plugin settings import: {path}: prioritization_rules[0].priority: ")
    assert err[1].startswith(f"{path}: sla_policies[0].targets[0].minutes: ")
    assert main(["settings", "export", "--account", "acme"]) == 0
    assert capsys.readouterr().err.endswith("is at version 0\n")


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["settings", "export", "--account", "globex"], 1, "sla-plugin settings export: no installed account has id "
                                                       "'globex'"),
    (["settings", "import", "{file}", "--account", "globex"], 1, "no installed account has id 'globex'"),
    (["settings", "import", "{file}", "--account", "acme", "--if-version", "3"], 1,
     "the settings are at version 0, not 3; reload them"),
    (["settings", "import", "{missing}", "--account", "acme"], 2, "cannot be read (No such file or directory)"),
    (["settings", "import", "{not_json}", "--account", "acme"], 2, ":1: not valid JSON"),
])
def test_a_command_that_cannot_be_done_says_why_with_a_non_zero_exit(acme, example_settings, tmp_path, capsys,
                                                                      argv, code, message):
    files = {"file": tmp_path / "settings.json", "missing": tmp_path / "missing.json",
             "not_json": tmp_path / "not.json"}
    files["file"].write_text(json.dumps(example_settings))
    files["not_json"].write_text("{settings")
    argv = [part.format(**{name: str(path) for name, path in files.items()}) for part in argv]

    assert main(argv) == code

    assert message in capsys.readouterr().err


def test_export_to_a_folder_that_does_not_exist_says_so(acme, tmp_path, capsys):
    target = Path(tmp_path / "no" / "such" / "file.json")
    assert main(["settings", "export", "--account", "acme", "-o", str(target)]) == 2
    assert "cannot be written (No such file or directory)" in capsys.readouterr().err
