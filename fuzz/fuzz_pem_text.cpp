// libFuzzer target: oauth2::rebuild_pem, which reads PEM text from single-line credential
// fields (privateKey, clientCertificate, clientCertificateKey). Invariants: a success is
// canonical (rebuilding it again gives it back unchanged), holds only BEGIN/END lines and
// base64 lines of at most 64 characters, each ending in '\n'; an error message stays short
// whatever the input (it names at most a label, never the body, which may be a secret key).
#include "fuzz_support.hpp"
#include "oauth2/pem_text.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_view(data, size);
  auto rebuilt = oauth2::rebuild_pem(text);
  if (!rebuilt) {
    const std::string& message = rebuilt.error().message;
    fuzz_check(message.size() < 200, "error message is long enough to quote the input");
    return 0;
  }
  const std::string& pem = *rebuilt;
  fuzz_check(!pem.empty() && pem.back() == '\n', "rebuilt PEM does not end in a line break");
  auto again = oauth2::rebuild_pem(pem);
  fuzz_check(again && *again == pem, "rebuilding canonical PEM changed it");
  std::size_t start = 0;
  while (start < pem.size()) {
    const auto end = pem.find('\n', start);
    fuzz_check(end != std::string::npos, "a line without its break");
    const std::string_view line(pem.data() + start, end - start);
    if (!line.starts_with("-----BEGIN ") && !line.starts_with("-----END ")) {
      fuzz_check(!line.empty() && line.size() <= 64, "a body line is empty or longer than 64");
      for (char c : line) {
        const bool base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '+' || c == '/' || c == '=';
        fuzz_check(base64, "a body line holds a character that is not base64");
      }
    }
    start = end + 1;
  }
  return 0;
}
