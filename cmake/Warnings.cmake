# Warnings for our own code only (an interface target, never global flags).
# -Wshadow=local is GCC's spelling; clang (the fuzz build) has only -Wshadow, which is far noisier.
add_library(oauth2_rest_warnings INTERFACE)
target_compile_options(oauth2_rest_warnings INTERFACE
  -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor
  -Wno-missing-field-initializers
  # GCC 12 at -O2 reports a bogus overlapping memcpy inside libstdc++ for `"literal" + std::string`
  # (GCC bug 105329): off for GCC 12 and older, where it misfires.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
