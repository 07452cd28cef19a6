"""CustomerBook's Python side: the engine, the doors (files, Excel) and the CLI."""

import os as _os
import sys as _sys

# The purchase-model fits work on long vectors, not matrices: OpenBLAS's worker threads
# would only spin beside them, on the core that a forked child (xl_addin.forked) or the
# rest of the refresh is using. Set before numpy loads OpenBLAS; a user's own setting wins.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
