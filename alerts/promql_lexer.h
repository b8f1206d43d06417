// Tokenizer for the PromQL subset. Keywords (and, by, bool, sum, ...) are
// returned as identifiers; the parser decides by context, case-insensitively
// as Prometheus does. `Inf` and `NaN` are numbers.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pgw::promql {

enum class Tok {
  Ident, Number, String, Duration,  // Duration: only to report it
  LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma,
  Add, Sub, Mul, Div, Mod, Pow,
  EqlC, Neq, Gtr, Lss, Gte, Lte,  // == != > < >= <=
  Assign, EqlRegex, NeqRegex,     // = =~ !~
  End,
};

struct Token {
  Tok type;
  std::string text;   // identifier / raw number text / unquoted string
  double number = 0;  // for Number
  int column = 1;     // 1-based
};

// Error with the 1-based column inside the expression.
struct ParseError : std::runtime_error {
  int column;
  ParseError(int col, const std::string& msg) : std::runtime_error(msg), column(col) {}
};

// Describes a token for messages: `"}"`, `identifier "foo"`, `end of input`.
std::string describe(const Token& t);

std::vector<Token> lex(std::string_view input);  // throws ParseError

}  // namespace pgw::promql
