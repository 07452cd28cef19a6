"""The UNO side of :mod:`tools.libreoffice`: run by LibreOffice's own Python (the one that
can ``import uno``) as ``uno_client.py PIPE REQUEST ANSWER TIMEOUT``.

It connects to the soffice listening on PIPE, opens the request's document with macros
allowed, performs the ops in order, writes ``{"ok": true, "answers": [...]}`` (or
``{"ok": false, "error": "..."}``) to ANSWER and shuts LibreOffice down. It imports
nothing from this repository: it runs in Debian's Python, not in ours.
"""
import json
import sys
import time
import traceback

import uno
from com.sun.star.beans import PropertyValue


def props(**values):
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def connect(pipe, deadline):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
    last = None
    while time.monotonic() < deadline:
        try:
            return resolver.resolve(url)
        except Exception as exc:  # NoConnectException while soffice starts
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"could not connect to LibreOffice: {last}")


def describe(exc):
    """The useful message of a UNO exception, including wrapped target exceptions."""
    parts = []
    seen = 0
    while exc is not None and seen < 5:
        seen += 1
        message = getattr(exc, "Message", None) or str(exc)
        parts.append(f"{type(exc).__name__}: {message.strip()}")
        target = getattr(exc, "TargetException", None)
        exc = getattr(target, "value", target) if target is not None else None
    return " <- ".join(parts)


def cell_value(cell):
    kind = cell.getType().value
    if kind == "EMPTY":
        return None
    if kind == "VALUE":
        return cell.getValue()
    if kind == "TEXT":
        return cell.getString()
    # FORMULA: by its result type (com.sun.star.sheet.FormulaResult)
    if cell.getError():
        return cell.getString()
    result = cell.FormulaResultType2
    if result == 1:
        return cell.getValue()
    return cell.getString()


def read_cells(doc, cells):
    sheets = doc.getSheets()
    values = []
    for sheet_name, ref in cells:
        if not sheets.hasByName(sheet_name):
            raise KeyError("no sheet named {!r} (sheets: {})".format(
                sheet_name, ", ".join(sheets.getElementNames())))
        values.append(cell_value(sheets.getByName(sheet_name).getCellRangeByName(ref)))
    return values


def basic_library(doc):
    libs = doc.BasicLibraries
    if not libs.hasByName("VBAProject"):
        return None
    libs.loadLibrary("VBAProject")
    return libs.getByName("VBAProject")


def op_modules(doc, op):
    lib = basic_library(doc)
    return list(lib.getElementNames()) if lib is not None else []


def op_module_sources(doc, op):
    lib = basic_library(doc)
    if lib is None:
        return {}
    return {name: lib.getByName(name) for name in lib.getElementNames()}


PROBE = "CBHarnessProbe"
PROBE_CODE = """Option VBASupport 1
Function CBHarness_Call() As String
    On Error GoTo Failed
    %s
    CBHarness_Call = "OK"
    Exit Function
Failed:
    CBHarness_Call = "ERR " & Err.Number & ": " & Err.Description & " (line " & Erl & ")"
End Function
"""


def script_url(library, module, method):
    return f"vnd.sun.star.script:{library}.{module}.{method}?language=Basic&location=document"


def call_in_library(doc, libs, library, statement):
    """Run one Basic statement from a probe module inserted into ``library``.

    Returns "OK", "ERR <number>: <description> (line N)" for a Basic run-time error, or
    None when the library does not compile: LibreOffice then runs nothing and reports
    nothing (headless, the compiler's message box goes nowhere).
    """
    lib = libs.getByName(library)
    lib.insertByName(PROBE, PROBE_CODE % statement)
    try:
        script = doc.getScriptProvider().getScript(
            script_url(library, PROBE, "CBHarness_Call"))
        value = script.invoke((), (), ())[0]
    except Exception:
        value = None
    finally:
        lib.removeByName(PROBE)
    return value if isinstance(value, str) else None


def op_compile_report(doc, op):
    """Does the VBAProject library compile, and does each module on its own?"""
    libs = doc.BasicLibraries
    lib = basic_library(doc)
    if lib is None:
        return {"library": True, "modules": {}}
    whole = call_in_library(doc, libs, "VBAProject", "") == "OK"
    modules = {}
    for name in lib.getElementNames():
        scratch = "CBHarnessCheck"
        if libs.hasByName(scratch):
            libs.removeLibrary(scratch)
        libs.createLibrary(scratch)
        try:
            libs.getByName(scratch).insertByName(name, lib.getByName(name))
            modules[name] = call_in_library(doc, libs, scratch, "") == "OK"
        finally:
            libs.removeLibrary(scratch)
    return {"library": whole, "modules": modules}


def op_run(doc, op):
    libs = doc.BasicLibraries
    lib = basic_library(doc)
    if lib is None:
        raise RuntimeError("the document has no VBAProject Basic library (no VBA, or "
                           "LibreOffice's VBA import is off)")
    for name in op.get("skip") or ():
        if not lib.hasByName(name):
            raise KeyError("no module {!r} to skip (modules: {})".format(
                name, ", ".join(lib.getElementNames())))
        lib.removeByName(name)
    # The URL the Dashboard buttons are bound to must resolve (raises if not found)...
    doc.getScriptProvider().getScript(script_url("VBAProject", op["module"], op["sub"]))
    # ...and the Sub is then called from a probe so that errors come back to us.
    outcome = call_in_library(doc, libs, "VBAProject", "{}.{}".format(op["module"], op["sub"]))
    if outcome == "OK":
        return None
    if not (outcome or "").startswith("ERR "):
        report = op_compile_report(doc, op)
        bad = sorted(name for name, ok in report["modules"].items() if not ok)
        raise RuntimeError(
            "LibreOffice cannot compile the VBAProject library, so it runs none of its "
            "macros; modules that do not compile on their own: {}{}".format(
                ", ".join(bad) or "(none: the modules fail only together)",
                f" (run with skip_modules={bad!r} to leave them out)" if bad else ""))
    raise RuntimeError("{}.{} raised a Basic error: {}".format(op["module"], op["sub"], outcome[4:]))


def op_read(doc, op):
    return read_cells(doc, op["cells"])


def op_calculate(doc, op):
    doc.calculateAll()
    return None


def form_events(model):
    form = model.getParent()
    if form is None or not hasattr(form, "getScriptEvents"):
        return []
    for index in range(form.getCount()):
        if form.getByIndex(index) == model:
            return [
                {"event": f"{e.ListenerType}::{e.EventMethod}",
                 "script_type": e.ScriptType, "script": e.ScriptCode}
                for e in form.getScriptEvents(index)
            ]
    return []


def shape_events(shape):
    if not hasattr(shape, "getEvents"):
        return []
    events = shape.getEvents()
    found = []
    for name in events.getElementNames():
        values = {p.Name: p.Value for p in events.getByName(name)}
        script = values.get("Script") or values.get("MacroName")
        if script:
            found.append({"event": name, "script_type": values.get("EventType", ""),
                          "script": script})
    return found


def op_buttons(doc, op):
    found = []
    for sheet in doc.getSheets():
        page = sheet.getDrawPage()
        for index in range(page.getCount()):
            shape = page.getByIndex(index)
            model = getattr(shape, "Control", None) if shape.supportsService(
                "com.sun.star.drawing.ControlShape") else None
            entry = {
                "sheet": sheet.getName(),
                "name": getattr(shape, "Name", "") or "",
                "kind": "control" if model is not None else "shape",
                "shape_type": shape.getShapeType(),
                "label": None,
                "control": None,
                "macros": [],
            }
            if model is not None:
                entry["name"] = model.Name or entry["name"]
                entry["label"] = getattr(model, "Label", None)
                services = list(model.getSupportedServiceNames())
                preferred = [s for s in services if s.endswith(".CommandButton")]
                preferred += [s for s in services if s.startswith("com.sun.star.form.component.")]
                entry["control"] = (preferred or services or [None])[0]
                entry["macros"] = form_events(model)
            entry["macros"] += shape_events(shape)
            if entry["kind"] == "control" or entry["macros"]:
                found.append(entry)
    return found


def op_export_sheet_pdf(doc, op):
    sheets = doc.getSheets()
    name = op["sheet"]
    if not sheets.hasByName(name):
        raise KeyError("no sheet named {!r} (sheets: {})".format(
            name, ", ".join(sheets.getElementNames())))
    target = sheets.getByName(name)
    names = list(sheets.getElementNames())
    visible = {n: sheets.getByName(n).IsVisible for n in names}
    target.IsVisible = True
    controller = doc.getCurrentController()
    if controller is not None:
        controller.setActiveSheet(target)
    if op.get("print_controls"):
        page = target.getDrawPage()
        for index in range(page.getCount()):
            shape = page.getByIndex(index)
            if shape.supportsService("com.sun.star.drawing.ControlShape"):
                shape.Control.Printable = True
    # a hidden sheet with a print range of its own still prints: set those aside too
    areas = {n: sheets.getByName(n).getPrintAreas() for n in names if n != name}
    try:
        for other in names:
            if other != name:
                sheets.getByName(other).setPrintAreas(())
                sheets.getByName(other).IsVisible = False
                if areas[other]:
                    sheets.getByName(other).setPrintAreas(())
        # ExportFormFields off: controls print as pictures, not PDF form widgets.
        doc.storeToURL(op["out"], props(
            FilterName="calc_pdf_Export",
            FilterData=uno.Any("[]com.sun.star.beans.PropertyValue",
                               props(ExportFormFields=False))))
    finally:
        for other in names:
            sheets.getByName(other).IsVisible = visible[other]
            if areas.get(other):
                sheets.getByName(other).setPrintAreas(areas[other])
    return None


def op_store(doc, op):
    values = {"FilterName": op["filter"], "Overwrite": True}
    if op.get("options"):
        values["FilterOptions"] = op["options"]
    doc.storeToURL(op["out"], props(**values))
    return None


OPS = {
    "modules": op_modules,
    "module_sources": op_module_sources,
    "run": op_run,
    "compile_report": op_compile_report,
    "read": op_read,
    "calculate": op_calculate,
    "buttons": op_buttons,
    "export_sheet_pdf": op_export_sheet_pdf,
    "store": op_store,
}


def main():
    pipe, request_path, answer_path, timeout = sys.argv[1:5]
    deadline = time.monotonic() + float(timeout)
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    answer = {"ok": False, "error": "not started"}
    desktop = doc = None
    try:
        context = connect(pipe, deadline)
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context)
        # MacroExecutionMode 4 = ALWAYS_EXECUTE_NO_WARN
        doc = desktop.loadComponentFromURL(
            request["document"], "_blank", 0,
            props(Hidden=True, MacroExecutionMode=4, UpdateDocMode=0))
        if doc is None:
            raise RuntimeError("LibreOffice could not open the document")
        answers = []
        for op in request["ops"]:
            try:
                answers.append(OPS[op["op"]](doc, op))
            except Exception as exc:
                raise RuntimeError("{} failed: {}".format(op["op"], describe(exc))) from exc
        answer = {"ok": True, "answers": answers}
    except Exception as exc:
        answer = {"ok": False, "error": describe(exc) if not isinstance(exc, RuntimeError)
                  else str(exc), "traceback": traceback.format_exc()}
    finally:
        with open(answer_path, "w", encoding="utf-8") as handle:
            json.dump(answer, handle, ensure_ascii=False)
        try:
            if doc is not None:
                doc.setModified(False)
                doc.close(True)
        except Exception:
            pass
        try:
            if desktop is not None:
                desktop.terminate()
        except Exception:  # the bridge drops as soffice exits
            pass


if __name__ == "__main__":
    main()
