// The error of alert templates, thrown by parsing, rendering and the template
// functions alike (its own header, so template.cpp and template_funcs.cpp
// both use it without including each other).
#pragma once

#include <stdexcept>

namespace pgw {

struct TemplateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace pgw
