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
 * A folio also joins the LRU again after isolation (reclaim that keeps it, MADV_PAGEOUT,
 * compaction's new copy), and must not count twice. shmem_add_to_page_cache() raises the
 * file's mapping->nrpages before the folio is queued for the LRU; a putback or a migration
 * leaves it where it was. So an insertion counts how far nrpages grew since the file was last
 * accounted (shmem_sizes), not the folio: no per-folio state, and no hook on the memcg
 * counters, which fire six times per shmem page. Removals come from
 * mm_filemap_delete_from_page_cache, as for page cache, and lower the accounted size. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/core_fixes.bpf.h"
#include "lib/files.bpf.h"
#include "lib/memcg.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* An LRU batch holds up to PAGEVEC_SIZE folios (15 in 6.6, 31 since "mm: increase folio batch
 * size"): the first folios of a new file are all in its nrpages when the first of them joins
 * the LRU. */
#define LRU_BATCH_PAGES 32

/* The pages an insertion of `pages` brings into a file that now holds `resident`: how far it
 * grew since it was last accounted. A putback counts nothing; pages that left without a
 * removal event (swap-out) come back negative. A file first seen holding more than one LRU
 * batch held the rest before tracing started: untracked, like all memory from before. */
static __always_inline __s64 shmem__growth(struct shmem_size_key *key, __s64 resident, __s64 pages)
{
	__s64 *size = bpf_map_lookup_elem(&shmem_sizes, key);

	if (!size) {
		if (bpf_map_update_elem(&shmem_sizes, key, &resident, BPF_NOEXIST) == 0)
			return resident - pages < LRU_BATCH_PAGES ? resident : pages;
		/* Another CPU created it first. */
		size = bpf_map_lookup_elem(&shmem_sizes, key);
		if (!size)
			return 0;
	}
	return resident - __sync_lock_test_and_set(size, resident);
}

/* Takes the removals a delete slot holds off their file's accounted size. */
static __always_inline void shmem__flush_removals(struct oomtrace_hot *hot)
{
	struct shmem_size_key key = { .ino = hot->shmem_ino, .dev = hot->shmem_dev };
	__s64 pages = hot->shmem_pages, *size;

	if (!pages)
		return;
	hot->shmem_pages = 0;
	size = bpf_map_lookup_elem(&shmem_sizes, &key);
	if (size)
		__sync_fetch_and_add(size, -pages);
}

/* A removal lowers the file's accounted size (nrpages itself drops after the tracepoint, and in
 * a truncate only after the whole batch). Write-combined like the files: a truncate removes
 * a run of one file's folios. The removals are taken off when the next file comes, or before
 * an insertion into the same file on this CPU reads the size; an insertion on another CPU
 * meanwhile sees the size high and books the difference as a removal, which the next growth
 * gives back (the file's total stays right, the split between chargers moves by that much).
 * A file never seen growing has no size to lower: the first-sight rule covers it. */
static __always_inline void shmem__remove(struct oomtrace_hot *hot, __u64 ino, __u32 dev, __s64 pages)
{
	if (hot->shmem_ino != ino || hot->shmem_dev != dev) {
		shmem__flush_removals(hot);
		hot->shmem_ino = ino;
		hot->shmem_dev = dev;
	}
	hot->shmem_pages += pages;
}

static __always_inline int filemap__account(__u32 hot_index, struct folio *folio, bool removal,
					    bool by_cast)
{
	struct mem_cgroup *memcg = memcg__from_data(folio->memcg_data);
	struct oomtrace_hot *hot = hot__slot(hot_index);
	struct oomtrace_file_key key = {};
	struct address_space *mapping;
	struct super_block *sb;
	unsigned long flags;
	struct inode *inode;
	__s64 pages;
	__u32 kind;

	if (!hot || !memcg || !memcg__lookup(hot, memcg, memcg__folio_serial(memcg, by_cast), &key.memcg_id))
		return 0;
	mapping = folio->mapping;
	inode = mapping ? mapping->host : NULL;
	if (!inode)
		return 0;
	sb = inode->i_sb;
	if (sb->s_magic == HUGETLBFS_MAGIC)
		return 0;
	key.ino = inode->i_ino;
	key.dev = sb->s_dev;

	flags = folio__flags(folio);
	pages = folio__nr_pages(folio, flags);
	kind = folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_swapbacked))
		       ? OOMTRACE_OBJECT_SHMEM
		       : OOMTRACE_OBJECT_FILE;
	if (!removal) {
		key.tgid = current__tgid_or_kernel();
		files__add(hot, inode, &key, pages, kind);
		return 0;
	}
	if (kind == OOMTRACE_OBJECT_SHMEM)
		shmem__remove(hot, key.ino, key.dev, pages);
	key.tgid = files__removal_owner();
	files__add(hot, inode, &key, -pages, kind);
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
	struct address_space *mapping;
	struct oomtrace_file_key file_key = {};
	struct shmem_size_key key = {};
	struct mem_cgroup *memcg;
	struct oomtrace_hot *hot, *removals;
	struct inode *inode;
	__s64 growth, resident;
	__u64 id;

	if (!folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_swapbacked)))
		return 0;
	hot = hot__slot(OOMTRACE_HOT_LRU_INSERTION);
	if (!hot)
		return 0;
	/* The rest of an LRU batch, and putbacks: the file this CPU accounted last, not grown
	 * since. Only a mapping cached below (a shmem one) can match, so an anon folio's tagged
	 * ->mapping is compared, never followed; the inode tells a reused address_space apart.
	 * A run of anon faults repeats its VMA's anon_vma: the tagged value seen last says anon. */
	mapping = folio->mapping;
	if ((__u64)mapping == hot->anon_mapping)
		return 0;
	if ((__u64)mapping == hot->shmem_mapping && mapping->nrpages == hot->shmem_pages &&
	    mapping->host->i_ino == hot->shmem_ino && mapping->host->i_sb->s_dev == hot->shmem_dev)
		return 0;
	/* Swap-backed and file-mapped: shmem. Anon folios are swap-backed too, but their
	 * ->mapping carries the anon bit, which folio__file_mapping() rejects. */
	mapping = folio__file_mapping(folio, &hot->anon_mapping);
	inode = mapping ? mapping->host : NULL;
	if (!inode)
		return 0;
	memcg = memcg__from_data(folio->memcg_data);
	if (!memcg || !memcg__lookup(hot, memcg, memcg__folio_serial(memcg, by_cast), &id))
		return 0;

	key.ino = inode->i_ino;
	key.dev = inode->i_sb->s_dev;
	resident = mapping->nrpages;
	hot->shmem_mapping = (__u64)mapping;
	hot->shmem_ino = key.ino;
	hot->shmem_dev = key.dev;
	hot->shmem_pages = resident;
	/* Removals from this file still held on this CPU. The delete runs under the i_pages lock
	 * and this under the lruvec lock, both with interrupts off: neither interrupts the other. */
	removals = hot__slot(OOMTRACE_HOT_FILEMAP_DELETE);
	if (removals && removals->shmem_ino == key.ino && removals->shmem_dev == key.dev)
		shmem__flush_removals(removals);
	growth = shmem__growth(&key, resident, folio__nr_pages(folio, flags));
	if (!growth)
		return 0;
	file_key.memcg_id = id;
	file_key.ino = key.ino;
	file_key.dev = key.dev;
	file_key.tgid = growth > 0 ? current__tgid_or_kernel() : files__removal_owner();
	files__add(hot, inode, &file_key, growth, OOMTRACE_OBJECT_SHMEM);
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
