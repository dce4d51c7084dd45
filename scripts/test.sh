#!/usr/bin/env bash
# Set up (when needed), then build, lint and run every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The full-size test model's weights are generated (600 MB, ~5 s), never committed.
node scripts/prepare-test-models.mjs
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build lint test --output-logs=new-only --concurrency=1
