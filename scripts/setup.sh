#!/usr/bin/env bash
# Installs everything tsrunc needs on Debian (run as root): system packages (containerd for the engine
# tests; runc for the `runc spec` test), npm dependencies (which build the native addon and helper with node-gyp), and the dist files
# in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential musl-tools python3 pkg-config libseccomp-dev libsystemd-dev busybox-static golang-github-opencontainers-specs-dev \
  containerd runc
npm ci --no-audit --no-fund
npm run build
