"""Where the commands write, and how: never over anything but their own earlier output.

A run, a study and a comparison each write one folder. Before any work starts, the folder asked
for is checked: it may be new, empty, or an earlier output of the same command (a folder that
holds only that command's own files). Anything else (a folder of the user's, the current
folder, the project itself, a file) is refused with a ConfigError naming the path and why.
A folder is written in full under a hidden name beside its destination and renamed into place
only when complete, so an interruption never leaves half of it behind; the destination is
checked again at that moment, in case a file of the user's appeared in it meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from config import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class OutputKind:
    """What one command writes into its folder: the files, the sub-folders, and the file that
    marks the folder as that command's (summary.json, a JSON object with marker_key in it)."""

    what: str  # "a run", "a study", ... as it reads in a message
    files: frozenset[str]
    marker: str | None = None
    marker_key: str | None = None
    # Sub-folders, each holding outputs of another kind (a study's runs/ holds runs).
    collections: dict[str, "OutputKind"] = field(default_factory=dict)
    # An example of a new folder to suggest in a refusal.
    example: str = "output/my_run"
    # Whether the command replaces its folder as a whole (a run, a study), or writes its files
    # into it one by one (a comparison).
    replaces_folder: bool = True

    def owns(self, name: str) -> bool:
        """Whether a file of this name is one of this kind's files, or a leftover of writing one
        (see temporary_path) from a process that was killed."""
        leftover = _LEFTOVER.fullmatch(name)
        return name in self.files or (leftover is not None and leftover.group(1) in self.files)

    @property
    def noun(self) -> str:
        return self.what.split(" ", 1)[1]


_LEFTOVER = re.compile(r"\.(.+)\.\d+\.partial")


def foreign_entry(folder: Path, kind: OutputKind) -> str | None:
    """The first entry of `folder` (a path relative to it) that is not `kind`'s own, or None if
    the folder holds only kind's files and is empty or marked as kind's.

    An unmarked folder that is not empty is not provably kind's: its first entry is returned.
    """
    entries = sorted(folder.iterdir())
    if not entries:
        return None
    if kind.marker is not None and not _is_marker(folder / kind.marker, kind.marker_key):
        # Files named like kind's do not make a folder kind's: the user may have made them.
        unowned = [entry.name for entry in entries if not kind.owns(entry.name)]
        return (unowned or [entries[0].name])[0]
    for entry in entries:
        if entry.name in kind.collections and entry.is_dir() and not entry.is_symlink():
            for member in sorted(entry.iterdir()):
                member_kind = kind.collections[entry.name]
                if is_staged_leftover(member) and _holds_only_owned_files(member, member_kind):
                    continue  # what a killed process left of one it was writing (staged_directory)
                inner = foreign_entry(member, member_kind) if _is_plain_dir(member) else ""
                if inner is not None:
                    return str(Path(entry.name, member.name, inner))
        elif not (kind.owns(entry.name) and entry.is_file() and not entry.is_symlink()):
            return entry.name
    return None


# The hidden folders staged_directory and replace_directory work in: '.NAME.partial-HOST-PID-XXXX'
# (HOST: a digest of the writer's host name, PID: its process id), '.NAME.old-PID'.
_STAGED = re.compile(r"\..+\.(partial-[\w-]+|old-\d+)")
_WRITER = re.compile(r"\.(?P<name>.+)\.partial-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-\w+")


def is_staged_leftover(path: Path) -> bool:
    """Whether path is named as a folder this project stages an output in (see staged_directory)."""
    return _STAGED.fullmatch(path.name) is not None and _is_plain_dir(path)


def _holds_only_owned_files(folder: Path, kind: OutputKind) -> bool:
    return all(kind.owns(entry.name) and entry.is_file() and not entry.is_symlink() for entry in folder.iterdir())


def holds_marker(path: Path, key: str) -> bool:
    """Whether path is a JSON object with key in it: the file that marks a folder as an output of
    one kind (a run's summary.json has "status", a study's "rows", a comparison's "compared")."""
    return _is_marker(path, key)


def _is_marker(path: Path, key: str | None) -> bool:
    """Whether a marker file is really one: a JSON object holding `key` (as summary.json does)."""
    if not path.is_file() or path.is_symlink():
        return False
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and (key is None or key in content)


def _is_plain_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


# The files that mark a folder as an output of this project, named here once: a run's or a study's
# summary.json, a comparison's comparison.json. Nothing is written inside such a folder.
SUMMARY_FILE, COMPARISON_FILE = "summary.json", "comparison.json"
OUTPUT_MARKERS = (SUMMARY_FILE, COMPARISON_FILE)


# Hidden names made beside a destination ('.NAME.partial-HOST-PID-XXXXXXXX', 'NAME.interrupted'...)
# need this many characters more than its own name.
_NAME_ROOM = 40


def destination_path(path: str | Path) -> Path:
    """The folder a command line names: '~' expanded, and a path through '..' made absolute, so
    that 'new/sub/..' means the folder it leads to (which may be one that exists)."""
    path = Path(path).expanduser()
    return path.resolve() if ".." in path.parts else path


def check_destination(destination: Path, kind: OutputKind, option: str = "--output-dir",
                      owner: Path | None = None) -> None:
    """Refuse, with a ConfigError, a destination that is not new, empty or an earlier output of `kind`.

    Also fails when it or the folder it would go in cannot be written. Changes nothing on disk.
    owner: the output the destination belongs in (a study, for its cells), the one output it may be inside.
    """
    try:
        _check_destination(destination, kind, option, owner)
    except OSError as error:  # a path too long, a folder that cannot be looked into, ...
        raise ConfigError(f"cannot use {destination} ({error.strerror or error}); choose another place with "
                          f"{option}, e.g. {option} {kind.example}") from None


def _check_destination(destination: Path, kind: OutputKind, option: str, owner: Path | None = None) -> None:
    advice = f"choose a new folder with {option}, e.g. {option} {kind.example}"
    if destination.is_symlink():
        raise ConfigError(f"{destination} is a symbolic link; give the folder itself or a new one ({advice})")
    resolved = destination.resolve()
    for protected, description in ((Path.cwd().resolve(), "the current folder"), (PROJECT_ROOT, "this project's folder")):
        if resolved == protected or resolved in protected.parents:
            holds = "is" if resolved == protected else "holds"
            raise ConfigError(f"{destination} {holds} {description}; {kind.what} needs a folder of its own: {advice}")
    for ancestor in resolved.parents:
        # Inside another output its folder would gain an entry that is not its own (and the
        # next run of that output would be refused, or would remove this one).
        if owner is not None and ancestor == owner.resolve():
            break
        if any(_is_marker(ancestor / marker, None) for marker in OUTPUT_MARKERS):
            raise ConfigError(f"{destination} is inside {ancestor}, an output of this project (a run, a study or "
                              f"a comparison); {kind.what} needs a folder of its own outside it: {advice}")
    name_max = os.pathconf(_nearest_existing(resolved.parent), "PC_NAME_MAX")
    if len(os.fsencode(resolved.name)) + _NAME_ROOM > name_max:
        raise ConfigError(f"{destination}: the folder's name is too long (at most {name_max - _NAME_ROOM} "
                          f"characters here); {advice}")
    if destination.exists():
        if not destination.is_dir():
            raise ConfigError(f"{destination} exists and is not a folder; {advice}")
        if kind.replaces_folder and os.path.ismount(destination):
            raise ConfigError(f"{destination} is a mount point, which cannot be replaced; "
                              f"give a folder inside it, e.g. {destination / 'my_run'}")
        foreign = foreign_entry(destination, kind)
        if foreign is not None:
            raise ConfigError(refusal(destination, foreign, kind, advice))
        if not kind.replaces_folder or any(destination.iterdir()):
            _check_writable(destination, option)  # its files are replaced or removed
    _check_writable(destination.parent, option)


def refusal(destination: Path, foreign: str, kind: OutputKind, advice: str) -> str:
    """Why `destination`, which holds `foreign`, is not written over."""
    rule = (f"{kind.what} replaces its folder as a whole" if kind.replaces_folder
            else f"{kind.what} writes its pictures only into a folder that holds nothing else")
    if kind.marker is not None and _is_marker(destination / kind.marker, kind.marker_key):
        return (f"{destination} holds an earlier {kind.noun} and also {foreign}, which is not part of it; "
                f"{rule}: move {foreign} out, or {advice}")
    if kind.marker is not None and all(kind.owns(entry.name) for entry in destination.iterdir()):
        return (f"{destination} holds files named like {kind.what}'s but no {kind.marker} of this project's, so it is not "
                f"provably one (it may be your own, or older than the marker); remove them yourself if they "
                f"are an earlier output, or {advice}")
    return f"{destination} is not empty and is not {kind.what} (it holds {foreign}); {rule}: {advice}"


def _nearest_existing(folder: Path) -> Path:
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def _check_writable(folder: Path, option: str) -> None:
    """Fail before any work, not after it, when nothing can be written in `folder` (or, where it
    does not exist yet, in the nearest folder above it that does). Creates nothing."""
    existing = _nearest_existing(folder)
    try:
        if existing.is_symlink() and not existing.exists():
            raise NotADirectoryError(20, "is a broken symbolic link")
        if not existing.is_dir():
            raise NotADirectoryError(20, "is a file, not a folder")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        # Creating a file in a folder that exists fails with "No such file" only on special file
        # systems such as /proc, which take no new files at all.
        reason = "it takes no new files" if error.errno == errno.ENOENT else (error.strerror or str(error))
        where = f"{existing}: {reason}" if existing != folder else reason
        raise ConfigError(f"cannot write to {folder}: {where}; choose another place with {option}") from None


def remove_output(folder: Path, kind: OutputKind, unmarked: bool = False) -> bool:
    """Delete `folder` if it is provably an earlier output of `kind` (unmarked: a staged leftover,
    which may not have its marker yet, holding only kind's files); returns whether it did."""
    if not _is_plain_dir(folder):
        return False
    if unmarked and not (is_staged_leftover(folder) and _holds_only_owned_files(folder, kind)):
        return False
    if not unmarked and foreign_entry(folder, kind) is not None:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


class DestinationChanged(ConfigError):
    """The destination gained files that are not the command's while it worked; the new output
    was put beside it instead (the message says where)."""


# Signals held off while a finished output is moved into place: Ctrl-C, and the kill a study
# sends its workers.
HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_UNKNOWN = object()


@contextlib.contextmanager
def signals_held():
    """Hold off Ctrl-C and SIGTERM for a block: one that comes meanwhile is noted, and delivered to
    the handler there was as the block ends (so a KeyboardInterrupt it raises comes from here).

    The handlers are swapped rather than the signals blocked: the kernel hands a signal to any
    thread that does not block it (TensorFlow's, NumPy's, tqdm's), and Python then runs its handler
    in the main thread all the same. Handlers run only in the main thread, so a block elsewhere
    needs no holding."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = {number: signal.signal(number, lambda number, frame: arrived.append(number)) for number in HELD_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(arrived):
            signal.raise_signal(number)


def folder_identity(path: Path):
    """Which folder is at `path` now (None: none): a later output moved there in the meantime has
    another identity, even with the same name and files."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return None
    return (status.st_dev, status.st_ino)


def replace_directory(new: Path, final: Path, kind: OutputKind, found=_UNKNOWN) -> None:
    """Put a finished folder at `final`, replacing an earlier output there only now that it is done.

    `final` is checked again first: if a file that is not kind's appeared in it meanwhile (a
    note saved while a run trained), or, where `found` (its folder_identity when the work began)
    is given, another output was put there meanwhile (a second run of the same command, finished
    first), nothing is replaced: the new folder is put beside it, at 'FINAL.new' (or
    'FINAL.new-2', ...), and DestinationChanged says so.
    Ctrl-C and SIGTERM are held off for the renames, so the old output is never gone without the
    new one, and two processes finishing at once take their turns (a lock on the parent folder).
    """
    with signals_held(), _folder_lock(final.parent):
        if found is not _UNKNOWN and folder_identity(final) != found:
            beside = _free_name(final, ".new")
            new.rename(beside)
            raise DestinationChanged(f"{final} was written by another {kind.noun} while this one ran, so it was left "
                                     f"as it is; this {kind.noun} is in {beside}")
        if not final.exists():
            new.rename(final)
            return
        foreign = foreign_entry(final, kind) if _is_plain_dir(final) else final.name
        if foreign is not None:
            beside = _free_name(final, ".new")
            new.rename(beside)
            raise DestinationChanged(f"{final} gained {foreign} while this ran, which is not part of {kind.what}, "
                                     f"so it was left as it is; the new {kind.noun} is in {beside}")
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def used_alone(folder: Path, kind: OutputKind):
    """Hold folder for this process alone while the block runs (a study, for as long as it writes
    its cells): another command into it meanwhile is refused with a ConfigError. The lock goes with
    the process, however it ends."""
    held = False
    try:
        with _folder_lock(folder, wait=False):
            held = True
            yield
    except BlockingIOError:
        if held:
            raise
        raise ConfigError(f"{folder} is being written by another {kind.noun} right now; wait until it ends, or "
                          f"choose another --output-dir, e.g. --output-dir {kind.example}") from None


@contextlib.contextmanager
def _folder_lock(folder: Path, wait: bool = True):
    """An exclusive lock on a folder (flock on the folder itself: no lock file is left behind);
    without wait, BlockingIOError at once where another process holds it."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(descriptor)


def _free_name(path: Path, suffix: str) -> Path:
    candidate, number = path.with_name(path.name + suffix), 1
    while os.path.lexists(candidate):
        number += 1
        candidate = path.with_name(f"{path.name}{suffix}-{number}")
    return candidate


@contextlib.contextmanager
def staged_directory(final: Path, kind: OutputKind, found=_UNKNOWN):
    """A new hidden folder beside `final` to write into, put in place of `final` (see
    replace_directory; found: final's folder_identity when the work began) when the block
    completes, and removed if it does not. Its name records the writer (host and process id), so
    that what a killed writer left can be told from what a running one is writing (remove_abandoned)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{final.name}.partial-{_host_digest()}-{os.getpid()}-"
    partial = Path(tempfile.mkdtemp(prefix=prefix, dir=final.parent))
    try:
        partial.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; an output folder is not
        yield partial
        replace_directory(partial, final, kind, found)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _host_digest() -> str:
    """This machine, in 8 characters: a folder shared over a network is written from several."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_abandoned(folder: Path, kind: OutputKind, name: str | None = None) -> list[str]:
    """Remove the staged folders in `folder` (of destination `name`, or of any) whose writer was
    killed before it finished: written on this machine by a process that is no longer running,
    holding nothing but kind's files. Those of a running writer, or of another machine, stay.
    Returns the names removed, each with the process that left it ('.x.partial-… (process 123)')."""
    removed = []
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return removed
    for entry in entries:
        writer = _WRITER.fullmatch(entry.name)
        if writer is None or (name is not None and writer["name"] != name) or writer["host"] != _host_digest():
            continue
        if _process_alive(int(writer["pid"])) or not _is_plain_dir(entry) or not _holds_only_owned_files(entry, kind):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(f"{entry.name} (process {writer['pid']})")
    return removed


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temporary_path(final: Path) -> Path:
    """A hidden name beside `final` to write to first, then rename into place, so that an
    interrupted write never leaves a half-written file under the final name."""
    return final.with_name(f".{final.name}.{os.getpid()}.partial")


@contextlib.contextmanager
def written_in_place(final: Path):
    """A temporary path beside `final` (temporary_path) for the block to write; renamed to `final`
    when the block ends without an error, removed in any case."""
    temporary = temporary_path(final)
    try:
        yield temporary
        temporary.replace(final)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write a file under a temporary name, then move it into place (text as UTF-8)."""
    with written_in_place(path) as temporary:
        temporary.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
