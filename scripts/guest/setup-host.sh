#!/usr/bin/env bash
# Installs what the guest scripts need on a Debian 12 host (run as root): QEMU (TCG is enough),
# debootstrap to build the guest's root, e2fsprogs for `mkfs.ext4 -d`. scripts/setup.sh stays without them.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
