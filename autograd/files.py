"""Writing files safely: a temporary file, then a rename, so no reader ever sees half a file.

What `atomic_write` promises, and how:

* a reader, or a crash of the writing process (even ``kill -9``), sees the old file or the new
  one, never half of one: the data goes to a temporary file in the same folder, is flushed to
  disk, and is renamed over the target in one step;
* saving over an existing file keeps its permission bits (a 0600 file stays 0600) and, where
  allowed, its owner; a new file gets the permissions ``open()`` would give it;
* a symbolic link is followed: the file it points to is replaced, the link stays;
* only regular files are written: a directory, a device such as ``/dev/full`` or a pipe is refused;
* a temporary left behind by a killed save is removed by the next save to the same path (a
  temporary still held by a running save is left alone: each save locks its own temporary).

Not promised: durability against power loss on file systems that ignore ``fsync``.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: there, leftover temporaries are not cleaned up
    fcntl = None


class NotARegularFile(ValueError):
    """The path exists but is not a regular file (a directory, a device, a pipe...)."""


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` to `path` atomically (str is written as UTF-8); returns the path as given.

    See the module docstring for exactly what is promised. Errors name `path`, never the
    temporary file.
    """
    given = Path(path)
    target = Path(os.path.realpath(given))  # follow symbolic links: the link's target is replaced
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as error:
        raise _about(error, given) from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise NotARegularFile(f"cannot write {str(given)!r}: it exists and is not a regular file (a directory, "
                              "device or pipe); chainrule only replaces regular files")  # fmt: skip
    prefix = f".{target.name}."
    try:
        _remove_abandoned_temporaries(target.parent, prefix)
        fd, temporary = _locked_temporary(target.parent, prefix)
    except OSError as error:
        raise _about(error, given) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
            if old is not None:  # keep the old file's permissions, and its owner where we may
                os.fchmod(f.fileno(), stat.S_IMODE(old.st_mode))
                if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                    try:
                        os.fchown(f.fileno(), old.st_uid, old.st_gid)
                    except PermissionError:
                        pass
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(f.fileno(), 0o666 & ~umask)  # the permissions a plain open() would have given
            os.replace(temporary, target)  # atomic: readers see the old file or the new one
        _sync_folder(target.parent)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _about(error, given) from None
        raise
    return given


def _locked_temporary(folder: Path, prefix: str) -> tuple[int, str]:
    """A new temporary file next to the target, locked for as long as this process holds it."""
    while True:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
        if fcntl is None:
            return fd, temporary
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink:  # another save's clean-up did not remove it before we locked it
            return fd, temporary
        os.close(fd)


def _remove_abandoned_temporaries(folder: Path, prefix: str) -> None:
    """Remove temporaries of earlier saves to this path whose writer died (their lock is free)."""
    if fcntl is None:
        return
    try:
        names = [name for name in os.listdir(folder) if name.startswith(prefix) and name.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        candidate = folder / name
        try:
            fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a save in progress holds it
            os.close(fd)
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.unlink(candidate)
        except OSError:
            pass
        finally:
            os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _about(error: OSError, path: Path) -> OSError:
    """The same kind of error, naming the user's path instead of a temporary file."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOENT, errno.ENOTDIR) and not path.parent.is_dir():
        reason = f"the folder {str(path.parent)!r} does not exist"
    return type(error)(error.errno, f"cannot write {str(path)!r}: {reason}")
