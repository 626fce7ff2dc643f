"""Files: what rostertui writes is private whatever the umask, never written through a
planted symlink, and leaves nothing behind on a full disk (RELIABILITY.md, "Files").

Tests run as root here, which ignores permission bits: a folder that cannot be written
is a path that is a regular file, or a write failure injected at os.open; a chmod-based
check runs only as another user."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from rostertui import cli, demo, files
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.export import write_warnings
from rostertui.lock import StoreLock

from ..support.feeds import config, district

SYMLINK = "is a symbolic link; refusing to follow it"


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual 022, which made every file 0644 before: the modes below are rostertui's."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.tmp"))


def victim(tmp_path: Path) -> Path:
    """Someone else's file that a planted symlink points at."""
    path = tmp_path / "victim.txt"
    path.write_text("not yours\n")
    return path


# -- 1. private modes ---------------------------------------------------------------------

def test_store_backup_plans_and_lock_are_created_0600(engine, source, tmp_path):
    source.next = district(3)
    engine.sync(commit=True)
    source.next = district(4)
    engine.sync(commit=True)
    written = [tmp_path / "store.json", tmp_path / "store.json.bak",
               tmp_path / "store.json.lock", *(tmp_path / "store.plans").glob("sync-*.json")]
    assert len(written) == 5
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}


def test_the_lock_holder_file_is_0600_while_held(tmp_path):
    lock = StoreLock(tmp_path / "store.json")
    with lock.held("test"):
        assert mode(tmp_path / "store.json.lock.info") == 0o600
        assert mode(tmp_path / "store.json.lock") == 0o600


def test_plans_folder_is_0700_and_toggle_log_0600(engine, source, tmp_path):
    source.next = district(3)
    sync_id = engine.sync()["sync_id"]
    engine.set_enabled(sync_id, ["student:s1"], False)
    plans = tmp_path / "store.plans"
    assert mode(plans) == 0o700
    assert [mode(p) for p in plans.glob("*.toggles.jsonl")] == [0o600]


def test_missing_folders_are_created_0700(tmp_path):
    files.atomic_write(tmp_path / "a" / "b" / "store.json", b"{}")
    assert [mode(tmp_path / "a"), mode(tmp_path / "a" / "b")] == [0o700, 0o700]


def test_an_existing_stricter_mode_is_kept_and_a_looser_one_tightened(tmp_path):
    strict, loose = tmp_path / "strict.json", tmp_path / "loose.json"
    for path, start in ((strict, 0o400), (loose, 0o644)):
        path.write_bytes(b"old")
        path.chmod(start)
        files.atomic_write(path, b"new", backup=path.with_name(path.name + ".bak"))
    assert (mode(strict), mode(loose)) == (0o400, 0o600)
    assert mode(tmp_path / "loose.json.bak") == 0o600  # the old 0644 file, now the backup
    assert (tmp_path / "loose.json.bak").read_bytes() == b"old"


def test_warnings_export_is_0600(tmp_path):
    out = tmp_path / "exports" / "warnings.csv"
    assert write_warnings(out, [{"code": "c", "type": "student", "source_id": "s1",
                                 "message": "m"}]) == 1
    assert mode(out) == 0o600 and mode(out.parent) == 0o700
    assert out.read_text().splitlines()[1] == "c,student,s1,m"


def test_demo_folder_is_tightened_to_0700(tmp_path):
    base = tmp_path / "demo"
    for made in ("day1/manifest.csv", "day2/manifest.csv", "store.json"):
        (base / made).parent.mkdir(parents=True, exist_ok=True)
        (base / made).write_text("")
    base.chmod(0o755)
    demo.prepare(base)  # everything exists: nothing is generated
    assert mode(base) == 0o700


def test_the_cli_runs_with_umask_077_and_puts_it_back(tmp_path, capsys):
    """demo-data writes its CSVs with no explicit mode: the umask is what keeps them."""
    out = tmp_path / "district"
    assert cli.main(["demo-data", "--students", "20", "--out", str(out)]) == 0
    csvs = list(out.glob("*.csv"))
    assert csvs and {mode(p) for p in csvs} == {0o600}
    assert os.umask(0o022) == 0o022


# -- 2. a store others can read is warned about -------------------------------------------

def test_shared_warning_names_a_store_others_can_read(tmp_path):
    store = tmp_path / "store.json"
    assert files.shared_warning(store) is None  # absent
    store.write_bytes(b"{}")
    store.chmod(0o644)
    assert files.shared_warning(store) == (f"{store} holds student records and is readable "
                                           f"by group or others; run: chmod 600 {store}")
    store.chmod(0o600)
    assert files.shared_warning(store) is None


def test_shared_warning_names_a_folder_others_can_write(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    warning = files.shared_warning(folder / "store.json")
    assert f"its folder {folder} can be written by group or others" in warning
    assert f"chmod 700 {folder}" in warning


def test_the_cli_warns_about_a_store_others_can_read(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("source:\n  kind: oneroster_csv\n  path: src\n"
                                          "store:\n  path: store.json\n")
    (tmp_path / "store.json").write_bytes(b"{}")
    (tmp_path / "store.json").chmod(0o644)
    cli.main(["schedule", "--print", "cron"])
    err = capsys.readouterr().err
    assert "rostertui: warning: " in err and "readable by group or others" in err


# -- 3. temp files ------------------------------------------------------------------------

def fail_with_enospc(monkeypatch, name: str) -> None:
    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, name, full)


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_full_disk_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch, failing):
    store = tmp_path / "store.json"
    files.atomic_write(store, b"old", backup=tmp_path / "store.json.bak")
    fail_with_enospc(monkeypatch, failing)
    with pytest.raises(RosterError) as raised:
        files.atomic_write(store, b"new", backup=tmp_path / "store.json.bak")
    monkeypatch.undo()
    assert str(raised.value) == (f"cannot write {store}: No space left on device; "
                                 f"the previous version is unchanged")
    assert store.read_bytes() == b"old" and temp_files(tmp_path) == []


def test_a_failed_backup_step_leaves_no_temp(tmp_path, monkeypatch):
    store = tmp_path / "store.json"
    files.atomic_write(store, b"old")
    fail_with_enospc(monkeypatch, "replace")
    with pytest.raises(RosterError):
        files.atomic_write(store, b"new", backup=tmp_path / "store.json.bak")
    monkeypatch.undo()
    assert store.read_bytes() == b"old" and temp_files(tmp_path) == []


def test_the_old_predictable_temp_name_is_not_followed(tmp_path):
    store, target = tmp_path / "store.json", victim(tmp_path)
    (tmp_path / f".store.json.{os.getpid()}.tmp").symlink_to(target)
    files.atomic_write(store, b"new")
    assert target.read_text() == "not yours\n" and store.read_bytes() == b"new"
    assert not store.is_symlink()


def test_a_temp_name_taken_first_is_refused_and_left_alone(tmp_path, monkeypatch):
    """O_EXCL|O_NOFOLLOW: even a guessed name gets nowhere."""
    store, target = tmp_path / "store.json", victim(tmp_path)
    monkeypatch.setattr(files.secrets, "token_hex", lambda n: "guessed")
    planted = tmp_path / ".store.json.guessed.tmp"
    planted.symlink_to(target)
    with pytest.raises(RosterError, match="File exists"):
        files.atomic_write(store, b"new")
    assert planted.is_symlink() and target.read_text() == "not yours\n"


def test_temp_names_are_random_and_swept_by_the_store_pattern(tmp_path):
    names = {files.temp_path(tmp_path / "store.json").name for _ in range(2)}
    assert len(names) == 2
    assert all(Path(n).match(".store.json.*.tmp") for n in names)


def test_a_symlink_at_the_backup_is_replaced_not_followed(tmp_path):
    store, target = tmp_path / "store.json", victim(tmp_path)
    files.atomic_write(store, b"old")
    (tmp_path / "store.json.bak").symlink_to(target)
    files.atomic_write(store, b"new", backup=tmp_path / "store.json.bak")
    assert target.read_text() == "not yours\n"
    assert (tmp_path / "store.json.bak").read_bytes() == b"old"


def test_a_device_or_fifo_is_never_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    for path in (fifo, tmp_path / "link"):
        with pytest.raises(RosterError, match="is not a regular file; refusing to replace"):
            files.atomic_write(path, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and (tmp_path / "link").is_symlink()


def test_an_export_over_a_planted_symlink_replaces_the_link(tmp_path):
    out, target = tmp_path / "warnings.csv", victim(tmp_path)
    out.symlink_to(target)
    write_warnings(out, [])
    assert target.read_text() == "not yours\n" and not out.is_symlink()


def test_append_line_keeps_a_torn_tail_on_its_own_line(tmp_path):
    log = tmp_path / "sync-1.toggles.jsonl"
    log.write_bytes(b"whole\ntorn")
    files.append_line(log, b"next\n")
    assert log.read_bytes().splitlines() == [b"whole", b"torn", b"next"]
    assert mode(log) == 0o600


def test_append_line_refuses_a_symlink(tmp_path):
    log, target = tmp_path / "sync-1.toggles.jsonl", victim(tmp_path)
    log.symlink_to(target)
    with pytest.raises(RosterError, match=SYMLINK):
        files.append_line(log, b"x\n")
    assert target.read_text() == "not yours\n"


# -- 4. lock and holder files -------------------------------------------------------------

@pytest.mark.parametrize("name", ["store.json.lock", "store.json.lock.info"])
def test_a_symlink_at_the_lock_or_holder_is_refused(tmp_path, name):
    target = victim(tmp_path)
    (tmp_path / name).symlink_to(target)
    lock = StoreLock(tmp_path / "store.json")
    with pytest.raises(RosterError) as raised:
        with lock.held("commit"):
            pass
    assert str(raised.value) == (f"{tmp_path / name} {SYMLINK}: remove it if you did "
                                 f"not make it")
    assert target.read_text() == "not yours\n" and (tmp_path / name).is_symlink()
    (tmp_path / name).unlink()
    with lock.held("commit", wait=0):  # the refusal let go of the lock
        pass


def test_a_fifo_at_the_holder_fails_at_once_instead_of_hanging(tmp_path):
    os.mkfifo(tmp_path / "store.json.lock.info")
    with pytest.raises(RosterError, match="store.json.lock.info"):
        with StoreLock(tmp_path / "store.json").held("commit"):
            pass


def test_a_second_holder_still_reads_who_holds_it(tmp_path):
    lock = StoreLock(tmp_path / "store.json")
    with lock.held("commit"):
        other = StoreLock(tmp_path / "store.json")
        with pytest.raises(RosterError, match=r"is busy: commit by .* \(pid "):
            with other.held("sync", wait=0):
                pass


# -- 5. a store path that is a symlink ----------------------------------------------------

def test_resolve_store_path(tmp_path):
    real = tmp_path / "real" / "store.json"
    link, dangling, loop = tmp_path / "link.json", tmp_path / "new.json", tmp_path / "loop"
    link.symlink_to(real)
    dangling.symlink_to(tmp_path / "later" / "store.json")
    loop.symlink_to(loop)
    assert files.resolve_store_path(link) == real
    assert files.resolve_store_path(dangling) == tmp_path / "later" / "store.json"
    assert files.resolve_store_path(tmp_path / "plain.json") == tmp_path / "plain.json"
    with pytest.raises(RosterError, match="loop is a symbolic link that cannot be followed"):
        files.resolve_store_path(loop)


def test_a_symlinked_store_survives_a_commit(tmp_path, source):
    real = tmp_path / "data" / "store.json"
    real.parent.mkdir()
    (tmp_path / "store.json").symlink_to(real)
    engine = Engine(config(tmp_path), connector=source)
    source.next = district(3)
    engine.sync(commit=True)
    source.next = district(4)
    engine.sync(commit=True)
    assert (tmp_path / "store.json").is_symlink() and real.stat().st_size > 0
    assert (real.parent / "store.json.bak").is_file()


# -- 6. a store folder that cannot be written ---------------------------------------------

def test_check_writable_creates_a_missing_folder_0700(tmp_path):
    files.check_writable(tmp_path / "new" / "store")
    assert mode(tmp_path / "new" / "store") == 0o700
    assert list((tmp_path / "new" / "store").iterdir()) == []


def test_check_writable_names_a_folder_that_is_a_file(tmp_path):
    (tmp_path / "store").write_text("")
    with pytest.raises(RosterError, match=f"{tmp_path / 'store'}: it is not a folder"):
        files.check_writable(tmp_path / "store")


def read_only_mount(monkeypatch) -> None:
    """A read-only mount, injected at os.open (root cannot make one here)."""
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", read_only)


def test_check_writable_names_a_read_only_folder(tmp_path, monkeypatch):
    read_only_mount(monkeypatch)
    with pytest.raises(RosterError) as raised:
        files.check_writable(tmp_path)
    monkeypatch.undo()
    assert str(raised.value) == (f"cannot write in the store's folder {tmp_path}: "
                                 f"Read-only file system")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0500 folder")
def test_check_writable_names_a_folder_without_write_permission(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(RosterError, match="Permission denied"):
            files.check_writable(tmp_path)
    finally:
        tmp_path.chmod(0o700)


def test_an_unwritable_store_folder_is_found_before_fetching(engine, source, monkeypatch):
    source.next = district(3)
    read_only_mount(monkeypatch)
    with pytest.raises(RosterError, match="cannot write in the store's folder"):
        engine.sync()
    monkeypatch.undo()
    assert not hasattr(source, "last_cursor")  # FeedSource.fetch was never called
