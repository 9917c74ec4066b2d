/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Maps and settings shared by every hook family. Each *.bpf.c includes this header; the
 * definitions are __weak so that `bpftool gen object` links them into one object. Sizes
 * marked "set by the loader" are placeholders that user/tracer.cpp overrides before load. */
#ifndef OOMTRACE_MAPS_BPF_H
#define OOMTRACE_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "oomtrace/oomtrace.h"

/* Settings, written by the loader between open and load. */
const volatile bool filter_cgroups __weak = false; /* trace only below traced_roots */
const volatile __u64 page_size __weak = 4096;
const volatile __u64 page_counter_max __weak = 0; /* PAGE_COUNTER_MAX, in pages */
const volatile __u64 at_limit_slack_pages __weak = 128;
const volatile __u32 nr_cpus __weak = 1; /* possible CPUs, for reading per-CPU maps whole */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024); /* set by the loader */
} events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OOMTRACE_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps") __weak;

/* Cgroup ids whose subtree is traced, when filter_cgroups is set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} traced_roots SEC(".maps") __weak;

/* Cached filter decision per memcg id, so the ancestor walk runs once per cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} memcg_verdicts SEC(".maps") __weak;

/* Per CPU and per counting program: see struct oomtrace_hot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OOMTRACE_HOT_SLOT_COUNT);
	__type(key, __u32);
	__type(value, struct oomtrace_hot);
} hot_slots SEC(".maps") __weak;

/* memory_events_local[MEMCG_OOM] last seen per memcg id: the baseline for finding the
 * cgroup whose limit was hit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} oom_counts SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oomtrace_removal_epoch);
} removal_epoch SEC(".maps") __weak;

struct last_domain {
	__u64 memcg_id;
	__u64 ts_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_domain);
} last_domain SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by the loader */
	__type(key, struct oomtrace_file_key);
	__type(value, struct oomtrace_file_value);
} files SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* set by the loader */
	__type(key, struct oomtrace_charge_key);
	__type(value, struct oomtrace_charge_value);
} charges SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* set by the loader */
	__type(key, __u32);
	__type(value, struct oomtrace_comm);
} task_comms SEC(".maps") __weak;

/* The pages of each shmem file as last accounted: its mapping's nrpages at the last LRU
 * insertion, less the removals seen since (pagecache.bpf.c). */
struct shmem_size_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by the loader */
	__type(key, struct shmem_size_key);
	__type(value, __s64);
} shmem_sizes SEC(".maps") __weak;

static __always_inline struct oomtrace_hot *hot__slot(__u32 index)
{
	return bpf_map_lookup_elem(&hot_slots, &index);
}

static __always_inline void counter__inc(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);

	if (value)
		*value += 1;
}

/* Called where a new entry names a tgid: remember what it is called. */
static __always_inline void task__remember(__u32 tgid)
{
	struct oomtrace_comm name;

	if (!tgid)
		return;
	bpf_get_current_comm(name.comm, sizeof(name.comm));
	bpf_map_update_elem(&task_comms, &tgid, &name, BPF_NOEXIST);
}

#endif /* OOMTRACE_MAPS_BPF_H */
