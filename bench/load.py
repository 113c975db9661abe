"""Many sessions at once, at the protocol level: what the server does, not what browsers cost.

    python bench/load.py [--db /tmp/crm-bench.duckdb] [--sessions 10 20 50] [--seconds 60]
                         [--think 2.0] [--no-upload]

A real server (``python -m crm_app.serve``, the README's command) on a copy of the benchmark
database. Each session is a scripted client of Streamlit's own websocket protocol (the
messages a browser tab sends: connect, then "run the script for this page"), written with
the ``websockets`` package and Streamlit's protobuf classes, so fifty sessions cost this
machine almost nothing and the two cores serve the app. Every session opens the Overview,
then Segments, then the Overview... for ``--seconds``, pausing ``--think`` seconds (seeded
jitter of +-50%) between pages, the sessions starting spread over the first ``--think``
seconds; ``--think 0`` is a stress test (every session asks again the moment its page is
done). Meanwhile one browser uploads a 1M-row transactions CSV on the Upload page (a
load in progress the whole time; ``--no-upload`` leaves it out).

Reported per page, per session count, and apart for the runs that started while the upload
was loading and those after it (the load's new data version makes every session's next
page compute its figures afresh, as it must): page runs, p50/p95/max of the run time (from
sending "run" to Streamlit's "script finished", over loopback: the server's run time plus
a few milliseconds of transfer), errors (an exception or an error box on the page, a page
not found, a run that did not finish: none allowed), and the server's peak memory (VmHWM).
Target (issue 22): 20 sessions, p95 <= 1.5 s per page run, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from browser import start_server, upload_file  # noqa: E402

PAGES = (("", "Overview"), ("segments", "Segments"))
TARGET_SESSIONS, TARGET_P95 = 20, 1.5
RUN_TIMEOUT = 120.0


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)   # "Overview, loading" -> run seconds
    errors: list[str] = field(default_factory=list)


def _rerun(port: int, path: str) -> bytes:
    msg = BackMsg(rerun_script=ClientState(
        query_string="", page_name=path,
        context_info=ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US",
                                 url=f"http://127.0.0.1:{port}/{path}")))
    return msg.SerializeToString()


async def _run_page(ws, port: int, path: str) -> tuple[float, list[str]]:
    """Ask for one page run; (seconds until "script finished", problems seen on the page)."""
    problems: list[str] = []
    t0 = time.perf_counter()
    await ws.send(_rerun(port, path))
    while True:
        raw = await asyncio.wait_for(ws.recv(), RUN_TIMEOUT)
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            which = el.WhichOneof("type")
            if which == "exception":
                problems.append(f"exception: {el.exception.type}: {el.exception.message[:120]}")
            elif which == "alert" and el.alert.format == 1:    # an error box
                problems.append(f"error box: {el.alert.body[:120]}")
        elif kind == "page_not_found":
            problems.append(f"page not found: {path!r}")
        elif kind == "script_finished":
            if fm.script_finished == 2:      # stopped early for a newer run: not a finished page
                continue
            return time.perf_counter() - t0, problems


async def _session(i: int, port: int, until: float, think: float, tally: Tally,
                   loading: Callable[[], bool] = lambda: False) -> None:
    rng = random.Random(i)
    await asyncio.sleep(rng.uniform(0, think))
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                      origin=f"http://127.0.0.1:{port}", max_size=None,
                                      open_timeout=60) as ws:
            n = 0
            while time.perf_counter() < until:
                path, name = PAGES[n % len(PAGES)]
                n += 1
                phase = "during the upload" if loading() else "no upload"
                try:
                    secs, problems = await _run_page(ws, port, path)
                except asyncio.TimeoutError:
                    tally.errors.append(f"session {i}: {name} did not finish in {RUN_TIMEOUT:.0f} s")
                    return
                tally.times.setdefault(f"{name}, {phase}", []).append(secs)
                tally.errors += [f"session {i} {name}: {p}" for p in problems]
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
    except (OSError, websockets.WebSocketException) as exc:
        tally.errors.append(f"session {i}: {type(exc).__name__}: {exc}")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _warm(port: int) -> None:
    """One session opens both pages first: the comparison is of concurrent use, not of a cold cache."""
    tally = Tally()
    asyncio.run(_session(10_000, port, time.perf_counter() + 0.1, 0.0, tally))
    if tally.errors:
        raise SystemExit(f"warm-up failed: {tally.errors[:3]}")


UPLOADER = """
import sys, time
from playwright.sync_api import sync_playwright
port, src = sys.argv[1], sys.argv[2]
from crm_core.i18n import catalogue
EN = catalogue("en")
with sync_playwright() as pw:
    b = pw.chromium.launch(executable_path="/usr/bin/chromium")
    page = b.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"http://127.0.0.1:{port}/upload")
    page.get_by_text(EN["upload.history"]).first.wait_for(timeout=120_000)
    t0 = time.perf_counter()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(src)
    page.get_by_text(EN["upload.mapping"]).first.wait_for(timeout=300_000)
    print("uploading", flush=True)
    page.get_by_role("button", name=EN["upload.load"], exact=True).click()
    page.get_by_text(EN["upload.rows_loaded"]).first.wait_for(timeout=900_000)
    print(f"loaded {time.perf_counter() - t0:.1f}", flush=True)
    b.close()
"""


def run(db: str, sessions: int, seconds: float, think: float, upload: bool, profile: str | None = None) -> bool:
    work = Path(tempfile.mkdtemp(prefix="crm-bench-load-"))
    copy = work / "bench.duckdb"
    shutil.copy(db, copy)
    src = upload_file(db) if upload else None
    server, port = start_server(str(copy))
    uploader = None
    try:
        _warm(port)
        if src is not None:
            uploader = subprocess.Popen([sys.executable, "-c", UPLOADER, str(port), str(src)], stdout=subprocess.PIPE,
                                        text=True, cwd=REPO)
            assert uploader.stdout is not None and uploader.stdout.readline().strip() == "uploading"
        tally = Tally()
        until = time.perf_counter() + seconds
        spy = None
        if profile:   # where the server's time goes (py-spy, a separate tool: pip install py-spy)
            spy = subprocess.Popen(["py-spy", "record", "-p", str(server.pid), "-d", str(int(seconds)), "-r", "50",
                                    "-f", "raw", "-o", f"{profile}-{sessions}.txt", "--nonblocking"])

        def loading() -> bool:
            return uploader is not None and uploader.poll() is None

        async def everyone() -> None:
            await asyncio.gather(*(_session(i, port, until, think, tally, loading) for i in range(sessions)))

        asyncio.run(everyone())
        if spy is not None:
            spy.wait(60)
        upload_note = ""
        if uploader is not None:
            still = uploader.poll() is None
            upload_note = "; the upload was still loading at the end" if still else ""
            if not still:
                out = uploader.stdout.read() if uploader.stdout else ""
                upload_note = f"; the upload finished meanwhile ({out.strip()} s)"
        peak = _peak_rss_mb(server.pid)
    finally:
        if uploader is not None:
            uploader.kill()
            uploader.wait()
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    ok = not tally.errors
    rows: list[tuple[str, list[float]]] = []
    for name in (n for _, n in PAGES):   # every run of the page (the target), then by phase
        rows.append((name, [x for key, times in tally.times.items() if key.startswith(f"{name}, ") for x in times]))
        rows += [(f"  {key.split(', ', 1)[1]}", times) for key, times in sorted(tally.times.items())
                 if key.startswith(f"{name}, ")]
    for name, times in rows:
        p95 = _pct(times, 0.95)
        judged = sessions == TARGET_SESSIONS and not name.startswith(" ")
        met = not judged or p95 <= TARGET_P95
        ok &= met
        print(f"{sessions:>8} {name:<22}{len(times):>6}{statistics.median(times) if times else float('nan'):>8.2f}"
              f"{p95:>8.2f}{max(times, default=float('nan')):>8.2f}{len(tally.errors):>8}{peak:>10.0f}"
              f"  {'' if not judged else ('ok' if met and not tally.errors else 'MISSED')}")
    if tally.errors:
        print("   first errors: " + " | ".join(tally.errors[:5]))
    print(f"   ({seconds:.0f} s, think {think:.1f} s{upload_note})")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/crm-bench.duckdb")
    ap.add_argument("--sessions", type=int, nargs="+", default=[10, 20, 50])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, default=2.0, help="seconds between a session's pages (0: stress)")
    ap.add_argument("--no-upload", action="store_true")
    ap.add_argument("--profile", metavar="PREFIX", help="record the server with py-spy to PREFIX-<sessions>.txt "
                                                          "(collapsed stacks)")
    args = ap.parse_args()
    print(f"{'sessions':>8} {'page':<22}{'runs':>6}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'errors':>8}{'peak MB':>10}")
    ok = True
    for n in args.sessions:
        ok &= run(args.db, n, args.seconds, args.think, not args.no_upload, args.profile)
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
