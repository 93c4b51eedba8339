// PEM text (RFC 7468) rebuilt after it went through a single-line form field.
//
// Credential fields such as privateKey are often text inputs: a browser turns the pasted line
// breaks into spaces, and users who know the field is one line type a literal "\n" (backslash,
// n) instead. Both are undone here, so
//
//   "-----BEGIN PRIVATE KEY----- MIGHAgEA...  ...Qg== -----END PRIVATE KEY-----"
//   "-----BEGIN PRIVATE KEY-----\nMIGHAgEA...\n...Qg==\n-----END PRIVATE KEY-----"
//
// both become the canonical form: the BEGIN line, the base64 body in lines of 64 characters,
// the END line, each ending in '\n'. Several blocks (a certificate and its chain, or an EC key
// after its "EC PARAMETERS") are kept in order; text outside the blocks (the "Bag Attributes"
// openssl pkcs12 writes) is dropped.
//
// Pure: no OpenSSL, no I/O. Error messages (input_error::bad_credential_field) describe the
// structure only ("no -----BEGIN ...----- line", a block's label); they never quote the body,
// which may be a private key. The caller puts the field's name in front.
#pragma once

#include "oauth2/input_error.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace oauth2_rest::oauth2 {

// The canonical PEM text of `text`, or an error when it holds no complete PEM block, a block
// whose END does not match its BEGIN, a body that is not base64, or PEM headers (the legacy
// "Proc-Type: 4,ENCRYPTED" form of an encrypted key, which is not supported).
result<std::string> rebuild_pem(std::string_view text);

}  // namespace oauth2_rest::oauth2
