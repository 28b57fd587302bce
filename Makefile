# chartroom: `make run` and `make test` are the two commands a new user needs.
# Both install what is missing (Debian packages, a .venv with the project) and are quick
# when everything is already there.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core postgresql chromium chromium-driver
export OMP_THREAD_LIMIT := 1

.PHONY: run scan-samples test lint sysdeps venv samples bench clean help

help:
	@echo "make run    - set up, ingest sample_scans/ into var/demo and serve the web app on localhost"
	@echo "make scan-samples - scan sample_scans/ and print a summary per document"
	@echo "make test   - set up, then run lint and the test suite"
	@echo "make lint   - ruff and mypy"
	@echo "make samples - regenerate sample_scans/ (deterministic)"
	@echo "make bench  - run the benchmarks in bench/ (see docs/benchmarks.md)"

# Debian packages: installed only when one is missing (idempotent, no network when present).
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(STAMPS)/venv
$(STAMPS)/venv: pyproject.toml | sysdeps
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,build]'
	$(BIN)/python -c "import numpy, cv2, spacy, medspacy, pytesseract, zxingcpp, whoosh, flask, sqlalchemy, alembic, psycopg, watchdog, tqdm, rapidfuzz"
	@mkdir -p $(STAMPS) && touch $@

run: sysdeps venv
	BIN=$(BIN) tools/run_demo.sh

scan-samples: venv
	$(BIN)/chartroom scan sample_scans/*.pdf sample_scans/*.tif sample_scans/*.jpg sample_scans/*.png

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: sysdeps venv
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -q

samples: venv
	$(BIN)/python sample_scans/generate.py

bench: venv
	$(BIN)/python bench/ocr_accuracy.py --data sample_scans
	$(BIN)/python bench/ocr_speed.py

clean:
	rm -rf $(VENV) $(STAMPS) .pytest_cache .mypy_cache .ruff_cache
