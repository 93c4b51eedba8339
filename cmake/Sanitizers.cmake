# OAUTH2_REST_SANITIZE: empty, "address;undefined" or "thread".
set(OAUTH2_REST_SANITIZE "" CACHE STRING "Sanitizers to build with (address;undefined or thread)")
if(OAUTH2_REST_SANITIZE)
  list(JOIN OAUTH2_REST_SANITIZE "," _oauth2_rest_san)
  add_compile_options(-fsanitize=${_oauth2_rest_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_oauth2_rest_san})
endif()
