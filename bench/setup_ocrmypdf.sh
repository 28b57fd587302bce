#!/usr/bin/env bash
# Benchmark-only tools in a separate venv (.venv-bench): OCRmyPDF (the peer we compare against)
# and rapidfuzz (fast Levenshtein for CER). Neither is a chartroom dependency: never add them to
# pyproject.toml. Idempotent: quick when everything is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV=.venv-bench
APT_PACKAGES="ghostscript unpaper qpdf pngquant tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd"

missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "Installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q ocrmypdf rapidfuzz numpy  # numpy: `python bench/ocr_metrics.py` self-check
"$VENV/bin/ocrmypdf" --version
"$VENV/bin/python" -c "import rapidfuzz; print('rapidfuzz', rapidfuzz.__version__)"
