#!/usr/bin/env bash
# `make run`: ingest the bundled sample_scans/ into a demo data directory, create a demo
# administrator (credentials printed once, at first run) and serve the web app on localhost.
set -euo pipefail
BIN=${BIN:-.venv/bin}
export CHARTROOM_HOME=${CHARTROOM_HOME:-$PWD/var/demo}
mkdir -p "$CHARTROOM_HOME"
chmod 700 "$CHARTROOM_HOME"

# A secret key made once for this demo folder and kept there (never an example value).
key_file="$CHARTROOM_HOME/secret_key"
if [ ! -s "$key_file" ]; then
  (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_hex(32))' > "$key_file")
fi
export CHARTROOM_WEB_SECRET_KEY; CHARTROOM_WEB_SECRET_KEY=$(cat "$key_file")
# Plain http on localhost only: the Secure cookie flag would stop the browser sending it.
export CHARTROOM_WEB_SECURE_COOKIES=false
export CHARTROOM_WEB_HOST=${CHARTROOM_WEB_HOST:-127.0.0.1}
export CHARTROOM_WEB_PORT=${CHARTROOM_WEB_PORT:-8000}

"$BIN/chartroom" doctor
echo "== importing the synthetic patient roster"
"$BIN/chartroom" patients import sample_scans/roster.csv
echo "== ingesting the scans in sample_scans/ (resumable: a second run skips what is done)"
# Only the scans: the folder also holds their ground truth, the manifest and the generator.
"$BIN/chartroom" ingest sample_scans/*.pdf sample_scans/*.tif sample_scans/*.jpg sample_scans/*.png
"$BIN/chartroom" check

marker="$CHARTROOM_HOME/.demo-admin-created"
if [ ! -e "$marker" ]; then
  password=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(12))')
  printf '%s\n' "$password" | "$BIN/chartroom" users add demo-admin --role admin
  printf '%s\n' "$password" | "$BIN/chartroom" users add demo-clerk --role clerk
  touch "$marker"
  echo
  echo "  Demo users (shown once; both have this password): demo-admin (administrator), demo-clerk (clerk)"
  echo "  Password: $password"
  echo
else
  echo "Demo users exist (password printed at the first run; delete $CHARTROOM_HOME to start over)."
fi
echo "== serving on http://$CHARTROOM_WEB_HOST:$CHARTROOM_WEB_PORT/ (Ctrl-C to stop)"
exec "$BIN/chartroom" serve
