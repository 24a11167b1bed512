"""Entry point of the ``dleverage`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from dleverage._version import __version__
from dleverage.cli import active_learning, demo, info, report, sample, score, update
from dleverage.errors import DleverageError

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

#: Subcommand modules, in the order of the help text. Each has ``add_parser``.
COMMANDS = (score, update, sample, report, info, demo, active_learning)

#: Exit code for invalid input or state (argparse uses it for bad options too).
EXIT_INVALID = 2

#: Exit code after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with all subcommands registered."""
    parser = argparse.ArgumentParser(
        prog="dleverage",
        description="Leverage scores, data values and training subsets of large "
        "matrices on Dask.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log progress (-v: info, -vv: debug) to standard error",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Expected errors (:class:`~dleverage.errors.DleverageError`) print one line to
    standard error and return 2, without a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args))
    except DleverageError as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"dleverage {args.command}: error: {message}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        # Outputs are written under a partial name, so nothing looks complete; a
        # rerun of the same command resumes a score store.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        sys.stderr.write(
            f"dleverage {args.command}: interrupted; no output was completed. Run "
            "the same command again to resume.\n"
        )
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
