// The kernel's per-CPU write-combining slots (struct oomtrace_hot) hold pages not yet added to
// the shared maps. A snapshot of `files` or `charges` is complete only with them added.
#pragma once

#include <span>
#include <vector>

#include "abi.hpp"

namespace oomtrace {

struct FileRecord {
  oomtrace_file_key key;
  oomtrace_file_value value;
};

struct ChargeRecord {
  oomtrace_charge_key key;
  oomtrace_charge_value value;
};

// Adds each slot's pending pages to the record of its key, or appends one (an entry the map
// evicted, or a race with its creation).
void add_pending(std::vector<FileRecord>& files, std::span<const oomtrace_hot> slots);
void add_pending(std::vector<ChargeRecord>& charges, std::span<const oomtrace_hot> slots);

}  // namespace oomtrace
