// Writes a file so that readers see either the old or the new content, never
// a partial one: temp file in the same directory, fsync, rename, fsync dir.
#pragma once

#include <string>

namespace pgw {

// Returns an error message, or "" on success. `mode` applies to the new file.
std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode = 0644);

// Whether a file name is a temporary file of write_file_atomically (or of
// older versions' "NAME.tmp"), left behind by a crash mid-write.
bool is_temporary_file_name(const std::string& name);

// Reads a whole file; returns false when it cannot be read.
bool read_file(const std::string& path, std::string& out);

}  // namespace pgw
