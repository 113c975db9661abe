"""Start the dashboard warm: ``python -m crm_app.serve [--db PATH | --lake DIR] [streamlit options]``.

The same as ``streamlit run app.py``, except that before the server accepts requests it
creates the demo database if needed and computes the default view (see
:mod:`crm_app.warm`), in this process, so the first visitor does not wait for imports and
queries; then, in the background, it prepares the heavy pages' default views into the
results kept beside the database, again after every load. Other options (``--server.port 8502``...) go to ``streamlit run`` unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from .session import DEFAULT_DB, REPO

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m crm_app.serve", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database file (default: $CRM_DB, else the demo database)")
    ap.add_argument("--lake", metavar="DIR", help="a lake folder made by `python -m crm_core build`, in place of --db")
    args, rest = ap.parse_known_args(argv)
    if args.db and args.lake:
        ap.error("give --db or --lake, not both")
    if args.lake:   # the lake's Parquet layers, attached through a small catalog of DuckDB views
        from crm_core.lake.catalog import attach
        os.environ["CRM_DB"] = attach(os.path.abspath(os.path.expanduser(args.lake)))
    elif args.db:
        os.environ["CRM_DB"] = os.path.abspath(os.path.expanduser(args.db))
    path = os.environ.get("CRM_DB") or str(DEFAULT_DB)
    if not os.environ.get("CRM_DB") and not os.path.exists(path):
        from crm_core.demo import generate as demo
        t0 = time.perf_counter()
        demo.generate(path)
        print(f"created the demo database {path} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if os.path.exists(path):
        import logging
        logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)  # "no runtime yet"
        from .warm import entries, warm_default, watch
        secs = warm_default(os.path.realpath(path))
        print(f"warm start: {', '.join(entries()) or 'nothing'} in {secs:.1f} s", file=sys.stderr)
        # The heavy pages' default views, kept beside the database: now (read back if already
        # kept) and after every load, in the background while the server answers.
        if os.environ.get("CRM_PREPARE", "1").strip() != "0":
            watch(os.path.realpath(path))
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(REPO / "app.py"), *rest]
    cli.main()


if __name__ == "__main__":
    main()
