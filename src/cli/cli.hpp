// Command line of the oauth2-rest executable: subcommands, flags, --help.
//
// Usage errors (unknown flag, missing value, unknown subcommand) print one line
// to stderr and give exit code 2. Start-up errors throw and are reported by main.
#pragma once

namespace oauth2_rest::cli {

inline constexpr int exit_usage = 2;

int run(int argc, char** argv);

}  // namespace oauth2_rest::cli
