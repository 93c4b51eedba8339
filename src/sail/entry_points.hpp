// The platform entry points: `oauth2-rest sail` and `oauth2-rest serve verifyCredentials`.
//
// Both read their settings from the ELASTICIO_* environment. They return the
// process exit code; configuration errors at start-up throw std::runtime_error.
#pragma once

namespace oauth2_rest::sail {

int run_worker();
int run_verify_credentials();

}  // namespace oauth2_rest::sail
