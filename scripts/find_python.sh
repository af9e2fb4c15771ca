#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter, or explain what is missing.
set -u
for cand in "${PYTHON310:-}" python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)/versions/3.10"*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; then
    command -v "$cand" 2>/dev/null || echo "$cand"
    exit 0
  fi
done
for cand in "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
  if [ -x "$cand" ] && "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; then
    echo "$cand"; exit 0
  fi
done
echo "error: python3.10 not found. Rasa 3.6.21 needs Python 3.10 (it refuses 3.11+)." >&2
echo "Install it (e.g. 'pyenv install 3.10' or your OS package python3.10) or set PYTHON310=/path/to/python3.10." >&2
exit 1
