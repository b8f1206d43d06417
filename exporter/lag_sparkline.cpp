#include "exporter/lag_sparkline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/utf8.h"
#include "exporter/human_units.h"

namespace pgw {
namespace {

// The drawing: the plot on the left, the min/max/last legend on the right,
// the window's ends under the plot.
constexpr double kWidth = 300, kHeight = 64;
constexpr double kPlotLeft = 2, kPlotRight = 200, kPlotTop = 6, kPlotBottom = 50;
constexpr double kLegendX = 206;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string coord(double v) { return fmt("%.1f", v); }

}  // namespace

std::string human_value(double v, SparkUnit unit) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const double a = std::fabs(v);
  // The page's own words (exporter/human_units.h) where they are defined
  // well; beyond (absurd sizes) a plain exponent.
  if (unit == SparkUnit::Bytes) return a < 1e15 ? bytes_words(v) : fmt("%.3g B", v);
  if (v == 0) return "0 s";
  const std::string sign = v < 0 ? "-" : "";
  // Sub-minute lag keeps its precision ("3.2 ms", "4.25 s"): duration_words
  // counts whole seconds, and a replay lag often lives in milliseconds.
  if (a < 0.9995) return sign + fmt("%.3g", a * 1000) + " ms";
  if (a < 59.95) return sign + fmt("%.3g", a) + " s";
  if (a < 1e9) return sign + duration_words(a);
  return sign + fmt("%.3g", a / 86400) + " d";
}

std::string xml_escape(std::string_view in) {
  const std::string s = to_valid_utf8(in);
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
          o += "\xEF\xBF\xBD";  // XML 1.0 allows no other control characters
        } else if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
                   (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xBE) {
          o += "\xEF\xBF\xBD";  // U+FFFE, U+FFFF: not XML characters either
          i += 2;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}

std::string render_sparkline(const Sparkline& s) {
  std::vector<std::int64_t> breaks = s.breaks;
  std::sort(breaks.begin(), breaks.end());

  // The drawable points, cut into runs the line joins.
  std::vector<std::vector<SparkPoint>> runs;
  const SparkPoint* prev = nullptr;
  bool open = false;
  for (const auto& p : s.points) {
    if (p.t_ms < s.from_ms || p.t_ms > s.to_ms) continue;
    if (prev && p.t_ms <= prev->t_ms) continue;  // not ascending: not drawn
    if (!std::isfinite(p.v)) {
      open = false;
      continue;
    }
    bool cut = !open;
    if (prev && !cut) {
      auto b = std::upper_bound(breaks.begin(), breaks.end(), prev->t_ms);
      cut = (b != breaks.end() && *b <= p.t_ms) || (s.max_gap_ms > 0 && p.t_ms - prev->t_ms > s.max_gap_ms);
    }
    if (cut) runs.emplace_back();
    runs.back().push_back(p);
    prev = &p;
    open = true;
  }

  size_t count = 0;
  double lo = 0, hi = 0, last = 0;
  for (const auto& run : runs)
    for (const auto& p : run) {
      lo = count ? std::min(lo, p.v) : p.v;
      hi = count ? std::max(hi, p.v) : p.v;
      last = p.v;
      ++count;
    }
  // The axis includes 0, so that a small wobble of a large lag looks small.
  // Halves: (hi - lo) of two huge values of opposite sign would overflow.
  const double bottom = std::min(0.0, lo) / 2, top = std::max(0.0, hi) / 2;
  auto y = [&](double v) {
    double frac = top > bottom ? (v / 2 - bottom) / (top - bottom) : 0;
    return kPlotBottom - std::clamp(frac, 0.0, 1.0) * (kPlotBottom - kPlotTop);
  };
  const double window = static_cast<double>(s.to_ms - s.from_ms);
  auto x = [&](std::int64_t t) {
    double frac = window > 0 ? static_cast<double>(t - s.from_ms) / window : 1;
    return kPlotLeft + std::clamp(frac, 0.0, 1.0) * (kPlotRight - kPlotLeft);
  };

  const char* unit_name = s.unit == SparkUnit::Bytes ? "bytes" : "seconds";
  const std::string title = xml_escape(s.title);
  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sparkline\" data-unit=\"";
  o += unit_name;
  o += "\" data-points=\"" + std::to_string(count) + "\" width=\"" + coord(kWidth) + "\" height=\"" +
       coord(kHeight) + "\" viewBox=\"0 0 " + coord(kWidth) + " " + coord(kHeight) + "\" role=\"img\" aria-label=\"" +
       title + "\"><title>" + title + "</title>";
  o += "<rect x=\"" + coord(kPlotLeft) + "\" y=\"" + coord(kPlotTop) + "\" width=\"" + coord(kPlotRight - kPlotLeft) +
       "\" height=\"" + coord(kPlotBottom - kPlotTop) + "\" fill=\"#f3f5f7\"/>";
  for (const auto& run : runs) {
    if (run.size() == 1) {
      o += "<circle cx=\"" + coord(x(run[0].t_ms)) + "\" cy=\"" + coord(y(run[0].v)) + "\" r=\"1.5\" fill=\"#2a6fdb\"/>";
      continue;
    }
    o += "<polyline fill=\"none\" stroke=\"#2a6fdb\" stroke-width=\"1.5\" points=\"";
    for (size_t i = 0; i < run.size(); ++i) {
      if (i) o += ' ';
      o += coord(x(run[i].t_ms)) + "," + coord(y(run[i].v));
    }
    o += "\"/>";
  }
  o += "<g font-family=\"sans-serif\" font-size=\"10\" fill=\"#444\">";
  auto text = [&](double tx, double ty, const char* anchor, const char* cls, const std::string& body) {
    o += "<text x=\"" + coord(tx) + "\" y=\"" + coord(ty) + "\" text-anchor=\"" + anchor + "\" class=\"" + cls +
         "\">" + xml_escape(body) + "</text>";
  };
  if (count == 0) {
    text((kPlotLeft + kPlotRight) / 2, (kPlotTop + kPlotBottom) / 2 + 3, "middle", "none", "no data");
  } else {
    text(kLegendX, kPlotTop + 6, "start", "max", "max " + human_value(hi, s.unit));
    text(kLegendX, (kPlotTop + kPlotBottom) / 2 + 3, "start", "last", "last " + human_value(last, s.unit));
    text(kLegendX, kPlotBottom, "start", "min", "min " + human_value(lo, s.unit));
  }
  const std::int64_t w = s.to_ms - s.from_ms;
  const std::string span = w > 0 && w % 3600000 == 0 ? std::to_string(w / 3600000) + " h"
                           : w > 0 && w % 60000 == 0 ? std::to_string(w / 60000) + " min"
                                                     : human_value(window / 1000, SparkUnit::Seconds);
  text(kPlotLeft, kHeight - 2, "start", "from", "-" + span);
  text(kPlotRight, kHeight - 2, "end", "to", "now");
  o += "</g></svg>";
  return o;
}

}  // namespace pgw
