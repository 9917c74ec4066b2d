// Renderers of the report model: JSON (the contract's schema, and back), text and HTML.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "report.hpp"

namespace oomtrace {

enum class Format { text, json, html };
[[nodiscard]] Result<std::vector<Format>> parse_formats(std::string_view list);
std::string_view format_extension(Format format);

std::string render_json(const Report& report);
// Rejects anything that is not a complete oomtrace.report/v1 (ExitCode::bad_input).
[[nodiscard]] Result<Report> parse_report_json(std::string_view text);
std::string render_text(const Report& report);
std::string render_html(const Report& report);
std::string render(const Report& report, Format format);

}  // namespace oomtrace
