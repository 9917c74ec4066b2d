/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Struct flavors for kernel layouts that changed between the kernels oomtrace runs on.
 * Each reader picks its layout with bpf_core_field_exists at load time. */
#ifndef OOMTRACE_CORE_FIXES_BPF_H
#define OOMTRACE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* folio->flags became memdesc_flags_t { unsigned long f; } in 6.18; before, unsigned long. */
struct memdesc_flags_t___v618 {
	unsigned long f;
} __attribute__((preserve_access_index));

struct folio___v618 {
	struct memdesc_flags_t___v618 flags;
} __attribute__((preserve_access_index));

struct folio___pre618 {
	unsigned long flags;
} __attribute__((preserve_access_index));

/* The order of a large folio moved from folio->_folio_order (5.16) to the low byte of
 * folio->_flags_1 (6.6, "mm: free up a word in the first tail page"). */
struct folio___pre66 {
	unsigned char _folio_order;
} __attribute__((preserve_access_index));

/* mm->rss_stat became an array of percpu_counter in 6.2 ("mm: convert mm's rss stats into
 * percpu_counter"); before, an mm_rss_stat of atomic counters. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

/* The readers below load directly: the folio is a typed tracepoint argument (tp_btf). */
static __always_inline unsigned long folio__flags(struct folio *folio)
{
	if (bpf_core_field_exists(((struct folio___v618 *)folio)->flags.f))
		return ((struct folio___v618 *)folio)->flags.f;
	return ((struct folio___pre618 *)folio)->flags;
}

static __always_inline bool folio__test_flag(unsigned long flags, int bit)
{
	return (flags >> bit) & 1;
}

/* folio_nr_pages(): 1 << order, where only a head folio has an order. */
static __always_inline __u64 folio__nr_pages(struct folio *folio, unsigned long flags)
{
	unsigned int order;

	if (!folio__test_flag(flags, bpf_core_enum_value(enum pageflags, PG_head)))
		return 1;
	if (bpf_core_field_exists(folio->_flags_1))
		order = folio->_flags_1 & 0xff;
	else
		order = ((struct folio___pre66 *)folio)->_folio_order;
	return 1ULL << (order & 31);
}

/* get_mm_counter() without the per-CPU sum: the same approximation the OOM message prints.
 * `mm` is typed (a tp_btf argument or its field) and `member` a constant MM_* index. */
static __always_inline __s64 mm__counter(struct mm_struct *mm, int member)
{
	struct mm_struct___pre62 *old = (void *)mm;
	__s64 value = 0;

	/* The verifiers of those kernels walk no typedef (atomic_long_t): a probe read there. */
	if (bpf_core_field_exists(old->rss_stat.count))
		bpf_probe_read_kernel(&value, sizeof(value), &old->rss_stat.count[member]);
	else
		value = mm->rss_stat[member].count;
	return value > 0 ? value : 0;
}

#endif /* OOMTRACE_CORE_FIXES_BPF_H */
