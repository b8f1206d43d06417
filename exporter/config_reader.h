// Strict reading of one TOML table into config fields (internal to the config
// loader). Every getter records its key as known, whether or not the key is
// present; finish() then reports each key nobody asked for as unknown, with a
// "did you mean" hint drawn from the known keys. Errors go to a shared sink
// and reading continues, so one pass collects every problem.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace pgw::config_detail {

// Collects errors of one load; knows the file name for positions.
class ErrorSink {
 public:
  explicit ErrorSink(std::string file) : file_(std::move(file)) {}
  SourcePos pos(const toml::source_region& where) const;
  SourcePos pos(const toml::node& node) const { return pos(node.source()); }
  void add(SourcePos pos, std::string message);
  void add(const toml::node& node, const std::string& path, const std::string& message) {
    add(pos(node), path + ": " + message);
  }
  const std::string& file() const { return file_; }
  std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

extern const char* const kInlinePasswordMessage;

// "string", "integer", ... as a user would call them.
std::string toml_type_name(const toml::node& node);
// The closest candidate within a small edit distance, or "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// Joins names as "a, b, c".
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
// Quotes a user-supplied (non-secret) value for a message, shortening long ones.
std::string show(std::string_view value);

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, ErrorSink& sink)
      : table_(table), path_(std::move(path)), sink_(sink) {}

  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const;
  const toml::table& table() const { return table_; }
  ErrorSink& sink() { return sink_; }

  // Marks `key` known; returns its node or nullptr when absent.
  const toml::node* get(std::string_view key);
  // Reports `key` missing (at the table's position) when absent.
  const toml::node* require(std::string_view key);

  // Typed getters: leave `out` untouched when the key is absent or invalid.
  // Return true when a valid value was stored.
  bool string(std::string_view key, std::string& out, bool required = false);
  bool boolean(std::string_view key, bool& out);
  bool integer(std::string_view key, int& out, long long min, long long max);
  bool number(std::string_view key, double& out, double min, double max);
  bool duration(std::string_view key, Duration& out, bool allow_zero = false);
  bool duration(std::string_view key, std::optional<Duration>& out, bool allow_zero = false);
  bool strings(std::string_view key, std::vector<std::string>& out);
  bool string_map(std::string_view key, std::map<std::string, std::string>& out);
  // A sub-table (inline or not); reports a type error otherwise.
  const toml::table* subtable(std::string_view key);
  // An array of tables (`[[x]]` or `x = [{...}]`); reports a type error otherwise.
  std::vector<const toml::table*> tables(std::string_view key);

  // Reports keys that no getter asked for.
  void finish();

 private:
  void type_error(const toml::node& node, std::string_view key, std::string_view expected);

  const toml::table& table_;
  std::string path_;
  ErrorSink& sink_;
  std::vector<std::string> known_;
  std::set<std::string, std::less<>> known_set_;
};

}  // namespace pgw::config_detail
