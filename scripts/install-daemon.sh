#!/usr/bin/env bash
# Installs tsrunc's systemd units (systemd/tsrunc-daemon@.{socket,service}) for this checkout's
# bin/tsrunc and enables the warm server for each state root given (default: /run/tsrunc, and
# containerd's roots for the k8s.io and default namespaces).
#   sudo scripts/install-daemon.sh [ROOT...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
roots=("$@")
[ ${#roots[@]} -gt 0 ] || roots=(/run/tsrunc /run/containerd/runc/k8s.io /run/containerd/runc/default)
install -m 644 "$here/systemd/tsrunc-daemon@.socket" /etc/systemd/system/
sed "s#@TSRUNC@#$here/bin/tsrunc#" "$here/systemd/tsrunc-daemon@.service" >/etc/systemd/system/tsrunc-daemon@.service
chmod 644 /etc/systemd/system/tsrunc-daemon@.service
systemctl daemon-reload
for root in "${roots[@]}"; do
  systemctl enable --now "tsrunc-daemon@$(systemd-escape --path "$root").socket"
done
