/* SPDX-License-Identifier: GPL-2.0 */
#include "choice.hpp"

#include <charconv>

#include <fmt/format.h>

namespace mmrace {

std::string encodeSchedule(const ChoiceLog &log)
{
	std::string out = "1:";
	bool first = true;
	for (std::size_t i = 0; i < log.size();) {
		const Choice &c = log[i];
		if (!first)
			out += ',';
		first = false;
		if (c.kind == Choice::Kind::Value) {
			out += fmt::format("v{}/{}", c.value, c.options);
			++i;
			continue;
		}
		std::size_t run = 1;
		while (i + run < log.size() && log[i + run].kind == Choice::Kind::Task &&
		       log[i + run].value == c.value)
			++run;
		out += fmt::format("t{}", c.value);
		if (run > 1)
			out += fmt::format("*{}", run);
		i += run;
	}
	return out;
}

static bool parseNumber(std::string_view &s, std::uint32_t &out)
{
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	if (ec != std::errc() || p == s.data())
		return false;
	s.remove_prefix(static_cast<std::size_t>(p - s.data()));
	return true;
}

std::optional<ChoiceLog> decodeSchedule(const std::string &text, std::string *error)
{
	auto fail = [&](std::string msg) -> std::optional<ChoiceLog> {
		if (error)
			*error = std::move(msg);
		return std::nullopt;
	};
	std::string_view s = text;
	if (s.substr(0, 2) != "1:")
		return fail("schedule must start with the format version \"1:\"");
	s.remove_prefix(2);
	ChoiceLog log;
	while (!s.empty()) {
		std::size_t at = text.size() - s.size();
		char k = s.front();
		s.remove_prefix(1);
		std::uint32_t v = 0, n = 1;
		if (!parseNumber(s, v))
			return fail(fmt::format("expected a number at offset {}", at + 1));
		if (k == 't') {
			if (!s.empty() && s.front() == '*') {
				s.remove_prefix(1);
				if (!parseNumber(s, n) || n == 0)
					return fail(fmt::format("bad repeat count after offset {}", at));
			}
			for (std::uint32_t i = 0; i < n; ++i)
				log.push_back({Choice::Kind::Task, v, 0});
		} else if (k == 'v') {
			if (s.empty() || s.front() != '/')
				return fail(fmt::format("expected '/' in value choice at offset {}", at));
			s.remove_prefix(1);
			if (!parseNumber(s, n) || v >= n)
				return fail(fmt::format("bad value choice at offset {}", at));
			log.push_back({Choice::Kind::Value, v, n});
		} else {
			return fail(fmt::format("unexpected '{}' at offset {} (allowed: t<task>[*n], v<value>/<n>)",
						k, at));
		}
		if (!s.empty()) {
			if (s.front() != ',')
				return fail(fmt::format("expected ',' at offset {}", text.size() - s.size()));
			s.remove_prefix(1);
		}
	}
	return log;
}

} // namespace mmrace
