{
  "targets": [
    {
      "target_name": "berth_sys",
      "sources": ["native/addon/addon.c", "native/addon/bpf.c", "native/addon/spawn.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    },
    {
      "target_name": "berth-init",
      "type": "executable",
      "sources": ["native/init/init.c", "native/init/plan.c", "native/init/rootfs.c", "native/init/process.c", "native/init/hooks.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-O2", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-s", "-Wl,--gc-sections"]
    }
  ]
}
