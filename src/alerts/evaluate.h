// Market rules over one snapshot: a pure function of the rules, what each rule last notified
// (alert_state) and the snapshot's rows, giving the notifications to record. No database, no
// clock: time is the snapshot's own (status.timestamp), so evaluating the same snapshot on the
// same state always gives the same answer (docs/alerts.md, "When a rule fires").
//
// For each rule, the coin's value v in the snapshot (a rule whose coin or value is missing says
// nothing) and the rule's level L, hysteresis h:
//   holds:     above: v > L          below: v < L
//   resolved:  above: v <= L - h     below: v >= L + h
// Not firing and holds: fires, unless the last firing notification is less than the cooldown
// ago (then it stays quiet, and fires on a later snapshot where it still holds once the
// cooldown is over). Firing and resolved: resolves (always notified, so a receiver never
// believes a resolved alert is still firing). The first snapshot a rule sees counts: a rule
// whose condition already holds fires on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alerts/rules.h"
#include "cmc/types.h"
#include "common/time_util.h"

namespace coinlake::alerts {

// One row of alert_state: what the rule last notified about the subject.
struct AlertState {
  bool firing = false;
  TimePoint since{};                       // the snapshot time of the last notification
  std::optional<TimePoint> last_notified;  // the snapshot time of the last firing one
};

// (rule name, subject) -> state; a pair absent has never fired.
using AlertStates = std::map<std::pair<std::string, std::string>, AlertState>;

enum class Event { kFiring, kResolved };
std::string_view EventName(Event event);

struct Transition {
  const MarketRule* rule = nullptr;
  std::string subject;  // the coin's CMC id, as text
  int64_t cmc_id = 0;
  std::string symbol;
  std::string name;
  Event event = Event::kFiring;
  double value = 0;  // the value that decided it
  TimePoint at{};    // the snapshot's time
  AlertState next;   // the state to store
  // false: a top rule's baseline (the first time it sees a coin, or a top N any rule its first
  // snapshot): the state is stored, nothing is notified.
  bool notify = true;
};

// What a snapshot can tell. Only a listings snapshot ranks the market: top N rules read nothing
// from a quotes snapshot, which carries a watchlist (a coin missing from it has not left).
enum class SnapshotKind { kQuotes, kListings };

// The threshold rules' state machine (price, change, dominance: the table above), for one
// rule and one subject whose value at `at` is `value`: the event it causes, if any, with `state`
// (what alert_state holds for the pair) moved to what to store. Nothing changes when none.
std::optional<Event> CrossLevel(const MarketRule& rule, double value, TimePoint at,
                                AlertState& state);

// The transitions `snapshot` causes, in rule order. `states` is not changed. Dominance rules
// read global metrics (dominance_rules.h), not quote rows: they say nothing here.
//
// Top N rules (listings only): a coin is in the top N with cmc_rank <= N, and out with a rank
// above N + hysteresis, or when it is missing from a snapshot that ranks coins past N +
// hysteresis (a listings snapshot is a prefix of the ranking); missing from a shorter one, it
// says nothing. The move the rule names (enter; leave) fires, the opposite one resolves. The
// first sight of a coin (a top N any rule: its first snapshot) is a baseline, not a move.
std::vector<Transition> EvaluateMarketRules(const std::vector<MarketRule>& rules,
                                            const AlertStates& states,
                                            const cmc::QuotesPayload& snapshot,
                                            SnapshotKind kind = SnapshotKind::kQuotes);

}  // namespace coinlake::alerts
