// SPDX-License-Identifier: GPL-2.0
/*
 * zc_mark: execute the marker instruction of bench/icount_pcpu.c once, so
 * that the plugin records every vCPU's instruction count at this moment.
 * scripts/guest/bench.sh runs it (on the peer CPU) just before and just
 * after each measured run.  Without the plugin it does nothing.
 */
int main(void)
{
	asm volatile("xchg %%rbx, %%rbx" ::: "rbx", "memory");
	return 0;
}
