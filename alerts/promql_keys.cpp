#include "alerts/promql_keys.h"

#include <functional>

namespace pgw::promql {

KeyIndex::KeyIndex(const Keys& keys) : keys_(keys) {
  size_t capacity = 8;
  while (capacity < 2 * keys.size()) capacity *= 2;  // load factor <= 1/2
  slots_.assign(capacity, npos);
  mask_ = capacity - 1;
}

size_t KeyIndex::slot_of(std::string_view key) const {
  size_t s = std::hash<std::string_view>{}(key) & mask_;
  while (slots_[s] != npos && keys_[slots_[s]] != key) s = (s + 1) & mask_;
  return s;
}

size_t KeyIndex::insert(size_t i) {
  size_t s = slot_of(keys_[i]);
  if (slots_[s] != npos) return slots_[s];
  slots_[s] = i;
  return npos;
}

size_t KeyIndex::find(std::string_view key) const { return slots_[slot_of(key)]; }

}  // namespace pgw::promql
