// SPDX-License-Identifier: GPL-2.0
/*
 * icount_pcpu: exact per-vCPU instruction counts for make bench (issue 5).
 * A QEMU 7.2 TCG plugin (plugin API version 1), NOT WIRED into make bench
 * yet: it was used to measure how much the busy-time metric of
 * scripts/guest/bench.sh is distorted (README.md, "Benchmark").
 *
 * Why: under -icount both vCPUs share one instruction clock and QEMU runs
 * them one at a time, so a vCPU that is busy while QEMU runs the other one
 * sees the other's instructions as its own time.  This plugin counts the
 * instructions each vCPU actually executes (per translated block run).
 *
 * Snapshots: whenever any guest code executes the marker instruction
 * "xchg %rbx,%rbx" (48 87 db; no compiler emits it), one line
 *	mark N vcpu=V COUNT0 COUNT1
 * is appended to the output file (N counts from 1; at exit a line with
 * vcpu=99).  A guest helper is: int main(void) { asm volatile("xchg
 * %rbx,%rbx"); return 0; }, run by bench.sh's snap(); run k's counts are
 * then marks 2k-1 and 2k.
 *
 * Build:  gcc -O2 -shared -fPIC -o icount_pcpu.so bench/icount_pcpu.c
 * Use:    qemu-system-x86_64 ... -icount shift=0,sleep=off \
 *		-plugin /path/icount_pcpu.so,out=/path/marks.txt
 * Wiring it needs vm-run.sh to pass -plugin (an option for extra QEMU
 * arguments), the helper in the guest, and bench-report.py to read the
 * marks instead of busy_ns.
 *
 * Debian ships no qemu-plugin.h: the few declarations used are repeated
 * here from QEMU 7.2's include/qemu/qemu-plugin.h (API version 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb; struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;
#define MAXCPU 8
static uint64_t counts[MAXCPU];
static FILE *out;
static unsigned long marks;

static void tb_exec(unsigned int vcpu, void *ud) { if (vcpu < MAXCPU) counts[vcpu] += (uintptr_t)ud; }
static void mark_exec(unsigned int vcpu, void *ud)
{
	fprintf(out, "mark %lu vcpu=%u", ++marks, vcpu);
	for (int i = 0; i < 2; i++) fprintf(out, " %llu", (unsigned long long)counts[i]);
	fprintf(out, "\n"); fflush(out);
}
static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *d = qemu_plugin_insn_data(insn);
		if (qemu_plugin_insn_size(insn) == 3 && d[0] == 0x48 && d[1] == 0x87 && d[2] == 0xdb)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}
static void at_exit(qemu_plugin_id_t id, void *ud) { mark_exec(99, NULL); fclose(out); }
__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *path = argc > 0 && !strncmp(argv[0], "out=", 4) ? argv[0] + 4 : "/tmp/icount_pcpu.txt";
	out = fopen(path, "w");
	if (!out) return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
