"""Entry point of the grading kernel: ``python -m book.grading.kernel -f CONNECTION_FILE``.

It limits the process's memory and file sizes, loads the libraries the tests rely on,
starts an ordinary IPython kernel, and arms ``book.grading.guard`` before the first cell.
Settings arrive in environment variables from ``SandboxedKernelManager``; the secret ones
are read and removed before any notebook code runs.
"""
import os
import resource
import sys


def _limit(kind, value):
    if value > 0:
        resource.setrlimit(kind, (value, value))


def main():
    env = os.environ
    _limit(resource.RLIMIT_AS, int(env.pop("COURSE_GRADER_MEMORY", "0")))
    _limit(resource.RLIMIT_FSIZE, int(env.pop("COURSE_GRADER_FILE_SIZE", "0")))
    private = env.pop("COURSE_GRADER_PRIVATE")
    protected = env.pop("COURSE_GRADER_PROTECTED").split(os.pathsep)
    preload = env.pop("COURSE_GRADER_PRELOAD", "").split()
    key_path = os.path.join(private, "key")
    with open(key_path, "rb") as handle:
        key = handle.read()
    os.unlink(key_path)
    channel = os.open(os.path.join(private, "channel"), os.O_WRONLY | os.O_APPEND)

    for name in preload:                 # snapshot these before any student code runs
        try:
            __import__(name)
        except Exception:                # noqa: BLE001 - the notebook will report it itself
            pass
    if "torch" in sys.modules:           # an optimizer's first step imports torch._dynamo, which
        import torch._dynamo  # noqa: F401  re-wraps torch.manual_seed: do it before the snapshot
    try:
        import tqdm
        tqdm.tqdm.monitor_interval = 0   # no monitor thread: threads count as tampering
    except ImportError:
        pass

    import book
    from ipykernel.kernelapp import IPKernelApp

    from . import forbid  # noqa: F401  the hidden tests' from-scratch checks: loaded before the
    from .guard import Guard     # guard counts what a test compiles

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    allowed = [os.getcwd(), os.path.dirname(os.path.abspath(book.__file__)),
               sys.prefix, sys.base_prefix]
    Guard(app.shell, key, channel, protected, allowed, [private]).install()
    app.start()


if __name__ == "__main__":
    main()
