"""Execute the book's pages in parallel, one kernel per core, into jupyter-book's cache.

``jupyter-book build`` executes the pages one after another. Run first, this module executes
every page whose code is not in the execution cache (``_build/.jupyter_cache``), several at a
time, and stores each result exactly as the build would (myst-nb's reader, the page's own
folder as working directory, the build's cell timeout); the build then takes every page
from the cache. The heaviest pages (by their last recorded time) start first.

    python -m book.execute_pages [--jobs N]
    python -m book.execute_pages --cells chapters/rl/td.md    # each cell's time, nothing cached
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
TIMES = ROOT / "_build" / ".page-seconds.json"    # each page's last time: the next run's order
READER = {"name": "myst_nb_md", "type": "plugin"}


def toc_pages(root=ROOT):
    """The source files of every page of ``_toc.yml``, in the book's order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return [root / f"{name}.md" for name in names]


def execution_settings(root=ROOT):
    """The cell timeout and allow_errors of ``_config.yml``, as the build uses them."""
    execute = yaml.safe_load((root / "_config.yml").read_text()).get("execute", {})
    return execute.get("timeout", 30), execute.get("allow_errors", False)


# numpy's and scipy's BLAS start a thread per core in every kernel: with a kernel per core the
# threads outnumber the cores and wait for each other (two light pages took twice as long side
# by side as one after another). Each kernel gets one, however many run at a time, so that the
# last digits of a page's numbers do not depend on the machine's cores (kernel PCA prints a
# difference of 3.8e-15 on one thread and 3.5e-15 on two).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _one_blas_thread():
    os.environ.update(ONE_THREAD)      # inherited by the kernels this worker starts


def run_page(path, record_timing=False):
    """Run one page in a fresh kernel as the build would: myst-nb's reader, the page's folder
    as working directory, the build's settings. Returns jupyter-cache's ExecutionResult."""
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import myst_nb_reader_plugin

    from .forkserver import ForkKernelManager

    timeout, allow_errors = execution_settings()
    nb = myst_nb_reader_plugin(str(path))
    return single_nb_execution(nb, cwd=str(path.parent), timeout=timeout, allow_errors=allow_errors,
                               meta_override=True, record_timing=record_timing,
                               kernel_manager_class=ForkKernelManager)


def _execute(path, attempts=3):
    """In a worker process: the page executed, its seconds and its error (None if none). A
    kernel that dies before it answers (two kernels starting at once can be handed the same free
    port: "Address already in use") has run no cell, so it is started again, up to ``attempts``
    times."""
    for attempt in range(attempts):
        try:
            result = run_page(path)
        except RuntimeError as error:
            if "before replying to kernel_info" not in str(error) or attempt == attempts - 1:
                raise
            continue
        return result.nb, result.time, result.exc_string


def execute_pages(pages=None, jobs=None, cache_path=CACHE, log=print):
    """Execute the pages missing from the cache, ``jobs`` at a time; return {page: seconds}.

    Raises ``RuntimeError`` naming the pages that failed (their tracebacks are printed)."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from .forkserver import fork_server

    pages = toc_pages() if pages is None else [Path(p).resolve() for p in pages]
    jobs = jobs or int(os.environ.get("COURSE_JOBS", 0)) or os.cpu_count() or 1
    cache = get_cache(str(cache_path))
    todo = []
    for path in pages:
        record = cache.add_nb_to_project(str(path), read_data=READER)
        if cache.get_cached_project_nb(record.pk) is None:
            todo.append(path)
    # the longest first, so that no core is left with one long page at the end: by the last
    # build's times, and where there are none (a new clone), the later parts first, whose
    # pages train larger models
    last = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    order = {path: k for k, path in enumerate(pages)}
    todo.sort(key=lambda p: (-last.get(str(p.relative_to(ROOT)), 0), -order[p]))
    log(f"executing {len(todo)} of {len(pages)} pages, {jobs} at a time")
    # the reference step ./course timed after installing (book.speed), if any: pages in steps
    step = float(os.environ.get("COURSE_REFERENCE_MS", 0)) / 1000
    seconds, failed, started = {}, [], time.perf_counter()
    with fork_server(env={**os.environ, **ONE_THREAD}), \
            ProcessPoolExecutor(max_workers=jobs, initializer=_one_blas_thread) as pool:
        running = {pool.submit(_execute, p): p for p in todo}
        for done in as_completed(running):
            path = running[done]
            name = str(path.relative_to(ROOT))
            nb, took, error = done.result()
            if error:
                failed.append(name)
                log(f"    {name}: FAILED\n{error}")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": took}),
                                        check_validity=False, overwrite=True)
            seconds[name] = took
            log(f"    {name}: {took:.1f} s" + (f" = {took / step:.0f} reference steps" if step else ""))
    log(f"pages executed in {time.perf_counter() - started:.0f} s (one after another: "
        f"{sum(seconds.values()):.0f} s)")
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    TIMES.write_text(json.dumps({**last, **seconds}, indent=1, sort_keys=True))
    if failed:
        raise RuntimeError(f"pages failed to execute: {', '.join(failed)}")
    return seconds


def cell_profile(path, log=print):
    """Execute one page in a fresh kernel (not cached) and print each code cell's time, in
    seconds and in reference steps (``book.speed``), the kernel's start included."""
    from datetime import datetime

    from .forkserver import fork_server
    from .speed import reference_step
    step = reference_step()
    path = Path(path).resolve()
    _one_blas_thread()
    with fork_server():
        result = run_page(path, record_timing=True)
    nb = result.nb
    if result.exc_string:
        log(result.exc_string)
    log(f"{path.relative_to(ROOT)}: {result.time:.1f} s = {result.time / step:.0f} reference steps "
        f"of {1000 * step:.1f} ms")
    cells = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in timing:
            continue
        took = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
                ).total_seconds()
        cells += took
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        log(f"    {took:6.2f} s {took / step:6.0f} steps  {first[:70]}")
    log(f"    kernel start and the rest: {result.time - cells:.2f} s = "
        f"{(result.time - cells) / step:.0f} steps")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None,
                        help="pages at a time (default: COURSE_JOBS, else one per core)")
    parser.add_argument("--cells", nargs="+", metavar="PAGE",
                        help="only time each code cell of these pages (nothing is cached)")
    args = parser.parse_args(argv)
    if args.cells:
        for page in args.cells:
            cell_profile(page, log=lambda line: print(line, flush=True))
        return 0
    try:
        execute_pages(jobs=args.jobs, log=lambda line: print(line, flush=True))
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
