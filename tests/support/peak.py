"""A process's own peak memory, measured so that its parent's size never leaks in.

Linux carries the parent's high-water mark across ``fork``/``exec`` into the child's
``ru_maxrss`` (``getrusage`` and ``wait4`` alike): a two-line script started from a
test session that has grown to 2 GB reports 2 GB. ``VmHWM`` in ``/proc/self/status``
belongs to the process's own address space, which ``exec`` makes new, so it is what
the memory checks read: the child writes it to a file as it exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: set up in a child, before anything else: at exit its own peak (KB) goes to $CB_PEAK,
#: with what the workers it forked grew on top of the memory they shared with it
#: (xl_addin.forked.children_kb(): a refresh reads and renders big sheets in them)
AT_EXIT = ("import atexit, os, sys\n"
           "def _cb_peak():\n"
           "    with open('/proc/self/status') as fh:\n"
           "        kb = int(next(l.split()[1] for l in fh if l.startswith('VmHWM:')))\n"
           "    kb += getattr(sys.modules.get('xl_addin.forked'), 'children_kb', int)()\n"
           "    with open(os.environ['CB_PEAK'], 'w') as out:\n"
           "        out.write(str(kb))\n"
           "atexit.register(_cb_peak)\n")

#: the real command line, its peak noted as it exits
CLI = AT_EXIT + "import sys\nfrom xl_addin.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def run_cli(args: list[str], peak_file: Path, env: dict[str, str] | None = None,
            **kwargs: Any) -> tuple[subprocess.CompletedProcess[str], int]:
    """``customerbook ARGS`` in a fresh process: the run and its own peak (KB; 0 if the
    process died before it could say)."""
    peak_file.unlink(missing_ok=True)
    env = {**(env if env is not None else os.environ), "CB_PEAK": str(peak_file)}
    done = subprocess.run([sys.executable, "-c", CLI, *args], env=env, capture_output=True,
                          text=True, **kwargs)
    peak = int(peak_file.read_text()) if peak_file.exists() else 0
    return done, peak
