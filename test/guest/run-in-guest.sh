#!/usr/bin/env bash
# What .ci/run runs inside the cgroup v2 + systemd guest (scripts/guest/run.sh), from the read-only
# checkout: a busybox container, then the suites that must hold on such a host. Exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
failed=()
step() {
  local name=$1; shift
  echo "== $name"
  local t=$SECONDS
  "$@" || failed+=("$name")
  echo "== $name: $((SECONDS - t)) s"
}
# vitest: the checkout is read-only, so the config is loaded without writing a bundled copy next to it.
# Everything in the guest runs 5-8x slower under TCG (more on a busy host): generous per-test limits.
vitest() { node_modules/.bin/vitest run --configLoader runner --testTimeout 180000 --hookTimeout 180000 "$@"; }
# The same suites with a `tsrunc daemon` serving each test's root (test/support/env.ts).
warm() { TSRUNC_TEST_WARM=1 "$@"; }

echo "== guest: $(uname -r), systemd $(systemctl is-system-running), $(grep -o 'cgroup2 [^ ]* [^ ]*' /proc/self/mountinfo)"
step "smoke: busybox container" bash scripts/example.sh /tmp/tsrunc-example
step "vitest: cgroup v2" vitest test/oci-conformance/cgroup-v2.test.ts
step "vitest: every v2 resource read back, podman, the warm server under systemd" vitest test/guest/
step "vitest: exec (nsdelegate), events (v2 stats)" vitest test/oci-conformance/exec.test.ts test/oci-conformance/events.test.ts
step "vitest: podman through the warm path" warm vitest test/guest/podman.test.ts

if [ ${#failed[@]} -gt 0 ]; then
  printf '== failed: %s\n' "${failed[@]}"
  exit 1
fi
echo "== all passed"
