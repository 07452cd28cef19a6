"""Build and read the workbook's VBA project (``vbaProject.bin``).

The VBA code of CustomerBook lives as text in ``workbook/vba/*.bas``. The build script
turns it into the binary ``vbaProject.bin`` that an ``.xlsm`` carries, with
:func:`build_vba_project` (PyPI ``ms-ovba``), and hands that to xlsxwriter's
``workbook.add_vba_project()``. :func:`read_vba_modules` reads the code back out of an
``.xlsm`` (or a ``vbaProject.bin``) with oletools' ``olevba``, normalised so that a test
can check that the committed workbook carries exactly the committed sources::

    sources = load_vba_sources("workbook/vba")
    in_book = read_vba_modules("workbook/CustomerBook.xlsm")
    assert {name: in_book[name] for name in sources} == sources

Document modules: Excel expects one per worksheet code name plus one for the workbook.
The code names passed here (``sheet_codenames``, ``workbook_codename``) must be the ones
the build script gives xlsxwriter with ``worksheet.set_vba_name()`` and
``workbook.set_vba_name()``.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "PROJECT_ID",
    "build_vba_project",
    "load_vba_sources",
    "normalize_vba_source",
    "ovba_compress",
    "read_vba_modules",
]

#: Fixed project id so that a build is byte-for-byte reproducible.
PROJECT_ID = "{5C0C8B6E-3A1F-4D2B-9E47-0C1B2A3D4E5F}"

#: The seed of the "random" bytes of the obfuscated CMG/DPB/GC lines of the PROJECT
#: stream (MS-OVBA 2.4.3 lets them be anything; we fix them for reproducibility).
_CRYPTO_SEED = 20240601

#: ``Attribute VB_Base`` class ids of Excel document modules (MS-OVBA / Excel type lib).
_WORKSHEET_CLSID = uuid.UUID("00020820-0000-0000-C000-000000000046")
_WORKBOOK_CLSID = uuid.UUID("00020819-0000-0000-C000-000000000046")

#: The two references every Excel VBA project has (stdole and the Office library).
_STDOLE = (
    uuid.UUID("00020430-0000-0000-C000-000000000046"),
    r"C:\Windows\System32\stdole2.tlb",
    "OLE Automation",
    "stdole",
)
_OFFICE = (
    uuid.UUID("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52"),
    r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
    "Microsoft Office 16.0 Object Library",
    "Office",
)

#: The project's code page (Windows-1252, what ms-ovba writes in the dir stream).
_CODEPAGE = "cp1252"

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
_VB_NAME = re.compile(r'^\s*Attribute\s+VB_Name\s*=\s*"([^"]*)"\s*$', re.IGNORECASE)
_VB_ATTR = re.compile(r"^\s*Attribute\s+VB_\w+\s*=", re.IGNORECASE)

# ms-ovba writes its intermediate files into the current directory and draws its
# obfuscation bytes from the ``random`` module: one build at a time.
_BUILD_LOCK = threading.Lock()


def normalize_vba_source(source: str) -> str:
    """The comparable form of a module's code.

    Line ends become LF, ``Attribute VB_*`` lines (module attributes such as
    ``VB_Name``, ``VB_Base``, ``VB_Exposed``) are dropped, trailing whitespace is cut
    from every line and blank lines from the end; non-empty code ends with one LF.
    """
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n") if not _VB_ATTR.match(line)]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def load_vba_sources(
    directory: str | os.PathLike[str], *, normalize: bool = True
) -> dict[str, str]:
    """Read ``directory/*.bas``: module name -> code.

    The module name is the ``Attribute VB_Name = "..."`` line's, else the file stem.
    With ``normalize`` (the default) the code is :func:`normalize_vba_source`'d, which
    is both what :func:`read_vba_modules` returns and enough for
    :func:`build_vba_project` (it writes the ``VB_Name`` attribute itself); without,
    the text is returned as in the file (line ends included).
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"VBA source directory not found: {folder}")
    modules: dict[str, str] = {}
    for path in sorted(folder.glob("*.bas")):
        raw = path.read_bytes().decode("utf-8-sig")
        name = _module_name(raw) or path.stem
        if name in modules:
            raise ValueError(f"two VBA sources declare module {name!r} (second: {path})")
        modules[name] = normalize_vba_source(raw) if normalize else raw
    return modules


def build_vba_project(
    modules: Mapping[str, str],
    out_path: str | os.PathLike[str],
    *,
    sheet_codenames: Sequence[str] = ("Sheet1",),
    workbook_codename: str = "ThisWorkbook",
    document_code: Mapping[str, str] | None = None,
) -> Path:
    """Write a ``vbaProject.bin`` to ``out_path`` and return its path.

    ``modules`` maps standard-module names to VBA code (with or without an
    ``Attribute VB_Name`` line: the right one is written). Document modules are added
    for ``workbook_codename`` and each of ``sheet_codenames``, empty unless
    ``document_code`` gives one (code name -> its code: event handlers such as a
    sheet's ``Worksheet_BeforeDoubleClick``). Same input, same bytes: the project id,
    time stamps and obfuscation bytes are fixed.
    """
    # ms-ovba and its dependencies are imported here so that reading needs only oletools.
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile
    from ms_ovba_compression.ms_ovba import MsOvba
    from ms_ovba_crypto import ms_ovba_crypto

    doc_names = [workbook_codename, *sheet_codenames]
    std_names = list(modules)
    code_of = dict(document_code or {})
    unknown = sorted(set(code_of) - set(doc_names))
    if unknown:
        raise ValueError(f"document code for modules that are not documents: {unknown}")
    seen: set[str] = set()
    for name in doc_names + std_names:
        if not _IDENT.match(name):
            raise ValueError(f"not a valid VBA module name: {name!r}")
        if name.lower() in seen:
            raise ValueError(f"VBA module name used twice: {name!r}")
        seen.add(name.lower())

    out = Path(out_path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)

    with _BUILD_LOCK, tempfile.TemporaryDirectory(prefix="cb-vba-") as tmp:
        work = Path(tmp)
        project = VbaProject()
        project.project_id = PROJECT_ID
        project.include_projectwm()

        for name in doc_names:
            clsid = _WORKBOOK_CLSID if name == workbook_codename else _WORKSHEET_CLSID
            module = DocModule(name)
            stem = work / f"doc_{len(project.modules)}"
            _write_module_text(stem, _document_module_text(name, clsid, code_of.get(name, "")))
            module.add_file(str(stem))
            module.add_guid(clsid)
            project.add_module(module)

        for name in std_names:
            module = StdModule(name)
            stem = work / f"std_{len(project.modules)}"
            _write_module_text(stem, _standard_module_text(name, modules[name]))
            module.add_file(str(stem))
            project.add_module(module)

        for clsid, path, description, ref_name in (_STDOLE, _OFFICE):
            libid = LibidReference(clsid, "2.0", "0", path, description)
            project.add_reference(Reference(ReferenceRegistered(libid), ref_name))

        # Two stand-ins while ms-ovba writes: a seeded random source for its
        # obfuscation bytes (reproducible output), and our own MS-OVBA compressor
        # (ms-ovba-compression 1.0.1 corrupts longer input: olevba read the vendored
        # xlwings.bas back wrong from byte 590 on, and its own decompressor fails).
        saved_random = ms_ovba_crypto.random
        saved_compress = MsOvba.compress
        ms_ovba_crypto.random = random.Random(_CRYPTO_SEED)  # type: ignore[assignment]
        MsOvba.compress = lambda _self, data: ovba_compress(data)  # type: ignore[method-assign]
        try:
            with contextlib.chdir(work):
                ProjectOleFile.write_file(project)
        finally:
            ms_ovba_crypto.random = saved_random
            MsOvba.compress = saved_compress  # type: ignore[method-assign]
        data = (work / "vbaProject.bin").read_bytes()

    out.write_bytes(data)
    return out


def read_vba_modules(path: str | os.PathLike[str]) -> dict[str, str]:
    """Module name -> :func:`normalize_vba_source`'d code, read with olevba.

    ``path`` is an ``.xlsm``/``.xlsb``/``.xls`` workbook or a bare ``vbaProject.bin``.
    Document modules (``ThisWorkbook``, ``Sheet1`` …) are included; a workbook without
    VBA gives ``{}``.
    """
    from oletools.olevba import VBA_Parser

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    parser = VBA_Parser(str(file))
    try:
        if not parser.detect_vba_macros():
            return {}
        modules: dict[str, str] = {}
        for _container, _stream, vba_filename, code in parser.extract_macros():
            name = _module_name(code) or Path(vba_filename).stem
            text = normalize_vba_source(code)
            if name in modules and modules[name] != text:
                raise ValueError(f"{file}: module {name!r} found twice with different code")
            modules[name] = text
        return modules
    finally:
        parser.close()


def ovba_compress(data: bytes) -> bytes:
    """Compress ``data`` with the MS-OVBA 2.4.1 algorithm (a "CompressedContainer").

    Greedy longest match per position, found through a hash chain of 3-byte prefixes
    inside the current 4096-byte chunk; deterministic.
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start : start + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) + 2 > _CHUNK + 2:
            # Incompressible: a raw chunk always holds exactly 4096 bytes.
            body = chunk.ljust(_CHUNK, b"\x00")
            header = 0x3000 | (_CHUNK - 1)
        else:
            header = 0x8000 | 0x3000 | (len(body) + 2 - 3)
        out += header.to_bytes(2, "little")
        out += body
    return bytes(out)


_CHUNK = 4096
_MAX_CANDIDATES = 256


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    pos = 0
    end = len(chunk)
    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            bit_count = max((pos - 1).bit_length(), 4) if pos > 1 else 4
            max_length = (0xFFFF >> bit_count) + 3
            best_len, best_off = 0, 0
            key = chunk[pos : pos + 3]
            candidates = heads.get(key, ()) if len(key) == 3 else ()
            limit = min(max_length, end - pos)
            for cand in reversed(candidates[-_MAX_CANDIDATES:]):
                length = 3
                while length < limit and chunk[cand + length] == chunk[pos + length]:
                    length += 1
                if length > best_len:
                    best_len, best_off = length, pos - cand
                    if length == limit:
                        break
            step = best_len if best_len >= 3 else 1
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
            else:
                out.append(chunk[pos])
            for p in range(pos, min(pos + step, end - 2)):
                heads.setdefault(chunk[p : p + 3], []).append(p)
            pos += step
        out[flag_index] = flags
    return bytes(out)


# --- helpers ------------------------------------------------------------------------


def _module_name(source: str) -> str | None:
    for line in source.replace("\r\n", "\n").split("\n"):
        match = _VB_NAME.match(line)
        if match:
            return match.group(1)
    return None


def _document_module_text(name: str, clsid: uuid.UUID, code: str = "") -> str:
    body = normalize_vba_source(code) if code.strip() else ""
    return "".join(
        f"Attribute VB_{key} = {value}\n"
        for key, value in (
            ("Name", f'"{name}"'),
            ("Base", f'"0{{{str(clsid).upper()}}}"'),
            ("GlobalNameSpace", "False"),
            ("Creatable", "False"),
            ("PredeclaredId", "True"),
            ("Exposed", "True"),
            ("TemplateDerived", "False"),
            ("Customizable", "True"),
        )
    ) + body


def _standard_module_text(name: str, source: str) -> str:
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = [line for line in lines if not _VB_NAME.match(line)]
    while body and not body[-1].strip():
        body.pop()
    return "\n".join([f'Attribute VB_Name = "{name}"', *body]) + "\n"


def _write_module_text(stem: Path, text: str) -> None:
    """Write the ``<stem>.new`` file ms-ovba compresses into the module stream."""
    try:
        data = text.replace("\n", "\r\n").encode(_CODEPAGE)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ValueError(
            f"VBA code can only hold {_CODEPAGE} characters (the project's code page); "
            f"found {bad!r}"
        ) from None
    stem.with_name(stem.name + ".new").write_bytes(data)
