"""What the grading kernel enforces from inside, with a Python audit hook (PEP 578).

An audit hook cannot be removed once installed, and it sees file opens, subprocesses,
tracing, compilation and more. The guard uses it for two things:

* a sandbox: no reading the course's files (solutions, gradebook, other students'
  submissions), no writing outside the submission's folder and the temp dir, no
  subprocesses, signals to other processes, sockets, tracers, gc introspection, ctypes
  memory access or ``__code__`` swaps;
* honest test verdicts: the grader rewrites every test cell to start with a marker line
  (a fresh nonce) and to end with ``sys.audit("course.grader.done", nonce)``. When the
  marked cell is compiled, the guard records a hash of its source and resets the
  interpreter (IPython hooks, monkeypatched library functions, builtins, sys.modules) to
  the snapshot taken before any student code ran. When the cell reaches its last line,
  the guard checks that nothing changed meanwhile and writes a verdict, authenticated with
  a key the notebook never sees, to a channel that only the grader reads. A test passes
  only with that verdict; anything else fails closed.

This module runs in the kernel; ``book.grading.execute`` is its counterpart in the grader.
"""
import _hashlib
import _thread
import os
import sys
import types

MARKER = "# course-grader: "
FORBID_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forbid.py")
DONE_EVENT = "course.grader.done"
SHIELD_EVENT = "course.grader.call"
# functions that the notebook's own code may not call, replaced by a stub that asks the audit
# hook (the real function is kept by the guard only, so no closure or attribute leads to it):
# a signal handler receives the interrupted frame, with no audit event to refuse it, and a
# fresh copy of a builtin module would bring an unguarded signal()
SHIELDED = {("_signal", "signal"): "setting signal handlers",
            ("_imp", "create_builtin"): "loading a second copy of a built-in module",
            ("_thread", "start_new_thread"): "starting threads",
            ("_thread", "start_new"): "starting threads",
            ("threading", "_start_new_thread"): "starting threads"}

# audit events refused outright once grading starts
FORBIDDEN = {
    "os.system": "running shell commands",
    "os.exec": "replacing the kernel process",
    "os.posix_spawn": "starting processes",
    "os.spawn": "starting processes",
    "os.fork": "forking the kernel",
    "os.forkpty": "forking the kernel",
    "pty.spawn": "starting processes",
    "subprocess.Popen": "starting processes",
    "sys.settrace": "installing a tracer",
    "sys.setprofile": "installing a profiler",
    "sys.addaudithook": "installing audit hooks",
    "gc.get_objects": "walking the object graph",
    "gc.get_referrers": "walking the object graph",
    "gc.get_referents": "walking the object graph",
    "ctypes.cdata": "reading raw memory",
    "ctypes.string_at": "reading raw memory",
    "ctypes.wstring_at": "reading raw memory",
    "socket.connect": "opening network connections",
    "socket.bind": "opening network connections",
    "sys._current_frames": "inspecting other threads",
}
# audit events that change the file system: positions of (written, read) path arguments. The
# written ones must lie in the submission's folder or the temp dir; the read ones outside the
# course folder. ("entry" events change a directory entry: a link is judged by where it is.)
CHANGES = {
    "os.remove": ((0,), ()), "os.rmdir": ((0,), ()), "os.rename": ((0, 1), ()),
    "os.mkdir": ((0,), ()), "os.symlink": ((1,), ()), "os.link": ((1,), (0,)),
    "os.truncate": ((0,), ()), "os.chmod": ((0,), ()), "os.chown": ((0,), ()),
    "os.utime": ((0,), ()), "os.chflags": ((0,), ()), "os.lchflags": ((0,), ()),
    "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()),
    "shutil.rmtree": ((0,), ()), "shutil.move": ((0, 1), ()), "shutil.chown": ((0,), ()),
    "shutil.copyfile": ((1,), (0,)), "shutil.copymode": ((1,), (0,)),
    "shutil.copystat": ((1,), (0,)), "shutil.copytree": ((1,), (0,)),
    "shutil.make_archive": ((0,), (2,)), "shutil.unpack_archive": ((1,), (0,)),
}
ENTRY_EVENTS = {"os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.symlink", "os.link",
                "shutil.rmtree", "shutil.move"}
# audit events that list or read a folder: position of the folder argument
LISTINGS = {"os.listdir": 0, "os.scandir": 0, "os.walk": 0, "os.fwalk": 0, "glob.glob": 0,
            "glob.glob/2": 0, "os.listxattr": 0, "os.getxattr": 0, "os.chdir": 0}
# audit events that hand out a frame (and with it every variable up the stack): refused to
# the notebook's own code while a test runs
FRAME_EVENTS = {"sys._getframe", "sys._getframemodulename"}
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"}
# modules whose functions hand frames (or the stack) to their caller: a request through them
# counts as made by whoever called them (libraries such as torch ask for frames for their own
# bookkeeping, and that is allowed)
FRAME_HANDLERS = ("/inspect.py", "/traceback.py", "/logging/__init__.py", "/pdb.py", "/bdb.py",
                  "/IPython/core/debugger.py", "/IPython/core/ultratb.py", "/cgitb.py")
FRAME_HANDLER_PACKAGES = ("/stack_data/", "/executing/")
RAW_MEMORY_SYMBOLS = {"memcpy", "memmove", "memset", "mprotect", "mmap", "ptrace",
                      "process_vm_writev", "PyObject_SetAttr", "PyDict_SetItem", "Py_DecRef",
                      "open", "open64", "openat", "fopen", "fopen64", "creat", "system",
                      "execv", "execve", "execvp", "fork", "vfork", "posix_spawn", "kill"}
# packages whose functions the tests rely on: restored before, compared after every test
PROTECTED = ("builtins", "sys", "_signal", "signal", "_imp", "gc", "_thread", "threading", "numpy", "torch", "scipy", "sklearn", "math", "cmath",
             "random", "operator", "functools", "itertools", "hashlib", "traitlets",
             "IPython", "ipykernel", "book", "ast", "types", "inspect", "posixpath",
             "os", "io", "json", "warnings", "contextlib", "collections", "copy")
SHELL_ATTRIBUTES = ("ast_transformers", "custom_exceptions", "CustomTB", "showtraceback",
                    "_showtraceback", "showsyntaxerror", "run_code", "run_ast_nodes",
                    "run_cell", "run_cell_async", "transform_cell", "transform_ast",
                    "user_ns", "user_global_ns", "user_module", "compile", "displayhook", "display_pub",
                    "events", "input_transformer_manager")
VOLATILE = {("sys", "excepthook"), ("sys", "displayhook")}   # IPython swaps them per cell
TRACKED_KINDS = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type,
                 types.MethodType, types.MethodDescriptorType, types.WrapperDescriptorType)


class Refused(PermissionError):
    pass


def _stub(key):
    def shielded(*args, **kwargs):
        box = []
        sys.audit(SHIELD_EVENT, key, args, kwargs, box)
        return box[0]
    shielded.__name__ = key.rsplit(".", 1)[1]
    return shielded


def _module_snapshot():
    """Identity snapshot of the callables, classes and submodules of protected modules."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # some attributes warn when touched
        return _collect_modules()


def _collect_modules():
    snap = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in PROTECTED:
            continue
        entries = {k: v for k, v in vars(module).items()
                   if (isinstance(v, TRACKED_KINDS) or callable(v)) and (name, k) not in VOLATILE}
        snap[name] = (module, entries)
    return snap


class Guard:
    """State and policy of the grading kernel. ``install`` arms it; it cannot be disarmed."""

    def __init__(self, shell, key, channel_fd, protected_dirs, allowed_dirs, private_dirs):
        self._write = os.write                  # captured C functions: patching os is useless
        self._hmac = _hashlib.hmac_digest
        self._sha256 = _hashlib.openssl_sha256
        self._fspath = os.fspath
        self._realpath = os.path.realpath
        self._getframe = sys._getframe
        self._key = key
        self._fd = channel_fd
        self._pid = os.getpid()
        self._root = tuple(d.rstrip("/") + "/" for d in protected_dirs)
        self._allowed = tuple(d.rstrip("/") + "/" for d in allowed_dirs)
        self._private = tuple(d.rstrip("/") + "/" for d in private_dirs)
        self._own = os.getcwd().rstrip("/") + "/"
        self._writable = (self._own, "/tmp/", "/dev/", "/var/tmp/")
        self._shell = shell
        self._shell_state = {name: shell.__dict__.get(name, getattr(shell, name, None))
                             for name in SHELL_ATTRIBUTES}
        self._transformers = (list(shell.input_transformers_cleanup),
                              list(shell.input_transformers_post),
                              list(shell.ast_transformers))
        self._events = {k: list(v) for k, v in shell.events.callbacks.items()}
        self._modules = self._classes = None   # taken at the first cell
        self._cell_prefix = os.path.dirname(shell.compile.get_code_name("", None, 0)) + "/"
        self._check = None                      # the test being watched: dict or None
        self._busy = False
        self._memmove = None
        try:
            import ctypes
            self._memmove = {ctypes.cast(f, ctypes.c_void_p).value
                             for f in (ctypes.memmove, ctypes.memset)}
        except Exception:                        # noqa: BLE001 - ctypes may be absent
            self._memmove = set()

    # ---------------------------------------------------------------- the hook
    def install(self):
        import gc
        self._gc_callbacks = list(gc.callbacks)
        self._shielded = {}
        for (module_name, name), what in SHIELDED.items():
            module = sys.modules.get(module_name) or __import__(module_name)
            key = f"{module_name}.{name}"
            self._shielded[key] = (getattr(module, name), what)
            setattr(module, name, _stub(key))
        sys.addaudithook(self.hook)

    def _call_shielded(self, args):
        key, call_args, call_kwargs, box = args
        real, what = self._shielded[key]
        refuse = self._notebook_running(any_cell=True)
        if key == "_imp.create_builtin":      # importing a new built-in module stays possible
            refuse = refuse and getattr(call_args[0], "name", None) in sys.modules
        if refuse:
            raise Refused(f"the course grader does not allow {what}")
        box.append(real(*call_args, **call_kwargs))

    def hook(self, event, args):
        if self._busy:
            return
        if event == "open":
            self._check_open(args)
        elif event == "sqlite3.connect":
            self._check_open((args[0], "r+", os.O_RDWR))
        elif event == "compile":
            self._on_compile(args)
        elif event == SHIELD_EVENT and len(args) == 4 and args[0] in self._shielded:
            self._call_shielded(args)
        elif event == DONE_EVENT:
            self._busy = True
            try:
                self._on_done(args)
            finally:
                self._busy = False
        elif event in FORBIDDEN:
            raise Refused(f"the course grader does not allow {FORBIDDEN[event]} ({event})")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if args and args[0] not in (self._pid, 0):
                raise Refused("the course grader does not allow signalling other processes")
        elif event == "object.__setattr__" and len(args) > 1 and args[1] in ("__code__",):
            if not self._switched_off_by_a_test():
                raise Refused("the course grader does not allow replacing a function's code")
        elif event == "ctypes.dlsym" and len(args) > 1 and str(args[1]) in RAW_MEMORY_SYMBOLS:
            raise Refused("the course grader does not allow raw memory access through ctypes")
        elif event == "ctypes.call_function" and args and args[0] in self._memmove:
            raise Refused("the course grader does not allow raw memory access through ctypes")
        elif event == "code.__new__" and self._check is not None:
            self._check["tampered"] = "code objects were built while a test ran"
        elif event in ("os.symlink", "os.link"):
            raise Refused("the course grader does not allow making links")
        elif event in CHANGES:
            self._check_change(event, args)
        elif event in LISTINGS and len(args) > LISTINGS[event]:
            self._check_read(args[LISTINGS[event]], "listing")
        elif event in FRAME_EVENTS or (event == "object.__getattr__" and len(args) > 1
                                       and args[1] in FRAME_ATTRIBUTES):
            if self._check is not None and self._frame_asked_by_notebook():
                raise Refused("the course grader does not allow a notebook's code to inspect "
                              f"frames while a test runs ({event} {args[1:2]})")
        elif event == "ctypes.dlsym" and len(args) > 1 and str(args[1]).startswith(("Py", "_Py")):
            raise Refused("the course grader does not allow calling the interpreter through ctypes")

    def _resolve(self, path, entry=False):
        """Absolute path with symlinks resolved (for entry events, all but the last part)."""
        self._busy = True
        try:
            path = os.fsdecode(path) if isinstance(path, bytes) else self._fspath(path)
            if entry:
                parent, name = os.path.split(os.path.abspath(path))
                return os.path.join(self._realpath(parent), name) + "/"
            return self._realpath(path) + "/"
        finally:
            self._busy = False

    def _check_read(self, path, what="reading"):
        if isinstance(path, int) or path is None:
            return
        full = self._resolve(path)
        if full.startswith(self._private) or (full.startswith(self._root)
                                               and not full.startswith(self._allowed)):
            raise Refused(f"the course grader does not allow {what} course files ({path!r})")

    def _check_change(self, event, args):
        written, read = CHANGES[event]
        for i in read:
            if i < len(args):
                self._check_read(args[i])
        for i in written:
            if i >= len(args) or isinstance(args[i], int) or args[i] is None:
                continue
            full = self._resolve(args[i], entry=event in ENTRY_EVENTS)
            if full.startswith(self._private) or not full.startswith(self._writable) or (
                    full.startswith(self._root) and not full.startswith(self._own)):
                raise Refused(f"the course grader only allows changing files inside the "
                              f"submission's folder and the temp dir, not {args[i]!r} ({event})")

    def _frame_asked_by_notebook(self):
        """Was this frame request made by the notebook's own code (not the test being watched),
        directly or through a module that hands frames on?"""
        self._busy = True
        try:
            frame = self._getframe(2)        # 0: here, 1: hook, 2: who asked
            while frame is not None and (frame.f_code.co_filename.endswith(FRAME_HANDLERS) or any(
                    p in frame.f_code.co_filename for p in FRAME_HANDLER_PACKAGES)):
                frame = frame.f_back
            if frame is None:
                return False
            name = frame.f_code.co_filename
            return name.startswith(self._cell_prefix) and name != self._check["filename"]
        finally:
            self._busy = False

    def _switched_off_by_a_test(self):
        """Is this ``__code__`` swap a hidden test's from-scratch check switching a library
        function off, or back on (``book.grading.forbid``, called while a test runs)?"""
        if self._check is None:
            return False
        self._busy = True
        try:
            frame = self._getframe(2)        # 0: here, 1: hook, 2: who asked
            return frame is not None and frame.f_code.co_filename == FORBID_FILE
        finally:
            self._busy = False

    def _notebook_running(self, any_cell=False):
        """Is code from the notebook's cells on this thread's stack (other than the test being
        watched, unless any_cell)?"""
        test = None if any_cell or self._check is None else self._check["filename"]
        self._busy = True
        try:
            frame = self._getframe(2)
            while frame is not None:
                name = frame.f_code.co_filename
                if name.startswith(self._cell_prefix) and name != test:
                    return True
                frame = frame.f_back
            return False
        finally:
            self._busy = False

    def _check_open(self, args):
        path, mode, flags = args[0], args[1], args[2]
        if isinstance(path, int) or path is None:
            return
        self._busy = True
        try:
            full = self._realpath(self._fspath(path) if not isinstance(path, bytes)
                                  else os.fsdecode(path)) + "/"
        finally:
            self._busy = False
        if full.startswith(self._private) or (full.startswith("/proc/") and (
                full.endswith(("/environ/", "/mem/", "/cmdline/")) or "/fd/" in full)):
            raise Refused(f"the course grader does not allow opening {path!r}")
        writing = (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND) or (
            isinstance(mode, str) and any(c in mode for c in "wax+"))
        if writing and (not full.startswith(self._writable) or (
                full.startswith(self._root) and not full.startswith(self._own))):
            raise Refused(f"the course grader only allows writing inside the submission's "
                          f"folder and the temp dir, not {path!r}")
        if full.startswith(self._root) and not full.startswith(self._allowed):
            raise Refused(f"the course grader does not allow opening course files ({path!r})")

    # ---------------------------------------------------------------- integrity
    def _snapshot(self):
        """Record the pristine state at the first cell's compile, before any student code
        runs and while IPython's per-cell traps (builtins, display hook) are in place."""
        self._modules = _module_snapshot()
        classes = list(type(self._shell).__mro__) + [type(sys.stdout)]
        if "torch" in sys.modules:
            classes.append(sys.modules["torch"].Tensor)
        self._classes = {cls: dict(vars(cls)) for cls in classes if cls is not object}

    def _on_compile(self, args):
        source, filename = args[0], args[1]
        if isinstance(source, (bytes, str)):
            text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
            if self._modules is None and isinstance(filename, str) and \
                    filename.startswith(self._cell_prefix):
                self._busy = True
                try:
                    self._snapshot()
                finally:
                    self._busy = False
            if self._check is not None and filename == self._check["filename"]:
                self._check["tampered"] = "code was compiled under the test cell's name"
                return
            if MARKER not in text:
                return
            if not (isinstance(filename, str) and filename.startswith(self._cell_prefix)):
                return
            # a new test starts; a test still being watched never reached its last line
            # (it failed), and its nonce can no longer pass
            line = text[text.index(MARKER) + len(MARKER):].split("\n", 1)[0].split()
            self._busy = True
            try:
                self._reset()
            finally:
                self._busy = False
            self._check = {"nonce": line[0], "nodes": int(line[1]), "compiled": 0,
                           "filename": filename, "tampered": None,
                           "digest": self._sha256(text.strip().encode()).hexdigest()}
        elif self._check is not None:
            self._check["compiled"] += 1
            if self._check["compiled"] > self._check["nodes"]:
                self._check["tampered"] = "extra code was compiled while a test ran"

    def _reset(self):
        """Put back everything the tests rely on, as it was before any student code ran."""
        for name, (module, entries) in self._modules.items():
            sys.modules[name] = module
            namespace = vars(module)
            for key, value in entries.items():
                if namespace.get(key, None) is not value:
                    namespace[key] = value
        for cls, attributes in self._classes.items():
            for key, value in attributes.items():
                if vars(cls).get(key, None) is not value and not key.startswith("__"):
                    setattr(cls, key, value)
        shell = self._shell
        for name, value in self._shell_state.items():
            if name in shell.__dict__ or name == "user_ns":
                shell.__dict__[name] = value
        shell.input_transformers_cleanup[:] = self._transformers[0]
        shell.input_transformers_post[:] = self._transformers[1]
        shell.ast_transformers[:] = self._transformers[2]
        shell.custom_exceptions = ()
        import gc
        gc.callbacks[:] = self._gc_callbacks
        for event_name, callbacks in self._events.items():
            shell.events.callbacks[event_name] = list(callbacks)

    def _tampering(self):
        """Return a description of what changed since the reset, or None."""
        for name, (module, entries) in self._modules.items():
            if sys.modules.get(name) is not module:
                return f"the module {name} was replaced"
            namespace = vars(module)
            for key, value in entries.items():
                if namespace.get(key, None) is not value:
                    return f"{name}.{key} was changed"
        for cls, attributes in self._classes.items():
            for key, value in attributes.items():
                if vars(cls).get(key, None) is not value and not key.startswith("__"):
                    return f"the class {cls.__name__}.{key} was changed"
        for name, value in self._shell_state.items():
            if self._shell.__dict__.get(name, value) is not value:
                return f"the IPython shell's {name} was changed"
        if list(self._shell.ast_transformers) != self._transformers[2]:
            return "an AST transformer was installed"
        import gc
        if gc.callbacks != self._gc_callbacks:
            return "a garbage-collector callback was installed"
        for ident, frame in sys._current_frames().items():
            if ident == _thread.get_ident():
                continue                        # this thread is running the test itself
            while frame is not None:
                if frame.f_code.co_filename.startswith(self._cell_prefix):
                    return "a thread running the notebook's code was alive"
                frame = frame.f_back
        return None

    def _on_done(self, args):
        check, self._check = self._check, None
        nonce = str(args[0]) if args else ""
        if check is None or check["nonce"] != nonce:
            return self._emit("refused", nonce, "", "no test was being watched")
        caller = self._getframe(2)          # 0: _on_done, 1: hook, 2: the test cell
        runner = caller.f_back
        reason = check["tampered"]
        if reason is None and (caller.f_code.co_filename != check["filename"]
                               or caller.f_code.co_name != "<module>"
                               or caller.f_globals is not self._shell_state["user_global_ns"]
                               or runner is None or runner.f_code.co_name != "run_code"):
            reason = "the test's last line was not reached by the test cell itself"
        reason = reason or self._tampering()
        if reason:
            return self._emit("tampered", nonce, check["digest"], reason)
        return self._emit("passed", nonce, check["digest"], "")

    def _emit(self, verdict, nonce, digest, reason):
        message = f"{verdict} {nonce} {digest} {reason}".replace("\n", " ")
        mac = self._hmac(self._key, message.encode(), "sha256").hex()
        self._write(self._fd, f"{mac} {message}\n".encode())
