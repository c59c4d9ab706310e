"""The ``riskkit`` command line: ``riskkit --version``, ``riskkit datasets``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import riskkit


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riskkit",
        description="Portfolio risk balancing and rebalancing: datasets and reports.",
    )
    parser.add_argument("--version", action="version", version=f"riskkit {riskkit.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    ds = sub.add_parser(
        "datasets", help="list the bundled datasets", description="List the bundled datasets."
    )
    ds.add_argument("--info", metavar="NAME", help="show the provenance of one dataset")
    ds.add_argument(
        "--regenerate",
        metavar="DIR",
        help="write the simulated datasets into DIR (byte-identical to the bundled files)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "datasets":
        return _datasets(args)
    return 2  # pragma: no cover  (argparse rejects unknown commands)


def _datasets(args: argparse.Namespace) -> int:
    import pandas as pd

    from riskkit import datasets
    from riskkit.exceptions import RiskkitError

    try:
        if args.regenerate:
            path = datasets.write_simulated(args.regenerate)
            print(f"wrote {path}")
            return 0
        if args.info:
            d = datasets.info(args.info)
            for key in (
                "name",
                "title",
                "description",
                "source",
                "licence",
                "simulated",
                "periods_per_year",
            ):
                print(f"{key:>17}: {getattr(d, key)}")
            print(f"{'file':>17}: {datasets.data_dir() / d.file}")
            return 0
    except RiskkitError as exc:
        print(f"riskkit: error: {exc}", file=sys.stderr)
        return 2
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(datasets.list_datasets().to_string())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
