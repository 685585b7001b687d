#!/usr/bin/env bash
# The repository stands alone: no tracked file names a path outside it (the team's notes beside
# a developer's checkout, a machine's folders). Such a path works on the machine it was written
# on and fails in every user's clone. CI also runs the whole suite from a clone in an empty
# folder (.ci/run), which catches what a pattern cannot; this check is the fast one, for every
# run of scripts/test.
# Usage: no_outside_paths.sh SOURCE_DIR
set -euo pipefail
cd "$1"
# Three kinds: a folder named shared climbed to from the checkout (the team's notes and
# fixtures), this machine's /work layout, and the tool library. Paths that climb to
# ../../scripts inside the repository are fine.
pattern='(\.\./)+shared/|/work/|\.library/'
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not a git checkout: cannot list the repository's files" >&2
  exit 1
fi
if hits=$(git ls-files -z --cached --others --exclude-standard |
  grep -zv '^tests/standalone/no_outside_paths.sh$' |
  xargs -0 grep -nIE "$pattern" -- 2>/dev/null); then
  echo "files name paths outside the repository:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "no tracked file names a path outside the repository ($(git ls-files | wc -l) files)"
