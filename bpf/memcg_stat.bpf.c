// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The memcg stat tracepoints (6.13+, commit 0aa3ef363792 "memcg: add tracing for memcg stat
 * updates"): every update of a memcg's counters, with the raw item and a value in pages,
 * in the updating task. The memcg is the folio's charged memcg, not current's; a typed
 * argument, so its fields are plain loads. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/charges.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/mod_memcg_lruvec_state")
int BPF_PROG(handle_mod_memcg_lruvec_state, struct mem_cgroup *memcg, int item, int val)
{
	int slot = charges__node_slot(item);

	if (slot >= 0)
		charges__add(OOMTRACE_HOT_NODE_STAT, memcg, memcg->css.serial_nr, slot, val);
	return 0;
}

SEC("tp_btf/mod_memcg_state")
int BPF_PROG(handle_mod_memcg_state, struct mem_cgroup *memcg, int item, int val)
{
	int slot = charges__memcg_slot(item);

	if (slot >= 0)
		charges__add(OOMTRACE_HOT_MEMCG_STAT, memcg, memcg->css.serial_nr, slot, val);
	return 0;
}
