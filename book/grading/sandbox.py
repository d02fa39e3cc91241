"""The operating system's half of the grading sandbox: bubblewrap around the kernel.

On Linux with ``bwrap`` (Debian package ``bubblewrap``) and user namespaces, each grading
kernel runs in its own namespaces: the whole file system read-only, the course folder
(solutions, gradebook, every student's work, release and feedback folders) replaced by an
empty one, only its own submission folder writable, a private ``/tmp``, no network (the
kernel protocol runs over Unix sockets in a folder of its own), its own process tree (it
cannot see or signal the grader) and no capabilities. Allowlist, not denylist: what is not
bound in does not exist for the notebook.

Where bubblewrap cannot run (macOS, a container without user namespaces) ``isolation()``
says so and grading relies on the in-kernel guard alone (``book.grading.guard``).
"""
import functools
import os
import shutil
import subprocess
import sys

BWRAP = "bwrap"


@functools.lru_cache(maxsize=None)
def available():
    """Can bubblewrap start a process in fresh namespaces here? (checked once)"""
    path = shutil.which(BWRAP)
    if not path or not sys.platform.startswith("linux"):
        return False
    probe = [path, "--die-with-parent", "--unshare-all", "--unshare-user", "--cap-drop", "ALL",
             "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def isolation(enabled=True):
    """One sentence saying which isolation the grader uses on this machine (``enabled``:
    whether the configuration asks for the sandbox)."""
    if enabled and available():
        return ("operating-system sandbox (bubblewrap): read-only system, course folder hidden, "
                "only the submission folder writable, private /tmp, no network, own process "
                "namespace; plus the in-kernel guard")
    why = "bubblewrap cannot run here" if enabled else "the sandbox is switched off"
    return (f"in-kernel guard only ({why}): file access, processes, "
            "signals and sockets are refused by an audit hook inside the kernel")


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def command(cmd, workdir, private, hidden, readable, tmp_size=512 * 1024**2):
    """``cmd`` wrapped in bubblewrap.

    workdir: the submission's folder (writable, the kernel's cwd); private: the grader's
    folder for this kernel (key, verdict channel, sockets; writable); hidden: folders that
    must not exist for the kernel (the course folder); readable: paths inside hidden folders
    that the kernel needs read-only (the Python environment, the course's package).
    """
    real = os.path.realpath
    workdir, private = real(workdir), real(private)
    home = real(os.path.expanduser("~"))
    hidden = sorted({real(h) for h in hidden if h} | ({home} if home != "/" else set()),
                    key=len)
    args = [shutil.which(BWRAP), "--die-with-parent", "--new-session",
            "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/run"]
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):     # private, and bounded in size
        args += ["--size", str(tmp_size), "--tmpfs", folder]
    covered = []
    for folder in hidden:
        if not any(_inside(folder, h) for h in covered):
            args += ["--tmpfs", folder]
            covered.append(folder)
    for path in sorted({real(p) for p in readable if p and os.path.exists(p)}, key=len):
        if any(_inside(h, path) for h in hidden):
            continue                     # never re-expose a hidden folder through a parent
        if any(_inside(path, h) for h in hidden + ["/tmp", "/var/tmp", "/run"]):
            args += ["--ro-bind", path, path]
    args += ["--bind", private, private, "--bind", workdir, workdir]
    for folder in covered:            # the empty stand-ins are read-only too (not recursive:
        args += ["--remount-ro", folder]   # the folders bound inside keep their own mode)
    args += ["--chdir", workdir,
             "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
             "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.mpl",
             "--setenv", "JUPYTER_RUNTIME_DIR", private, "--setenv", "JUPYTER_DATA_DIR", "/tmp/.jupyter",
             "--unsetenv", "JPY_PARENT_PID",     # not in this process namespace; --die-with-parent
             "--"]
    return args + list(cmd)


def sandboxed_pid(bwrap_pid):
    """Process id (as the grader sees it) of the command bubblewrap runs, or None."""
    todo = [bwrap_pid]
    while todo:
        pid = todo.pop(0)
        try:
            with open(f"/proc/{pid}/comm") as handle:
                if pid != bwrap_pid and handle.read().strip() != "bwrap":
                    return pid
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                todo += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return None
