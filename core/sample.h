// The data model shared by checks, the snapshot store, /metrics and the rule
// engine: a sample is one metric name, a label set and a value.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pgw {

// Label pairs. Order is not significant; use normalize() before comparing.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Sorts by label name and drops empty values (Prometheus treats an empty
// label value as an absent label).
void normalize(Labels& labels);
// Value of a label, or "" when absent.
const std::string& label_value(const Labels& labels, const std::string& name);

struct Sample {
  std::string name;  // full metric name, e.g. "pgwarden_node_up"
  Labels labels;     // without __name__
  double value = 0;
};

// Where a check writes what it measured. Implementations add the cluster and
// node labels, so a check only sets the labels that are its own.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void add(std::string name, Labels labels, double value) = 0;
};

// A sink that keeps everything in a vector (tests, the store).
class VectorSink : public SampleSink {
 public:
  explicit VectorSink(Labels base = {}) : base_(std::move(base)) {}
  void add(std::string name, Labels labels, double value) override;
  std::vector<Sample>& samples() { return samples_; }

 private:
  Labels base_;
  std::vector<Sample> samples_;
};

}  // namespace pgw
