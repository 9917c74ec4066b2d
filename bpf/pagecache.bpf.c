// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Resident pages per (memcg, file, charger): page cache from the filemap tracepoints, shmem
 * from the LRU insertion. One object because both use bpf_rdonly_cast, and bpftool's linker
 * (libbpf 1.1) takes a kfunc extern from one object only.
 *
 * Page cache: the add fires in the inserting task after the folio was charged; the delete
 * fires in whatever task removes it (truncate, reclaim) while the folio is still charged.
 * Neither fires for shmem inserts (below); shmem truncation does fire the delete.
 *
 * shmem (tmpfs and /dev/shm files, POSIX shm, memfd, SysV segments, shared anonymous
 * mappings): shmem_add_to_page_cache() fires no tracepoint that carries the inode, so the insert is seen
 * when the new folio joins the LRU: pagemap:mm_lru_insertion. Measured on 6.18 (lab notes)
 * it matched every kind of shmem object to the page through an OOM kill, where the other
 * tracepoint-only route (NR_SHMEM deltas joined to the syscall or fault VMA) needs a hook on
 * every write and fault and still misses writes done by other paths (splice, fallocate).
 *
 * A folio put back on the LRU after isolation (migration, MADV_PAGEOUT) is inserted again and
 * must not count twice. New shmem raises NR_SHMEM (shmem_add_to_page_cache) before the folio
 * enters this CPU's LRU batch, and the batch drains in order on this CPU; a putback raises
 * nothing. So the node-stat program credits each new shmem page to the CPU (charges.bpf.h),
 * and an insertion counts only against that credit: no per-folio map, and anon insertions
 * on a CPU without new shmem stop at the first test. Migration across zones raises NR_SHMEM
 * for the new folio and counts it again, as a per-folio map would; a task moved to another
 * CPU between the two steps leaves its folio uncounted and the credit behind.
 * Removals come from mm_filemap_delete_from_page_cache, as for page cache. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/core_fixes.bpf.h"
#include "lib/files.bpf.h"
#include "lib/memcg.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int filemap__account(__u32 hot_index, struct folio *folio, bool removal,
					    bool by_cast)
{
	struct mem_cgroup *memcg = memcg__from_data(folio->memcg_data);
	struct oomtrace_hot *hot = hot__slot(hot_index);
	unsigned long flags;
	struct inode *inode;
	__s64 pages;
	__u32 kind;
	__u64 id;

	if (!hot || !memcg || !memcg__lookup(hot, memcg, memcg__folio_serial(memcg, by_cast), &id))
		return 0;
	inode = folio__cache_inode(folio);
	if (!inode || inode->i_sb->s_magic == HUGETLBFS_MAGIC)
		return 0;

	flags = folio__flags(folio);
	pages = folio__nr_pages(folio, flags);
	kind = folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_swapbacked))
		       ? OOMTRACE_OBJECT_SHMEM
		       : OOMTRACE_OBJECT_FILE;
	if (removal)
		files__add(hot, inode, id, files__removal_owner(), -pages, kind);
	else
		files__add(hot, inode, id, current__tgid_or_kernel(), pages, kind);
	return 0;
}

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(handle_filemap_add, struct folio *folio)
{
	return filemap__account(OOMTRACE_HOT_FILEMAP_ADD, folio, false, true);
}

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(handle_filemap_delete, struct folio *folio)
{
	return filemap__account(OOMTRACE_HOT_FILEMAP_DELETE, folio, true, true);
}

/* Before 6.2 (no bpf_rdonly_cast). */
SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(handle_filemap_add_probe_read, struct folio *folio)
{
	return filemap__account(OOMTRACE_HOT_FILEMAP_ADD, folio, false, false);
}

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(handle_filemap_delete_probe_read, struct folio *folio)
{
	return filemap__account(OOMTRACE_HOT_FILEMAP_DELETE, folio, true, false);
}

static __always_inline int shmem__account_insertion(struct folio *folio, bool by_cast)
{
	unsigned long flags = folio__flags(folio);
	struct mem_cgroup *memcg;
	struct oomtrace_hot *hot;
	struct inode *inode;
	__s64 *credit, pages;
	__u64 id;

	/* Swap-backed and file-mapped: shmem. Anon folios are swap-backed too, but their
	 * ->mapping carries the anon bit, which folio__file_inode() rejects. */
	if (!folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_swapbacked)))
		return 0;
	credit = shmem__credit_of_cpu();
	if (!credit || *credit <= 0)
		return 0;
	inode = folio__file_inode(folio);
	if (!inode)
		return 0;
	memcg = memcg__from_data(folio->memcg_data);
	hot = hot__slot(OOMTRACE_HOT_LRU_INSERTION);
	if (!hot || !memcg || !memcg__lookup(hot, memcg, memcg__folio_serial(memcg, by_cast), &id))
		return 0;

	pages = folio__nr_pages(folio, flags);
	if (*credit < pages) {
		counter__inc(OOMTRACE_COUNTER_SHMEM_UNCREDITED);
		return 0;
	}
	__sync_fetch_and_sub(credit, pages);
	files__add(hot, inode, id, current__tgid_or_kernel(), pages, OOMTRACE_OBJECT_SHMEM);
	return 0;
}

SEC("tp_btf/mm_lru_insertion")
int BPF_PROG(handle_lru_insertion, struct folio *folio)
{
	return shmem__account_insertion(folio, true);
}

/* Before 6.2 (no bpf_rdonly_cast). */
SEC("tp_btf/mm_lru_insertion")
int BPF_PROG(handle_lru_insertion_probe_read, struct folio *folio)
{
	return shmem__account_insertion(folio, false);
}
