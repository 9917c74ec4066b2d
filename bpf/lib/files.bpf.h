/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Resident pages per (memcg, file, charger), and the file's name on first sight. */
#ifndef OOMTRACE_FILES_BPF_H
#define OOMTRACE_FILES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.bpf.h"

#define HUGETLBFS_MAGIC 0x958458f6

/* A name is not urgent: userspace reads the ring at least every 100 ms (Tracer::poll), and a
 * wakeup costs the writer an irq_work and the reader a context switch per new file. Wake it
 * only once the ring is half full. */
static __always_inline __u64 files__name_wakeup(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Send the inode's dentry names, leaf first. No alias means unlinked or never looked up;
 * userspace then names it by its mount and the "(deleted)" conventions. */
static __always_inline void files__emit_name(struct inode *inode, __u32 dev, __u64 ino)
{
	struct oomtrace_name_event *event;
	struct hlist_node *alias;
	struct dentry *dentry;
	__u32 depth = 0;

	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		counter__inc(OOMTRACE_COUNTER_RINGBUF_DROPS);
		return;
	}
	event->hdr.ts_ns = bpf_ktime_get_boot_ns();
	event->hdr.type = OOMTRACE_EVENT_FILE_NAME;
	event->hdr.size = sizeof(*event);
	event->ino = ino;
	event->dev = dev;
	event->unlinked = BPF_CORE_READ(inode, i_nlink) == 0;
	event->truncated = 1;

	alias = BPF_CORE_READ(inode, i_dentry.first);
	dentry = alias ? container_of(alias, struct dentry, d_u.d_alias) : NULL;
	for (int i = 0; i < OOMTRACE_NAME_DEPTH && dentry; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		bpf_probe_read_kernel_str(event->names[i], OOMTRACE_NAME_COMPONENT_LEN,
					  BPF_CORE_READ(dentry, d_name.name));
		/* The filesystem root is named "/". Pseudo files (memfd, SysV, shared anon)
		 * are roots of their own (d_alloc_pseudo) with a real name. */
		if (event->names[i][0] != '/' || event->names[i][1] != '\0')
			depth = i + 1;
		if (parent == dentry) {
			event->truncated = 0;
			break;
		}
		dentry = parent;
	}
	if (!alias)
		event->truncated = 0;
	event->depth = depth;
	bpf_ringbuf_submit(event, files__name_wakeup());
}

/* Who a removal is booked to: nobody (0), or the kill it came after. */
static __always_inline __u32 files__removal_owner(void)
{
	struct oomtrace_removal_epoch *epoch;
	__u32 zero = 0;

	epoch = bpf_map_lookup_elem(&removal_epoch, &zero);
	if (epoch && epoch->active)
		return OOMTRACE_REMOVED_AFTER_KILL | epoch->epoch;
	return 0;
}

/* Adds `pages` (negative for removals) to the key's entry, creating it with `kind` if
 * missing. True when this call created it. */
static __always_inline bool files__add_to_entry(struct oomtrace_file_key *key, __s64 pages,
						__u32 kind)
{
	struct oomtrace_file_value *value, init = { .pages = pages, .kind = kind };

	value = bpf_map_lookup_elem(&files, key);
	if (!value) {
		if (bpf_map_update_elem(&files, key, &init, BPF_NOEXIST) == 0) {
			counter__inc(OOMTRACE_COUNTER_FILE_INSERTS);
			return true;
		}
		/* Another CPU created it first. */
		value = bpf_map_lookup_elem(&files, key);
	}
	if (value)
		__sync_fetch_and_add(&value->pages, pages);
	else
		counter__inc(OOMTRACE_COUNTER_FILE_INSERT_FAILS);
	return false;
}

/* Moves the slot's pending pages into the map, zeroing the slot first (see charges__flush).
 * An entry evicted meanwhile comes back unnamed: userspace names it by its mount. */
static __always_inline void files__flush(struct oomtrace_hot *hot)
{
	__s64 pages = hot->file_pages.pages;

	if (!pages)
		return;
	hot->file_pages.pages = 0;
	files__add_to_entry(&hot->file_key, pages, hot->file_pages.kind);
}

/* Adds `pages` to the entry of `key` (the inode's, for a memcg and tgid), write-combined in the
 * program's per-CPU slot: a page cache fill, a truncate or a reclaim pass mostly repeats one
 * file, so it pays one map update per run of the key. A new entry with a charger names its file
 * from `inode`, a tp_btf argument's field: plain loads, no helper calls. */
static __always_inline void files__add(struct oomtrace_hot *hot, struct inode *inode,
				       struct oomtrace_file_key *key, __s64 pages, __u32 kind)
{
	if (hot->file_key.memcg_id == key->memcg_id && hot->file_key.ino == key->ino &&
	    hot->file_key.dev == key->dev && hot->file_key.tgid == key->tgid) {
		hot->file_pages.pages += pages;
		return;
	}
	files__flush(hot);
	if (files__add_to_entry(key, pages, kind) && pages > 0 && key->tgid) {
		task__remember(key->tgid);
		files__emit_name(inode, key->dev, key->ino);
	}
	hot->file_key = *key;
	hot->file_pages.kind = kind;
}

/* The mapping of any LRU folio, or NULL for anon (whose tagged ->mapping goes to *tagged): anon
 * and movable folios tag the low bits of ->mapping, which the verifier only lets us test as a
 * plain number. A folio in a page cache (the filemap tracepoints) has a plain folio->mapping. */
static __always_inline struct address_space *folio__file_mapping(struct folio *folio, __u64 *tagged)
{
	unsigned long raw = 0;

	bpf_probe_read_kernel(&raw, sizeof(raw), &folio->mapping);
	if (raw & 3) {
		*tagged = raw;
		return NULL;
	}
	return raw ? folio->mapping : NULL;
}

#endif /* OOMTRACE_FILES_BPF_H */
