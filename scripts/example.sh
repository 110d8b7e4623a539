#!/usr/bin/env bash
# Builds an example bundle (a busybox-static rootfs and `tsrunc spec`'s config) and runs a container.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-/tmp/tsrunc-example}
rm -rf "$bundle" && mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$applet"; done
mkdir -p "$bundle"/rootfs/{proc,sys,dev,etc,tmp,root}
echo 'root:x:0:0:root:/root:/bin/sh' > "$bundle/rootfs/etc/passwd"
bin/tsrunc spec --bundle "$bundle"
# Run a command instead of an interactive shell.
node -e '
const fs = require("fs"); const f = process.argv[1] + "/config.json";
const c = JSON.parse(fs.readFileSync(f, "utf8"));
c.process.args = ["sh", "-c", "echo hello from $(hostname), pid $$ in its own namespaces; id; ls /"];
c.process.terminal = false;
fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$bundle"
bin/tsrunc --root /run/tsrunc-example run --bundle "$bundle" "example-$$"
