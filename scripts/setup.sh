# Sourced by scripts/run and scripts/test: a virtual environment with Kvitt and the exact,
# hash-checked dependencies of the lock file (requirements.lock; requirements-test.lock for
# the tests). Regenerate the locks after changing pyproject.toml: scripts/lock.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
lock_stamp() { echo ".venv/.installed-$1-$(cat "$2" pyproject.toml | sha256sum | cut -c1-16)"; }
runtime_stamp="$(lock_stamp runtime requirements.lock)"
test_stamp="$(lock_stamp test requirements-test.lock)"
if [[ "${KVITT_EXTRAS:-}" == "test" ]]; then
  LOCK=requirements-test.lock; stamp="$test_stamp"; enough=("$test_stamp")
else  # the test lock holds the runtime lock's packages too
  LOCK=requirements.lock; stamp="$runtime_stamp"; enough=("$runtime_stamp" "$test_stamp")
fi
installed=""
for candidate in "${enough[@]}"; do [[ -f "$candidate" ]] && installed=1; done
if [[ -z "$installed" ]]; then
  .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r "$LOCK"
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  rm -f .venv/.installed*
  touch "$stamp"
fi
# Message catalogs are compiled here (and into a built wheel), never by the running app.
.venv/bin/python -m webapp.i18n
export FLASK_APP=webapp
