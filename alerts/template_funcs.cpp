#include "alerts/template_funcs.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <cstdlib>

#include "alerts/template_error.h"

namespace pgw {

std::string go_format_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  size_t e = s.find('e');
  std::string mant = s.substr(0, e);
  int exp = std::atoi(s.c_str() + e + 1);
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp < -4 || exp >= 21) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out + eb;
  }
  if (exp < 0) return out + "0." + std::string(-exp - 1, '0') + digits;
  if (static_cast<int>(digits.size()) <= exp + 1) return out + digits + std::string(exp + 1 - digits.size(), '0');
  return out + digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
}

namespace tmpl {
namespace {

double to_number(const Value& v, const std::string& func) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const std::string* s = std::get_if<std::string>(&v)) {
    const char* b = s->c_str();
    char* end = nullptr;
    double d = std::strtod(b, &end);
    if (!s->empty() && *end == '\0') return d;
    throw TemplateError("error calling " + func + ": strconv.ParseFloat: parsing \"" + *s + "\": invalid syntax");
  }
  throw TemplateError("error calling " + func + ": can't convert a label map to a number");
}

// C's %g with Go's spelling of the non-finite values.
std::string fmt_g4(double v, const char* suffix = "") {
  if (std::isnan(v)) return std::string("NaN") + suffix;
  if (std::isinf(v)) return std::string(v > 0 ? "+Inf" : "-Inf") + suffix;
  char buf[64];
  // The same text as snprintf("%.4g"), without parsing a format each time.
  auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 4).ptr;
  return std::string(buf, end) + suffix;
}

std::string humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return fmt_g4(v);
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return fmt_g4(v, prefix);
}

std::string humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return fmt_g4(v);
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return fmt_g4(v, prefix);
}

std::string humanize_duration(double v) {
  if (std::isnan(v) || std::isinf(v)) return fmt_g4(v);
  if (v == 0) return fmt_g4(v, "s");
  char buf[128];
  if (std::fabs(v) >= 1) {
    const char* sign = "";
    if (v < 0) { sign = "-"; v = -v; }
    // Beyond int64 seconds (~292 billion years) days/hours/minutes mean
    // nothing, and the conversion below would be undefined.
    if (v >= 9.2e18) return sign + fmt_g4(v, "s");
    long long d = static_cast<long long>(v);
    long long secs = d % 60, mins = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86400;
    if (days) std::snprintf(buf, sizeof buf, "%s%lldd %lldh %lldm %llds", sign, days, hours, mins, secs);
    else if (hours) std::snprintf(buf, sizeof buf, "%s%lldh %lldm %llds", sign, hours, mins, secs);
    else if (mins) std::snprintf(buf, sizeof buf, "%s%lldm %llds", sign, mins, secs);
    else std::snprintf(buf, sizeof buf, "%s%.4gs", sign, v);
    return buf;
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return fmt_g4(v, (std::string(prefix) + "s").c_str());
}

// Prometheus converts through model.Time: nanoseconds truncated to
// milliseconds, printed as Go's time.Time in UTC.
std::string humanize_timestamp(double v) {
  if (std::isnan(v) || std::isinf(v)) return fmt_g4(v);
  double ns = v * 1e9;
  if (ns >= 9.2e18 || ns <= -9.2e18) throw TemplateError("error calling humanizeTimestamp: timestamp overflows int64");
  long long ms = static_cast<long long>(ns) / 1000000;
  long long secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) { frac += 1000; secs -= 1; }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);  // POSIX; available on Linux and macOS
  char buf[96];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (frac) {
    char f[8];
    std::snprintf(f, sizeof f, ".%03lld", frac);
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + " +0000 UTC";
}

const char* go_type(const Value& v) {
  if (std::holds_alternative<double>(v)) return "float64";
  if (std::holds_alternative<std::string>(v)) return "string";
  return "map[string]string";
}

// Go's fmt.Sprintf for the verbs templates use; mismatches are reported
// inline as Go does ("%!d(float64=1.5)").
std::string go_printf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') { out += format[i]; continue; }
    size_t start = i++;
    while (i < format.size() && std::string_view("+-# 0").find(format[i]) != std::string_view::npos) ++i;
    // Like Go, a width or precision over 1e6 swallows the rest of the format
    // (it would also overflow snprintf's int).
    auto number = [&] {
      long long n = 0;
      for (; i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])); ++i) {
        if (n > 1000000) return false;
        n = n * 10 + (format[i] - '0');
      }
      return true;
    };
    bool sane = number();
    if (sane && i < format.size() && format[i] == '.') {
      ++i;
      sane = number();
    }
    if (!sane || i >= format.size()) { out += "%!(NOVERB)"; break; }
    char verb = format[i];
    if (verb == '%') { out += '%'; continue; }
    std::string spec = format.substr(start, i - start);
    if (argi >= args.size()) { out += std::string("%!") + verb + "(MISSING)"; continue; }
    const Value& a = args[argi++];
    char buf[512];
    const double* d = std::get_if<double>(&a);
    const std::string* s = std::get_if<std::string>(&a);
    auto bad = [&] { out += std::string("%!") + verb + "(" + go_type(a) + "=" + to_text(a) + ")"; };
    switch (verb) {
      case 'v': case 's':
        if (verb == 's' && d) { bad(); break; }
        std::snprintf(buf, sizeof buf, (spec + "s").c_str(), to_text(a).c_str());
        out += buf;
        break;
      case 'q':
        if (!s) { bad(); break; }
        out += '"' + *s + '"';
        break;
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
        if (!d) { bad(); break; }
        if (std::isnan(*d) || std::isinf(*d)) {
          std::string t = std::isnan(*d) ? "NaN" : *d > 0 ? "+Inf" : "-Inf";
          std::string width_spec = spec.substr(0, spec.find('.'));
          std::snprintf(buf, sizeof buf, (width_spec + "s").c_str(), t.c_str());
        } else {
          std::snprintf(buf, sizeof buf, (spec + verb).c_str(), *d);
        }
        out += buf;
        break;
      default: bad(); break;  // %d %x %o on a float64 are errors in Go too
    }
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) out += std::string(k > argi ? ", " : "") + go_type(args[k]) + "=" + to_text(args[k]);
    out += ")";
  }
  return out;
}

std::string title(std::string s) {
  bool start = true;
  for (auto& c : s) {
    bool letter = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '\'';
    if (letter && start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = !letter;
  }
  return s;
}

void want_args(const std::string& name, const std::vector<Value>& args, size_t n) {
  if (args.size() != n)
    throw TemplateError("wrong number of args for " + name + ": want " + std::to_string(n) + " got " +
                        std::to_string(args.size()));
}

}  // namespace

std::string to_text(const Value& v) {
  if (const double* d = std::get_if<double>(&v)) return go_format_float(*d);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  std::string out = "map[";
  bool first = true;
  for (const auto& [k, val] : std::get<std::map<std::string, std::string>>(v)) {
    out += (first ? "" : " ") + k + ":" + val;
    first = false;
  }
  return out + "]";
}

bool is_function(const std::string& name) {
  for (const char* f : {"humanize", "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp",
                        "printf", "toUpper", "toLower", "title", "index"})
    if (name == f) return true;
  return false;
}

Value call(const std::string& name, const std::vector<Value>& args) {
  if (name == "printf") {
    if (args.empty()) throw TemplateError("wrong number of args for printf: want at least 1 got 0");
    const std::string* f = std::get_if<std::string>(&args[0]);
    if (!f) throw TemplateError("printf: the format must be a string");
    return go_printf(*f, std::vector<Value>(args.begin() + 1, args.end()));
  }
  if (name == "index") {
    want_args(name, args, 2);
    const auto* m = std::get_if<std::map<std::string, std::string>>(&args[0]);
    const auto* k = std::get_if<std::string>(&args[1]);
    if (!m || !k) throw TemplateError("index: want a label map and a label name");
    auto it = m->find(*k);
    return it == m->end() ? std::string() : it->second;
  }
  want_args(name, args, 1);
  if (name == "toUpper" || name == "toLower" || name == "title") {
    std::string s = to_text(args[0]);
    if (name == "title") return title(s);
    for (auto& c : s)
      c = static_cast<char>(name == "toUpper" ? std::toupper(static_cast<unsigned char>(c))
                                              : std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  double v = to_number(args[0], name);
  if (name == "humanize") return humanize(v);
  if (name == "humanize1024") return humanize1024(v);
  if (name == "humanizeDuration") return humanize_duration(v);
  if (name == "humanizePercentage") return fmt_g4(v * 100, "%");
  if (name == "humanizeTimestamp") return humanize_timestamp(v);
  throw TemplateError("function \"" + name + "\" not defined");
}

}  // namespace tmpl
}  // namespace pgw
