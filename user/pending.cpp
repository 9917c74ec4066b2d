#include "pending.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace oomtrace {
namespace {

// Keys are plain bytes with explicit padding: order them as bytes.
template <typename Key>
struct KeyBytesLess {
  bool operator()(const Key& a, const Key& b) const { return std::memcmp(&a, &b, sizeof(Key)) < 0; }
};

// Sums the pending values per key, merges them into `records`, appends the rest.
template <typename Record, typename Key, typename Value, typename Pending, typename Add>
void merge(std::vector<Record>& records, std::span<const oomtrace_hot> slots, Pending pending,
           Add add) {
  std::map<Key, Value, KeyBytesLess<Key>> sums;
  for (const oomtrace_hot& slot : slots) {
    auto [key, value] = pending(slot);
    if (!key) continue;
    auto [entry, inserted] = sums.try_emplace(*key, *value);
    if (!inserted) add(entry->second, *value);
  }
  if (sums.empty()) return;
  for (Record& record : records) {
    auto entry = sums.find(record.key);
    if (entry == sums.end()) continue;
    add(record.value, entry->second);
    sums.erase(entry);
  }
  for (const auto& [key, value] : sums) records.push_back(Record{key, value});
}

}  // namespace

void add_pending(std::vector<FileRecord>& files, std::span<const oomtrace_hot> slots) {
  merge<FileRecord, oomtrace_file_key, oomtrace_file_value>(
      files, slots,
      [](const oomtrace_hot& slot) {
        bool pending = slot.file_pages.pages != 0;
        return std::pair{pending ? &slot.file_key : nullptr, &slot.file_pages};
      },
      [](oomtrace_file_value& into, const oomtrace_file_value& from) { into.pages += from.pages; });
}

void add_pending(std::vector<ChargeRecord>& charges, std::span<const oomtrace_hot> slots) {
  merge<ChargeRecord, oomtrace_charge_key, oomtrace_charge_value>(
      charges, slots,
      [](const oomtrace_hot& slot) {
        bool pending = std::ranges::any_of(slot.charge_pages.pages, [](__s64 pages) { return pages != 0; });
        return std::pair{pending ? &slot.charge_key : nullptr, &slot.charge_pages};
      },
      [](oomtrace_charge_value& into, const oomtrace_charge_value& from) {
        for (int slot = 0; slot < OOMTRACE_SLOT_COUNT; ++slot) into.pages[slot] += from.pages[slot];
      });
}

}  // namespace oomtrace
