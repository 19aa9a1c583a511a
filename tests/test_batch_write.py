"""Writing many new notes at once (`edit.NewNotes`, used by every import): the guarantees
of `vault add`'s single writes, on real files. Each runs twice where the system has files
without a name (Linux's O_TMPFILE): with them, and with the locked temporary files used
where a file system refuses them (forced here as such a file system answers)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

import pytest

from vault_crm import edit
from vault_crm.edit import NewNotes, create_note
from vault_crm.errors import WriteRefusedError


def temp_files(root: Path) -> list[str]:
    return [n for _d, _s, files in os.walk(root) for n in files if n.endswith(".tmp")]


def no_unnamed_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every folder answer as a file system without O_TMPFILE does."""

    def refused(_dir_fd: int) -> int:
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))

    monkeypatch.setattr(edit, "_create_unnamed", refused)


def needs_unnamed_files() -> None:
    if not edit._unnamed_ok():
        pytest.skip("no files without a name on this system")


@pytest.fixture(params=["unnamed", "temporary"])
def writer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "unnamed":
        needs_unnamed_files()
    else:
        no_unnamed_files(monkeypatch)
    return str(request.param)


both = pytest.mark.usefixtures("writer")


@both
def test_notes_land_whole_with_the_mode_of_a_single_write(tmp_path: Path) -> None:
    created: list[str] = []
    with NewNotes(on_created=created.append) as notes:
        for i in range(600):  # more than one batch
            notes.add(
                tmp_path / "Meetings", f"Meeting {i}", f"# {i}\nbody\n", "Meetings", key=str(i)
            )
    assert created == [str(i) for i in range(600)]
    assert (tmp_path / "Meetings" / "Meeting 599.md").read_text() == "# 599\nbody\n"
    assert len(list((tmp_path / "Meetings").glob("*.md"))) == 600
    single = create_note(tmp_path / "Meetings", "Single", "x\n", "Meetings")
    mode = stat.S_IMODE(single.stat().st_mode)
    assert stat.S_IMODE((tmp_path / "Meetings" / "Meeting 0.md").stat().st_mode) == mode
    assert not temp_files(tmp_path)


@both
def test_a_name_taken_before_the_rename_is_never_overwritten(tmp_path: Path) -> None:
    created: list[str] = []
    refused: list[str] = []
    with NewNotes(on_created=created.append, on_refused=lambda e: refused.append(str(e))) as notes:
        notes.add(tmp_path / "M", "Lunch", "imported\n", "M", key="M/Lunch.md")
        notes.add(tmp_path / "M", "Dinner", "imported\n", "M", key="M/Dinner.md")
        # The user (or a sync tool) writes the same name while the batch is pending.
        (tmp_path / "M" / "Lunch.md").write_text("mine\n")
        with pytest.raises(WriteRefusedError, match="already exists"):
            notes.add(tmp_path / "M", "Dinner", "again\n", "M", key="M/Dinner.md")
    assert (tmp_path / "M" / "Lunch.md").read_text() == "mine\n"
    assert (tmp_path / "M" / "Dinner.md").read_text() == "imported\n"
    assert created == ["M/Dinner.md"]
    assert refused == ["M/Lunch.md: already exists"]
    assert not temp_files(tmp_path)


@both
def test_a_name_taken_at_the_moment_the_note_is_put_in_place_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link

    def user_writes_first(src: str, dst: str, **kwargs: object) -> None:
        # The user (or a sync tool) saves a note of that name in the same instant.
        (tmp_path / "M" / "Lunch.md").write_text("mine\n")
        real_link(src, dst, **kwargs)  # type: ignore[arg-type]

    created: list[str] = []
    refused: list[str] = []
    with NewNotes(on_created=created.append, on_refused=lambda e: refused.append(str(e))) as notes:
        notes.add(tmp_path / "M", "Lunch", "imported\n", "M", key="M/Lunch.md")
        monkeypatch.setattr(os, "link", user_writes_first)
    assert (tmp_path / "M" / "Lunch.md").read_text() == "mine\n"
    assert created == []
    assert refused == ["M/Lunch.md: already exists"]
    assert not temp_files(tmp_path)


@both
def test_an_interrupted_batch_leaves_whole_notes_and_no_temporary_file(tmp_path: Path) -> None:
    created: list[str] = []
    with pytest.raises(KeyboardInterrupt), NewNotes(on_created=created.append) as notes:
        for i in range(300):
            notes.add(tmp_path, f"Note {i}", f"note {i}\n", ".", key=str(i))
        raise KeyboardInterrupt
    on_disk = sorted(p.name for p in tmp_path.glob("*.md"))
    # The first full batch was put in place; the rest was dropped, none half-written.
    assert len(on_disk) == len(created) < 300
    for name in on_disk:
        assert (tmp_path / name).read_text() == f"note {name[5:-3]}\n"
    assert not temp_files(tmp_path)


def test_another_run_cannot_remove_a_pending_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a batch waits for its flush, its temporary files are locked: a `vault index`
    running meanwhile (which removes the temporary files of killed writes) leaves them."""
    from vault_crm.edit import remove_stale_temp

    no_unnamed_files(monkeypatch)
    with NewNotes() as notes:
        for i in range(10):
            notes.add(tmp_path, f"Note {i}", f"note {i}\n", ".", key=str(i))
        pending = [tmp_path / n for n in temp_files(tmp_path)]
        assert len(pending) == 10
        assert not any(remove_stale_temp(str(p)) for p in pending)
        assert all(p.exists() for p in pending)
    assert sorted(p.name for p in tmp_path.glob("*.md")) == sorted(
        f"Note {i}.md" for i in range(10)
    )
    assert not temp_files(tmp_path)


def test_pending_notes_have_no_name_until_they_are_in_place(tmp_path: Path) -> None:
    """Files without a name: while a batch waits for its flush, nothing of it is in the
    folder (nothing a kill could leave, nothing another program could open)."""
    needs_unnamed_files()
    seen: list[list[str]] = []
    with NewNotes() as notes:
        for i in range(10):
            notes.add(tmp_path, f"Note {i}", f"note {i}\n", ".", key=str(i))
        seen.append(sorted(os.listdir(tmp_path)))
    assert seen == [[]]
    assert sorted(os.listdir(tmp_path)) == sorted(f"Note {i}.md" for i in range(10))


@both
def test_a_folder_with_a_default_acl_still_gives_the_mode_of_a_single_write(
    tmp_path: Path,
) -> None:
    """A folder's default ACL (here: everyone may read and write) overrides the umask for
    the files created in it; a single write sets the umask's mode all the same, and so do
    the notes of a batch."""
    import struct

    folder = tmp_path / "Shared"
    folder.mkdir()
    everyone_rw = struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", tag, 0o6, 0xFFFFFFFF) for tag in (0x01, 0x04, 0x20)
    )  # user::rw-, group::rw-, other::rw- (the xattr's format, version 2)
    try:
        os.setxattr(folder, "system.posix_acl_default", everyone_rw)
    except (AttributeError, OSError):
        pytest.skip("no POSIX ACLs here")
    (folder / "probe").touch()
    if stat.S_IMODE((folder / "probe").stat().st_mode) == stat.S_IMODE(
        create_note(tmp_path, "Single", "x\n", ".").stat().st_mode
    ):
        pytest.skip("the umask already allows what the ACL gives")
    single = create_note(folder, "Single", "x\n", "Shared")
    with NewNotes() as notes:
        for i in range(3):
            notes.add(folder, f"Note {i}", "x\n", "Shared", key=str(i))
    modes = {stat.S_IMODE((folder / f"Note {i}.md").stat().st_mode) for i in range(3)}
    assert modes == {stat.S_IMODE(single.stat().st_mode)}


def test_a_folder_that_refuses_files_without_a_name_gets_temporary_files(tmp_path: Path) -> None:
    """Decided once per folder: a file system that answers O_TMPFILE with 'not supported'
    is asked once, then its notes go through locked temporary files, whole all the same."""
    needs_unnamed_files()
    asked: list[int] = []

    def refused(dir_fd: int) -> int:
        asked.append(dir_fd)
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))

    created: list[str] = []
    with NewNotes(on_created=created.append) as notes:
        real = edit._create_unnamed
        edit._create_unnamed = refused
        try:
            for i in range(20):
                notes.add(tmp_path / "Old", f"Note {i}", f"note {i}\n", "Old", key=f"o{i}")
        finally:
            edit._create_unnamed = real
        pending = temp_files(tmp_path)
        notes.add(tmp_path / "New", "Note", "note\n", "New", key="n")
        assert temp_files(tmp_path) == pending  # the other folder: a file without a name
    assert len(asked) == 1
    assert len(pending) == 20
    assert created == [f"o{i}" for i in range(20)] + ["n"]
    for i in range(20):
        assert (tmp_path / "Old" / f"Note {i}.md").read_text() == f"note {i}\n"
    assert (tmp_path / "New" / "Note.md").read_text() == "note\n"
    assert not temp_files(tmp_path)


def test_notes_queued_before_a_folder_stops_taking_files_without_a_name_still_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that makes a few files without a name, then answers 'not supported':
    the notes already queued in those files are still put in place through their folder."""
    needs_unnamed_files()
    real = edit._create_unnamed
    made: list[int] = []

    def some(dir_fd: int) -> int:
        if len(made) >= 3:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        made.append(dir_fd)
        return real(dir_fd)

    monkeypatch.setattr(edit, "_create_unnamed", some)
    created: list[str] = []
    refused: list[str] = []
    spare: list[int] = []  # a descriptor number freed meanwhile would be taken by these
    try:
        with NewNotes(
            on_created=created.append, on_refused=lambda e: refused.append(str(e))
        ) as notes:
            for i in range(6):
                notes.add(tmp_path / "M", f"Note {i}", f"note {i}\n", "M", key=f"m{i}")
                spare.append(os.open(os.devnull, os.O_RDONLY))
    finally:
        for fd in spare:
            os.close(fd)
    assert refused == []
    assert created == [f"m{i}" for i in range(6)]
    for i in range(6):
        assert (tmp_path / "M" / f"Note {i}.md").read_text() == f"note {i}\n"
    assert not temp_files(tmp_path)


@both
def test_a_name_taken_by_a_note_or_a_link_is_refused_and_left_alone(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    folder = vault / "M"
    folder.mkdir(parents=True)
    outside = tmp_path / "elsewhere.md"
    outside.write_text("not the vault's\n")
    (folder / "Note.md").write_text("mine\n")
    (folder / "Out.md").symlink_to(outside)
    (folder / "Alias.md").symlink_to(folder / "Note.md")
    created: list[str] = []
    with NewNotes(on_created=created.append) as notes:
        for name, reason in (
            ("Note", "already exists"),
            ("Out", "outside the vault"),
            ("Alias", "already exists"),
        ):
            with pytest.raises(WriteRefusedError, match=reason):
                notes.add(folder, name, "imported\n", "M", key=name, vault=vault)
        notes.add(folder, "Free", "imported\n", "M", key="Free", vault=vault)
    assert created == ["Free"]
    assert (folder / "Note.md").read_text() == "mine\n"
    assert outside.read_text() == "not the vault's\n"
    assert (folder / "Out.md").is_symlink() and (folder / "Alias.md").is_symlink()
    assert (folder / "Free.md").read_text() == "imported\n"
    assert not temp_files(vault)


@both
def test_temporary_files_a_killed_run_left_do_not_block_the_note(tmp_path: Path) -> None:
    """A killed run may leave the temporary file of the very note written now (unlocked),
    or a link in its place: the note is written all the same, through a name of its own,
    and what was there is left as it was (`vault index` removes stale ones)."""
    folder = tmp_path / "M"
    folder.mkdir()
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not the vault's\n")
    (folder / ".Lunch.md.0.tmp").write_text("half a no")
    (folder / ".Lunch.md.1.tmp").symlink_to(outside)
    created: list[str] = []
    with NewNotes(on_created=created.append) as notes:
        notes.add(folder, "Lunch", "imported\n", "M", key="M/Lunch.md")
    assert created == ["M/Lunch.md"]
    assert (folder / "Lunch.md").read_text() == "imported\n"
    assert (folder / ".Lunch.md.0.tmp").read_text() == "half a no"
    assert (folder / ".Lunch.md.1.tmp").is_symlink()
    assert outside.read_text() == "not the vault's\n"
    assert sorted(temp_files(tmp_path)) == [".Lunch.md.0.tmp", ".Lunch.md.1.tmp"]


@both
@pytest.mark.parametrize("change", ["replaced by a link", "moved out of the vault"])
def test_notes_whose_folder_was_moved_or_replaced_meanwhile_land_nowhere(
    tmp_path: Path, change: str
) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    outside.mkdir()
    created: list[str] = []
    refused: list[str] = []
    with NewNotes(on_created=created.append, on_refused=lambda e: refused.append(str(e))) as notes:
        for i in range(4):
            if i == 2:  # the user (or a sync tool) changes the folder while notes are pending
                if change == "replaced by a link":
                    (vault / "Meetings").rename(vault / "Meetings.old")
                    (vault / "Meetings").symlink_to(outside, target_is_directory=True)
                else:
                    (vault / "Meetings").rename(outside / "Meetings")
            with contextlib.suppress(WriteRefusedError):  # the path may be gone by now
                notes.add(vault / "Meetings", f"n{i}", "x\n", "Meetings", key=f"n{i}", vault=vault)
    assert created == []
    assert "Meetings/n0.md: its folder was moved or replaced while the notes were written" in (
        refused
    )
    assert not list(tmp_path.rglob("*.md")), "no note anywhere"
