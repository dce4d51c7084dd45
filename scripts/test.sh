#!/usr/bin/env bash
# Set up (when needed), then build, lint and run every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The full-size test model's weights are generated (600 MB, ~5 s), never committed.
node scripts/prepare-test-models.mjs
# onnxruntime for Python on this machine (.cache/pyref, from the machine's wheel folders): the 8-bit parity
# tests' reference, since onnxruntime's integer kernels differ by CPU.
pnpm --silent --filter @sis/bench python-env
export TURBO_TELEMETRY_DISABLED=1
export SIS_TEST_TOTALS_DIR="$PWD/out/test-totals"
rm -rf "$SIS_TEST_TOTALS_DIR"
status=0
pnpm exec turbo run build lint test --output-logs=new-only --concurrency=1 || status=$?
# Smoke runs that keep the benchmark, evaluation and load scripts working (figures are not asserted).
if [ "$status" -eq 0 ]; then
  export SIS_DATA_DIR="$PWD/out/smoke-data"
  pnpm bench --quick || status=$?
  pnpm eval --quick || status=$?
  pnpm bench:queue --quick || status=$?
  pnpm --filter api load -- --quick || status=$?
fi
# One line for the whole workspace: "jest: N passed, N failed, N skipped".
node -e '
  const fs = require("fs"), dir = process.env.SIS_TEST_TOTALS_DIR;
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const totals = JSON.parse(fs.readFileSync(`${dir}/${file}`, "utf8"));
    for (const key of Object.keys(sum)) sum[key] += totals[key];
  }
  console.log(`jest: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
'
exit "$status"
