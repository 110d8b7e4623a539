#!/usr/bin/env bash
# Builds (or reuses) a Debian 12 guest for scripts/guest/run.sh: a root filesystem from debootstrap in a
# sparse ext4 image, plus the guest's own kernel and initrd to boot directly. Prints the folder holding
# rootfs.img, vmlinuz and initrd.img. The folder is named by a hash of this script (package list
# included), so a second run reuses it and an edit here builds a new one.
#   TSRUNC_GUEST_CACHE   cache folder (default /var/cache/tsrunc-guest)
#   TSRUNC_GUEST_MIRROR  Debian mirror (default http://deb.debian.org/debian)
# Progress goes to stderr; the build log to <cache>/<key>.log.
set -euo pipefail

# debootstrap's own resolver handles the base (it ignores alternatives and virtual packages); apt in
# the new root installs the rest.
base=(
  # systemd as PID 1, as on a production host
  systemd systemd-sysv dbus udev
  # boot: the guest's own kernel and an initrd that finds virtio disks
  linux-image-amd64 initramfs-tools
  # tsrunc's native addon and helper at run time (node's libstdc++ comes with minbase)
  libseccomp2
)
packages=(
  # engines, and runc for comparison
  containerd runc podman conmon
  # what the tests use: busybox rootfs, ps, <asm/unistd_64.h> for syscall names, the runtime-spec schema
  busybox-static procps linux-libc-dev golang-github-opencontainers-specs-dev
)
suite=bookworm
mirror=${TSRUNC_GUEST_MIRROR:-http://deb.debian.org/debian}
cache=${TSRUNC_GUEST_CACHE:-/var/cache/tsrunc-guest}
image_size=3G

key=$( { cat "$0"; echo "$mirror"; } | sha256sum | cut -c1-16)
out=$cache/$key
log=$cache/$key.log
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time; a waiting run then finds the finished image

if [ -f "$out/done" ]; then
  echo "$out"
  exit 0
fi

work=$cache/$key.tmp
root=$work/root
cleanup() {
  # debootstrap leaves /proc and /sys mounted in the target when it fails midway.
  if [ -d "$root" ]; then
    rm -f "$root/usr/sbin/policy-rc.d"
    for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
mkdir -p "$work"

started=$SECONDS
echo "guest image: building $out (log: $log)" >&2
: >"$log"
fail() {
  [ -f "$root/debootstrap/debootstrap.log" ] && cat "$root/debootstrap/debootstrap.log" >>"$log"
  echo "guest image: $1 failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
}
incl=$(IFS=,; echo "${base[*]}")
debootstrap --variant=minbase --include="$incl" "$suite" "$root" "$mirror" >>"$log" 2>&1 || fail debootstrap
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" # install services, start none
chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
{ chroot "$root" apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot "$root" \
    apt-get install -y -q --no-install-recommends "${packages[@]}"; } >>"$log" 2>&1 || fail "apt-get install"
# An initrd with only what finds the root disk boots seconds faster under emulation than MODULES=most.
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u >>"$log" 2>&1 || fail update-initramfs
umount -R "$root/dev" && umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d" && : >"$root/etc/resolv.conf"

# Configuration: no network, no login needed, /tmp a tmpfs, nothing at boot that a test run does not use.
echo tsrunc-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tsrunc-guest\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
cat >"$root/etc/fstab" <<'FSTAB'
/dev/vda / ext4 rw,noatime 0 1
tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0
FSTAB
printf '9p\n9pnet_virtio\n' >"$root/etc/modules-load.d/9p.conf"
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/volatile.conf"
chroot "$root" passwd -d root >>"$log" 2>&1 # a console login for debugging a guest by hand

# The one unit run.sh relies on: when the kernel command line has tsrunc.run, mount the control share
# and run the script run.sh put there; power off when it ends, whatever happens. Type=exec lets the
# boot finish (is-system-running: running) while the script runs.
cat >"$root/usr/local/sbin/tsrunc-guest-entry" <<'ENTRY'
#!/bin/sh
set -e
mkdir -p /run/tsrunc-ctl
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 tsrunc-ctl /run/tsrunc-ctl
exec /bin/sh /run/tsrunc-ctl/inside.sh
ENTRY
chmod 755 "$root/usr/local/sbin/tsrunc-guest-entry"
cat >"$root/etc/systemd/system/tsrunc-guest.service" <<'UNIT'
[Unit]
Description=Run the command given by scripts/guest/run.sh, then power off
ConditionKernelCommandLine=tsrunc.run
After=multi-user.target
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=exec
ExecStart=/usr/local/sbin/tsrunc-guest-entry
StandardOutput=journal+console
StandardError=journal+console
# As containerd.service: the commands it runs (a runtime, an engine) may manage cgroups below it.
Delegate=yes

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable tsrunc-guest.service >>"$log" 2>&1
# Tests start their own containerd; timers and scrubbers only cost boot time under emulation.
chroot "$root" systemctl disable containerd.service podman.socket >>"$log" 2>&1
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer man-db.timer podman-auto-update.timer podman-auto-update.service podman-restart.service \
  podman-clean-transient.service; do
  chroot "$root" systemctl mask "$u" >>"$log" 2>&1 || true
done
chroot "$root" apt-get clean >>"$log" 2>&1
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

cp -L "$root/vmlinuz" "$work/vmlinuz"
cp -L "$root/initrd.img" "$work/initrd.img"
truncate -s "$image_size" "$work/rootfs.img"
mkfs.ext4 -q -F -L tsrunc-guest -d "$root" "$work/rootfs.img" >>"$log" 2>&1
rm -rf "$root"
touch "$work/done"
rm -rf "$out"
mv "$work" "$out"
# Images of other versions of this script built over an hour ago are not used again (one that a guest
# still runs on stays readable to it).
find "$cache" -mindepth 1 -maxdepth 1 -mmin +60 -not -name "$key" -not -name "$key.log" -not -name .lock -exec rm -rf {} +
echo "guest image: built in $((SECONDS - started)) s" >&2
echo "$out"
