#!/usr/bin/env bash
# Runs a command as root in a Debian 12 guest that is cgroup v2 only (nsdelegate) with systemd as PID 1,
# as on a production host, and exits with its status. The checkout is shared read-only at its own path
# and the host's node is first on PATH, so what was built here (node_modules, build/, dist/) runs there.
# The command starts in the current folder when that is in the checkout, else at its top; /tmp is a
# tmpfs; its stdout and stderr are streamed here.
#
#   scripts/guest/run.sh [--timeout SECS] [--env K=V]... [--console FILE] -- COMMAND [ARG...]
#     --timeout SECS  stop the guest after SECS (default 1800): exit 124
#     --env K=V       set K in the command's environment (which is otherwise PATH, HOME, TMPDIR, LANG)
#     --console FILE  keep the guest's console (kernel and systemd) in FILE
#   Exits 125 when the guest ran no command (boot failure; the console's end is printed).
#   TSRUNC_GUEST_CACHE (see build-image.sh); TSRUNC_GUEST_ACCEL=tcg|kvm (default tcg: this kind of
#   host's KVM cannot boot Debian's kernel), TSRUNC_GUEST_MEM (MiB, 4096), TSRUNC_GUEST_CPUS (2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

timeout=1800 console= envs=()
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) timeout=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --console) console=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  sed -n '8,15s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
case $PWD/ in "$src"/*) cwd=$PWD ;; *) cwd=$src ;; esac
node=$(readlink -f "$(command -v node)")

image=$("$here/build-image.sh")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsrunc-guest.XXXXXX")
ctl=$tmp/ctl
qpid= tails=()
cleanup() {
  set +e # a failing step must not skip the rest
  if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
  for t in "${tails[@]}"; do kill "$t" 2>/dev/null; done
  if [ -n "$console" ]; then cp "$tmp/console.log" "$console"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$ctl"
cp "$here/inside.sh" "$ctl/inside.sh"
printf 'SRC=%q\nNODE_DIR=%q\n' "$src" "$(dirname "$node")" >"$ctl/job"
{
  for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
  printf 'cd %q || exit 125\nexec' "$cwd"
  printf ' %q' "$@"
  echo
} >"$ctl/cmd.sh"
: >"$tmp/stdout"; : >"$tmp/stderr"; : >"$tmp/console.log"

append="root=/dev/vda rw console=ttyS0 panic=1 quiet systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all tsrunc.run"
case ${TSRUNC_GUEST_ACCEL:-tcg} in
  tcg) accel=(-accel tcg,thread=multi -cpu max) ;;
  kvm) accel=(-accel kvm -cpu host) ;;
  *) echo "TSRUNC_GUEST_ACCEL: must be tcg or kvm" >&2; exit 2 ;;
esac
share() { echo "local,path=$1,mount_tag=$2,security_model=none${3:+,$3}"; }
port() { echo "-chardev file,id=$1,path=$tmp/$1 -device virtserialport,chardev=$1,name=tsrunc.$1"; }
# TMPDIR: the overlay that snapshot=on writes goes into $tmp, so nothing outlives this script.
# shellcheck disable=SC2046
TMPDIR=$tmp timeout -k 10 "$timeout" qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
  "${accel[@]}" -m "${TSRUNC_GUEST_MEM:-4096}" -smp "${TSRUNC_GUEST_CPUS:-2}" \
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "$append" \
  -drive "file=$image/rootfs.img,format=raw,if=virtio,snapshot=on" \
  -device virtio-rng-pci -serial "file:$tmp/console.log" \
  -virtfs "$(share "$src" tsrunc-src readonly=on)" \
  -virtfs "$(share "$(dirname "$node")" tsrunc-node readonly=on)" \
  -virtfs "$(share "$ctl" tsrunc-ctl)" \
  -device virtio-serial-pci $(port stdout) $(port stderr) &
qpid=$! qstarted=$SECONDS
tail -c +1 -f --pid="$qpid" "$tmp/stdout" & tails+=($!)
tail -c +1 -f --pid="$qpid" "$tmp/stderr" >&2 & tails+=($!)
qstatus=0
wait "$qpid" || qstatus=$?
qpid=
wait "${tails[@]}"
tails=()

if [ -f "$ctl/boot-state" ] && [ "$(head -n1 "$ctl/boot-state")" != running ]; then
  echo "guest: the system was $(head -n1 "$ctl/boot-state"); failed units: $(tail -n +2 "$ctl/boot-state" | awk '{ print $1 }' | xargs)" >&2
fi
if [ -f "$ctl/status" ]; then
  if [ -f "$ctl/ended" ]; then
    awk -v s="$(cat "$ctl/started")" -v e="$(cat "$ctl/ended")" -v all=$((SECONDS - qstarted)) \
      'BEGIN { printf "guest: up in %.0f s, command %.0f s, %d s in all\n", s, e - s, all }' >&2
  fi
  exit "$(cat "$ctl/status")"
fi
if [ "$qstatus" -eq 124 ]; then
  echo "guest: stopped after the ${timeout} s time limit; the console's end:" >&2
else
  echo "guest: no command ran (qemu exited $qstatus); the console's end:" >&2
fi
tail -n 30 "$tmp/console.log" >&2
[ -s "$tmp/console.log" ] || echo "(nothing: the kernel did not start)" >&2
[ "$qstatus" -eq 124 ] && exit 124
exit 125
