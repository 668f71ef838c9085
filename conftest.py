"""Settings for every test run from the repository root.

Tools that write caches or config (Keras, matplotlib, Jupyter, IPython) are
pointed at a temporary folder before anything imports them, so tests never
write into the repository or the user's home. Notebook kernels started by
nbval inherit these variables.
"""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="cnnkit-tests-")
for _var, _sub in {
    "KERAS_HOME": "keras",
    "MPLCONFIGDIR": "matplotlib",
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
}.items():
    os.environ[_var] = os.path.join(_HOME, _sub)
    os.makedirs(os.environ[_var], exist_ok=True)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

# Student versions of assignments stop at `raise NotImplementedError()` by
# design; the assignment tests exercise them, nbval does not.
collect_ignore_glob = ["notebooks/assignments/*"]
