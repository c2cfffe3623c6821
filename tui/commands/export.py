"""``modeltrail export DIR``: the catalog's tables as Parquet files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow.parquet as pq

from modeltrail.store.catalog.schema import TABLES, VIEWS
from modeltrail.store.query.queries import catalog_table
from modeltrail.tui.commands._common import catalog

NAME = "export"
HELP = "write the catalog's tables as Parquet files into DIR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir")


def run(args: argparse.Namespace) -> int:
    _repo, con = catalog(args)
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in [*TABLES, *VIEWS]:
        table = catalog_table(con, name)
        pq.write_table(table, out / f"{name}.parquet")
    print(f"wrote {len(TABLES) + len(VIEWS)} Parquet files to {out}")
    return 0
