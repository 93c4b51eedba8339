// oauth2-rest: entry point. Start-up errors end here as one clear line and exit code 1.
#include "cli/cli.hpp"
#include "util/log.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  try {
    return oauth2_rest::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oauth2-rest: %s\n", e.what());
    return 1;
  }
}
