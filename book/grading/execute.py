"""The grader's side of ``book.grading.guard``: how nbgrader executes a submission.

``GuardedExecute`` replaces nbgrader's ``Execute`` preprocessor. For every test cell it draws a
nonce, wraps the cell between the guard's marker line and its final ``sys.audit`` call, runs
the notebook in a ``SandboxedKernelManager`` kernel (memory limit, sandbox), and then keeps a
test as passed only if the guard's authenticated verdict says the exact test source ran to its
end on an untampered interpreter. Whatever happens (a dead kernel, a timeout, a cell that
never answers), every cell ends with outputs and the notebook is graded.
"""
import ast
import hashlib
import hmac
import io
import math
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import tokenize

from IPython.core.inputtransformer2 import TransformerManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Type, Unicode

from . import sandbox
from .limits import Limits, calibrate
from .guard import DONE_EVENT, MARKER

PRELOADABLE = ("numpy", "torch", "scipy", "sklearn")   # packages the guard protects when used


def imported_modules(nb):
    """Modules of PRELOADABLE packages that the notebook's code imports (numpy always)."""
    found = {"numpy"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            found.update(n for n in names if n.split(".")[0] in PRELOADABLE)
    return sorted(found)


class LocalKernelClient(AsyncKernelClient):
    """A client without the heartbeat channel: liveness comes from the kernel's process.

    The heartbeat runs in a thread that a notebook can wedge by writing garbage to the
    kernel's sockets, and the grader would then hang forever while stopping it.
    """

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=False, control=True):
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)


class SandboxedKernelManager(AsyncKernelManager):
    """Starts ``book.grading.kernel`` instead of the plain ipykernel, with its settings."""

    client_factory = Type(LocalKernelClient, klass=AsyncKernelClient)

    memory_limit = Integer(2 * 1024**3, help="address-space limit of the kernel, bytes").tag(config=True)
    file_size_limit = Integer(64 * 1024**2, help="largest file the kernel may write, bytes").tag(config=True)
    protected = List(Unicode(), help="folders whose files the kernel may not open, besides "
                     "the submission's own (default: the course folder, the cwd)").tag(config=True)
    os_sandbox = Bool(True, help="run the kernel in bubblewrap where it can run "
                      "(see book.grading.sandbox)").tag(config=True)
    private_dir = Unicode("", help="set by GuardedExecute: key and channel of the guard")
    preload = List(Unicode(), help="set by GuardedExecute: modules imported before student code")

    @property
    def sandboxed(self):
        return self.os_sandbox and sandbox.available()

    def _hidden_folders(self):
        return [os.path.realpath(p) for p in (self.protected or [os.getcwd()])]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.sandboxed:
            readable = [sys.prefix, sys.base_prefix, book_dir()]
            readable += [p for p in sys.path if "-packages" in p]     # site- and dist-packages
            kernel_cmd = sandbox.command(kernel_cmd, kw.get("cwd") or os.getcwd(),
                                         self.private_dir, self._hidden_folders(), readable)
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    _launch_kernel = _async_launch_kernel

    async def _async_signal_kernel(self, signum):
        """Signal the kernel itself: bubblewrap does not pass signals on to its child. (Not
        an interrupt message: the notebook can wedge its own sockets, never its signals.)"""
        process = getattr(self.provisioner, "process", None) if self.sandboxed else None
        pid = process and sandbox.sandboxed_pid(process.pid)
        if pid:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
            return
        await super()._async_signal_kernel(signum)

    signal_kernel = _async_signal_kernel

    async def _async_shutdown_kernel(self, now=False, restart=False):
        """Always kill: a polite shutdown_request can block forever on a wedged socket."""
        await super()._async_shutdown_kernel(now=True, restart=restart)

    shutdown_kernel = _async_shutdown_kernel

    async def _async_pre_start_kernel(self, **kw):
        if self.sandboxed:
            # the kernel has no network: its sockets are files in its own private folder
            self.transport = "ipc"
            self.connection_file = os.path.join(self.private_dir, "kernel.json")
            self.ip = os.path.join(self.private_dir, "kernel-ipc")
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        cmd = [sys.executable, "-m", "book.grading.kernel"] + cmd[cmd.index("-f"):]
        env = dict(kw.get("env") or os.environ)
        env.update({
            "COURSE_GRADER_MEMORY": str(self.memory_limit),
            "COURSE_GRADER_FILE_SIZE": str(self.file_size_limit),
            "COURSE_GRADER_PRIVATE": self.private_dir,
            "COURSE_GRADER_PROTECTED": os.pathsep.join(self._hidden_folders()),
            "BOOK_RNN_COMPILED": "0",
            "COURSE_GRADER_PRELOAD": " ".join(self.preload),
            "MALLOC_ARENA_MAX": "2",
            "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "2"),
            # idle OpenMP workers sleep instead of spinning: with every core busy grading,
            # spinning workers made small torch models in a kernel up to 100x slower
            "OMP_WAIT_POLICY": env.get("OMP_WAIT_POLICY", "PASSIVE"),
        })
        kw["env"] = env
        return cmd, kw


TEST_FUNCTION = "_course_test"
WRAP_OFFSET = 2          # lines the wrapper puts before a test's first line (marker, def)
TIME_LIMIT = re.compile(r"\A\s*#\s*time limit:\s*(\d+)\s*s\b", re.IGNORECASE)


def _indent(source):
    """Indent code by four spaces, leaving the inside of multi-line strings untouched."""
    inside = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "\n".join(line if number in inside or not line.strip() else "    " + line
                     for number, line in enumerate(source.split("\n"), start=1))


def _unwrapped(source):
    """A test cell's own source from the wrapped one (marker and def lines dropped)."""
    if not source.startswith(MARKER):
        return source
    lines = source.split("\n")[1:]
    if lines and lines[0].startswith(f"def {TEST_FUNCTION}("):
        lines = [line[4:] if line.startswith("    ") else line for line in lines[1:]]
    return "\n".join(lines)


def _entries(folder):
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


def _remove_planted(folder, before, log):
    """Remove what the notebook left in its folder that nbgrader would read as a submission:
    new notebooks (feedback would fail on a notebook the gradebook does not know) and links."""
    for name in _entries(folder) - before:
        path = os.path.join(folder, name)
        if name.endswith(".ipynb") or os.path.islink(path):
            log.warning("removing %s, which the graded notebook created", path)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            except OSError:
                pass


def _read_channel(path, limit=1 << 20):
    """The verdict lines, read without trusting the file (the kernel could replace it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return []
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return []
        return os.read(fd, limit).decode("utf-8", "replace").splitlines()
    finally:
        os.close(fd)


def book_dir():
    import book
    return os.path.dirname(os.path.abspath(book.__file__))


def _is_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def _error(name, text):
    return new_output("error", ename=name, evalue=text, traceback=[f"{name}: {text}"])


class GuardedExecute(Execute):
    """nbgrader's Execute, with the guard's verdicts deciding which tests passed."""

    max_output_chars = Integer(100_000, help="characters of output kept per cell").tag(config=True)
    stuck_kernel_grace = Integer(10, help="seconds a timed-out cell gets to answer an interrupt").tag(config=True)
    extra_arguments = List(["--HistoryManager.hist_file=:memory:"]).tag(config=True)
    raise_on_iopub_timeout = Bool(False).tag(config=True)   # a busy kernel is handled below
    # ``timeout`` (nbclient's trait) and a test cell's "# time limit: N s" are stated for the
    # course's reference machine and scaled to the grading machine (book/grading/limits.py)
    min_timeout = Integer(10, help="the fewest seconds a cell gets, however fast the machine").tag(config=True)
    max_timeout = Integer(600, help="the most seconds a cell gets, however slow the machine").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self.kernel_manager_class = SandboxedKernelManager
        self.timeout_func = self._cell_timeout
        self.log.info("time limits scaled by %.2f: a reference step takes %.1f ms here",
                      self.limits.scale, 1000 * self.limits.step)
        private = tempfile.mkdtemp(prefix="course-grader-")
        key = secrets.token_bytes(32)
        with open(os.path.join(private, "key"), "wb") as handle:
            handle.write(key)
        open(os.path.join(private, "channel"), "wb").close()
        self._private = private
        self._preload = imported_modules(nb)
        originals, expected = {}, {}
        for index, cell in enumerate(nb.cells):
            if _is_test(cell):
                originals[index] = cell.source
                cell.source, expected[index] = self._wrap(cell.source)
        folder = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        before = _entries(folder)
        try:
            self._dead, self._stuck = None, False
            nb, resources = super().preprocess(nb, resources, km)
        finally:
            verdicts = _read_channel(os.path.join(private, "channel"))
            shutil.rmtree(private, ignore_errors=True)
            _remove_planted(folder, before, self.log)
        verdicts = self._authentic(verdicts, key)
        for index, source in originals.items():
            cell = nb.cells[index]
            cell.source = source
            self._judge(cell, expected[index], verdicts)
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.private_dir = self._private
        km.preload = self._preload
        return km

    @staticmethod
    def _wrap(source):
        """The test cell as the kernel will run it, and (nonce, digest) to expect.

        The test's body runs inside a function, so that nothing it computes (inputs, expected
        values, reference models) lands in the notebook's globals where a student's function
        could read it; the guard refuses frames to student code while the test runs.
        """
        nonce = secrets.token_hex(16)
        try:
            body = TransformerManager().transform_cell(source).rstrip() or "pass"
            ast.parse(body)
            wrapped = (f"{MARKER}{nonce} 3\ndef {TEST_FUNCTION}():\n{_indent(body)}\n"
                       f"{TEST_FUNCTION}()\n")
        except SyntaxError:                 # run as it is: it fails with the SyntaxError
            wrapped = f"{MARKER}{nonce} 1\n{source.rstrip()}\n"
        wrapped += f"__import__('sys').audit({DONE_EVENT!r}, {nonce!r})\n"
        transformed = TransformerManager().transform_cell(wrapped)
        return wrapped, (nonce, hashlib.sha256(transformed.strip().encode()).hexdigest())

    def stated_limit(self, cell):
        """Seconds this cell may run on the course's reference machine: a test cell's own
        "# time limit: N s" line, else the default (``timeout``)."""
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and \
                not cell.metadata.nbgrader.get("solution"):
            found = TIME_LIMIT.search(_unwrapped(cell.source))
            if found:
                return int(found.group(1))
        return self.timeout

    @property
    def limits(self):
        """The limits of this grading machine, calibrated once per grading process."""
        return Limits(calibrate(), self.min_timeout, self.max_timeout)

    def _cell_timeout(self, cell):
        """Whole seconds for this cell here: its stated limit scaled to this machine."""
        return math.ceil(self.limits.seconds(self.stated_limit(cell)))

    async def _async_handle_timeout(self, timeout, cell=None):
        why = self.limits.explain(self.stated_limit(cell)) if cell is not None else f"{timeout} s"
        text = f"stopped after {timeout} s, the time limit for this cell: {why}"
        self.error_on_timeout = {"ename": "TimeoutError", "evalue": text,
                                 "traceback": [f"TimeoutError: {text}"]}
        return await super()._async_handle_timeout(timeout, cell)

    @staticmethod
    def _authentic(lines, key):
        """Verdict lines whose MAC is valid: {nonce: (verdict, digest, reason)}."""
        verdicts = {}
        for line in lines:
            mac, _, message = line.partition(" ")
            good = hmac.new(key, message.encode(), "sha256").hexdigest()
            if hmac.compare_digest(mac, good):
                verdict, nonce, digest, reason = (message.split(" ", 3) + [""] * 4)[:4]
                verdicts.setdefault(nonce, (verdict, digest, reason))
        return verdicts

    def _judge(self, cell, expected, verdicts):
        if any(out.output_type == "error" for out in cell.outputs):
            return                                   # it failed on its own; nothing to add
        nonce, digest = expected
        verdict, seen_digest, reason = verdicts.get(nonce, ("missing", "", ""))
        if verdict == "passed" and seen_digest == digest:
            return
        if verdict == "missing":
            reason = ("the test did not run to its end under the grader's watch "
                      "(its code was changed, skipped or interrupted)")
        elif verdict == "passed":
            reason = "the test that ran is not the test that was given"
        cell.outputs.append(_error("GraderIntegrityError", f"no points for this test: {reason}"))

    # -------------------------------------------------------------- robustness
    def preprocess_cell(self, cell, resources, index):
        if self._dead is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error("DeadKernelError", self._dead)]
            return cell, resources
        if cell.cell_type == "code" and self._stuck:
            if not self._responsive():
                self._dead = ("an earlier cell ran past the time limit and ignored the "
                              "interrupt; the kernel was stopped and this cell was not run")
                self._shutdown()
                return self.preprocess_cell(cell, resources, index)
            self._stuck = False
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = ("the kernel died while running an earlier cell (memory limit, "
                          "os._exit or a crash); this cell was not run")
            cell.outputs.append(_error("DeadKernelError", "the kernel died while running this cell"))
        except Exception as error:                     # noqa: BLE001 - never let a notebook
            self._dead = ("the kernel stopped answering properly during an earlier cell "
                          f"({type(error).__name__}); this cell was not run")
            cell.outputs.append(_error("KernelError", f"the kernel stopped answering properly "
                                       f"while running this cell ({type(error).__name__})"))
            self._shutdown()
        self._stuck = any(out.get("ename") == "TimeoutError" and "time limit" in out.get("evalue", "")
                          for out in cell.get("outputs", []))
        if self._stuck:        # the interrupt's KeyboardInterrupt says less than the limit does
            cell.outputs = [o for o in cell.outputs if o.get("ename") != "KeyboardInterrupt"]
        self._limit_output(cell)
        return cell, resources

    def _shutdown(self):
        try:
            self.km.shutdown_kernel()            # SandboxedKernelManager always kills
        except Exception:                              # noqa: BLE001 - already gone
            pass

    def _responsive(self):
        """Does the kernel answer a kernel_info request within the grace period?"""
        msg_id = self.kc.kernel_info()

        async def answered():
            while True:
                msg = await self.kc.shell_channel.get_msg(timeout=self.stuck_kernel_grace)
                if msg["parent_header"].get("msg_id") == msg_id:
                    return True
        try:
            return run_sync(answered)()
        except Exception:                       # noqa: BLE001 - queue.Empty, dead channel
            return False

    def _limit_output(self, cell):
        """Cut any cell output beyond ``max_output_chars`` characters, saying so."""
        if cell.cell_type != "code":
            return
        budget = self.max_output_chars
        kept = []
        for out in cell.get("outputs", []):
            size = len(str(out.get("text", ""))) + sum(len(str(v)) for v in out.get("data", {}).values())
            if size <= budget:
                kept.append(out)
                budget -= size
                continue
            if out.output_type == "stream":
                out.text = out.text[:max(budget, 0)] + "\n... output truncated by the grader ...\n"
                kept.append(out)
            elif out.output_type == "error":
                kept.append(_error(out.ename, str(out.evalue)[:1000]))
            else:
                kept.append(new_output("stream", name="stdout",
                                       text="... output too large, removed by the grader ...\n"))
            budget = 0
        cell.outputs = kept
