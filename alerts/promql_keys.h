// Keys for matching vector elements (signatures, whole label sets) and an
// index over them, built for speed: all keys of a vector share one buffer
// and the index is one flat table, so neither allocates per element.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgw::promql {

// Keys numbered 0..size()-1 in one buffer.
class Keys {
 public:
  explicit Keys(size_t expected) {
    ends_.reserve(expected);
    buf_.reserve(expected * 32);  // a signature of two short labels fits
  }

  // Appends one key; `write(std::string&)` appends its bytes.
  template <class Write>
  void add(Write write) {
    write(buf_);
    ends_.push_back(buf_.size());
  }
  size_t size() const { return ends_.size(); }
  std::string_view operator[](size_t i) const {
    size_t start = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(buf_).substr(start, ends_[i] - start);
  }

 private:
  std::string buf_;
  std::vector<size_t> ends_;
};

// An open-addressing hash index of (some of) the keys of one Keys object,
// which must outlive it. Holds at most keys.size() entries.
class KeyIndex {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  explicit KeyIndex(const Keys& keys);
  // Adds key `i` unless an equal key is already there; returns that key's
  // number, or npos when `i` was added.
  size_t insert(size_t i);
  // The number of a key equal to `key`, or npos.
  size_t find(std::string_view key) const;

 private:
  size_t slot_of(std::string_view key) const;  // the equal key's slot or the empty slot to use

  const Keys& keys_;
  std::vector<size_t> slots_;  // key numbers; npos when empty
  size_t mask_;
};

}  // namespace pgw::promql
