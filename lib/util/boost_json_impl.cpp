// Boost.JSON's implementation, compiled into the core instead of taken from libboost_json.so.
// Every message builds and destroys a few dozen JSON values (the AMQP headers, the body, the
// response, the output); in the shared library each of those is a call through the PLT that
// link-time optimisation cannot see into or inline (bench/PROFILE.md, ninth session). Boost
// documents this one-file inclusion as the header-only way to use the library.
#include <boost/json/src.hpp>
