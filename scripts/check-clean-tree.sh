#!/usr/bin/env bash
# Fails (exit 1) when the work tree differs from HEAD: a tracked file changed, or a file appeared that
# .gitignore does not cover. `.ci/run` calls it after the tests, so a run that rewrites package-lock.json,
# formats a file or leaves output in the tree fails CI instead of dirtying every user's clone.
#   scripts/check-clean-tree.sh [DIR]     (default: the repository this script is in)
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
changes="$(git -C "$dir" status --porcelain --untracked-files=all)"
if [ -n "$changes" ]; then
  echo "check-clean-tree: the run changed the work tree (commit what should be tracked, ignore or remove the rest):" >&2
  printf '%s\n' "$changes" | head -n 30 | sed 's/^/  /' >&2
  git -C "$dir" diff --stat | tail -n 5 | sed 's/^/  /' >&2
  exit 1
fi
