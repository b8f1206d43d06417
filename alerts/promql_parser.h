// Parses a PromQL-subset expression into a type-checked syntax tree.
// Errors are promql::ParseError with the 1-based column and a message of the
// form `unexpected "}" at column 14, expected label name`.
#pragma once

#include <string_view>

#include "alerts/promql_ast.h"
#include "alerts/promql_lexer.h"

namespace pgw::promql {

NodePtr parse(std::string_view expr);  // throws ParseError


}  // namespace pgw::promql
