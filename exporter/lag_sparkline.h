// A small self-contained inline SVG graph of one series over a time window
// (the status page's "lag over the last hour"): a line, broken where the
// series was missing, with its min, max and last value in human units. No
// script, no external assets, well-formed XML whatever the title holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgw {

enum class SparkUnit { Bytes, Seconds };

struct SparkPoint {
  std::int64_t t_ms;
  double v;
};

struct Sparkline {
  std::int64_t from_ms = 0, to_ms = 0;  // the window drawn; points outside it are left out
  std::vector<SparkPoint> points;       // ascending t
  std::vector<std::int64_t> breaks;     // when the series was missing (stale): the line breaks there
  std::int64_t max_gap_ms = 0;          // a longer gap between two points breaks it too (0: never)
  SparkUnit unit = SparkUnit::Bytes;
  std::string title;                    // the graph's accessible name (any text: escaped)
};

// The <svg> element. Its data-points attribute counts the points drawn;
// NaN and ±Inf values are not drawn and break the line.
std::string render_sparkline(const Sparkline& s);

// The status page's words (exporter/human_units.h): "512 B", "1.5 MiB";
// "12 min", "3 h 5 min"; below a minute with its precision ("3.2 ms",
// "4.25 s"). "NaN", "+Inf", "-Inf" as such; a sign where negative.
std::string human_value(double v, SparkUnit unit);

// Text for XML character data or a quoted attribute value: & < > " '
// escaped, and characters XML 1.0 forbids (controls but tab, newline, CR)
// replaced by U+FFFD.
std::string xml_escape(std::string_view s);

}  // namespace pgw
