#!/bin/sh
# Builds the front (docs/warm-path.md) as one static executable: OUT, then its C sources. With musl when
# musl-gcc is there (Debian's musl-tools): glibc's start probes the CPU's features with dozens of CPUID
# instructions, each a trap to the hypervisor in a virtual machine, which cost 0.3 ms of every command on
# a cloud-like VM; musl's start does none. Without it, the system's C library.
set -eu
out=$1
shift
cc=$(command -v musl-gcc || echo "${CC:-cc}")
exec $cc -O2 -std=gnu11 -Wall -Wextra -static -o "$out" "$@"
