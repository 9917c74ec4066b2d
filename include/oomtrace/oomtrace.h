/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs (bpf/) and the C++ loader (user/).
 * Plain C with fixed-width types only, widest fields first, explicit padding,
 * no bitfields. user/abi.hpp locks every layout with static_assert.
 */
#ifndef OOMTRACE_OOMTRACE_H
#define OOMTRACE_OOMTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define OOMTRACE_COMM_LEN 16
/* Dentry components carried by one name event, and the bytes kept of each. */
#define OOMTRACE_NAME_DEPTH 10
#define OOMTRACE_NAME_COMPONENT_LEN 64
/* How far the victim's memcg is walked up to find the OOM domain. */
#define OOMTRACE_MAX_CGROUP_DEPTH 16

enum oomtrace_event_type {
	OOMTRACE_EVENT_VICTIM = 1,
	OOMTRACE_EVENT_FILE_NAME = 2,
};

/* How the BPF side found the cgroup whose limit was hit. */
enum oomtrace_domain_method {
	OOMTRACE_DOMAIN_NONE = 0,	 /* no limited ancestor: global OOM */
	OOMTRACE_DOMAIN_OOM_EVENT = 1,	 /* memory_events_local[MEMCG_OOM] moved */
	OOMTRACE_DOMAIN_RECENT = 2,	 /* same OOM as the previous victim (group kill) */
	OOMTRACE_DOMAIN_AT_LIMIT = 3,	 /* usage within slack of the limit */
	OOMTRACE_DOMAIN_KPROBE = 4,	 /* oom_control->memcg, from a function hook */
};

/* Slots of the per-(memcg, tgid) charge counters, in pages. Page cache and shmem are kept per
 * file instead (struct oomtrace_file_key). */
enum oomtrace_charge_slot {
	OOMTRACE_SLOT_ANON = 0, /* the process's resident anon pages (kmem:rss_stat), set */
	OOMTRACE_SLOT_KERNEL,	/* kernel memory charged while it ran (MEMCG_KMEM), added */
	OOMTRACE_SLOT_COUNT,
};

/* Kinds of resident object in the file map. */
enum oomtrace_object_kind {
	OOMTRACE_OBJECT_FILE = 0,  /* page cache of a regular file */
	OOMTRACE_OBJECT_SHMEM = 1, /* tmpfs, /dev/shm, memfd, SysV, shared anon */
};

/* Global drop and eviction counters, indexes into the `counters` array map. */
enum oomtrace_counter {
	OOMTRACE_COUNTER_RINGBUF_DROPS = 0, /* events lost: ring buffer full */
	OOMTRACE_COUNTER_FILE_INSERTS,	    /* file entries created (evictions = inserts - live) */
	OOMTRACE_COUNTER_FILE_INSERT_FAILS, /* file entries that could not be created */
	OOMTRACE_COUNTER_CHARGE_INSERTS,    /* charge entries created */
	OOMTRACE_COUNTER_CHARGE_INSERT_FAILS,
	OOMTRACE_COUNTER_COUNT,
};

struct oomtrace_event_header {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() */
	__u32 type;  /* enum oomtrace_event_type */
	__u32 size;  /* of the whole event */
};

/* One per oom:mark_victim (once per task, so once per member of a group kill). */
struct oomtrace_victim_event {
	struct oomtrace_event_header hdr;
	__u64 victim_memcg_id;	 /* cgroup id (= inode of the cgroup dir) */
	__u64 oom_memcg_id;	 /* the cgroup whose limit was hit; 0 for global */
	__u64 oom_usage_bytes;	 /* its page_counter usage at mark_victim */
	__u64 oom_limit_bytes;	 /* its page_counter max */
	__u64 anon_rss_bytes;
	__u64 file_rss_bytes;
	__u64 shmem_rss_bytes;
	__u64 total_vm_bytes;
	__u32 victim_pid;	 /* thread id */
	__u32 victim_tgid;
	__u32 trigger_pid;	 /* current: the task running out_of_memory() */
	__u32 trigger_tgid;
	__s32 oom_score_adj;
	__u32 domain_method;	 /* enum oomtrace_domain_method */
	__u32 has_task;		 /* 0: the pid-only mark_victim shape, rest from /proc */
	__u32 has_domain_pages;	 /* domain_pages was filled */
	__u32 removal_epoch;	 /* removals after this kill are booked to this epoch */
	__u32 pad;
	char victim_comm[OOMTRACE_COMM_LEN];
	char trigger_comm[OOMTRACE_COMM_LEN];
	/* The OOM domain's charge counters summed over its processes at this instant: the
	 * victims' exit changes them within microseconds, before userspace can look. */
	__s64 domain_pages[OOMTRACE_SLOT_COUNT];
};

/* Sent once when a (memcg, dev, ino, tgid) entry is created: the inode's dentry names,
 * leaf first, relative to the root of its filesystem. */
struct oomtrace_name_event {
	struct oomtrace_event_header hdr;
	__u64 ino;
	__u32 dev;	  /* kernel dev_t: major << 20 | minor */
	__u32 depth;	  /* components filled in `names` */
	__u32 unlinked;	  /* i_nlink == 0 */
	__u32 truncated;  /* the walk stopped before the filesystem root */
	char names[OOMTRACE_NAME_DEPTH][OOMTRACE_NAME_COMPONENT_LEN];
};

/* Resident pages per file and per charging process. Deletes and reclaim happen in other
 * tasks, so they are booked to tgid 0 of the same file; userspace splits what is resident
 * between the chargers in proportion to what each brought in. */
struct oomtrace_file_key {
	__u64 memcg_id;
	__u64 ino;
	__u32 dev;
	__u32 tgid; /* 0: removals; OOMTRACE_REMOVED_AFTER_KILL | epoch: removals after a kill */
};

/* A victim's exit frees its memfd, SysV and shared mappings within microseconds of the kill:
 * removals from then until userspace has read the maps are booked apart, so the report can
 * show what was resident at the kill. */
#define OOMTRACE_REMOVED_AFTER_KILL 0x80000000u

struct oomtrace_file_value {
	__s64 pages;
	__u32 kind; /* enum oomtrace_object_kind */
	__u32 pad;
};

/* The removal epoch: while `active`, removals go to OOMTRACE_REMOVED_AFTER_KILL | epoch. */
struct oomtrace_removal_epoch {
	__u32 epoch;
	__u32 active;
};

/* Per-(memcg, tgid) charge counters: anon from kmem:rss_stat, kernel memory from the memcg
 * stat tracepoint or its function hook. tgid 0 collects what kernel threads charged. */
struct oomtrace_charge_key {
	__u64 memcg_id;
	__u32 tgid;
	__u32 pad;
};

struct oomtrace_charge_value {
	__s64 pages[OOMTRACE_SLOT_COUNT];
};

/* The name of every process that charged something, kept up to date across exec. */
struct oomtrace_comm {
	char comm[OOMTRACE_COMM_LEN];
};

/* The same counters summed over a memcg's tasks. */
struct oomtrace_memcg_totals {
	__s64 pages[OOMTRACE_SLOT_COUNT];
};

/* Per-CPU write-combining. Each counting program keeps, per CPU, the memcg it saw last (its id
 * and filter verdict) and the keys it counted last with the pages not yet added to the shared
 * `charges` and `files` maps: consecutive updates mostly repeat the key, and a hit costs no
 * map update. The pages move to the map when the key changes; readers (userspace, and
 * mark_victim for the domain sum) add what is still pending. One slot per program: a program
 * does not nest within itself on a CPU (prog->active), but different ones do, from interrupts. */
enum oomtrace_hot_slot {
	OOMTRACE_HOT_RSS_STAT = 0, /* kmem:rss_stat: the memcg cache only, anon is set directly */
	OOMTRACE_HOT_MEMCG_STAT,   /* mod_memcg_state, or its function hook */
	OOMTRACE_HOT_FILEMAP_ADD,
	OOMTRACE_HOT_FILEMAP_DELETE,
	OOMTRACE_HOT_LRU_INSERTION,
	OOMTRACE_HOT_SLOT_COUNT,
};

struct oomtrace_hot {
	/* The memcg last seen: its address and css.serial_nr (unique for the system's life, so
	 * a memcg reallocated at the same address does not match), id and filter verdict. */
	__u64 memcg;
	__u64 memcg_serial;
	__u64 memcg_id;
	__u64 memcg_traced;
	/* Charges not yet in `charges`. */
	struct oomtrace_charge_key charge_key;
	struct oomtrace_charge_value charge_pages;
	/* Pages not yet in `files`. */
	struct oomtrace_file_key file_key;
	struct oomtrace_file_value file_pages;
	/* The shmem file the program saw last and, for the LRU insertion, its address_space and
	 * nrpages then; for the filemap delete, the pages removed from it not yet taken off
	 * shmem_sizes. */
	__u64 shmem_mapping;
	__u64 shmem_ino;
	__u32 shmem_dev;
	__u32 pad;
	__s64 shmem_pages;
	/* LRU insertion: the last anon folio's ->mapping (its anon_vma, tagged). rss_stat: the mm
	 * it saw last for charge_key, and the anon count it last wrote for that key. */
	union {
		__u64 anon_mapping;
		__u64 anon_mm;
	};
	__s64 anon_written;
};

#endif /* OOMTRACE_OOMTRACE_H */
