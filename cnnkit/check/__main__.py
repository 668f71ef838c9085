"""``python -m cnnkit.check FILE.ipynb``: exit status 0 when ready to hand in."""

import sys

from cnnkit.check.self_check import main

if __name__ == "__main__":
    sys.exit(main())
