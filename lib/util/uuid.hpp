// Random (version 4) UUIDs for message ids: unique, not secret (see uuid.cpp).
#pragma once

#include <string>

namespace oauth2_rest {

// Lower-case 8-4-4-4-12 hex form, e.g. "0f8fad5b-d9cb-469f-a165-70867728950e".
std::string new_uuid_v4();

}  // namespace oauth2_rest
