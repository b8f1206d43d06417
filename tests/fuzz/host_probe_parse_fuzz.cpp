// Fuzzes the parsers of the host check's SSH command output (df, stat, the
// newest-file probe) and the validators of remote paths and globs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/host_probe_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view out(reinterpret_cast<const char*>(data), size);
  pgw::parse_filesystem(out);
  pgw::parse_mode(out);
  pgw::parse_newest_file(out);
  if (!pgw::invalid_remote_path(out)) pgw::filesystem_command(out);
  if (!pgw::invalid_remote_glob(out)) pgw::newest_file_command(out);
  return 0;
}
