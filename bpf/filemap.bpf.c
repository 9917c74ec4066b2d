// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Page cache per (memcg, file, charger) from the filemap tracepoints. The add fires in the
 * inserting task after the folio was charged; the delete fires in whatever task removes it
 * (truncate, reclaim) while the folio is still charged. Neither fires for shmem inserts,
 * see shmem.bpf.c; shmem truncation does fire the delete. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/core_fixes.bpf.h"
#include "lib/files.bpf.h"
#include "lib/memcg.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int filemap__account(struct folio *folio, bool removal)
{
	unsigned long flags;
	struct inode *inode;
	__s64 pages;
	__u32 kind;
	__u64 id;

	if (!memcg__lookup(memcg__from_data(folio->memcg_data), &id))
		return 0;
	inode = folio__cache_inode(folio);
	if (!inode || inode->i_sb->s_magic == HUGETLBFS_MAGIC)
		return 0;

	flags = folio__flags(folio);
	pages = folio__nr_pages(folio, flags);
	kind = folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_swapbacked))
		       ? OOMTRACE_OBJECT_SHMEM
		       : OOMTRACE_OBJECT_FILE;
	if (removal) {
		__u64 folio_key = (__u64)folio;

		if (kind == OOMTRACE_OBJECT_SHMEM)
			bpf_map_delete_elem(&shmem_folios, &folio_key);
		files__charge(inode, id, files__removal_owner(), -pages, kind);
	} else {
		files__charge(inode, id, current__tgid_or_kernel(), pages, kind);
	}
	return 0;
}

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(handle_filemap_add, struct folio *folio)
{
	return filemap__account(folio, false);
}

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(handle_filemap_delete, struct folio *folio)
{
	return filemap__account(folio, true);
}
