// Small text helpers shared by the command line and the simulator's query parameters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coinlake {

// Comma-separated items, whitespace around each trimmed, empty ones dropped:
// " BTC, ,eth " -> {"BTC", "eth"}.
std::vector<std::string> SplitCommaList(std::string_view list);

}  // namespace coinlake
