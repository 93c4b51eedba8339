// The one-shot commands (SPEC 10): `oauth2-rest request [options] URL` makes one authenticated
// request and prints it like curl; `oauth2-rest token [credential options]` prints a valid
// access token and a newline, nothing else.
//
// - The credential goes through the action's own readers (parse_action_config,
//   make_credentials), so every credential field and client authentication the action knows
//   works here the same way; the request through the action's request builder (URL joined to
//   baseUrl, header checks, Authorization owned by us), the token through its token client.
// - Tokens come from the token cache (token_cache.hpp): a fresh cached token costs no token
//   request; a new token is written to the cache. The config file is never written: its
//   `tokens` field is neither read nor updated (the cache is the one place the command line
//   keeps tokens; `process` keeps using the file).
// - A 401 from the origin that got the token (invalid_token or no error code, as the action
//   decides) renews the token once and repeats the request once; the renewed token is cached.
//   Another process's newer token in the cache is taken instead of asking the endpoint.
// - Output: the body on stdout, byte for byte after content decoding (gzip, deflate, br); with
//   -i first "HTTP/1.1 <status> <reason>" and the headers (those that describe the decoded
//   body), CRLF-terminated, and an empty line. Errors: one line on stderr, never a secret.
// - Exit codes: 0; 2 usage; 22 with --fail when the status is >= 400 (no body printed, as
//   curl); 1 anything else (configuration, token, network, decoding).
#pragma once

#include "cli/oneshot_options.hpp"

namespace oauth2_rest::cli {

inline constexpr int exit_http_error = 22;

int run_oneshot(oneshot_command command, const oneshot_options& options);

}  // namespace oauth2_rest::cli
