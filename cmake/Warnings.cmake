# Warnings for our own code only (an interface target, never global flags).
add_library(oauth2_rest_warnings INTERFACE)
target_compile_options(oauth2_rest_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wnon-virtual-dtor -Wno-missing-field-initializers
  # GCC's spelling; clang (the fuzz build) has only -Wshadow, which is far noisier.
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>)
