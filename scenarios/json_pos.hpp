/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * A JSON parser that remembers where things are. nlohmann's parser reports
 * only byte offsets of syntax errors and forgets positions once parsed, but a
 * scenario error ("page outside every VMA") must point at the line of the
 * offending value. So this recursive-descent parser (RFC 8259, strict: no
 * comments, no trailing commas, no duplicate keys) builds the value and a
 * table of line:column for every value and every object key, keyed by JSON
 * path ("$.threads[1].ops[0].op").
 *
 * The parsed value is only reachable through json_pos_impl.hpp, so that this
 * header stays free of nlohmann/json.hpp.
 */

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace mmrace::scenarios
{

/* 1-based; columns count Unicode code points, so a tab is one column. */
struct TextPos {
	int line = 0;
	int column = 0;
};

struct JsonSyntaxError {
	TextPos pos;
	std::string path; /* the value being parsed when it failed */
	std::string message;
};

class JsonDocument;
using JsonParseResult = std::variant<JsonDocument, JsonSyntaxError>;

class JsonDocument
{
public:
	struct Impl;

	JsonDocument();
	JsonDocument(JsonDocument &&) noexcept;
	JsonDocument &operator=(JsonDocument &&) noexcept;
	~JsonDocument();

	/* Never throws on bad input; bad_alloc may still escape. */
	static JsonParseResult parse(std::string_view text);

	/* Where the value at `path` starts; {0, 0} when there is no such path. */
	TextPos valuePos(const std::string &path) const;
	/* Where the key of the object member at `path` starts; {0, 0} if none. */
	TextPos keyPos(const std::string &path) const;

	/* Compact serialisation (members in document order), for tests. */
	std::string dump() const;

	const Impl &impl() const { return *impl_; }

private:
	std::unique_ptr<Impl> impl_;
};

/*
 * Path building: "$" is the root; members are ".key" when the key is an
 * identifier and ["key"] (JSON-quoted) otherwise; elements are "[i]".
 */
std::string jsonPathMember(const std::string &parent, std::string_view key);
std::string jsonPathIndex(const std::string &parent, std::size_t index);

} // namespace mmrace::scenarios
