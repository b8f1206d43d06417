// Dashboards may only reference metrics pgwarden exports (the catalog), and
// must be importable JSON with the data source and cluster/node variables.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/metric_catalog.h"

namespace {

std::vector<std::filesystem::path> dashboards() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(PGWARDEN_SOURCE_DIR "/dashboards/grafana"))
    if (e.path().extension() == ".json") out.push_back(e.path());
  return out;
}

void collect_exprs(const nlohmann::json& panels, std::vector<std::string>& out) {
  for (const auto& p : panels) {
    if (p.contains("targets"))
      for (const auto& t : p["targets"]) out.push_back(t.at("expr").get<std::string>());
    if (p.contains("panels")) collect_exprs(p["panels"], out);
  }
}

TEST(Dashboards, ReferenceOnlyExportedMetrics) {
  auto files = dashboards();
  ASSERT_GE(files.size(), 2u);
  std::regex metric(R"(pgwarden_[a-zA-Z0-9_]+)");
  for (const auto& f : files) {
    std::ifstream in(f);
    nlohmann::json d = nlohmann::json::parse(in);
    std::vector<std::string> exprs;
    collect_exprs(d.at("panels"), exprs);
    EXPECT_GE(exprs.size(), 10u) << f;
    for (const auto& v : d.at("templating").at("list"))
      if (v.contains("definition")) exprs.push_back(v["definition"].get<std::string>());
    for (const auto& e : exprs)
      for (std::sregex_iterator it(e.begin(), e.end(), metric), end; it != end; ++it)
        EXPECT_TRUE(pgw::find_metric(it->str()).has_value()) << f.filename() << ": " << it->str();
  }
}

TEST(Dashboards, HaveDatasourceClusterAndNodeVariables) {
  for (const auto& f : dashboards()) {
    std::ifstream in(f);
    nlohmann::json d = nlohmann::json::parse(in);
    std::set<std::string> names;
    for (const auto& v : d.at("templating").at("list")) names.insert(v.at("name").get<std::string>());
    EXPECT_TRUE(names.count("datasource")) << f;
    EXPECT_TRUE(names.count("cluster")) << f;
    EXPECT_TRUE(names.count("node")) << f;
    EXPECT_FALSE(d.at("uid").get<std::string>().empty());
  }
}

}  // namespace
