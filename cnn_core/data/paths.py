"""The folder-path source: off unless the operator turns it on, confined to one root, one message for every refusal.

Nothing a browser sends decides anything here: not the page's URL, not a header, not the
client's address. The operator sets ``CNN_LAB_FOLDER_PATHS=1`` in the server's environment (and
optionally ``CNN_LAB_FOLDER_ROOT``, default the home folder of the user the server runs as). A
path a visitor types is then:

1. taken relative to the root (``~`` is the server user's home; an absolute path stands as typed);
2. resolved with every symlink and ``..`` followed, before any check;
3. refused unless the result is the root or inside it, is not on a kernel filesystem (proc,
   sysfs, devtmpfs, cgroup, ...; even with a root of ``/``), and is a folder this process may list
   and enter.

Every refusal in step 3 (and an empty, over-long or NUL path) gets the same message, which echoes
only what was typed, so the answer tells nothing about the server's files. Files met while
scanning an accepted folder are judged the same way (``confined``): a link inside the root that
points out of it is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cnn_core.data.errors import DatasetError
from cnn_core.i18n import N_

FOLDER_PATHS_ENV = "CNN_LAB_FOLDER_PATHS"
FOLDER_ROOT_ENV = "CNN_LAB_FOLDER_ROOT"
MAX_PATH_CHARS = 1024
# Kernel and pseudo filesystems: no data set lives there, and reading them can hang or leak.
SPECIAL_FILESYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "debugfs",
        "tracefs",
        "securityfs",
        "pstore",
        "bpf",
        "configfs",
        "fusectl",
        "mqueue",
        "hugetlbfs",
        "autofs",
        "binfmt_misc",
        "efivarfs",
        "selinuxfs",
        "rpc_pipefs",
        "nsfs",
        "ramfs",
    }
)
SPECIAL_PREFIXES = (Path("/proc"), Path("/sys"), Path("/dev"))
NOT_READABLE = N_("There is no folder at {path} that this server can read. Type a folder inside the one it shares.")


class FolderPathError(DatasetError):
    """A folder path that cannot be used; every path a visitor types gets the same message."""


class FolderPathsOff(FolderPathError):
    """The operator has not turned the folder-path source on."""


def folder_paths_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """True only when the operator set ``CNN_LAB_FOLDER_PATHS=1``; the browser has no say.

    >>> folder_paths_enabled({}), folder_paths_enabled({"CNN_LAB_FOLDER_PATHS": "1"})
    (False, True)
    >>> folder_paths_enabled({"CNN_LAB_FOLDER_PATHS": "yes"})
    False
    """
    return environ.get(FOLDER_PATHS_ENV, "").strip() == "1"


def folder_root(environ: Mapping[str, str] = os.environ) -> Path:
    """The one folder visitors' paths are confined to, resolved; an operator's mistake names the setting."""
    raw = environ.get(FOLDER_ROOT_ENV, "").strip()
    root = Path(raw).expanduser() if raw else Path.home()
    try:
        root = root.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise FolderPathError(
            N_("{setting} is {value!r}, which does not exist on this server."), setting=FOLDER_ROOT_ENV, value=raw
        ) from exc
    if not root.is_dir():
        raise FolderPathError(N_("{setting} is {value!r}, which is not a folder."), setting=FOLDER_ROOT_ENV, value=raw)
    return root


def resolve_folder(text: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The resolved folder for a visitor's ``text``, or ``FolderPathError`` with one message for all refusals."""
    if not folder_paths_enabled(environ):
        raise FolderPathsOff(N_("Loading a folder by its path is turned off on this server; upload a zip instead."))
    root = folder_root(environ)
    refusal = FolderPathError(NOT_READABLE, path=_shown(text))
    text = text.strip()
    if not text or len(text) > MAX_PATH_CHARS or "\x00" in text:
        raise refusal
    typed = Path(text).expanduser() if text.startswith("~") else Path(text)
    try:
        candidate = (root / typed).resolve(strict=False)  # An absolute ``typed`` replaces the root here.
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        raise refusal from None
    if not usable_folder(candidate, root):
        raise refusal
    return candidate


def usable_folder(path: Path, root: Path) -> bool:
    """True for a resolved folder inside ``root``, off kernel filesystems, that may be listed and entered."""
    if not inside_root(path, root) or on_special_filesystem(path):
        return False
    try:
        return path.is_dir() and os.access(path, os.R_OK | os.X_OK)
    except OSError:
        return False


def confined(path: Path, root: Path) -> bool:
    """True when ``path``'s real location (every link followed) exists inside ``root``, off kernel filesystems."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return inside_root(real, root) and not on_special_filesystem(real)


def inside_root(path: Path, root: Path) -> bool:
    """True when the resolved ``path`` is ``root`` or below it."""
    return path == root or path.is_relative_to(root)


def on_special_filesystem(path: Path) -> bool:
    """True for a path under /proc, /sys or /dev, or on a filesystem in ``SPECIAL_FILESYSTEMS``."""
    if any(inside_root(path, prefix) for prefix in SPECIAL_PREFIXES):
        return True
    return filesystem_type(path) in SPECIAL_FILESYSTEMS


def filesystem_type(path: Path) -> str:
    """The type of the filesystem ``path`` is on: its longest mount point in /proc/self/mounts ("" if unknown)."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return ""
    best, kind = -1, ""
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = Path(_unescape_mount(fields[1]))
        if inside_root(path, mount) and len(mount.parts) > best:
            best, kind = len(mount.parts), fields[2]
    return kind


def _unescape_mount(field: str) -> str:
    r"""/proc/self/mounts writes space, tab, newline and backslash as octal escapes.

    >>> _unescape_mount(r"/mnt/my\040disk")
    '/mnt/my disk'
    """
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _shown(text: str) -> str:
    """What the visitor typed, quoted and shortened, for the message."""
    text = text.strip().replace("\x00", "")
    return repr(text if len(text) <= 80 else text[:79] + "…")
