// Functions callable from alert templates, with the output Prometheus'
// template package produces for the same input.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace pgw::tmpl {

// A template value: text, a number, or a label map.
using Value = std::variant<std::string, double, std::map<std::string, std::string>>;

std::string to_text(const Value& v);  // as Go's fmt %v prints it
bool is_function(const std::string& name);
// Throws TemplateError (alerts/template_error.h) for wrong arguments.
Value call(const std::string& name, const std::vector<Value>& args);

}  // namespace pgw::tmpl

namespace pgw {

// Go's %v for a float64: shortest representation, exponent from 1e21.
std::string go_format_float(double v);

}  // namespace pgw
