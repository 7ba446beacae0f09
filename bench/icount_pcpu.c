// SPDX-License-Identifier: GPL-2.0
/*
 * icount_pcpu: exact per-vCPU instruction counts for make bench, and an
 * optional per-translation-block profile.  A QEMU 7.2 TCG plugin (plugin
 * API version 1), loaded by scripts/vm-run.sh --plugin.
 *
 * Why: under -icount both vCPUs share one instruction clock and QEMU runs
 * them one at a time, so a vCPU that is busy while QEMU runs the other one
 * sees the other's instructions as its own time: busy time over-counts.
 * This plugin counts the instructions each vCPU actually executes (the
 * length of every translated block, added each time the block runs).
 *
 * Marks: whenever guest code executes the marker instruction
 * "xchg %rbx,%rbx" (48 87 db; no compiler emits it; bench/zc_mark.c does),
 * one line
 *	mark N vcpu=V COUNT0 COUNT1
 * is appended to the out= file: N counts from 1, V is the vCPU that ran
 * the marker, COUNTi the instructions vCPU i executed since boot.  At exit
 * one more line has vcpu=99.  scripts/guest/bench.sh marks the start and
 * the end of every run and records which marks it made.
 *
 * Profile (profile=PATH): between an odd mark and the next one (the
 * window of one run), every execution of a translated block is also
 * counted per block, per vCPU.  At exit PATH gets one line per block that
 * ran in a window:
 *	VADDR NINSNS EXEC0 EXEC1
 * (hex guest address of the block's first instruction, its length, how
 * often vCPU 0 and vCPU 1 ran it).  A block that starts at a function's
 * address and ran k times is k calls of that function (a block starts
 * there only when the function is entered, or on a jump back to its first
 * instruction, which kernel functions do not do).  scripts/bench-profile.py
 * symbolises them against the kernel's System.map.
 *
 * A block that raises an exception part-way (a page fault on a user
 * access) is counted whole: the over-count is at most the rest of that
 * block per fault.
 *
 * Build:  gcc -O2 -shared -fPIC -o icount_pcpu.so bench/icount_pcpu.c
 * Use:    qemu-system-x86_64 ... -icount shift=0,sleep=off \
 *		-plugin /path/icount_pcpu.so,out=/path/marks.txt[,profile=/path/tb.txt]
 * With -icount QEMU runs all vCPUs in one thread, round robin, so the
 * counters need no atomics.
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
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAXCPU 2

/* One translation of a block (profile mode).  Blocks are never freed. */
struct tb_prof {
	uint64_t vaddr;
	uint64_t n;
	uint64_t exec[MAXCPU];
	struct tb_prof *next;
};

static uint64_t counts[MAXCPU];
static FILE *out;
static const char *prof_path;
static struct tb_prof *prof_list;
static unsigned long marks;
static int armed;		/* inside a profile window */

static void tb_exec(unsigned int vcpu, void *ud)
{
	if (vcpu < MAXCPU)
		counts[vcpu] += (uintptr_t)ud;
}

static void tb_exec_prof(unsigned int vcpu, void *ud)
{
	struct tb_prof *p = ud;

	if (vcpu >= MAXCPU)
		return;
	counts[vcpu] += p->n;
	if (armed)
		p->exec[vcpu]++;
}

static void mark_exec(unsigned int vcpu, void *ud)
{
	fprintf(out, "mark %lu vcpu=%u %llu %llu\n", ++marks, vcpu,
		(unsigned long long)counts[0], (unsigned long long)counts[1]);
	fflush(out);
	armed = marks & 1;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	size_t i;

	if (prof_path) {
		struct tb_prof *p = calloc(1, sizeof(*p));

		if (!p)
			abort();
		p->vaddr = qemu_plugin_tb_vaddr(tb);
		p->n = n;
		p->next = prof_list;
		prof_list = p;
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec_prof,
						     QEMU_PLUGIN_CB_NO_REGS, p);
	} else {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec,
						     QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
	}
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *d = qemu_plugin_insn_data(insn);

		if (qemu_plugin_insn_size(insn) == 3 && d[0] == 0x48 &&
		    d[1] == 0x87 && d[2] == 0xdb)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *ud)
{
	struct tb_prof *p;
	FILE *f;

	fprintf(out, "mark %lu vcpu=99 %llu %llu\n", ++marks,
		(unsigned long long)counts[0], (unsigned long long)counts[1]);
	fclose(out);
	if (!prof_path)
		return;
	f = fopen(prof_path, "w");
	if (!f)
		return;
	for (p = prof_list; p; p = p->next)
		if (p->exec[0] || p->exec[1])
			fprintf(f, "%llx %llu %llu %llu\n",
				(unsigned long long)p->vaddr,
				(unsigned long long)p->n,
				(unsigned long long)p->exec[0],
				(unsigned long long)p->exec[1]);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	const char *path = "/tmp/icount_pcpu.txt";
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "profile=", 8))
			prof_path = argv[i] + 8;
		else
			return -1;
	}
	out = fopen(path, "w");
	if (!out)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
