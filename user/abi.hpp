// The shared header, seen from C++: its layout is locked here so that a change on the BPF side
// that userspace does not follow fails to compile (the alignchecker idea, at compile time).
#pragma once

#include <cstddef>
#include <type_traits>

#include "oomtrace/oomtrace.h"

namespace oomtrace::abi {

template <typename T>
constexpr bool plain = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>;

static_assert(plain<oomtrace_event_header> && sizeof(oomtrace_event_header) == 16);
static_assert(plain<oomtrace_victim_event> && sizeof(oomtrace_victim_event) == 152 + 8 * OOMTRACE_SLOT_COUNT);
static_assert(offsetof(oomtrace_victim_event, victim_memcg_id) == 16);
static_assert(offsetof(oomtrace_victim_event, victim_pid) == 80);
static_assert(offsetof(oomtrace_victim_event, victim_comm) == 120);
static_assert(plain<oomtrace_name_event> && sizeof(oomtrace_name_event) == 40 + 10 * 64);
static_assert(offsetof(oomtrace_name_event, names) == 40);
static_assert(plain<oomtrace_file_key> && sizeof(oomtrace_file_key) == 24);
static_assert(offsetof(oomtrace_file_key, tgid) == 20);
static_assert(plain<oomtrace_file_value> && sizeof(oomtrace_file_value) == 16);
static_assert(plain<oomtrace_removal_epoch> && sizeof(oomtrace_removal_epoch) == 8);
static_assert(plain<oomtrace_comm> && sizeof(oomtrace_comm) == OOMTRACE_COMM_LEN);
static_assert(plain<oomtrace_charge_key> && sizeof(oomtrace_charge_key) == 16);
static_assert(plain<oomtrace_memcg_totals> && sizeof(oomtrace_memcg_totals) == 8 * OOMTRACE_SLOT_COUNT);
static_assert(offsetof(oomtrace_victim_event, domain_pages) == 152);
static_assert(plain<oomtrace_charge_value> && sizeof(oomtrace_charge_value) == 8 * OOMTRACE_SLOT_COUNT);
static_assert(plain<oomtrace_hot> && sizeof(oomtrace_hot) == 32 + 16 + 8 * OOMTRACE_SLOT_COUNT + 24 + 16 + 32 + 16);
static_assert(offsetof(oomtrace_hot, charge_key) == 32);
static_assert(offsetof(oomtrace_hot, file_key) == 48 + 8 * OOMTRACE_SLOT_COUNT);

}  // namespace oomtrace::abi
