// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One ring-buffer event per OOM victim, from oom:mark_victim. It fires once per task marked
 * (every member of a memory.oom.group kill, and the task_will_free_mem() shortcuts that
 * print nothing), with `current` the task running out_of_memory(). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/core_fixes.bpf.h"
#include "lib/memcg.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* A later victim of the same OOM (group kill, shared mm) finds the counter already moved. */
#define SAME_OOM_WINDOW_NS (2ULL * 1000 * 1000 * 1000)

struct domain_sum {
	__u64 memcg_id;
	struct oomtrace_memcg_totals totals;
};

static __always_inline void oom__add_value(struct domain_sum *sum,
					   const struct oomtrace_charge_value *value)
{
	for (int slot = 0; slot < OOMTRACE_SLOT_COUNT; slot++)
		sum->totals.pages[slot] += value->pages[slot];
}

static long oom__add_charges(struct bpf_map *map, struct oomtrace_charge_key *key,
			     struct oomtrace_charge_value *value, struct domain_sum *sum)
{
	if (key->memcg_id == sum->memcg_id)
		oom__add_value(sum, value);
	return 0;
}

/* More than any machine oomtrace runs on; the loop runs nr_cpus times. */
#define MAX_CPUS 4096

/* What the CPUs' slots hold that is not in `charges` yet (struct oomtrace_hot). */
static __always_inline void oom__add_pending_charges(struct domain_sum *sum)
{
	for (__u32 cpu = 0; cpu < nr_cpus && cpu < MAX_CPUS; cpu++) {
		/* Unrolled with a key of its own: 6.1's verifier loses a loop counter spilled to
		 * the stack for the lookup and calls the loop infinite. */
#pragma unroll
		for (int i = 0; i < OOMTRACE_HOT_SLOT_COUNT; i++) {
			__u32 index = i;
			struct oomtrace_hot *hot = bpf_map_lookup_percpu_elem(&hot_slots, &index, cpu);

			if (hot && hot->charge_key.memcg_id == sum->memcg_id)
				oom__add_value(sum, &hot->charge_pages);
		}
	}
}

/* The domain's charge counters at this instant, summed over its processes here rather than
 * kept per memcg on every stat update: the hot path pays (mostly) no map update, the rare OOM
 * a walk. */
static __always_inline void oom__snapshot_domain(__u64 domain_id, struct oomtrace_victim_event *event)
{
	struct domain_sum sum = { .memcg_id = domain_id };

	bpf_for_each_map_elem(&charges, oom__add_charges, &sum, 0);
	oom__add_pending_charges(&sum);
	__builtin_memcpy(event->domain_pages, sum.totals.pages, sizeof(event->domain_pages));
	event->has_domain_pages = 1;
}

/* From this kill on, removals are booked to its epoch until userspace has read the maps; a
 * later victim of the same OOM joins the epoch of the first. */
static __always_inline void oom__start_removal_epoch(struct oomtrace_victim_event *event)
{
	struct oomtrace_removal_epoch *epoch;
	__u32 zero = 0;

	epoch = bpf_map_lookup_elem(&removal_epoch, &zero);
	if (!epoch)
		return;
	if (event->domain_method != OOMTRACE_DOMAIN_RECENT || !epoch->active) {
		__sync_fetch_and_add(&epoch->epoch, 1);
		epoch->active = 1;
	}
	event->removal_epoch = epoch->epoch;
}

/* Find the cgroup whose limit was hit: walk up from the victim's memcg. The memcg that ran
 * out bumped memory_events_local[MEMCG_OOM] in mem_cgroup_oom(); failing that (no baseline
 * yet, or a later victim of the same OOM), take the deepest limited ancestor at its limit. */
static __always_inline void oom__find_domain(struct mem_cgroup *memcg,
					     struct oomtrace_victim_event *event)
{
	struct mem_cgroup *moved = NULL, *at_limit = NULL, *recent = NULL, *walk = memcg;
	struct last_domain *last;
	__u64 domain_id;
	__u32 zero = 0;
	__u64 now = event->hdr.ts_ns;

	last = bpf_map_lookup_elem(&last_domain, &zero);
	for (int depth = 0; depth < OOMTRACE_MAX_CGROUP_DEPTH && walk; depth++) {
		__u64 id = memcg__id(walk), count = memcg__oom_events(walk), *baseline;
		__u64 max = BPF_CORE_READ(walk, memory.max);
		__u64 usage = BPF_CORE_READ(walk, memory.usage.counter);

		baseline = bpf_map_lookup_elem(&oom_counts, &id);
		if (baseline && count > *baseline && !moved)
			moved = walk;
		bpf_map_update_elem(&oom_counts, &id, &count, BPF_ANY);
		if (last && last->memcg_id == id && now - last->ts_ns < SAME_OOM_WINDOW_NS)
			recent = walk;
		if (!at_limit && max < page_counter_max && usage + at_limit_slack_pages >= max)
			at_limit = walk;
		walk = memcg__parent(walk);
	}

	if (moved) {
		event->domain_method = OOMTRACE_DOMAIN_OOM_EVENT;
	} else if (recent) {
		moved = recent;
		event->domain_method = OOMTRACE_DOMAIN_RECENT;
	} else if (at_limit) {
		moved = at_limit;
		event->domain_method = OOMTRACE_DOMAIN_AT_LIMIT;
	} else {
		event->domain_method = OOMTRACE_DOMAIN_NONE;
	}
	oom__start_removal_epoch(event);
	if (!moved)
		return;
	domain_id = memcg__id(moved);
	event->oom_memcg_id = domain_id;
	oom__snapshot_domain(domain_id, event);
	event->oom_usage_bytes = BPF_CORE_READ(moved, memory.usage.counter) * page_size;
	event->oom_limit_bytes = BPF_CORE_READ(moved, memory.max) * page_size;
	if (last) {
		last->memcg_id = event->oom_memcg_id;
		last->ts_ns = now;
	}
}

/* Victim events are submitted with BPF_RB_FORCE_WAKEUP: the default wakes the reader only
 * when it has consumed everything before, and name events are sent without a wakeup. */
static __always_inline struct oomtrace_victim_event *oom__reserve(void)
{
	struct oomtrace_victim_event *event;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		counter__inc(OOMTRACE_COUNTER_RINGBUF_DROPS);
		return NULL;
	}
	__builtin_memset(event, 0, sizeof(*event));
	event->hdr.ts_ns = bpf_ktime_get_boot_ns();
	event->hdr.type = OOMTRACE_EVENT_VICTIM;
	event->hdr.size = sizeof(*event);
	event->trigger_pid = (__u32)pid_tgid;
	event->trigger_tgid = pid_tgid >> 32;
	bpf_get_current_comm(event->trigger_comm, sizeof(event->trigger_comm));
	return event;
}

/* 6.9+ (commit 72ba14deb40a, backported to 5.4.y-6.6.y in 2025): the victim's task. */
SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim, struct task_struct *task, uid_t uid)
{
	struct oomtrace_victim_event *event = oom__reserve();
	struct mem_cgroup *memcg;
	struct mm_struct *mm;

	if (!event)
		return 0;
	event->has_task = 1;
	event->victim_pid = BPF_CORE_READ(task, pid);
	event->victim_tgid = BPF_CORE_READ(task, tgid);
	bpf_probe_read_kernel_str(event->victim_comm, sizeof(event->victim_comm), task->comm);
	event->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);

	mm = task->mm;
	if (mm) {
		/* MM_* is an anonymous enum, unchanged since 4.5: no CO-RE relocation exists. */
		event->anon_rss_bytes = mm__counter(mm, MM_ANONPAGES) * page_size;
		event->file_rss_bytes = mm__counter(mm, MM_FILEPAGES) * page_size;
		event->shmem_rss_bytes = mm__counter(mm, MM_SHMEMPAGES) * page_size;
		event->total_vm_bytes = BPF_CORE_READ(mm, total_vm) * page_size;
	}

	memcg = task__memcg(task);
	if (memcg) {
		event->victim_memcg_id = memcg__id(memcg);
		oom__find_domain(memcg, event);
	} else {
		oom__start_removal_epoch(event);
	}
	bpf_ringbuf_submit(event, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Up to 6.8 without the backport: only the pid. Userspace completes the victim from /proc
 * and the domain from the kprobe tier or the victim's cgroup. */
SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim_pid, int pid)
{
	struct oomtrace_victim_event *event = oom__reserve();

	if (!event)
		return 0;
	event->victim_pid = pid;
	event->victim_tgid = pid;
	oom__start_removal_epoch(event);
	bpf_ringbuf_submit(event, BPF_RB_FORCE_WAKEUP);
	return 0;
}
