"""Drive LibreOffice Calc headless: our real spreadsheet client outside Excel.

Tests (and the docs-rendering step) use this to open a workbook the way a person's
spreadsheet program would: list and run its VBA macros, see its buttons, recalculate
its formulas, print sheets to PNG/PDF and convert it.

How a call works: LibreOffice's Python-UNO bridge only loads into the Python it was
built for (Debian's ``/usr/bin/python3`` with ``python3-uno``), not into our venv. So
each call

1. copies the document into a fresh temporary directory (LibreOffice would leave a
   ``.~lock`` file beside the original otherwise, and nothing here ever saves over it),
2. starts ``soffice --headless`` there with a throwaway profile
   (``-env:UserInstallation=file:///tmp/...``, VBA import and execution switched on)
   listening on a private pipe, in its own process group,
3. runs the small UNO client :mod:`tools.uno_client` (copied to the temp dir) with the
   UNO Python; it opens the copy with macro execution allowed
   (``MacroExecutionMode = ALWAYS_EXECUTE_NO_WARN``), performs the requested
   operations, writes a JSON answer, and closes LibreOffice,
4. waits for soffice to exit (killing its process group if it does not), removes the
   temp dir and returns the answer, or raises :class:`LibreOfficeError`.

Every call has a timeout (``timeout=`` seconds, default :data:`DEFAULT_TIMEOUT`).
Environment overrides: ``CB_SOFFICE`` (the soffice executable), ``CB_UNO_PYTHON``
(a Python that can ``import uno``).

Debian packages needed: ``libreoffice-calc-nogui`` (brings ``python3-uno``),
``poppler-utils`` (``pdftoppm``, for PNG rendering) and ``fonts-noto-cjk`` (so that
Chinese text renders as glyphs, not boxes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TIMEOUT",
    "UNO_CLIENT_PATH",
    "LibreOfficeError",
    "VbaCompileReport",
    "convert",
    "find_soffice",
    "find_uno_python",
    "list_buttons",
    "list_vba_modules",
    "read_cells",
    "recalculate_and_read",
    "render",
    "run_vba_sub",
    "vba_compile_report",
    "vba_module_sources",
]

#: Seconds one call may take, LibreOffice start-up included.
DEFAULT_TIMEOUT = 120.0

#: A cell as ``(sheet name, cell address)``, e.g. ``("Dashboard", "B3")``.
Cell = tuple[str, str]


class LibreOfficeError(RuntimeError):
    """LibreOffice is missing, failed, timed out, or the document did not do as asked."""


# --- locating the programs --------------------------------------------------------


def find_soffice() -> str | None:
    """The ``soffice`` executable, or ``None`` when LibreOffice is not installed."""
    override = os.environ.get("CB_SOFFICE")
    if override:
        return override if Path(override).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates = [
        "/usr/lib/libreoffice/program/soffice",
        "/opt/libreoffice/program/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
        r"C:\Program Files\LibreOffice\program\soffice.exe",
    ]
    candidates += sorted(str(p) for p in Path("/opt").glob("libreoffice*/program/soffice"))
    for candidate in candidates:
        if Path(candidate).is_file():
            return candidate
    return None


def find_uno_python() -> str | None:
    """A Python interpreter that can ``import uno``, or ``None``."""
    override = os.environ.get("CB_UNO_PYTHON")
    if override:
        return override
    candidates: list[str] = [sys.executable]
    soffice = find_soffice()
    if soffice:
        program = Path(soffice).resolve().parent
        # LibreOffice's own builds (Windows, macOS, TDF .deb/.rpm) bundle a Python.
        candidates += [str(program / "python"), str(program / "python.exe")]
    candidates += ["/usr/bin/python3", "/usr/local/bin/python3"]
    for candidate in candidates:
        if Path(candidate).is_file() and _can_import_uno(candidate):
            return candidate
    return None


@cache
def _can_import_uno(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", "import uno"],
            capture_output=True,
            timeout=30,
            env=_clean_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


# --- the public calls -----------------------------------------------------------


def list_vba_modules(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> list[str]:
    """Names of the modules LibreOffice imported into the document's ``VBAProject``
    Basic library (standard and document modules), sorted; ``[]`` if it has none."""
    (answer,) = _run(path, [{"op": "modules"}], timeout=timeout)
    return sorted(answer)


def vba_module_sources(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> dict[str, str]:
    """Module name -> Basic source as LibreOffice holds it after import (it adds
    ``Option VBASupport 1`` and may comment lines out: useful to see what it did)."""
    (answer,) = _run(path, [{"op": "module_sources"}], timeout=timeout)
    return dict(answer)


def run_vba_sub(
    path: str | os.PathLike[str],
    macro: str,
    read_cells: Sequence[Cell] = (),
    *,
    skip_modules: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[Cell, Any]:
    """Run the VBA Sub ``macro`` ("Module.Sub") and return ``read_cells``' values after.

    The Sub's script URL
    (``vnd.sun.star.script:VBAProject.Module.Sub?language=Basic&location=document``,
    what LibreOffice binds buttons to) is resolved through the document's script
    provider, and the Sub is then called from a small probe module inserted into the
    loaded copy, so that a Basic run-time error comes back as a
    :class:`LibreOfficeError` instead of vanishing (headless LibreOffice shows
    errors in message boxes nobody sees).

    ``skip_modules`` are removed from the loaded copy's ``VBAProject`` library first.
    LibreOffice Basic compiles a library as a whole, and a module it cannot compile
    (xlwings' own ``xlwings`` module is one: see :func:`vba_compile_report`) stops
    every macro of the library from running; that raises a :class:`LibreOfficeError`
    naming the modules to skip. The document is never saved. Values are read as in
    :func:`recalculate_and_read`.
    """
    module, sub = _macro_parts(macro)
    answers = _run(
        path,
        [
            {"op": "run", "module": module, "sub": sub, "skip": list(skip_modules)},
            {"op": "read", "cells": [list(c) for c in read_cells]},
        ],
        timeout=timeout,
    )
    return _cells_dict(read_cells, answers[1])


@dataclass(frozen=True)
class VbaCompileReport:
    """Whether LibreOffice Basic compiles a document's VBA (see :func:`vba_compile_report`)."""

    #: The whole ``VBAProject`` library compiles (so its macros can run).
    library: bool
    #: Module name -> it compiles on its own (in a scratch library).
    modules: dict[str, bool]


def vba_compile_report(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> VbaCompileReport:
    """Ask LibreOffice whether the ``VBAProject`` library compiles, and each module alone.

    LibreOffice Basic ignores ``#If``/``#Else``/``#End If`` (both branches are compiled)
    and does not know ``Declare PtrSafe``, so e.g. xlwings' module does not compile.
    """
    (answer,) = _run(path, [{"op": "compile_report"}], timeout=timeout)
    return VbaCompileReport(library=bool(answer["library"]), modules=dict(answer["modules"]))


def list_buttons(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> list[dict[str, Any]]:
    """Every shape on every sheet's draw page that is a form control or has a macro.

    Each entry: ``sheet``, ``name``, ``kind`` ("control" or "shape"), ``shape_type``,
    ``label`` (the button caption, or ``None``), ``control`` (the control model's
    service, e.g. ``com.sun.star.form.component.CommandButton``) and ``macros``: a list
    of ``{"event", "script_type", "script"}`` with the script URL LibreOffice bound,
    e.g. ``vnd.sun.star.script:VBAProject.CustomerBook.CB_RefreshAll?language=Basic&location=document``.
    """
    (answer,) = _run(path, [{"op": "buttons"}], timeout=timeout)
    return list(answer)


def recalculate_and_read(
    path: str | os.PathLike[str], cells: Sequence[Cell], *, timeout: float = DEFAULT_TIMEOUT
) -> dict[Cell, Any]:
    """Load the document, recalculate everything (``calculateAll``), read ``cells``.

    A value is ``None`` (empty cell), a ``float`` (number, date serial, boolean), or a
    ``str``: text, or for a formula error its text as LibreOffice shows it (``"#DIV/0!"``,
    ``"#NAME?"``, or ``"Err:NNN"`` for errors only LibreOffice has).
    """
    answers = _run(
        path,
        [{"op": "calculate"}, {"op": "read", "cells": [list(c) for c in cells]}],
        timeout=timeout,
    )
    return _cells_dict(cells, answers[1])


def read_cells(
    path: str | os.PathLike[str], cells: Sequence[Cell], *, timeout: float = DEFAULT_TIMEOUT
) -> dict[Cell, Any]:
    """Load the document and read ``cells`` as LibreOffice shows them on opening, without
    asking it to recalculate (what a person sees: saved results, and whatever LibreOffice
    computes on load). Values as in :func:`recalculate_and_read`."""
    answers = _run(path, [{"op": "read", "cells": [list(c) for c in cells]}], timeout=timeout)
    return _cells_dict(cells, answers[0])


def render(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    sheets: Sequence[str],
    fmt: str = "png",
    dpi: int = 110,
    *,
    print_controls: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Path]:
    """Print each named sheet as it prints (its page setup, print ranges, scaling) and
    save its first page to ``out_dir/<sheet>.png`` (``fmt="png"``, at ``dpi``) or the
    whole printout to ``out_dir/<sheet>.pdf`` (``fmt="pdf"``). Returns the files in
    the order of ``sheets``.

    Only the named sheet is printed: the others are hidden in the loaded copy (hidden
    sheets do not print), so formulas referring to them keep working. The file name is
    the sheet name with characters unsafe in file names replaced by ``_``.

    Form buttons made by xlsxwriter's ``insert_button`` are not printable (as in
    Excel); ``print_controls=True`` prints them too (for screenshots in the docs).
    """
    if fmt not in ("png", "pdf"):
        raise ValueError(f"fmt must be 'png' or 'pdf', not {fmt!r}")
    if not sheets:
        return []
    pdftoppm = shutil.which("pdftoppm") if fmt == "png" else None
    if fmt == "png" and pdftoppm is None:
        raise LibreOfficeError("pdftoppm is not installed (Debian package poppler-utils)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = [_safe_file_stem(sheet) for sheet in sheets]
    if len(set(names)) != len(names):
        raise ValueError(f"two sheets give the same file name: {names}")

    with tempfile.TemporaryDirectory(prefix="cb-render-") as tmp:
        pdfs = [Path(tmp) / f"sheet{i}.pdf" for i in range(len(sheets))]
        _run(
            path,
            [
                {
                    "op": "export_sheet_pdf",
                    "sheet": sheet,
                    "out": pdf.as_uri(),
                    "print_controls": print_controls,
                }
                for sheet, pdf in zip(sheets, pdfs, strict=True)
            ],
            timeout=timeout,
        )
        results: list[Path] = []
        for sheet, name, pdf in zip(sheets, names, pdfs, strict=True):
            if not pdf.is_file() or pdf.stat().st_size == 0:
                raise LibreOfficeError(f"LibreOffice printed nothing for sheet {sheet!r}")
            if fmt == "pdf":
                target = out / f"{name}.pdf"
                shutil.copyfile(pdf, target)
            else:
                target = out / f"{name}.png"
                stem = Path(tmp) / f"page{len(results)}"
                command = [pdftoppm, "-png", "-r", str(int(dpi)), "-f", "1", "-l", "1"]
                command += ["-singlefile", str(pdf), str(stem)]
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
                produced = stem.with_suffix(".png")
                if done.returncode != 0 or not produced.is_file():
                    raise LibreOfficeError(
                        f"pdftoppm failed on sheet {sheet!r}: {done.stderr.strip()}"
                    )
                shutil.move(produced, target)
            results.append(target)
    return results


#: Export filters by file extension, for :func:`convert`.
_FILTERS: dict[str, tuple[str, str | None]] = {
    ".pdf": ("calc_pdf_Export", None),
    # separator ",", text delimiter '"', UTF-8 (76), row 1, -, language 0, quote only
    # text that needs it, -, cells as shown, no formulas, no space trimming; first sheet
    ".csv": ("Text - txt - csv (StarCalc)", "44,34,76,1,,0,false,true,true,false,false"),
    ".xlsx": ("Calc Office Open XML", None),
    ".xlsm": ("Calc MS Excel 2007 VBA XML", None),
    ".xls": ("MS Excel 97", None),
    ".ods": ("calc8", None),
    ".html": ("HTML (StarCalc)", None),
}


def convert(
    path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Save a copy of the document in the format of ``out_path``'s extension (.pdf,
    .csv (first sheet, UTF-8), .xlsx, .xlsm, .xls, .ods, .html); returns ``out_path``."""
    target = Path(out_path).resolve()
    try:
        filter_name, options = _FILTERS[target.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"cannot convert to {target.suffix or 'a file without extension'}; "
            f"known: {', '.join(sorted(_FILTERS))}"
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(
        path,
        [{"op": "store", "out": target.as_uri(), "filter": filter_name, "options": options}],
        timeout=timeout,
    )
    if not target.is_file():
        raise LibreOfficeError(f"LibreOffice wrote no {target}")
    return target


# --- the machinery --------------------------------------------------------------


_BASIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _macro_parts(macro: str) -> tuple[str, str]:
    parts = macro.split(".")
    if len(parts) != 2 or not all(_BASIC_NAME.match(part) for part in parts):
        raise ValueError(f"macro must be 'Module.Sub' (plain VBA names), not {macro!r}")
    return parts[0], parts[1]


def _cells_dict(cells: Sequence[Cell], values: list[Any]) -> dict[Cell, Any]:
    return {(sheet, ref): value for (sheet, ref), value in zip(cells, values, strict=True)}


def _safe_file_stem(name: str) -> str:
    stem = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "_", name).strip().strip(".")
    return stem or "sheet"


def _clean_env() -> dict[str, str]:
    """Our environment minus what would make Debian's Python load our venv's packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    return env


_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Load" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Executable" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Linguistic/General"><prop oor:name="DefaultLocale_CJK" oor:op="fuse"><value>zh-CN</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Recovery/AutoSave"><prop oor:name="Enabled" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


@contextmanager
def _soffice(workdir: Path, timeout: float) -> Iterator[str]:
    """Start soffice with a fresh profile listening on a pipe; yield the pipe name."""
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError(
            "LibreOffice (soffice) is not installed; on Debian: "
            "apt-get install libreoffice-calc-nogui"
        )
    profile = workdir / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, "utf-8")
    pipe = f"cb_lo_{uuid.uuid4().hex}"
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--norestore",
        "--nolockcheck",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ]
    log = (workdir / "soffice.log").open("wb")
    env = _clean_env()
    env["HOME"] = str(workdir)  # keep fontconfig caches etc. away from the real home
    env.setdefault("SAL_USE_VCLPLUGIN", "svp")
    try:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        log.close()
        raise LibreOfficeError(f"cannot start {soffice}: {exc}") from exc
    try:
        yield pipe
    except BaseException:
        _stop(process, grace=0.0)  # timed out or failed: do not wait for it
        raise
    else:
        _stop(process, grace=min(15.0, max(timeout, 1.0)))
    finally:
        log.close()


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """Let soffice finish closing (the client asked it to), then end its process group."""
    if grace > 0:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # soffice's wrapper script and oosplash start soffice.bin in the same new session:
    # end whatever is left of that group (ours alone: its id is the process we started).
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        time.sleep(0.3)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _run(path: str | os.PathLike[str], ops: list[dict[str, Any]], *, timeout: float) -> list[Any]:
    """Run ``ops`` on a copy of the document in a fresh LibreOffice; their answers."""
    source = Path(path)
    if not source.is_file():
        raise LibreOfficeError(f"no such document: {source}")
    python = find_uno_python()
    if python is None:
        raise LibreOfficeError(
            "no Python with LibreOffice's 'uno' module found; on Debian: "
            "apt-get install python3-uno (or set CB_UNO_PYTHON)"
        )
    deadline = time.monotonic() + timeout
    workdir = Path(tempfile.mkdtemp(prefix="cb-lo-"))
    try:
        document = workdir / "doc" / source.name
        document.parent.mkdir()
        shutil.copyfile(source, document)
        client = workdir / "uno_client.py"
        shutil.copyfile(UNO_CLIENT_PATH, client)
        request = workdir / "request.json"
        answer = workdir / "answer.json"
        request.write_text(
            json.dumps({"document": document.as_uri(), "ops": ops}, ensure_ascii=False), "utf-8"
        )
        with _soffice(workdir, timeout) as pipe:
            remaining = max(deadline - time.monotonic(), 1.0)
            command = [python, str(client), pipe, str(request), str(answer), str(remaining)]
            try:
                done = subprocess.run(
                    command,
                    cwd=workdir,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=remaining,
                    env=_clean_env(),
                )
            except subprocess.TimeoutExpired as exc:
                raise LibreOfficeError(
                    f"LibreOffice did not finish within {timeout:.0f} s on {source.name} "
                    f"({', '.join(op['op'] for op in ops)})"
                ) from exc
        if not answer.is_file():
            log = (workdir / "soffice.log").read_text("utf-8", "replace")
            raise LibreOfficeError(
                f"the UNO client failed (exit {done.returncode}) on {source.name}:\n"
                f"{done.stderr.strip()}\n{log.strip()}".rstrip()
            )
        result = json.loads(answer.read_text("utf-8"))
        if not result.get("ok"):
            message = f"{source.name}: {result.get('error')}"
            if "could not connect" in message:
                log = (workdir / "soffice.log").read_text("utf-8", "replace").strip()
                message += f"\nsoffice said: {log or '(nothing)'}"
            raise LibreOfficeError(message)
        return list(result["answers"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


#: The UNO client script (a real file beside this module, checked by ruff).
UNO_CLIENT_PATH = Path(__file__).with_name("uno_client.py")
