#!/bin/sh
# bench/run.sh BUILD_DIR — every benchmark at the sizes the issues name,
# JSON lines to stdout and to BUILD_DIR/bench-results.jsonl.  Each driver
# measures its floor or peer in the same run (see bench/README.md).
# Takes about 10-15 minutes on 2 cores, most of it in the peers
# (scikit-learn, R survfit, xgboost).
set -eu
build=${1:-build}
src=$(cd "$(dirname "$0")" && pwd)
out="$build/bench-results.jsonl"
: > "$out"
run() {
  echo ">> $*" >&2
  "$@" | tee -a "$out"
}
run "$build/bench/bench_io" --rows 1e7
run "$build/bench/bench_synth" --rows 5e6
run "$build/bench/bench_import" --rows 3e6
run "$build/bench/bench_kmeans" --rows 1e7 --features 16 --k 8 --sklearn-script "$src/kmeans_sklearn.py"
run "$build/bench/bench_tree" --rows 1e7 --features 16 --depth 8 --peers "$src/tree_peers.py" --sklearn-rows 1e6
run "$build/bench/bench_survival" --rows 1e7 --strata 300
"$build/clmseg" synth -o "${TMPDIR:-/tmp}/clmseg-bench-q1m.h5" --rows 1000000 --seed 42 --quiet
run "$build/bench/bench_survival" --quarter "${TMPDIR:-/tmp}/clmseg-bench-q1m.h5" --repeats 20
rm -f "${TMPDIR:-/tmp}/clmseg-bench-q1m.h5"
CLMSEG_BIN="$build/clmseg" CLMSEG_SOURCE_DIR="$src/.." run "$build/bench/bench_cox" --rows 1e7 --r-rows 1e6 --dir "${TMPDIR:-/tmp}"
run "$build/bench/bench_allocate" --rows 1e7
CLMSEG_BIN="$build/clmseg" run "$build/bench/bench_scenario" --rows 1e7 --dir "${TMPDIR:-/tmp}"
run "$build/bench/bench_pipeline" --rows 1e7
run "$build/bench/bench_report" --dir "${TMPDIR:-/tmp}"
echo "results: $out" >&2
