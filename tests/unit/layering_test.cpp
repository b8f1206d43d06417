// The layering of the source tree (DESIGN.md "Layout"), read from the files
// themselves so that a wrong include fails the build's tests, not a review:
//   - includes go only down: checks -> core, alerts -> core,
//     exporter -> {core, checks, alerts}; core includes nothing of ours;
//   - across folders only a folder's public headers may be included: those
//     named in its PUBLIC_HEADERS file (one file name per line, `#` starts a
//     comment, `*` makes every header of the folder public);
//   - no include cycle between components, where a component is foo.h with
//     foo.cpp (so a cycle through a .cpp counts: template.cpp -> funcs.h,
//     funcs.cpp -> template.h is a cycle even though no header includes the
//     other).
// Only quoted includes ("folder/file.h") are ours; <...> ones are libraries.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pgw {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFolders = {"core", "checks", "alerts", "exporter"};

// Which folders each folder may include (its own is always allowed).
const std::map<std::string, std::set<std::string>>& allowed_below() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"core", {}},
      {"checks", {"core"}},
      {"alerts", {"core"}},
      {"exporter", {"core", "checks", "alerts"}},
  };
  return m;
}

// A source tree in memory: "folder/file" -> contents; PUBLIC_HEADERS files
// are "folder/PUBLIC_HEADERS".
using Tree = std::map<std::string, std::string>;

struct Include {
  std::string from;  // "alerts/rule_engine.cpp"
  int line = 0;
  std::string to;    // "core/config.h"
};

std::string folder_of(const std::string& path) { return path.substr(0, path.find('/')); }

// "alerts/rule_engine.cpp" -> "alerts/rule_engine"
std::string component_of(const std::string& path) {
  auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(0, dot);
}

std::vector<Include> includes_of(const std::string& path, const std::string& text) {
  std::vector<Include> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    // #  include "x" (spaces allowed around '#')
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] != '#') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string::npos || line.compare(i, 7, "include") != 0) continue;
    i = line.find_first_not_of(" \t", i + 7);
    if (i == std::string::npos || line[i] != '"') continue;
    size_t end = line.find('"', i + 1);
    if (end != std::string::npos) out.push_back({path, n, line.substr(i + 1, end - i - 1)});
  }
  return out;
}

// Public headers of a folder from its PUBLIC_HEADERS file; "*" = all.
std::set<std::string> public_headers(const Tree& tree, const std::string& folder) {
  std::set<std::string> out;
  auto it = tree.find(folder + "/PUBLIC_HEADERS");
  if (it == tree.end()) return out;
  std::istringstream in(it->second);
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) out.insert(line);
  }
  return out;
}

bool is_source(const std::string& path) {
  return path.ends_with(".h") || path.ends_with(".cpp");
}

// Every violation of the rules above, one line each ("" = none).
std::vector<std::string> violations(const Tree& tree) {
  std::vector<std::string> out;
  std::map<std::string, std::set<std::string>> publics;
  for (const auto& f : kFolders) publics[f] = public_headers(tree, f);

  std::map<std::string, std::set<std::string>> graph;  // component -> components
  for (const auto& [path, text] : tree) {
    if (!is_source(path)) continue;
    const std::string from_folder = folder_of(path);
    for (const auto& inc : includes_of(path, text)) {
      const std::string where = inc.from + ":" + std::to_string(inc.line) + ": includes \"" + inc.to + "\"";
      const std::string to_folder = folder_of(inc.to);
      if (std::find(kFolders.begin(), kFolders.end(), to_folder) == kFolders.end()) continue;  // tests/, ...
      if (!tree.count(inc.to)) {
        out.push_back(where + ", which does not exist");
        continue;
      }
      if (to_folder != from_folder) {
        if (!allowed_below().at(from_folder).count(to_folder)) {
          out.push_back(where + ": " + from_folder + "/ must not include " + to_folder + "/");
          continue;
        }
        const auto& pub = publics[to_folder];
        const std::string file = inc.to.substr(to_folder.size() + 1);
        if (!pub.count("*") && !pub.count(file))
          out.push_back(where + ", an internal header of " + to_folder + "/ (not in " + to_folder +
                        "/PUBLIC_HEADERS)");
      }
      if (component_of(inc.to) != component_of(path))
        graph[component_of(path)].insert(component_of(inc.to));
    }
  }

  // Cycles: depth-first search, reporting each cycle's path once.
  std::map<std::string, int> color;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<void(const std::string&)> visit = [&](const std::string& c) {
    color[c] = 1;
    stack.push_back(c);
    for (const auto& next : graph[c]) {
      if (color[next] == 1) {
        auto start = std::find(stack.begin(), stack.end(), next);
        std::vector<std::string> cycle(start, stack.end());
        std::string text;
        for (const auto& s : cycle) text += s + " -> ";
        text += next;
        std::sort(cycle.begin(), cycle.end());
        std::string key;
        for (const auto& s : cycle) key += s + ",";
        if (reported.insert(key).second) out.push_back("include cycle: " + text);
      } else if (color[next] == 0) {
        visit(next);
      }
    }
    stack.pop_back();
    color[c] = 2;
  };
  std::vector<std::string> nodes;
  for (const auto& [c, _] : graph) nodes.push_back(c);
  for (const auto& c : nodes)
    if (color[c] == 0) visit(c);
  return out;
}

Tree read_tree(const fs::path& root) {
  Tree tree;
  for (const auto& folder : kFolders) {
    for (const auto& e : fs::directory_iterator(root / folder)) {
      const std::string name = e.path().filename().string();
      if (!e.is_regular_file() || !(is_source(name) || name == "PUBLIC_HEADERS")) continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      tree[folder + "/" + name] = ss.str();
    }
  }
  return tree;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += "  " + l + "\n";
  return s;
}

TEST(LayeringTest, SourceTreeIncludesOnlyDownwardsPublicHeadersWithoutCycles) {
  Tree tree = read_tree(PGWARDEN_SOURCE_DIR);
  ASSERT_GT(tree.size(), 50u) << "sources not found under " << PGWARDEN_SOURCE_DIR;
  for (const auto& f : kFolders)
    EXPECT_TRUE(tree.count(f + "/PUBLIC_HEADERS")) << f << "/ names no public headers";
  auto v = violations(tree);
  EXPECT_TRUE(v.empty()) << v.size() << " layering violation(s):\n" << joined(v);
}

// The rules themselves catch what they are meant to catch.
TEST(LayeringTest, DetectsUpwardAndSidewaysIncludesInternalHeadersAndCycles) {
  Tree ok = {
      {"core/PUBLIC_HEADERS", "*\n"},
      {"checks/PUBLIC_HEADERS", "# comment\ncheck.h\n"},
      {"alerts/PUBLIC_HEADERS", "rules.h  # trailing comment\n"},
      {"exporter/PUBLIC_HEADERS", ""},
      {"core/sample.h", "#include <vector>\n"},
      {"checks/check.h", "#include \"core/sample.h\"\n"},
      {"checks/pg.h", ""},
      {"alerts/rules.h", "#include \"core/sample.h\"\n"},
      {"exporter/main.cpp", "#include \"checks/check.h\"\n#include \"alerts/rules.h\"\n"},
  };
  EXPECT_TRUE(violations(ok).empty()) << joined(violations(ok));

  auto bad_with = [&](const std::string& file, const std::string& text) {
    Tree t = ok;
    t[file] = text;
    return violations(t);
  };
  auto v = bad_with("core/sample.h", "#include \"checks/check.h\"\n");
  ASSERT_FALSE(v.empty());
  EXPECT_NE(v[0].find("core/ must not include checks/"), std::string::npos) << v[0];

  v = bad_with("alerts/x.cpp", "\n#include \"checks/check.h\"\n");
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("alerts/x.cpp:2"), std::string::npos) << v[0];

  v = bad_with("exporter/y.cpp", "#include \"checks/pg.h\"\n");
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("internal header of checks/"), std::string::npos) << v[0];

  v = bad_with("exporter/z.cpp", "#include \"alerts/missing.h\"\n");
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("does not exist"), std::string::npos) << v[0];

  // A cycle through a .cpp: a.cpp -> b.h, b.cpp -> a.h.
  Tree cyc = ok;
  cyc["alerts/a.h"] = "";
  cyc["alerts/a.cpp"] = "#include \"alerts/a.h\"\n#include \"alerts/b.h\"\n";
  cyc["alerts/b.h"] = "";
  cyc["alerts/b.cpp"] = "#include \"alerts/b.h\"\n#include \"alerts/a.h\"\n";
  v = violations(cyc);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("include cycle: alerts/a -> alerts/b -> alerts/a"), std::string::npos) << v[0];
}

}  // namespace
}  // namespace pgw
