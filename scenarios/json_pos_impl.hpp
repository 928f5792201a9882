/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Internal to scenarios/: the parsed value behind a JsonDocument. Include it
 * only from .cpp files, it pulls in nlohmann/json.hpp.
 */

#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "scenarios/json_pos.hpp"

namespace mmrace::scenarios
{

/* ordered_json keeps members in document order, so errors come in that order. */
using Json = nlohmann::ordered_json;

struct JsonDocument::Impl {
	Json root;
	std::unordered_map<std::string, TextPos> values;
	std::unordered_map<std::string, TextPos> keys;
};

} // namespace mmrace::scenarios
