/*
 * libseccomp-oracle: builds a filter with libseccomp from rules on stdin and
 * writes the BPF libseccomp generates to stdout, as an oracle for berth's
 * compiler (the test evaluates both programs in its BPF interpreter).
 *
 *   arch SCMP_ARCH_X86                  add an architecture
 *   default ACTION                      (first line) the default action
 *   rule ACTION NAME N [INDEX OP VALUE VALUETWO]*N
 *
 *   end                                 export this filter, start the next
 *
 * ACTION is the 32-bit SECCOMP_RET value (libseccomp uses the same encoding),
 * OP libseccomp's enum scmp_compare. NAME is resolved for the native
 * architecture as runc does (unknown names are skipped). For each filter the
 * output is a 32-bit length in host order and the program, or the length
 * 0xffffffff when libseccomp refused a rule. One process serves many filters.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void emit(scmp_filter_ctx ctx, int refused, int rules) {
  uint32_t len = 0xffffffff;
  static char buf[65536];
  if (!refused) {
    if (rules > 32) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* as runc */
    int fd = memfd_create("bpf", 0);
    if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0) exit(125);
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > (off_t)sizeof(buf)) exit(125);
    len = (uint32_t)st.st_size;
    if (pread(fd, buf, len, 0) != (ssize_t)len) exit(125);
    close(fd);
  }
  fwrite(&len, sizeof(len), 1, stdout);
  if (len != 0xffffffff) fwrite(buf, 1, len, stdout);
  fflush(stdout);
  seccomp_release(ctx);
}

int main(void) {
  char line[4096];
  scmp_filter_ctx ctx = NULL;
  int rules = 0, refused = 0;
  while (fgets(line, sizeof(line), stdin)) {
    char *save = NULL;
    char *word = strtok_r(line, " \n", &save);
    if (!word) continue;
    if (strcmp(word, "default") == 0) {
      ctx = seccomp_init((uint32_t)strtoul(strtok_r(NULL, " \n", &save), NULL, 0));
      if (!ctx) return 125;
      rules = refused = 0;
    } else if (strcmp(word, "end") == 0) {
      if (!ctx) return 125;
      emit(ctx, refused, rules);
      ctx = NULL;
    } else if (strcmp(word, "arch") == 0) {
      char *name = strtok_r(NULL, " \n", &save) + strlen("SCMP_ARCH_");
      for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c); /* X86_64 -> x86_64 */
      uint32_t arch = seccomp_arch_resolve_name(name);
      if (arch == 0) return 125;
      int rc = seccomp_arch_add(ctx, arch);
      if (rc != 0 && rc != -EEXIST) return 125;
    } else if (strcmp(word, "rule") == 0) {
      uint32_t action = (uint32_t)strtoul(strtok_r(NULL, " \n", &save), NULL, 0);
      const char *name = strtok_r(NULL, " \n", &save);
      unsigned n = (unsigned)strtoul(strtok_r(NULL, " \n", &save), NULL, 0);
      struct scmp_arg_cmp args[6];
      for (unsigned i = 0; i < n && i < 6; i++) {
        args[i].arg = (unsigned)strtoul(strtok_r(NULL, " \n", &save), NULL, 0);
        args[i].op = (enum scmp_compare)strtoul(strtok_r(NULL, " \n", &save), NULL, 0);
        args[i].datum_a = strtoull(strtok_r(NULL, " \n", &save), NULL, 0);
        args[i].datum_b = strtoull(strtok_r(NULL, " \n", &save), NULL, 0);
      }
      int nr = seccomp_syscall_resolve_name(name);
      if (nr == __NR_SCMP_ERROR || refused) continue;
      if (seccomp_rule_add_array(ctx, action, nr, n, args) != 0) refused = 1;
      else rules++;
    }
  }
  return 0;
}
