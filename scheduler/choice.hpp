/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The choice log: every nondeterministic decision of one execution, thread
 * picks and data choices alike, in order. Replaying it reproduces the
 * execution exactly. schedule strings are the compact, copy-pasteable form.
 */

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mmrace {

struct Choice {
	enum class Kind : std::uint8_t { Task, Value };
	Kind kind = Kind::Task;
	std::uint32_t value = 0;	/* task id or chosen value */
	std::uint32_t options = 0;	/* number of enabled tasks / values */

	auto operator<=>(const Choice &) const = default;
};

using ChoiceLog = std::vector<Choice>;

/*
 * "1:t0*5,t1,v2/3,t0*2": version, then run-length encoded task picks and
 * value choices (value/options). Enabled-task counts are not kept: replay
 * checks enabledness itself.
 */
std::string encodeSchedule(const ChoiceLog &log);
std::optional<ChoiceLog> decodeSchedule(const std::string &text, std::string *error);

} // namespace mmrace
