// The data model shared by checks, the snapshot store, /metrics and the rule
// engine: a sample is one metric name, a label set and a value.
#pragma once

#include <functional>
#include <memory>
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

// Samples held elsewhere, walked in place: for_each() visits the same
// samples in the same order every time it is called. The rule round reads
// the snapshot store through one (at 1,000 nodes a copy of every sample was
// tens of MB).
class SampleSequence {
 public:
  virtual ~SampleSequence() = default;
  virtual void for_each(const std::function<void(const Sample&)>& visit) const = 0;
};

// A sequence over a vector the caller keeps alive.
class VectorSequence : public SampleSequence {
 public:
  explicit VectorSequence(const std::vector<Sample>& samples) : samples_(samples) {}
  void for_each(const std::function<void(const Sample&)>& visit) const override {
    for (const auto& s : samples_) visit(s);
  }

 private:
  const std::vector<Sample>& samples_;
};

// Several sequences one after the other.
class ConcatSequence : public SampleSequence {
 public:
  explicit ConcatSequence(std::vector<std::unique_ptr<const SampleSequence>> parts) : parts_(std::move(parts)) {}
  void for_each(const std::function<void(const Sample&)>& visit) const override {
    for (const auto& p : parts_) p->for_each(visit);
  }

 private:
  std::vector<std::unique_ptr<const SampleSequence>> parts_;
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
