"""Kernels forked from a process that has already imported torch.

Every page runs in a fresh kernel, and a fresh kernel spends its first two seconds importing:
the kernel itself, numpy, torch (1.1 s), torch's compiler stack that ``torch.optim`` loads on
its first step (0.9 s), scikit-learn (0.9 s). The build pays that once per page. Here a *fork
server* imports those libraries once, then forks a child for every kernel the build asks for:
the child starts from the imported modules, as a copy, and runs an ordinary ipykernel in the
page's folder with the page's environment. The page's own code, its namespace and everything
it imports from the course start fresh in every child, so a page's output is what a kernel of
its own would give (``tests/test_pages.py``'s determinism test compares the two).

Only libraries that decide nothing at import time are preloaded (plotly chooses its renderer
at import from the kernel it finds, so it is imported by the child). The server refuses, and
the kernel starts the ordinary way, when the kernel's command or the environment variables that
libraries read once at load time (``OMP_*``, ``OPENBLAS_*``, ``PYTHON*``, ...) differ from the
server's, or when a thread is running in the server (a fork copies only the forking thread).

    with fork_server():                       # sets COURSE_FORK_SERVER for the kernels below
        NotebookClient(nb, kernel_manager_class=ForkKernelManager).execute()
"""
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from jupyter_client import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

PRELOAD = ("ipykernel.kernelapp", "numpy", "scipy.linalg", "scipy.optimize", "torch",
           "torch._dynamo", "torch.optim", "sklearn.decomposition", "sklearn.manifold",
           "sklearn.linear_model", "sklearn.svm", "sklearn.cluster", "sklearn.neighbors",
           "sklearn.model_selection", "sklearn.metrics", "gymnasium")
# variables that libraries read once, when loaded: a child cannot change them after the fact
FIXED_AT_LOAD = ("PYTHON", "OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "LD_", "TORCH",
                 "CUDA", "NUMEXPR_", "MALLOC")
ADDRESS = "COURSE_FORK_SERVER"      # the server's socket, for the kernels' managers


def fixed_at_load(env):
    return {k: v for k, v in env.items() if k.startswith(FIXED_AT_LOAD)}


def _native_threads():
    return len(os.listdir("/proc/self/task"))


def _refusal(request, started_with):
    """Why this server cannot fork the requested kernel (None if it can)."""
    argv = request["argv"]
    if argv[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
        return f"not this server's kernel command: {argv[:3]}"
    if fixed_at_load(request["env"]) != fixed_at_load(started_with):
        return "environment variables read at load time differ"
    if _native_threads() > 1:
        return "the server has threads"
    return None


def _run_kernel(request, set_by_imports):
    """In the forked child: become the requested kernel, then exit."""
    code = 1
    try:
        os.setsid()                                   # its own process group, as Popen's kernels
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"], **set_by_imports)   # e.g. KMP_INIT_AT_FORK, by torch
        import ipykernel_launcher                     # what `python -m ipykernel_launcher` runs
        sys.argv = [ipykernel_launcher.__file__] + request["argv"][3:]
        sys.path[0] = os.getcwd()
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    except BaseException:                            # noqa: BLE001 (reported, then exit)
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(address, preload=PRELOAD):
    """Import ``preload``, then fork a kernel for each request on the socket at ``address``.
    Ends when its standard input closes (the process that started it has gone)."""
    started_with = dict(os.environ)
    for name in preload:
        __import__(name)
    set_by_imports = {k: v for k, v in os.environ.items() if started_with.get(k) != v}
    import gc
    gc.freeze()            # the imported objects: out of every child's full collections
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)    # children are reaped by the system
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(8)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready and not sys.stdin.buffer.read1(1):
            return
        if listener not in ready:
            continue
        connection, _ = listener.accept()
        with connection, connection.makefile("rwb") as stream:
            request = json.loads(stream.readline())
            refusal = _refusal(request, started_with)
            if refusal is None:
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    connection.close()
                    _run_kernel(request, set_by_imports)
                answer = {"pid": pid}
            else:
                answer = {"refused": refusal}
            stream.write(json.dumps(answer).encode() + b"\n")


@contextlib.contextmanager
def fork_server(env=None, preload=PRELOAD):
    """Run a fork server for the block; its kernels' managers find it through ``ADDRESS``.
    ``env``: the environment the kernels will have (default: this process's, with the python3
    kernel spec's variables). The server is killed, with its process group, at the end.
    Linux only (pidfds, /proc): elsewhere the block runs without a server, kernels as usual."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        yield None
        return
    from jupyter_client.kernelspec import KernelSpecManager
    env = dict(os.environ if env is None else env)
    env.update(KernelSpecManager().get_kernel_spec("python3").env)
    folder = tempfile.mkdtemp(prefix="fork-")
    address = os.path.join(folder, "socket")
    server = subprocess.Popen([sys.executable, "-m", "book.forkserver", address, *preload],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                              start_new_session=True)
    previous = os.environ.get(ADDRESS)
    try:
        if server.stdout.readline().strip() != b"ready":
            raise RuntimeError("the fork server did not start")
        os.environ[ADDRESS] = address
        yield address
    finally:
        if previous is None:
            os.environ.pop(ADDRESS, None)
        else:
            os.environ[ADDRESS] = previous
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)
        os.rmdir(folder)


def request_kernel(address, argv, env, cwd):
    """Ask the server at ``address`` for a kernel; its pid, or None if the server refuses."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(address)
        with connection.makefile("rwb") as stream:
            stream.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n")
            stream.flush()
            answer = json.loads(stream.readline())
    if "refused" in answer:
        print(f"fork server: {answer['refused']}; the kernel starts on its own", file=sys.stderr)
    return answer.get("pid")


class ForkedProcess:
    """The part of ``subprocess.Popen`` a provisioner uses, for a process that is not our
    child: it is watched through a pidfd, and its exit status is not known (reported as 0)."""
    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:                   # already gone
            self._pidfd = None
        self.returncode = None if self._pidfd is not None else 0

    def poll(self):
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            os.close(self._pidfd)
            self.returncode = 0
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            select.select([self._pidfd], [], [], 0.1)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Starts the kernel through the fork server named by ``COURSE_FORK_SERVER`` when there is
    one and it accepts; otherwise as ``LocalProvisioner`` does."""

    async def launch_kernel(self, cmd, **kwargs):
        address = os.environ.get(ADDRESS)
        pid = None
        if address and os.path.exists(address):
            env = kwargs.get("env") or dict(os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            pid = request_kernel(address, list(cmd), dict(env), cwd)
        if pid is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info


class ForkKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels come from the fork server (see the module's docstring)."""

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id,
                                               kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:] or PRELOAD)
