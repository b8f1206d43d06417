// Quantities in the words a person reads on the status page and in
// `check --format text`: "12 min", "1.5 MiB".
#pragma once

#include <string>

namespace pgw {

// "0 s", "45 s", "12 min", "3 h 5 min", "4 d" (negative or non-finite: "0 s").
std::string duration_words(double seconds);
// "0 B", "512 B", "1.5 MiB" (binary units).
std::string bytes_words(double bytes);

}  // namespace pgw
