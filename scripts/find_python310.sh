#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 supports 3.8-3.10), or say what to install.
# Order: python3.10 on PATH, PYENV_VERSION / `pyenv prefix 3.10`, any pyenv 3.10.x, python3.
set -u
works() { [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }
emit() { "$1" -c 'import sys; print(sys.executable)'; exit 0; }

for cand in "${PYTHON310:-}" python3.10; do
  works "$cand" && emit "$cand"
done
if command -v pyenv >/dev/null 2>&1; then
  for v in "${PYENV_VERSION:-}" 3.10 $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
    [ -n "$v" ] || continue
    prefix=$(pyenv prefix "$v" 2>/dev/null | head -n1)
    works "$prefix/bin/python3.10" && emit "$prefix/bin/python3.10"
  done
  root=$(pyenv root 2>/dev/null)
  for p in "$root"/versions/3.10*/bin/python3.10; do works "$p" && emit "$p"; done
fi
for cand in python3 python; do works "$cand" && emit "$cand"; done

cat >&2 <<'MSG'
No working Python 3.10 found. Rasa Open Source 3.6 runs on Python 3.8-3.10; this project uses 3.10.
Install one of:
  - pyenv:   pyenv install 3.10.13        (then `make` finds it; no need to make it global)
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
  - or point PYTHON310=/path/to/python3.10 at an existing interpreter.
MSG
exit 1
