"""The lifecycle through the real CLI: every untick kept, reverted syncs refused with what
to do instead, redo, restore, and stores of the wrong shape as one line, never a
traceback."""

from __future__ import annotations

import pytest

from ..support.cli import run, run_json, table, use_source


@pytest.fixture
def committed(tmp_path, days):
    """Day one committed, day two staged as sync 2."""
    base, summary = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    use_source(tmp_path, base / "d2")
    assert run_json(tmp_path, "sync")["sync_id"] == 2
    return summary["ids"]["students"]


def test_every_disable_is_kept_in_both_forms(tmp_path, committed):
    a, b, c = sorted(committed["update"])[:3]
    gone = sorted(committed["remove"])[0]
    before = table(tmp_path, "students")
    done = run_json(tmp_path, "commit", "2", "--disable", f"student:{a}",
                    "--disable", f"student:{b}", f"student:{c}", f"student:{gone}")
    assert done["disabled"] == 4
    after = table(tmp_path, "students")
    assert [after[s] for s in (a, b, c, gone)] == [before[s] for s in (a, b, c, gone)]
    shown = {x["id"]: x["enabled"] for x in run_json(tmp_path, "show", "2")["actions"]}
    assert not any(shown[f"student:{s}"] for s in (a, b, c, gone))


def test_an_unknown_disable_id_applies_nothing(tmp_path, committed):
    a = sorted(committed["update"])[0]
    before = (tmp_path / "store.json").read_bytes()
    err = run(tmp_path, "commit", "2", "--disable", f"student:{a}", "student:nobody",
              expect=1).stderr
    assert err == "rostertui: error: sync 2 has no action 'student:nobody'; " \
                  "see: rostertui show 2\n"
    assert (tmp_path / "store.json").read_bytes() == before


def test_a_reverted_sync_is_refused_with_what_to_do_and_redone(tmp_path, committed):
    run(tmp_path, "commit", "2")
    after = table(tmp_path, "students")
    assert run_json(tmp_path, "revert", "2")["sync_id"] == 3
    err = run(tmp_path, "commit", "2", expect=1).stderr
    assert err == ("rostertui: error: sync 2 is reverted (by sync 3); to apply it again, "
                   "redo it: rostertui redo 2, or u in History\n")
    redo = run_json(tmp_path, "redo", "2")
    assert redo["status"] == "committed" and redo["mode"] == "revert"
    assert table(tmp_path, "students") == after
    assert run(tmp_path, "revert", "2", expect=1).stderr.startswith(
        "rostertui: error: sync 2 is reverted already")


def test_reverting_the_first_import_exits_3_until_forced(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    err = run(tmp_path, "revert", "1", expect=3).stderr
    assert "revert of sync 1 is blocked" in err and "--force" in err
    assert len(table(tmp_path, "students")) == 2000
    run(tmp_path, "revert", "1", "--force")
    assert table(tmp_path, "students") == {}


def test_a_missing_store_names_its_backup_and_restore_puts_it_back(tmp_path, committed):
    store = tmp_path / "store.json"
    store.unlink()
    err = run(tmp_path, "sync", expect=1).stderr
    assert err.count("\n") == 1 and "store.json is missing, but" in err
    assert "rostertui restore" in err and "(or: cp store.json.bak store.json)" in err
    assert not store.exists()
    assert run(tmp_path, "restore").stdout == "restored store.json from store.json.bak\n"
    assert len(table(tmp_path, "students")) == 2000


@pytest.mark.parametrize("content", ["{}", "[]", "null", "", '{"meta": 3}'])
def test_a_store_of_the_wrong_shape_is_one_line(tmp_path, days, content):
    base, _ = days
    use_source(tmp_path, base / "d1")
    (tmp_path / "store.json").write_text(content)
    (tmp_path / "store.json").chmod(0o600)
    for command in (["sync"], ["status"], ["history"]):
        err = run(tmp_path, *command, expect=1).stderr
        assert err.startswith("rostertui: error: store.json")
        assert err.count("\n") == 1 and "Traceback" not in err
    assert (tmp_path / "store.json").read_text() == content


def test_exit_codes_usage_error_is_2(tmp_path):
    assert run(tmp_path, "commit", "--no-such-flag", expect=2).stderr.startswith("usage:")


def test_show_of_a_sync_whose_plan_is_gone_says_so(tmp_path, committed):
    run(tmp_path, "commit", "2")
    (tmp_path / "store.plans" / "sync-2.json").unlink()
    out = run(tmp_path, "show", "2").stdout
    assert "its actions cannot be shown: sync 2 has no actions on disk" in out
    err = run(tmp_path, "revert", "2", expect=1).stderr
    assert err.startswith("rostertui: error: sync 2 has no actions on disk")
