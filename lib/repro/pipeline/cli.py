"""The ``repro`` command: run notebooks, build the book, manage data.

``repro build`` = ``repro run`` + ``repro book``. Every subcommand takes
``--profile NAME|PATH`` (default ``local``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shlex
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from repro.core.errors import InputError
from repro.core.manifests import DataError, ManifestError
from repro.core.paths import repo_root
from repro.pipeline.layout import BuildFolderError, Layout
from repro.pipeline.params import ParameterError
from repro.pipeline.profiles import DEFAULT_PROFILE, load_profile

log = logging.getLogger("repro")
USER_ERRORS = (InputError, BuildFolderError)
#: Paper subpackages that contribute subcommands (``repro twlv ...``) via ``cli.add_parser``;
#: each leaf parser sets ``func`` to a handler returning the exit code.
PAPER_CLIS = ("repro.twlv.cli", "repro.nash.cli", "repro.crild.cli")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="run only notebooks whose id matches GLOB (repeatable)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="[NB_GLOB:]NAME=VALUE",
        help="override a parameter (VALUE read as YAML), as papermill -p",
    )
    parser.add_argument("-j", "--jobs", type=int, default=1, help="local worker processes")
    parser.add_argument("--force", action="store_true", help="ignore the cache")
    parser.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where notebook jobs run (ray needs the [ray] extra)",
    )
    parser.add_argument(
        "--gpus",
        default="",
        help="GPU ids the local executor hands to jobs that ask for GPUs, e.g. 0,1 "
        "(default: none; such jobs then run on the CPU)",
    )
    parser.add_argument(
        "--address", default=None, help="Ray cluster address for --executor ray (auto or HOST:PORT)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the jobs, their data and estimated cost (GPU-hours, wall time); run nothing",
    )
    parser.add_argument("--json", action="store_true", help="with --dry-run: the plan as JSON")


def _add_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="exit (status 2) instead of waiting when another repro command uses the build folder",
    )


def _make_executor(args: argparse.Namespace):
    if args.executor == "ray":
        from repro.pipeline.ray_executor import RayExecutor

        return RayExecutor(address=args.address)
    from repro.pipeline.execute import LocalExecutor

    gpus = [g.strip() for g in args.gpus.split(",") if g.strip()]
    return LocalExecutor(args.jobs, gpus=gpus)


def _profile_lock(args: argparse.Namespace):
    """The lock of the profile's build folder (one writer at a time)."""
    from repro.pipeline.lock import folder_lock

    root = Layout.for_profile(load_profile(args.profile).name).root
    return folder_lock(root, args.wait, command=getattr(args, "command_line", None))


def _html_lock(args: argparse.Namespace):
    """The lock of ``book/_build`` (shared by every profile's book build)."""
    from repro.core.paths import build_root
    from repro.pipeline.lock import folder_lock

    html = repo_root() / "book" / "_build"
    command = getattr(args, "command_line", None)
    return folder_lock(build_root() / "book-html", args.wait, command=command, label=str(html))


def _dry_run(args: argparse.Namespace) -> int:
    """``--dry-run``: the plan (:mod:`repro.pipeline.plan`), without locks or execution."""
    from repro.pipeline import plan

    the_plan = plan.make_plan(load_profile(args.profile), args.jobs, args.only, args.parameter)
    print(plan.dumps(the_plan) if args.json else plan.format_plan(the_plan))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.dry_run:
        return _dry_run(args)
    with _profile_lock(args):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from repro.pipeline.runner import format_table, run_profile

    outcomes = run_profile(
        args.profile, args.only, args.parameter, args.jobs, args.force, _make_executor(args)
    )
    print(format_table(outcomes))
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def cmd_book(args: argparse.Namespace) -> int:
    with _profile_lock(args), _html_lock(args):
        return _book(args)


def _book(args: argparse.Namespace) -> int:
    from repro.pipeline.book import BookBuildError, build

    profile = load_profile(args.profile)
    layout = Layout.for_profile(profile.name)
    layout.ensure_writable()
    layout.recover()  # artifacts an interrupted publish set aside
    try:
        index, rebuilt = build(profile, layout, force=getattr(args, "force_book", False))
    except BookBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "built" if rebuilt else "up to date"
    print(f"Book {state}: {index.relative_to(repo_root())}  (open it in a browser)")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    if args.dry_run:
        return _dry_run(args)
    start = time.perf_counter()
    with _profile_lock(args):
        code = _run(args)  # a failing notebook does not stop the book: it shows a failure page
        with _html_lock(args):
            book_code = _book(args)
    print(f"Total {time.perf_counter() - start:.1f} s")
    return code or book_code


def cmd_status(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    layout = Layout.for_profile(profile.name)
    status = layout.read_status()
    width = max(len(nb) for nb in profile.notebooks)
    print(f"{'notebook':<{width}}  {'last run':<8}  {'seconds':>8}  finished (UTC)")
    for nb in profile.notebooks:
        rec = status.get(nb, {})
        print(
            f"{nb:<{width}}  {rec.get('status', 'never'):<8}  {rec.get('seconds', 0):>8.1f}  "
            f"{rec.get('finished_utc', '-')}"
        )
        if rec.get("status") == "failed":
            first_line = (rec.get("error") or "").splitlines()[0]
            print(f"{'':<{width}}  -> {rec.get('executed')}: {first_line}")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    root = repo_root()
    targets = [Layout.for_profile(load_profile(args.profile).name).root, root / "book" / "_build"]
    with _profile_lock(args), _html_lock(args):
        for target in targets:
            if target.exists():
                shutil.rmtree(target)
                print(f"removed {target}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from repro.core import manifests

    entries = manifests.load_all()
    if args.data_command == "list":
        for entry in entries.values():
            files = len(entry.files)
            where = f"{files} file(s)" if entry.kind != "synthetic" else "generated"
            print(f"{entry.name:<40} {entry.kind:<11} {where:<12} {entry.manifest.name}")
        return 0
    if args.data_command == "rehearse":
        return _rehearse(args, entries)
    profile = load_profile(args.profile) if args.profile else None
    data_dir = args.data_dir or (profile.data_dir if profile else None)
    names = args.names or (
        (profile.data_names() if profile else list(entries))
        if args.data_command == "verify"
        else []
    )
    if not names:
        raise ParameterError("repro data fetch: name at least one entry (see `repro data list`)")
    for name in names:
        if name not in entries:
            raise ManifestError(f"no data-manifest entry named '{name}' (see `repro data list`)")
    if args.data_command == "fetch":  # refuse before anything is downloaded
        manifests.check_free_space([entries[n] for n in names], data_dir)
    failed = 0
    for name in names:
        action = manifests.fetch if args.data_command == "fetch" else manifests.verify
        try:
            for path, state in action(entries[name], data_dir):
                print(f"{name}: {path}: {state}")
        except DataError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
    return 1 if failed else 0


def _rehearse(args: argparse.Namespace, entries: dict) -> int:
    """``repro data rehearse``: stand-ins for every entry the paper profile's notebooks read."""
    from repro.core import rehearse
    from repro.pipeline.lock import folder_lock

    dest = (args.dest or rehearse.default_dest()).resolve()
    names = args.names or load_profile(args.profile or "paper").data_names()
    with folder_lock(dest, args.wait, command=getattr(args, "command_line", None)):
        done = rehearse.rehearse(names, entries, dest, seed=args.seed)
    print("\n".join(done.summary()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="repro", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_profile(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--profile",
            default=DEFAULT_PROFILE,
            help="profile name (smoke, local, paper) or path to a YAML file",
        )
        return p

    run = with_profile(sub.add_parser("run", help="execute the notebooks of a profile"))
    _add_run_options(run)
    _add_wait_option(run)
    run.set_defaults(func=cmd_run)
    book = with_profile(sub.add_parser("book", help="build the book from what ran"))
    book.add_argument("--force", dest="force_book", action="store_true", help="rebuild anyway")
    _add_wait_option(book)
    book.set_defaults(func=cmd_book)
    build = with_profile(sub.add_parser("build", help="run, then build the book"))
    _add_run_options(build)
    _add_wait_option(build)
    build.set_defaults(func=cmd_build)
    with_profile(sub.add_parser("status", help="last run per notebook")).set_defaults(
        func=cmd_status
    )
    clean = with_profile(sub.add_parser("clean", help="remove a profile's build and the HTML"))
    _add_wait_option(clean)
    clean.set_defaults(func=cmd_clean)
    data = sub.add_parser("data", help="list, fetch or verify data-manifest entries")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    data_sub.add_parser("list", help="every entry")
    for name, text in (("fetch", "download and verify"), ("verify", "check checksums")):
        action = data_sub.add_parser(name, help=text)
        action.add_argument("names", nargs="*")
        action.add_argument(
            "--profile",
            default=None,
            help="use this profile's data_dir (and, for verify, its entries when none are named)",
        )
        action.add_argument(
            "--data-dir", type=Path, default=None, help="data folder (default $REPRO_DATA_DIR)"
        )
    rehearse = data_sub.add_parser(
        "rehearse", help="write tiny stand-ins for the paper profile's data (never paper numbers)"
    )
    rehearse.add_argument("names", nargs="*", help="entries (default: the profile's)")
    rehearse.add_argument(
        "--dest", type=Path, default=None, help="folder (default <build>/rehearsal/data)"
    )
    rehearse.add_argument(
        "--profile", default=None, help="profile whose data entries to rehearse (default paper)"
    )
    rehearse.add_argument("--seed", type=int, default=0, help="seed passed to every writer")
    _add_wait_option(rehearse)
    data.set_defaults(func=cmd_data)
    for module_name in PAPER_CLIS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = "repro " + shlex.join(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="repro: %(message)s",
        stream=sys.stderr,
    )
    # papermill logs every notebook it inspects at INFO; our own progress lines suffice.
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
