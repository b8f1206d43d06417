#include "alerts/template.h"
#include "core/utf8.h"

#include <cctype>

#include "alerts/template_funcs.h"

namespace pgw {

// One word of a pipeline command: a function name, a data reference
// ($labels.x, .Value, ...) or a literal.
struct Arg {
  enum class Kind { Func, Labels, Label, Value, Literal } kind;
  std::string text;  // function name, label name or literal text
  tmpl::Value literal;
};
using Command = std::vector<Arg>;

struct Template::Part {
  std::string text;               // literal text (when pipeline is empty)
  std::vector<Command> pipeline;  // an action
};

namespace {

[[noreturn]] void fail(size_t offset, const std::string& msg) {
  throw TemplateError("template error at offset " + std::to_string(offset) + ": " + msg);
}

class ActionParser {
 public:
  ActionParser(std::string_view s, size_t base) : s_(s), base_(base) {}

  std::vector<Command> pipeline() {
    std::vector<Command> cmds(1);
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) break;
      if (s_[i_] == '|') {
        if (cmds.back().empty()) fail(base_ + i_, "missing command before \"|\"");
        ++i_;
        cmds.emplace_back();
        continue;
      }
      cmds.back().push_back(word());
    }
    if (cmds.back().empty()) fail(base_ + i_, cmds.size() == 1 ? "empty action" : "missing command after \"|\"");
    for (size_t c = 0; c < cmds.size(); ++c) {
      const Command& cmd = cmds[c];
      if (cmd[0].kind != Arg::Kind::Func && cmd.size() > 1)
        fail(base_, "can't give argument to non-function " + cmd[0].text);
      if (c > 0 && cmd[0].kind != Arg::Kind::Func) fail(base_, "non-function in pipeline after \"|\"");
    }
    return cmds;
  }

 private:
  std::string_view s_;
  size_t base_;
  size_t i_ = 0;

  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  std::string ident() {
    size_t start = i_;
    while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  // ".Labels.x" / "$labels.x" after the root has been read.
  Arg field_path(const std::string& root, size_t at) {
    bool labels = root == "labels" || root == "Labels" || root == "externalLabels" || root == "ExternalLabels";
    bool external = root == "externalLabels" || root == "ExternalLabels";
    if (root == "value" || root == "Value") return Arg{Arg::Kind::Value, root, {}};
    if (root == "externalURL" || root == "ExternalURL") return Arg{Arg::Kind::Literal, root, std::string()};
    if (!labels) fail(base_ + at, (root.empty() ? "bad reference" : "undefined variable or field \"" + root + "\""));
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      std::string label = ident();
      if (label.empty()) fail(base_ + i_, "expected a label name after \".\"");
      if (external) return Arg{Arg::Kind::Literal, label, std::string()};
      return Arg{Arg::Kind::Label, label, {}};
    }
    if (external) return Arg{Arg::Kind::Literal, root, std::map<std::string, std::string>()};
    return Arg{Arg::Kind::Labels, root, {}};
  }

  Arg word() {
    size_t at = i_;
    char c = s_[i_];
    if (c == '$') {
      ++i_;
      return field_path(ident(), at);
    }
    if (c == '.') {
      ++i_;
      return field_path(ident(), at);
    }
    if (c == '"' || c == '`') return Arg{Arg::Kind::Literal, "string", quoted()};
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      size_t start = i_++;
      while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '|') ++i_;
      std::string num(s_.substr(start, i_ - start));
      char* end = nullptr;
      double d = std::strtod(num.c_str(), &end);
      if (*end != '\0') fail(base_ + at, "bad number syntax: " + num);
      return Arg{Arg::Kind::Literal, num, d};
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      std::string name = ident();
      if (name == "if" || name == "range" || name == "with" || name == "else" || name == "end" ||
          name == "define" || name == "template" || name == "block")
        fail(base_ + at, "\"" + name + "\" actions are not supported");
      if (!tmpl::is_function(name)) fail(base_ + at, "function \"" + name + "\" not defined");
      return Arg{Arg::Kind::Func, name, {}};
    }
    fail(base_ + at, std::string("unexpected \"") + c + "\" in action");
  }

  std::string quoted() {
    char q = s_[i_++];
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      char c = s_[i_++];
      if (q == '"' && c == '\\' && i_ < s_.size()) {
        char e = s_[i_++];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case '\\': out += '\\'; break;
          case '"': out += '"'; break;
          default: fail(base_ + i_ - 2, std::string("unknown escape sequence \\") + e);
        }
        continue;
      }
      out += c;
    }
    if (i_ >= s_.size()) fail(base_ + i_, "unterminated quoted string");
    ++i_;
    return out;
  }
};

}  // namespace

Template Template::parse(std::string_view text) {
  auto parts = std::make_shared<std::vector<Part>>();
  size_t i = 0;
  bool trim_next = false;
  while (i <= text.size()) {
    size_t open = text.find("{{", i);
    std::string literal(text.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (trim_next) literal.erase(0, literal.find_first_not_of(" \t\r\n") == std::string::npos ? literal.size() : literal.find_first_not_of(" \t\r\n"));
    size_t body = open + 2;
    bool trim_left = open != std::string_view::npos && body + 1 < text.size() && text[body] == '-' &&
                     std::isspace(static_cast<unsigned char>(text[body + 1]));
    if (trim_left) {
      size_t end = literal.find_last_not_of(" \t\r\n");
      literal.erase(end == std::string::npos ? 0 : end + 1);
      body += 1;
    }
    if (!literal.empty()) parts->push_back(Part{literal, {}});
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", body);
    if (close == std::string_view::npos) fail(open, "unclosed action (missing \"}}\")");
    size_t body_end = close;
    trim_next = close >= 2 && text[close - 1] == '-' && std::isspace(static_cast<unsigned char>(text[close - 2]));
    if (trim_next) body_end = close - 1;
    std::string_view action = text.substr(body, body_end - body);
    size_t first = action.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && action.substr(first, 2) == "/*") {
      size_t last = action.find_last_not_of(" \t\r\n");
      if (last < first + 3 || action.substr(last - 1, 2) != "*/") fail(open, "unclosed comment");
    } else {
      parts->push_back(Part{"", ActionParser(action, body).pipeline()});
    }
    i = close + 2;
  }
  Template t;
  t.parts_ = std::move(parts);
  return t;
}

namespace {

// Renders `parts`; `label(name)` is one label's value, `all_labels()` the
// label map.
template <class Label, class AllLabels>
std::string render_parts(const std::vector<Template::Part>& parts, Label label, AllLabels all_labels, double value) {
  std::string out;
  for (const Template::Part& p : parts) {
    if (p.pipeline.empty()) {
      out += p.text;
      continue;
    }
    tmpl::Value piped;
    bool has_piped = false;
    for (const Command& cmd : p.pipeline) {
      auto resolve = [&](const Arg& a) -> tmpl::Value {
        switch (a.kind) {
          case Arg::Kind::Labels: return all_labels();
          case Arg::Kind::Label: return label(a.text);
          case Arg::Kind::Value: return value;
          case Arg::Kind::Literal: return a.literal;
          case Arg::Kind::Func: return tmpl::call(a.text, {});
        }
        return std::string();
      };
      if (cmd[0].kind != Arg::Kind::Func) {
        piped = resolve(cmd[0]);
      } else {
        std::vector<tmpl::Value> args;
        for (size_t k = 1; k < cmd.size(); ++k) args.push_back(resolve(cmd[k]));
        if (has_piped) args.push_back(piped);  // a pipe passes its value as the last argument
        piped = tmpl::call(cmd[0].text, args);
      }
      has_piped = true;
    }
    out += tmpl::to_text(piped);
  }
  make_valid_utf8(out);  // printf-style truncation can cut a character
  return out;
}

}  // namespace

std::string Template::render(const TemplateData& data) const {
  if (!parts_) return {};
  auto label = [&](const std::string& name) {
    auto it = data.labels.find(name);
    return it == data.labels.end() ? std::string() : it->second;
  };
  return render_parts(*parts_, label, [&] { return data.labels; }, data.value);
}

std::string Template::render(const Labels& labels, double value) const {
  if (!parts_) return {};
  auto label = [&](const std::string& name) { return label_value(labels, name); };
  auto all_labels = [&] { return std::map<std::string, std::string>(labels.begin(), labels.end()); };
  return render_parts(*parts_, label, all_labels, value);
}

}  // namespace pgw
