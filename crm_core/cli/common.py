"""Pieces shared by the command-line modules: argument types, the filter options, printing."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

__all__ = ["_date", "_filter_args", "_positive", "_print", "_print_frame", "_print_with_rows"]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", action="append", default=[], help="filter; repeatable")
    p.add_argument("--channel", action="append", default=[], help="filter; repeatable")
    p.add_argument("--customer-type", action="append", default=[], help="filter; repeatable")
    p.add_argument("--json", action="store_true")


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
        return
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k:<22} {v}")
        else:
            print(f"{key:<24} {value}")


def _print_with_rows(doc: dict[str, Any], rows: str, as_json: bool) -> None:
    """A document whose ``rows`` key is a list of records: JSON, or key=value lines."""
    if as_json:
        _print(doc, True)
        return
    _print({k: v for k, v in doc.items() if k != rows}, False)
    print(f"{rows}:")
    for row in doc[rows]:
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))


def _print_frame(df: Any, as_json: bool) -> None:
    """A table: JSON records (ISO dates), or aligned text."""
    print(df.to_json(orient="records", date_format="iso", force_ascii=False) if as_json else df.to_string(index=False))
