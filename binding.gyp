{
  "targets": [
    {
      "target_name": "tsrunc_native",
      "sources": ["native/addon/addon.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-Wall", "-Wextra"],
      "libraries": ["-lseccomp"]
    },
    {
      "target_name": "tsrunc_sdbus",
      "sources": ["native/sdbus/sdbus.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-Wall", "-Wextra"],
      "libraries": ["-lsystemd"]
    },
    {
      "target_name": "tsrunc",
      "type": "none",
      "actions": [{
        "action_name": "front",
        "inputs": ["native/front/build.sh", "native/front/front.h", "native/front/main.c", "native/front/args.c", "native/front/cold.c", "native/front/warm.c"],
        "outputs": ["<(PRODUCT_DIR)/tsrunc"],
        "action": ["sh", "native/front/build.sh", "<(PRODUCT_DIR)/tsrunc", "native/front/main.c", "native/front/args.c", "native/front/cold.c", "native/front/warm.c"]
      }]
    },
    {
      "target_name": "tsrunc-init",
      "type": "executable",
      "sources": ["native/helper/main.c", "native/helper/plan.c", "native/helper/interp.c", "native/helper/args.c", "native/helper/host_ops.c", "native/helper/rootfs.c", "native/helper/mounts.c", "native/helper/mount_sources.c", "native/helper/copyup.c", "native/helper/process.c", "native/helper/exec.c", "native/helper/hooks.c", "native/helper/console.c", "native/helper/seal.c", "native/helper/seccomp.c"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-std=gnu11"],
      "libraries": ["-lseccomp"]
    }
  ]
}
