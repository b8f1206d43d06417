// Regex matchers (=~, !~) over long values: the first bytes are a pattern,
// the rest a value that is repeated to tens of kilobytes. RE2 must neither
// crash nor take more than linear time (libFuzzer's -timeout catches a
// backtracking engine); a pattern that compiles must give the same answer
// through a PromQL selector as directly.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "alerts/label_regex.h"
#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string pattern = in.ConsumeRandomLengthString(256);
  std::string unit = in.ConsumeRandomLengthString(64);
  int repeat = in.ConsumeIntegralInRange(1, 2000);
  std::string value;
  for (int i = 0; i < repeat && value.size() < 64 * 1024; ++i) value += unit;

  std::string error;
  auto re = pgw::LabelRegex::compile(pattern, error);
  if (!re) {
    if (error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  bool direct = re->matches(value);
  std::vector<std::string> groups;
  if (re->match_groups(value, groups) != direct) std::abort();
  if (direct) (void)re->expand("$1-${2}-$name$$", groups);

  // The same through the PromQL parser and evaluator (the value as a label).
  std::string escaped;
  for (char c : pattern) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') { escaped += "\\n"; continue; }
    escaped += c;
  }
  try {
    auto expr = pgw::promql::parse("m{v=~\"" + escaped + "\"}");
    std::vector<pgw::Sample> in_samples = {{"m", {{"v", value}}, 1}};
    pgw::normalize(in_samples[0].labels);
    pgw::promql::SeriesSet set(in_samples);
    auto out = pgw::promql::evaluate(*expr, set, 1000);
    (void)out;
  } catch (const std::exception&) {
  }
  return 0;
}
