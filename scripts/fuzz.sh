#!/usr/bin/env bash
# Fuzzes the protocol parsers, the login address parser, the app's state machine and the
# ledger engine with cargo-fuzz (libFuzzer), one target after the other.
#
#   scripts/fuzz.sh              300 s per target
#   scripts/fuzz.sh 20           the short run scripts/test.sh uses
#   scripts/fuzz.sh 60 engine    only the named targets
#
# Installs what is missing: the nightly toolchain (minimal profile) and cargo-fuzz.
# The targets are in fuzz/fuzz_targets, a cargo workspace of its own. Each run starts
# from the seeds in fuzz/corpus/<target> (kept in git) and the corpus grown by earlier
# runs in fuzz/target/grown/<target> (not kept), and adds what it finds to the latter.
# A crash stops that target, leaves the input in fuzz/artifacts/<target>/ and makes the
# script exit 1 after the remaining targets have run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-300}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2
  exit 2
fi
all_targets=(transfer_request history_request amount topic login_address engine model)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

if ! command -v rustup >/dev/null; then
  echo "fuzz: skipped: rustup is not installed, so the nightly toolchain cargo-fuzz needs cannot be added"
  exit 0
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "== fuzz: installing the nightly toolchain (cargo-fuzz needs it for libFuzzer's instrumentation)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# No sanitizer: the code under test is safe Rust, and ASan would halve the executions.
# Debug assertions and overflow checks stay on (cargo-fuzz's default).
build=(cargo +nightly fuzz build --sanitizer none)
run=(cargo +nightly fuzz run --sanitizer none)

echo "== fuzz: building the targets"
started=$(date +%s)
"${build[@]}"
echo "== fuzz: built in $(($(date +%s) - started)) s"

logs=fuzz/target/logs
mkdir -p "$logs"
total=0
failed=()
summary=()
for target in "${targets[@]}"; do
  grown="fuzz/target/grown/$target"
  mkdir -p "$grown" "fuzz/corpus/$target"
  echo "== fuzz: $target for $seconds s"
  log="$logs/$target.log"
  status=0
  # -timeout: an input that takes 10 s is a hang, and counts as a failure.
  "${run[@]}" "$target" "$grown" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -1)
  if [[ -z "$runs" ]]; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  fi
  runs=${runs:-0}
  total=$((total + runs))
  if ((status != 0)); then
    failed+=("$target")
    summary+=("$(printf '%-17s %12s executions  FAILED (exit %s)' "$target" "$runs" "$status")")
    echo "!! fuzz: $target FAILED; the end of its log ($log):"
    tail -n 40 "$log"
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [[ -n "$artifact" ]]; then
      echo "!! reproduce with: cargo +nightly fuzz run --sanitizer none $target $artifact"
      echo "!! minimise with:  cargo +nightly fuzz tmin --sanitizer none $target $artifact"
    fi
  else
    summary+=("$(printf '%-17s %12s executions' "$target" "$runs")")
  fi
done

echo "== fuzz: executions per target ($seconds s each)"
printf '%s\n' "${summary[@]}"
printf '%-17s %12s executions\n' "total" "$total"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ok, no crash"
