#include "alerts/promql_lexer.h"
#include "core/utf8.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace pgw::promql {
namespace {

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool is_ident_char(char c) { return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Integer literals follow Go's strconv.ParseInt(s, 0, 64) as Prometheus
// does: 0x.. hex, a leading 0 means octal; anything else is a float.
double parse_number(const std::string& s, int col) {
  std::string l = lower(s);
  if (l == "inf") return std::numeric_limits<double>::infinity();
  if (l == "nan") return std::numeric_limits<double>::quiet_NaN();
  bool digits_only = !s.empty();
  for (char c : s) digits_only = digits_only && std::isdigit(static_cast<unsigned char>(c));
  errno = 0;
  if (l.size() > 2 && l[0] == '0' && l[1] == 'x') {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str() + 2, &end, 16);
    if (*end == '\0' && errno == 0 && v <= 0x7fffffffffffffffULL) return static_cast<double>(v);
    throw ParseError(col, "bad number or duration syntax: \"" + s + "\"");
  }
  if (digits_only && s.size() > 1 && s[0] == '0' && s.find_first_of("89") == std::string::npos) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, 8);
    if (errno == 0 && v <= 0x7fffffffffffffffULL) return static_cast<double>(v);
  }
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') throw ParseError(col, "bad number or duration syntax: \"" + s + "\"");
  return v;  // overflow gives ±Inf as Go's ParseFloat value does
}

}  // namespace

std::string describe(const Token& t) {
  switch (t.type) {
    case Tok::End: return "end of input";
    case Tok::Ident: return "identifier \"" + t.text + "\"";
    case Tok::Number: return "number \"" + t.text + "\"";
    case Tok::Duration: return "duration \"" + t.text + "\"";
    case Tok::String: return "string";
    default: return "\"" + t.text + "\"";
  }
}

namespace {

// One pass over the input; each lex_* consumes one token at `i`.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> run() {
    while (i_ < in_.size()) {
      char c = in_[i_];
      char n = peek(1);
      if (std::isspace(static_cast<unsigned char>(c))) { ++i_; continue; }
      if (c == '#') {  // comment to end of line
        while (i_ < in_.size() && in_[i_] != '\n') ++i_;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && std::isdigit(static_cast<unsigned char>(n)))) lex_number();
      else if (is_ident_start(c)) lex_ident();
      else if (c == '"' || c == '\'' || c == '`') lex_string();
      else lex_operator();
    }
    out_.push_back(Token{Tok::End, "", 0, col(in_.size())});
    return std::move(out_);
  }

 private:
  std::string_view in_;
  size_t i_ = 0;
  std::vector<Token> out_;

  static int col(size_t pos) { return static_cast<int>(pos) + 1; }
  char peek(size_t ahead) const { return i_ + ahead < in_.size() ? in_[i_ + ahead] : '\0'; }
  void emit(Tok t, size_t len) {
    out_.push_back(Token{t, std::string(in_.substr(i_, len)), 0, col(i_)});
    i_ += len;
  }
  void accept_run(std::string_view set) {
    while (i_ < in_.size() && set.find(in_[i_]) != std::string_view::npos) ++i_;
  }

  // Same acceptance as Prometheus' scanNumber: [0x]digits[.digits][e[+-]digits];
  // digits followed by letters are a duration (5m, 1h30m).
  void lex_number() {
    size_t start = i_;
    std::string_view digits = "0123456789";
    if (in_[i_] == '0' && (peek(1) == 'x' || peek(1) == 'X')) { i_ += 2; digits = "0123456789abcdefABCDEF"; }
    accept_run(digits);
    if (i_ < in_.size() && in_[i_] == '.') { ++i_; accept_run(digits); }
    if (digits.size() == 10 && i_ < in_.size() && (in_[i_] == 'e' || in_[i_] == 'E')) {
      ++i_;
      if (i_ < in_.size() && (in_[i_] == '+' || in_[i_] == '-')) ++i_;
      accept_run("0123456789");
    }
    if (i_ < in_.size() && is_ident_char(in_[i_])) {
      while (i_ < in_.size() && is_ident_char(in_[i_])) ++i_;
      out_.push_back(Token{Tok::Duration, std::string(in_.substr(start, i_ - start)), 0, col(start)});
      return;
    }
    std::string text(in_.substr(start, i_ - start));
    out_.push_back(Token{Tok::Number, text, parse_number(text, col(start)), col(start)});
  }

  void lex_ident() {
    size_t start = i_;
    while (i_ < in_.size() && is_ident_char(in_[i_])) ++i_;
    std::string text(in_.substr(start, i_ - start));
    std::string l = lower(text);
    if (l == "inf" || l == "nan") out_.push_back(Token{Tok::Number, text, parse_number(text, col(start)), col(start)});
    else out_.push_back(Token{Tok::Ident, text, 0, col(start)});
  }

  void lex_string() {
    size_t start = i_;
    char quote = in_[i_++];
    std::string value;
    bool closed = false;
    while (i_ < in_.size()) {
      char d = in_[i_];
      if (d == quote) { closed = true; ++i_; break; }
      if (quote != '`' && d == '\n') break;
      if (quote != '`' && d == '\\') {
        if (i_ + 1 >= in_.size()) break;
        lex_escape(quote, value);
        continue;
      }
      value += d;
      ++i_;
    }
    if (!closed) throw ParseError(col(start), "unterminated quoted string");
    // "\xff" and octal escapes can spell bytes that are not UTF-8.
    make_valid_utf8(value);
    out_.push_back(Token{Tok::String, value, 0, col(start)});
  }

  // A backslash escape at i_ (Go's strconv.Unquote rules), appended to `value`.
  void lex_escape(char quote, std::string& value) {
    char e = in_[i_ + 1];
    i_ += 2;
    switch (e) {
      case 'a': value += '\a'; return;
      case 'b': value += '\b'; return;
      case 'f': value += '\f'; return;
      case 'n': value += '\n'; return;
      case 'r': value += '\r'; return;
      case 't': value += '\t'; return;
      case 'v': value += '\v'; return;
      case '\\': value += '\\'; return;
      case '"': case '\'':
        if (e != quote) throw ParseError(col(i_ - 2), "unknown escape sequence \\" + std::string(1, e) + " in string");
        value += e;
        return;
      case 'x': case 'u': case 'U': {
        size_t len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i_ + len > in_.size()) throw ParseError(col(i_ - 2), "invalid escape sequence in string");
        std::string hex(in_.substr(i_, len));
        char* end = nullptr;
        unsigned long cp = std::strtoul(hex.c_str(), &end, 16);
        if (*end != '\0') throw ParseError(col(i_ - 2), "invalid escape sequence in string");
        if (e == 'x') value += static_cast<char>(cp); else append_utf8(value, cp);
        i_ += len;
        return;
      }
      default:
        if (e >= '0' && e <= '7' && i_ + 2 <= in_.size()) {
          std::string oct(in_.substr(i_ - 1, 3));
          char* end = nullptr;
          unsigned long v = std::strtoul(oct.c_str(), &end, 8);
          if (*end != '\0' || v > 255) throw ParseError(col(i_ - 2), "invalid escape sequence in string");
          value += static_cast<char>(v);
          i_ += 2;
          return;
        }
        throw ParseError(col(i_ - 2), "unknown escape sequence \\" + std::string(1, e) + " in string");
    }
  }

  void lex_operator() {
    char c = in_[i_], n = peek(1);
    switch (c) {
      case '{': return emit(Tok::LBrace, 1);
      case '}': return emit(Tok::RBrace, 1);
      case '(': return emit(Tok::LParen, 1);
      case ')': return emit(Tok::RParen, 1);
      case '[': return emit(Tok::LBracket, 1);
      case ']': return emit(Tok::RBracket, 1);
      case ',': return emit(Tok::Comma, 1);
      case '+': return emit(Tok::Add, 1);
      case '-': return emit(Tok::Sub, 1);
      case '*': return emit(Tok::Mul, 1);
      case '/': return emit(Tok::Div, 1);
      case '%': return emit(Tok::Mod, 1);
      case '^': return emit(Tok::Pow, 1);
      case '=':
        if (n == '=') return emit(Tok::EqlC, 2);
        if (n == '~') return emit(Tok::EqlRegex, 2);
        return emit(Tok::Assign, 1);
      case '!':
        if (n == '=') return emit(Tok::Neq, 2);
        if (n == '~') return emit(Tok::NeqRegex, 2);
        throw ParseError(col(i_), "unexpected character after \"!\": expected \"=\" or \"~\"");
      case '>': return n == '=' ? emit(Tok::Gte, 2) : emit(Tok::Gtr, 1);
      case '<': return n == '=' ? emit(Tok::Lte, 2) : emit(Tok::Lss, 1);
      default: throw ParseError(col(i_), "unexpected character \"" + std::string(1, c) + "\"");
    }
  }
};

}  // namespace

std::vector<Token> lex(std::string_view in) { return Lexer(in).run(); }

}  // namespace pgw::promql
