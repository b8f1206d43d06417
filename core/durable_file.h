// Writes a file so that readers see either the old or the new content, never
// a partial one: temp file in the same directory, fsync, rename, fsync dir.
// The temp file is created by mkstemp: O_CREAT|O_EXCL with mode 0600, which
// never follows a symbolic link (POSIX: O_EXCL fails on any existing name,
// a link included), so it has O_NOFOLLOW's protection; rename() replaces a
// link at `path` rather than writing through it.
#pragma once

#include <string>

namespace pgw {

// Returns an error message, or "" on success. `mode` applies to the new file.
std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode = 0644);

// Whether a file name is a temporary file of write_file_atomically (or of
// older versions' "NAME.tmp"), left behind by a crash mid-write.
bool is_temporary_file_name(const std::string& name);

// Removes the temporary files (is_temporary_file_name) a crash left in `dir`
// (not recursive). Returns how many went.
int remove_temporary_files(const std::string& dir);

// Why `dir` is not a safe place for state (another user could plant or
// replace files in it): "" when it is safe or does not exist yet.
std::string unsafe_directory_reason(const std::string& dir);

// Reads a whole file; returns false when it cannot be read.
bool read_file(const std::string& path, std::string& out);

}  // namespace pgw
