/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Internal to the loader: typed access to the parsed document that fails
 * with a positioned LoadError, plus the pieces of validation split across
 * load_*.cpp. Include only from .cpp files (pulls in nlohmann/json.hpp).
 */

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "scenarios/json_pos_impl.hpp"
#include "scenarios/scenario.hpp"

namespace mmrace::scenarios
{

/* Thrown inside the loader only: the first error ends loading. */
struct LoadFailure {
	LoadError error;
};

class LoadContext
{
public:
	LoadContext(const JsonDocument &doc, std::string file) : doc_(doc), file_(std::move(file))
	{
	}

	/* Fail at the value at `path` / at the key of the member at `path`. */
	[[noreturn]] void fail(const std::string &path, std::string message) const;
	[[noreturn]] void failAtKey(const std::string &path, std::string message) const;

	/* `what` names the object in messages: "unknown key "x" in <what>". */
	void checkKeys(const Json &obj, const std::string &path,
		       std::initializer_list<std::string_view> allowed,
		       std::string_view what) const;
	void requireKeys(const Json &obj, const std::string &path,
			 std::initializer_list<std::string_view> required,
			 std::string_view what) const;

	/* Typed reads of the value `v` at `path`; `what` names it, e.g. "\"pages\"". */
	const Json &object(const Json &v, const std::string &path, std::string_view what) const;
	const Json &array(const Json &v, const std::string &path, std::string_view what) const;
	std::string string(const Json &v, const std::string &path, std::string_view what) const;
	std::string name(const Json &v, const std::string &path, std::string_view what) const;
	bool boolean(const Json &v, const std::string &path, std::string_view what) const;
	std::uint64_t unsignedInt(const Json &v, const std::string &path, std::string_view what,
				  bool positive) const;
	/* A page-aligned address: "0x..." or a non-negative integer. */
	std::uint64_t address(const Json &v, const std::string &path, std::string_view what) const;

private:
	const JsonDocument &doc_;
	std::string file_;
};

const Json *member(const Json &obj, std::string_view key);

/* "the string \"1\"", "-3", "an array": what was found, for "got ..." */
std::string describeValue(const Json &v);
std::string hex(std::uint64_t v);
/* "0x" followed by hex digits, or (when allowDecimal) decimal digits. */
std::optional<std::uint64_t> parseAddressText(std::string_view text, bool allowDecimal);

/* Lookups on what state already holds, for messages and cross-checks. */
const VmaSpec *findVma(const Scenario &s, std::uint64_t address);
std::string describeVma(const VmaSpec &v);
std::string describeVmas(const Scenario &s);

/* Sections, in dependency order: threads refer to what state defines. */
void loadState(const LoadContext &ctx, const Json &state, Scenario &out);
void loadThreads(const LoadContext &ctx, const Json &threads, Scenario &out);

} // namespace mmrace::scenarios
