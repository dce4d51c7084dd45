#!/usr/bin/env bash
# Idempotent setup on Debian/Ubuntu: system packages, pnpm, the workspace's dependencies
# (faiss-node's addon compiled against Debian's FAISS through our pnpm patch), and a build.
# Reaches only Debian's package mirrors and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
# chromium: the web app's end-to-end tests drive Debian's browser (apps/web/test/e2e).
# postgresql-15: the PostgreSQL catalogue's tests start throwaway clusters (initdb + pg_ctl, packages/config/postgres.js).
# redis-server: the embedding queue's tests start throwaway servers (packages/config/redis.js); iproute2: `ip netns`
# for the test that runs a worker in its own network namespace.
# libjpeg62-turbo-dev: the JPEG decoder addon (packages/core/native/jpegDecode.c) links the system libjpeg-turbo.
# libopenblas-dev: FAISS's BLAS, and the near-duplicates addon (packages/core/native/similarity.c) calls its sgemm.
SYSTEM_PACKAGES=(libfaiss-dev libopenblas-dev cmake g++ make python3 pkg-config chromium postgresql-15 redis-server iproute2 libjpeg62-turbo-dev)

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  log "installing pnpm $PNPM_VERSION from the npm registry"
  if [ "$(id -u)" -eq 0 ]; then
    npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >&2
  else
    npm install -g --no-fund --no-audit --prefix "$HOME/.local" "pnpm@$PNPM_VERSION" >&2
    export PATH="$HOME/.local/bin:$PATH"
  fi
fi

# onnxruntime-node would fetch CUDA libraries from NuGet; its CPU binaries ship in the npm package.
export ONNXRUNTIME_NODE_INSTALL=skip
# Native addons (better-sqlite3) build against the installed Node's headers, never downloaded ones.
if [ -f /usr/include/node/node_api.h ] && [ -z "${npm_config_nodedir:-}" ]; then
  export npm_config_nodedir=/usr
fi

# Reinstall only when the lockfile, the patches or the manifests changed since the last setup.
stamp=node_modules/.sis-setup-stamp
fingerprint=$(cat pnpm-lock.yaml pnpm-workspace.yaml package.json ./*/*/package.json patches/* | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$fingerprint" ]; then
  log "installing workspace dependencies (compiles faiss-node and better-sqlite3; a few minutes the first time)"
  pnpm install --frozen-lockfile >&2
  node -e "require('./packages/core/node_modules/faiss-node'); require('./packages/core/node_modules/better-sqlite3')" ||
    { echo "setup: native addons failed to load after install" >&2; exit 1; }
  echo "$fingerprint" > "$stamp"
fi

# The image resampler's C loops (packages/core/native/resample.c) and the baseline-JPEG decoder
# (jpegDecode.c, linking the system libjpeg-turbo), Node-API addons: the system C compiler and the installed
# Node's own headers, nothing downloaded. Without them the TypeScript loops and sharp run (same bytes, slower).
node_include=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
build_addon() { # name, extra cc flags...
  local name=$1 addon=packages/core/native/build/$1.node source=packages/core/native/$1.c
  shift
  [ -f "$addon" ] && [ ! "$source" -nt "$addon" ] && [ ! packages/core/native/napiArgs.h -nt "$addon" ] && return 0
  if [ -f "$node_include/node_api.h" ] && command -v cc >/dev/null; then
    log "building the $name addon"
    mkdir -p "$(dirname "$addon")"
    cc -O3 -fPIC -shared -DNODE_GYP_MODULE_NAME="$name" -I"$node_include" "$source" -o "$addon" "$@" ||
      log "the $name addon did not build: its fallback runs"
  else
    log "no C compiler or Node headers: the $name addon's fallback runs"
  fi
}
build_addon resample
build_addon jpegDecode -ljpeg
build_addon similarity -lopenblas

export TURBO_TELEMETRY_DISABLED=1
log "building"
pnpm exec turbo run build --output-logs=errors-only >&2
