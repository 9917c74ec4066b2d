// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* shmem objects (tmpfs and /dev/shm files, POSIX shm, memfd, SysV segments, shared anonymous
 * mappings) per (memcg, inode, charger).
 *
 * shmem_add_to_page_cache() fires no tracepoint that carries the inode, so the insert is seen
 * when the new folio joins the LRU: pagemap:mm_lru_insertion. Measured on 6.18 (lab notes)
 * it matched every kind of shmem object to the page through an OOM kill, where the other
 * tracepoint-only route (NR_SHMEM deltas joined to the syscall or fault VMA) needs a hook on
 * every write and fault and still misses writes done by other paths (splice, fallocate).
 * A folio put back on the LRU after isolation is inserted again: shmem_folios remembers what
 * was counted. Removals come from mm_filemap_delete_from_page_cache (filemap.bpf.c). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/core_fixes.bpf.h"
#include "lib/files.bpf.h"
#include "lib/memcg.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int shmem__account_insertion(struct folio *folio)
{
	unsigned long flags = folio__flags(folio);
	struct inode *inode;
	__u64 id, folio_key;
	__u8 seen = 1;

	/* Swap-backed and file-mapped: shmem. Anon folios are swap-backed too, but their
	 * ->mapping carries the anon bit, which folio__file_inode() rejects. */
	if (!folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_swapbacked)))
		return 0;
	if (!memcg__lookup(memcg__from_data(folio->memcg_data), &id))
		return 0;
	inode = folio__file_inode(folio);
	if (!inode)
		return 0;

	folio_key = (__u64)folio;
	if (bpf_map_update_elem(&shmem_folios, &folio_key, &seen, BPF_NOEXIST)) {
		counter__inc(OOMTRACE_COUNTER_SHMEM_REINSERTS);
		return 0;
	}
	files__charge(inode, id, current__tgid_or_kernel(), folio__nr_pages(folio, flags),
		      OOMTRACE_OBJECT_SHMEM);
	return 0;
}

SEC("tp_btf/mm_lru_insertion")
int BPF_PROG(handle_lru_insertion, struct folio *folio)
{
	return shmem__account_insertion(folio);
}
