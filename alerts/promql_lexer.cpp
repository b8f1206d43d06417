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

std::vector<Token> lex(std::string_view in) {
  std::vector<Token> out;
  size_t i = 0;
  auto col = [&](size_t pos) { return static_cast<int>(pos) + 1; };
  auto emit = [&](Tok t, size_t start, size_t len) {
    out.push_back(Token{t, std::string(in.substr(start, len)), 0, col(start)});
    i = start + len;
  };
  while (i < in.size()) {
    char c = in[i];
    char n = i + 1 < in.size() ? in[i + 1] : '\0';
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '#') {  // comment to end of line
      while (i < in.size() && in[i] != '\n') ++i;
      continue;
    }
    size_t start = i;
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && std::isdigit(static_cast<unsigned char>(n)))) {
      // Same acceptance as Prometheus' scanNumber: [0x]digits[.digits][e[+-]digits]
      std::string_view digits = "0123456789";
      if (c == '0' && (n == 'x' || n == 'X')) { i += 2; digits = "0123456789abcdefABCDEF"; }
      auto accept_run = [&](std::string_view set) { while (i < in.size() && set.find(in[i]) != std::string_view::npos) ++i; };
      accept_run(digits);
      if (i < in.size() && in[i] == '.') { ++i; accept_run(digits); }
      if (digits.size() == 10 && i < in.size() && (in[i] == 'e' || in[i] == 'E')) {
        ++i;
        if (i < in.size() && (in[i] == '+' || in[i] == '-')) ++i;
        accept_run("0123456789");
      }
      if (i < in.size() && is_ident_char(in[i])) {
        // A duration like 5m: lexed so the parser can say where it is wrong.
        while (i < in.size() && is_ident_char(in[i])) ++i;
        out.push_back(Token{Tok::Duration, std::string(in.substr(start, i - start)), 0, col(start)});
        continue;
      }
      std::string text(in.substr(start, i - start));
      out.push_back(Token{Tok::Number, text, parse_number(text, col(start)), col(start)});
      continue;
    }
    if (is_ident_start(c)) {
      while (i < in.size() && is_ident_char(in[i])) ++i;
      std::string text(in.substr(start, i - start));
      std::string l = lower(text);
      if (l == "inf" || l == "nan") {
        out.push_back(Token{Tok::Number, text, parse_number(text, col(start)), col(start)});
      } else {
        out.push_back(Token{Tok::Ident, text, 0, col(start)});
      }
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      char quote = c;
      ++i;
      std::string value;
      bool closed = false;
      while (i < in.size()) {
        char d = in[i];
        if (d == quote) { closed = true; ++i; break; }
        if (quote != '`' && d == '\n') break;
        if (quote != '`' && d == '\\') {
          if (i + 1 >= in.size()) break;
          char e = in[i + 1];
          i += 2;
          switch (e) {
            case 'a': value += '\a'; break;
            case 'b': value += '\b'; break;
            case 'f': value += '\f'; break;
            case 'n': value += '\n'; break;
            case 'r': value += '\r'; break;
            case 't': value += '\t'; break;
            case 'v': value += '\v'; break;
            case '\\': value += '\\'; break;
            case '"': case '\'':
              if (e != quote) throw ParseError(col(i - 2), "unknown escape sequence \\" + std::string(1, e) + " in string");
              value += e;
              break;
            case 'x': case 'u': case 'U': {
              size_t len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
              if (i + len > in.size()) throw ParseError(col(i - 2), "invalid escape sequence in string");
              std::string hex(in.substr(i, len));
              char* end = nullptr;
              unsigned long cp = std::strtoul(hex.c_str(), &end, 16);
              if (*end != '\0') throw ParseError(col(i - 2), "invalid escape sequence in string");
              if (e == 'x') value += static_cast<char>(cp); else append_utf8(value, cp);
              i += len;
              break;
            }
            default:
              if (e >= '0' && e <= '7' && i + 2 <= in.size()) {
                std::string oct(in.substr(i - 1, 3));
                char* end = nullptr;
                unsigned long v = std::strtoul(oct.c_str(), &end, 8);
                if (*end != '\0' || v > 255) throw ParseError(col(i - 2), "invalid escape sequence in string");
                value += static_cast<char>(v);
                i += 2;
                break;
              }
              throw ParseError(col(i - 2), "unknown escape sequence \\" + std::string(1, e) + " in string");
          }
          continue;
        }
        value += d;
        ++i;
      }
      if (!closed) throw ParseError(col(start), "unterminated quoted string");
      // "\xff" and octal escapes can spell bytes that are not UTF-8.
      make_valid_utf8(value);
      out.push_back(Token{Tok::String, value, 0, col(start)});
      continue;
    }
    switch (c) {
      case '{': emit(Tok::LBrace, start, 1); continue;
      case '}': emit(Tok::RBrace, start, 1); continue;
      case '(': emit(Tok::LParen, start, 1); continue;
      case ')': emit(Tok::RParen, start, 1); continue;
      case '[': emit(Tok::LBracket, start, 1); continue;
      case ']': emit(Tok::RBracket, start, 1); continue;
      case ',': emit(Tok::Comma, start, 1); continue;
      case '+': emit(Tok::Add, start, 1); continue;
      case '-': emit(Tok::Sub, start, 1); continue;
      case '*': emit(Tok::Mul, start, 1); continue;
      case '/': emit(Tok::Div, start, 1); continue;
      case '%': emit(Tok::Mod, start, 1); continue;
      case '^': emit(Tok::Pow, start, 1); continue;
      case '=':
        if (n == '=') emit(Tok::EqlC, start, 2);
        else if (n == '~') emit(Tok::EqlRegex, start, 2);
        else emit(Tok::Assign, start, 1);
        continue;
      case '!':
        if (n == '=') { emit(Tok::Neq, start, 2); continue; }
        if (n == '~') { emit(Tok::NeqRegex, start, 2); continue; }
        throw ParseError(col(start), "unexpected character after \"!\": expected \"=\" or \"~\"");
      case '>':
        if (n == '=') emit(Tok::Gte, start, 2); else emit(Tok::Gtr, start, 1);
        continue;
      case '<':
        if (n == '=') emit(Tok::Lte, start, 2); else emit(Tok::Lss, start, 1);
        continue;
      default:
        throw ParseError(col(start), "unexpected character \"" + std::string(1, c) + "\"");
    }
  }
  out.push_back(Token{Tok::End, "", 0, col(in.size())});
  return out;
}

}  // namespace pgw::promql
