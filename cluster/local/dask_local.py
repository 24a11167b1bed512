#!/usr/bin/env python3
"""Start, check and stop a multi-process Dask cluster on 127.0.0.1.

The cluster is made of the ``dask scheduler`` and ``dask worker`` commands, one
process each (every worker runs under its own nanny, which restarts it if it dies),
all bound to 127.0.0.1. Everything about one cluster lives in a state folder:
``scheduler.json`` (the scheduler file that clients and workers read), one pid file
and one log per process, and the workers' spill folders.

Usage::

    python cluster/local/dask_local.py start --state-dir /tmp/dl-cluster --workers 2
    export DASK_SCHEDULER_ADDRESS=$(python cluster/local/dask_local.py address \\
        --state-dir /tmp/dl-cluster)
    dleverage score data.zarr --out scores.zarr
    python cluster/local/dask_local.py stop --state-dir /tmp/dl-cluster

``start`` returns once all workers have registered with the scheduler (or fails
after ``--timeout`` seconds, stopping what it started) and prints the scheduler
address. ``stop`` sends SIGTERM to the workers and then the scheduler, waits up to
``--grace`` seconds for each, and sends SIGKILL to any still running. It signals
only pids from its own pid files whose command line is a Dask process.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

SCHEDULER_FILE = "scheduler.json"


def _dask_command() -> list[str]:
    here = pathlib.Path(sys.executable).parent
    found = shutil.which("dask", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        sys.exit("error: the 'dask' command was not found; install distributed")
    return [found]


def _tls_flags(args: argparse.Namespace) -> list[str]:
    flags: list[str] = []
    for option in ("tls_ca_file", "tls_cert", "tls_key"):
        value = getattr(args, option)
        if value:
            flags += ["--" + option.replace("_", "-"), os.path.abspath(value)]
    return flags


def _spawn(command: list[str], state: pathlib.Path, name: str) -> int:
    log = open(state / f"{name}.log", "ab")  # noqa: SIM115 (kept by the child)
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    (state / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def _wait_for_file(path: pathlib.Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout:g} s")
        time.sleep(0.1)


def _security(args: argparse.Namespace) -> object:
    from distributed import Security

    if not args.tls_ca_file:
        return None
    return Security(
        tls_ca_file=args.tls_ca_file,
        tls_client_cert=args.tls_cert,
        tls_client_key=args.tls_key,
        require_encryption=True,
    )


def read_address(state: pathlib.Path) -> str:
    """Return the scheduler address stored in the state folder."""
    return json.loads((state / SCHEDULER_FILE).read_text())["address"]


def start(args: argparse.Namespace) -> int:
    """Start the scheduler and the workers, and wait until all workers are up."""
    from distributed import Client

    state = pathlib.Path(args.state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    if (state / "scheduler.pid").exists():
        sys.exit(f"error: {state} holds a running cluster; stop it first")
    (state / SCHEDULER_FILE).unlink(missing_ok=True)
    dask = _dask_command()
    tls = _tls_flags(args)
    scheduler = [
        *dask,
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--dashboard-address",
        "127.0.0.1:0",
        "--scheduler-file",
        str(state / SCHEDULER_FILE),
    ]
    if tls:
        scheduler += ["--protocol", "tls", *tls]
    _spawn(scheduler, state, "scheduler")
    try:
        _wait_for_file(state / SCHEDULER_FILE, args.timeout)
        for index in range(args.workers):
            worker = [
                *dask,
                "worker",
                "--scheduler-file",
                str(state / SCHEDULER_FILE),
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                "127.0.0.1:0",
                "--nthreads",
                str(args.nthreads),
                "--memory-limit",
                args.memory_limit,
                "--local-directory",
                str(state / f"worker-{index}"),
                "--name",
                f"worker-{index}",
                *tls,
            ]
            _spawn(worker, state, f"worker-{index}")
        with Client(
            scheduler_file=str(state / SCHEDULER_FILE),
            security=_security(args),
            timeout=args.timeout,
        ) as client:
            client.wait_for_workers(args.workers, timeout=args.timeout)
    except BaseException:
        _stop(state, args.grace)
        raise
    print(read_address(state))
    return 0


def _is_dask_process(pid: int) -> bool:
    try:
        command = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"dask" in command or b"distributed" in command


def _terminate(pid: int, grace: float) -> None:
    if not _is_dask_process(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _is_dask_process(pid):
            return
        time.sleep(0.1)
    if _is_dask_process(pid):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> None:
    # Children of this process (start failed before returning) must be reaped.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _stop(state: pathlib.Path, grace: float) -> None:
    pid_files = sorted(state.glob("worker-*.pid")) + [state / "scheduler.pid"]
    for pid_file in pid_files:
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        _terminate(pid, grace)
        _reap(pid)
        pid_file.unlink()


def stop(args: argparse.Namespace) -> int:
    """Stop the workers, then the scheduler, of the cluster in the state folder."""
    _stop(pathlib.Path(args.state_dir).resolve(), args.grace)
    return 0


def address(args: argparse.Namespace) -> int:
    """Print the scheduler address."""
    print(read_address(pathlib.Path(args.state_dir).resolve()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the start, stop and address subcommands."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler in (("start", start), ("stop", stop), ("address", address)):
        sub = commands.add_parser(name)
        sub.add_argument("--state-dir", required=True, help="folder of the cluster")
        sub.add_argument("--grace", type=float, default=10.0, help="seconds to wait")
        sub.set_defaults(handler=handler)
        if name != "start":
            continue
        sub.add_argument("--workers", type=int, default=2, help="worker processes")
        sub.add_argument("--nthreads", type=int, default=1, help="threads per worker")
        sub.add_argument("--memory-limit", default="2GiB", help="per worker")
        sub.add_argument("--port", type=int, default=0, help="scheduler port")
        sub.add_argument("--timeout", type=float, default=60.0, help="seconds")
        sub.add_argument("--tls-ca-file", help="CA certificate (PEM)")
        sub.add_argument("--tls-cert", help="certificate of every process (PEM)")
        sub.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
