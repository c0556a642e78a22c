#!/usr/bin/env bash
# Proof that CI is green every time: clones this repository's HEAD into a fresh temporary directory N times in
# a row and runs `bash .ci/run` in each exactly as CI does (CI=true, no standard input, a clean environment),
# printing one line per run and a summary line.
#
#   scripts/ci-soak.sh 10               ten runs, one after another
#   scripts/ci-soak.sh 3 --busy         three runs while a CPU burner keeps every core busy
#   scripts/ci-soak.sh 5 --logs /tmp/x  keep each run's full output in /tmp/x (default: a temp dir, printed)
#
# Exit status: 0 when every run passed, 1 otherwise. Only committed work is tested (a clone of HEAD).
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
n=1 busy=0 logs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --busy) busy=1 ;;
    --logs) logs="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) n="$1" ;;
    *) echo "ci-soak: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$logs" ] || logs="$(mktemp -d /tmp/agora-soak-logs.XXXXXX)"
mkdir -p "$logs"
head="$(git -C "$repo" rev-parse --short HEAD)"
echo "soak: $n run(s) of .ci/run on fresh clones of $head$([ "$busy" = 1 ] && echo ', machine kept busy'); logs in $logs"

burners=()
start_burners() { for _ in $(seq "$(nproc)"); do (exec sh -c 'while :; do :; done') & burners+=($!); done; }
stop_burners() { [ "${#burners[@]}" -gt 0 ] && kill "${burners[@]}" 2>/dev/null; wait "${burners[@]}" 2>/dev/null; burners=(); }
run_pid=""
# Interrupted: end the run in progress (its own process group) as well, not only this loop.
trap 'stop_burners' EXIT
trap '[ -n "$run_pid" ] && kill -TERM -- "-$run_pid" 2>/dev/null; echo "soak: interrupted"; exit 130' INT TERM

passed=0 failed=0
for i in $(seq "$n"); do
  dir="$(mktemp -d /tmp/agora-soak.XXXXXX)"
  log="$logs/run-$i.log"
  git clone -q "$repo" "$dir/agora"
  [ "$busy" = 1 ] && start_burners
  started=$(date +%s)
  (cd "$dir/agora" && exec setsid env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 CI=true bash .ci/run </dev/null >"$log" 2>&1) &
  run_pid=$!
  wait "$run_pid"
  rc=$?
  run_pid=
  took=$(( $(date +%s) - started ))
  stop_burners
  counts="$(grep -E '^Tests: ' "$log" | tail -n 1 | sed 's/^Tests: *//')"
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    printf 'run %d: pass  %4ds  %s\n' "$i" "$took" "$counts"
    rm -rf "$dir"
  else
    failed=$((failed + 1))
    failing="$(grep -E '^FAIL |^\s+● .* › |^\s+● [^C]' "$log" | sed 's/^ *//' | sort -u | head -n 8 | tr '\n' ';')"
    printf 'run %d: FAIL  %4ds  exit %d  %s  %s  (clone kept: %s)\n' "$i" "$took" "$rc" "${counts:-no jest summary}" "$failing" "$dir/agora"
  fi
done
echo "soak: $passed passed, $failed failed of $n"
[ "$failed" = 0 ]
