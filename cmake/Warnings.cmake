# Warnings for our own code only (an interface target, never global flags).
add_library(oauth2_rest_warnings INTERFACE)
target_compile_options(oauth2_rest_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wno-missing-field-initializers)
