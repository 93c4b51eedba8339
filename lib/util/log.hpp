// The process-wide logger: one bunyan-compatible JSON object per line.
//
// It is the only global in the program. The platform worker writes to
// stdout (as the reference runtimes do); local mode writes to stderr so that
// stdout carries nothing but events. Callers never pass secrets in `msg` or
// `fields`; there is no redaction here to lean on.
#pragma once

#include <boost/json/object.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest::log {

enum class level : int { trace = 10, debug = 20, info = 30, warn = 40, error = 50, fatal = 60 };

struct settings {
  std::FILE* out = stderr;
  std::string name = "oauth2-rest";
  level min_level = level::info;
  // Added to every line (the ELASTICIO_* ids in the platform worker).
  boost::json::object context;
};

void configure(settings s);
bool enabled(level l);
void write(level l, std::string_view msg, const boost::json::object& fields = {});

// "trace", "debug", "info", "warn", "error", "fatal" (case-insensitive).
std::optional<level> parse_level(std::string_view text);

inline void trace(std::string_view m, const boost::json::object& f = {}) { write(level::trace, m, f); }
inline void debug(std::string_view m, const boost::json::object& f = {}) { write(level::debug, m, f); }
inline void info(std::string_view m, const boost::json::object& f = {}) { write(level::info, m, f); }
inline void warn(std::string_view m, const boost::json::object& f = {}) { write(level::warn, m, f); }
inline void error(std::string_view m, const boost::json::object& f = {}) { write(level::error, m, f); }
inline void fatal(std::string_view m, const boost::json::object& f = {}) { write(level::fatal, m, f); }

}  // namespace oauth2_rest::log
