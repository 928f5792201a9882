/* SPDX-License-Identifier: GPL-2.0 */
#include "scenarios/json_pos.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "scenarios/json_pos_impl.hpp"
#include "scenarios/scenario.hpp"

namespace mmrace::scenarios
{

namespace
{

/* Deep enough for any scenario, shallow enough that fuzzed input cannot
 * exhaust the stack through recursion. */
constexpr int kMaxDepth = 256;
/* Far more than any scenario within the loader's bounds (4096 objects per
 * kind); stops a huge list before it costs seconds and hundreds of MB. */
constexpr std::size_t kMaxValues = 100000;

/* Thrown only inside this file; parse() turns it into a JsonSyntaxError. */
struct SyntaxFailure {
	std::size_t offset;
	std::string message;
};

bool isDigit(char c)
{
	return c >= '0' && c <= '9';
}

bool isIdentStart(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isIdentChar(char c)
{
	return isIdentStart(c) || isDigit(c);
}

int hexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool isContinuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Length of the well-formed UTF-8 sequence at `at` (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
std::size_t utf8Length(std::string_view s, std::size_t at)
{
	auto byte = [&](std::size_t i) -> unsigned {
		return at + i < s.size() ? static_cast<unsigned char>(s[at + i]) : 0u;
	};
	unsigned c = byte(0);
	unsigned lo = 0x80, hi = 0xbf;
	std::size_t n;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (byte(1) < lo || byte(1) > hi)
		return 0;
	for (std::size_t i = 2; i < n; ++i)
		if (!isContinuation(static_cast<unsigned char>(byte(i))))
			return 0;
	return n;
}

void appendUtf8(std::string &out, std::uint32_t cp)
{
	if (cp < 0x80) {
		out += static_cast<char>(cp);
	} else if (cp < 0x800) {
		out += static_cast<char>(0xc0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out += static_cast<char>(0xe0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
		out += static_cast<char>(0x80 | (cp & 0x3f));
	} else {
		out += static_cast<char>(0xf0 | (cp >> 18));
		out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
		out += static_cast<char>(0x80 | (cp & 0x3f));
	}
}

class Parser
{
public:
	Parser(std::string_view text, JsonDocument::Impl &out) : text_(text), out_(out) {}

	void parseDocument()
	{
		/* RFC 8259 lets parsers ignore a UTF-8 byte order mark; editors add one. */
		if (text_.substr(0, 3) == "\xef\xbb\xbf")
			pos_ = lineStart_ = 3;
		skipWs();
		if (atEnd())
			fail(pos_, "the document is empty: expected a JSON value");
		parseValue(out_.root, 0);
		skipWs();
		if (!atEnd())
			fail(pos_, fmt::format("unexpected {} after the top-level value "
					       "(trailing characters)",
					       describe(pos_)));
	}

	const std::string &path() const { return path_; }

	TextPos posAt(std::size_t offset)
	{
		if (offset < lineStart_)
			return slowPosAt(offset);
		if (cacheLineStart_ != lineStart_ || offset < cacheOffset_) {
			cacheLineStart_ = lineStart_;
			cacheOffset_ = lineStart_;
			cacheColumn_ = 1;
		}
		for (; cacheOffset_ < offset && cacheOffset_ < text_.size(); ++cacheOffset_)
			if (!isContinuation(static_cast<unsigned char>(text_[cacheOffset_])))
				++cacheColumn_;
		return {line_, cacheColumn_};
	}

private:
	std::string_view text_;
	JsonDocument::Impl &out_;
	std::size_t pos_ = 0;
	int line_ = 1;
	std::size_t lineStart_ = 0;
	std::string path_ = "$";

	/* posAt() is called with mostly increasing offsets on the current line. */
	std::size_t cacheLineStart_ = SIZE_MAX;
	std::size_t cacheOffset_ = 0;
	int cacheColumn_ = 1;

	bool atEnd() const { return pos_ >= text_.size(); }

	[[noreturn]] void fail(std::size_t offset, std::string message)
	{
		throw SyntaxFailure{offset, std::move(message)};
	}

	TextPos slowPosAt(std::size_t offset) const
	{
		TextPos p{1, 1};
		for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
			unsigned char c = static_cast<unsigned char>(text_[i]);
			if (c == '\n') {
				++p.line;
				p.column = 1;
			} else if (!isContinuation(c)) {
				++p.column;
			}
		}
		return p;
	}

	/* What is at `offset`, for "unexpected ..." messages. */
	std::string describe(std::size_t offset) const
	{
		if (offset >= text_.size())
			return "end of input";
		char c = text_[offset];
		if (isIdentStart(c)) {
			std::size_t end = offset;
			while (end < text_.size() && end - offset < 20 && isIdentChar(text_[end]))
				++end;
			return fmt::format("'{}'", text_.substr(offset, end - offset));
		}
		if (c >= 0x20 && c < 0x7f)
			return fmt::format("character '{}'", c);
		return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
	}

	/* Fails at `offset` with a message that names what is there and hints at
	 * the usual mistakes (JavaScript habits) when it recognises one. */
	[[noreturn]] void failUnexpected(std::size_t offset, const char *expected)
	{
		if (offset >= text_.size())
			fail(offset, fmt::format("unexpected end of input: {}", expected));
		char c = text_[offset];
		const char *hint = "";
		if (c == '\'')
			hint = " (strings and keys take double quotes)";
		else if (c == '/')
			hint = " (JSON has no comments)";
		else if (isIdentStart(c))
			hint = " (strings and keys take double quotes; true, false and null are "
			       "lower case)";
		fail(offset, fmt::format("unexpected {}: {}{}", describe(offset), expected, hint));
	}

	void skipWs()
	{
		while (!atEnd()) {
			char c = text_[pos_];
			if (c == '\n') {
				++line_;
				lineStart_ = pos_ + 1;
			} else if (c != ' ' && c != '\t' && c != '\r') {
				return;
			}
			++pos_;
		}
	}

	void parseValue(Json &out, int depth)
	{
		skipWs();
		out_.values[path_] = posAt(pos_);
		if (out_.values.size() > kMaxValues)
			fail(pos_,
			     fmt::format("more than {} JSON values; a scenario is bounded (at most "
					 "{} objects of each kind, docs/scenarios.md)",
					 kMaxValues, kMaxObjects));
		if (atEnd())
			failUnexpected(pos_, "expected a JSON value");
		char c = text_[pos_];
		switch (c) {
		case '{':
			parseObject(out, depth + 1);
			return;
		case '[':
			parseArray(out, depth + 1);
			return;
		case '"':
			out = parseString();
			return;
		case 't':
			parseLiteral("true");
			out = true;
			return;
		case 'f':
			parseLiteral("false");
			out = false;
			return;
		case 'n':
			parseLiteral("null");
			out = nullptr;
			return;
		default:
			if (c == '-' || isDigit(c)) {
				parseNumber(out);
				return;
			}
			failUnexpected(pos_, "expected a JSON value");
		}
	}

	void checkDepth(int depth)
	{
		if (depth > kMaxDepth)
			fail(pos_, fmt::format("nesting deeper than {} levels", kMaxDepth));
	}

	void parseObject(Json &out, int depth)
	{
		checkDepth(depth);
		++pos_;
		out = Json::object();
		skipWs();
		if (!atEnd() && text_[pos_] == '}') {
			++pos_;
			return;
		}
		for (;;) {
			skipWs();
			if (atEnd() || text_[pos_] != '"') {
				if (!atEnd() && text_[pos_] == '}')
					fail(pos_,
					     "trailing comma: expected another member after ',' "
					     "before '}'");
				failUnexpected(pos_, "expected a double-quoted object key");
			}
			std::size_t keyOffset = pos_;
			TextPos keyPos = posAt(keyOffset);
			std::string key = parseString();
			std::size_t saved = path_.size();
			path_ = jsonPathMember(path_, key);
			if (out.contains(key)) {
				TextPos first = out_.keys[path_];
				fail(keyOffset,
				     fmt::format("duplicate key \"{}\" (first at line {}:{})", key,
						 first.line, first.column));
			}
			out_.keys[path_] = keyPos;
			skipWs();
			if (atEnd() || text_[pos_] != ':')
				failUnexpected(pos_, "expected ':' after object key");
			++pos_;
			/* ordered_json stores members in a vector; nothing else is
			 * inserted into this object while the value is parsed. */
			parseValue(out[key], depth);
			path_.resize(saved);
			skipWs();
			if (!atEnd() && text_[pos_] == ',') {
				++pos_;
				continue;
			}
			if (!atEnd() && text_[pos_] == '}') {
				++pos_;
				return;
			}
			if (!atEnd() && text_[pos_] == '"')
				fail(pos_, "expected ',' or '}' after object member (missing ',' "
					   "before this key?)");
			failUnexpected(pos_, "expected ',' or '}' after object member");
		}
	}

	void parseArray(Json &out, int depth)
	{
		checkDepth(depth);
		++pos_;
		out = Json::array();
		skipWs();
		if (!atEnd() && text_[pos_] == ']') {
			++pos_;
			return;
		}
		for (std::size_t i = 0;; ++i) {
			skipWs();
			if (!atEnd() && text_[pos_] == ']')
				fail(pos_, "trailing comma: expected another element after ',' "
					   "before ']'");
			std::size_t saved = path_.size();
			path_ = jsonPathIndex(path_, i);
			out.push_back(Json());
			parseValue(out.back(), depth);
			path_.resize(saved);
			skipWs();
			if (!atEnd() && text_[pos_] == ',') {
				++pos_;
				continue;
			}
			if (!atEnd() && text_[pos_] == ']') {
				++pos_;
				return;
			}
			if (!atEnd() &&
			    (text_[pos_] == '"' || text_[pos_] == '{' || text_[pos_] == '['))
				fail(pos_, "expected ',' or ']' after array element (missing ',' "
					   "before this element?)");
			failUnexpected(pos_, "expected ',' or ']' after array element");
		}
	}

	void parseLiteral(std::string_view word)
	{
		if (text_.substr(pos_, word.size()) != word ||
		    (pos_ + word.size() < text_.size() && isIdentChar(text_[pos_ + word.size()])))
			failUnexpected(pos_, "expected a JSON value");
		pos_ += word.size();
	}

	std::string parseString()
	{
		std::size_t open = pos_++;
		std::string s;
		for (;;) {
			if (atEnd())
				fail(open,
				     "unterminated string: end of input before the closing '\"'");
			unsigned char c = static_cast<unsigned char>(text_[pos_]);
			if (c == '"') {
				++pos_;
				return s;
			}
			if (c == '\\') {
				parseEscape(s);
				continue;
			}
			if (c == '\n' || c == '\r')
				fail(open,
				     "unterminated string: line break before the closing '\"'");
			if (c < 0x20)
				fail(pos_, fmt::format(
					       "control character U+{:04X} in string; write it as "
					       "an escape such as \\u{:04x}",
					       c, c));
			if (c < 0x80) {
				s += static_cast<char>(c);
				++pos_;
				continue;
			}
			std::size_t n = utf8Length(text_, pos_);
			if (n == 0)
				fail(pos_,
				     fmt::format("invalid UTF-8 in string (byte 0x{:02x})", c));
			s.append(text_.substr(pos_, n));
			pos_ += n;
		}
	}

	std::uint32_t parseHex4(std::size_t escape)
	{
		std::uint32_t v = 0;
		for (int i = 0; i < 4; ++i) {
			int d = pos_ < text_.size() ? hexValue(text_[pos_]) : -1;
			if (d < 0)
				fail(escape, "expected 4 hex digits after \\u");
			v = v << 4 | static_cast<std::uint32_t>(d);
			++pos_;
		}
		return v;
	}

	void parseEscape(std::string &s)
	{
		std::size_t escape = pos_++;
		if (atEnd())
			fail(escape, "unterminated string: end of input in an escape");
		char c = text_[pos_++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			s += c;
			return;
		case 'b':
			s += '\b';
			return;
		case 'f':
			s += '\f';
			return;
		case 'n':
			s += '\n';
			return;
		case 'r':
			s += '\r';
			return;
		case 't':
			s += '\t';
			return;
		case 'u':
			break;
		default:
			fail(escape,
			     fmt::format("invalid escape {} in string; allowed: \\\" \\\\ \\/ "
					 "\\b \\f \\n \\r \\t \\uXXXX",
					 c >= 0x20 && c < 0x7f
					     ? fmt::format("'\\{}'", c)
					     : fmt::format("'\\' followed by byte 0x{:02x}",
							   static_cast<unsigned char>(c))));
		}
		std::uint32_t cp = parseHex4(escape);
		if (cp >= 0xdc00 && cp <= 0xdfff)
			fail(escape,
			     fmt::format("unpaired UTF-16 surrogate \\u{:04x}: a low surrogate "
					 "must follow a high one (\\ud800-\\udbff)",
					 cp));
		if (cp >= 0xd800 && cp <= 0xdbff) {
			std::size_t second = pos_;
			if (text_.substr(pos_, 2) != "\\u")
				fail(escape,
				     fmt::format("unpaired UTF-16 surrogate \\u{:04x}: a high "
						 "surrogate must be followed by a low one "
						 "(\\udc00-\\udfff)",
						 cp));
			pos_ += 2;
			std::uint32_t low = parseHex4(second);
			if (low < 0xdc00 || low > 0xdfff)
				fail(escape,
				     fmt::format("unpaired UTF-16 surrogate \\u{:04x}: a high "
						 "surrogate must be followed by a low one "
						 "(\\udc00-\\udfff)",
						 cp));
			cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
		}
		appendUtf8(s, cp);
	}

	void skipDigits()
	{
		while (!atEnd() && isDigit(text_[pos_]))
			++pos_;
	}

	void parseNumber(Json &out)
	{
		std::size_t start = pos_;
		bool negative = false;
		bool integer = true;
		if (text_[pos_] == '-') {
			negative = true;
			++pos_;
			if (atEnd() || !isDigit(text_[pos_]))
				fail(start, "expected a digit after '-'");
		}
		if (text_[pos_] == '0') {
			++pos_;
			if (!atEnd() && (text_[pos_] == 'x' || text_[pos_] == 'X'))
				fail(start,
				     "hex numbers must be written as strings, e.g. \"0x100000\"");
			if (!atEnd() && isDigit(text_[pos_]))
				fail(start, "leading zeros are not allowed in numbers");
		} else {
			skipDigits();
		}
		if (!atEnd() && text_[pos_] == '.') {
			integer = false;
			++pos_;
			if (atEnd() || !isDigit(text_[pos_]))
				fail(pos_, "expected a digit after '.' in a number");
			skipDigits();
		}
		if (!atEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
			integer = false;
			++pos_;
			if (!atEnd() && (text_[pos_] == '+' || text_[pos_] == '-'))
				++pos_;
			if (atEnd() || !isDigit(text_[pos_]))
				fail(pos_, "expected a digit in the exponent of a number");
			skipDigits();
		}
		if (!atEnd() && (isIdentChar(text_[pos_]) || text_[pos_] == '.'))
			fail(start, fmt::format("invalid number: unexpected {} after \"{}\"",
						describe(pos_), text_.substr(start, pos_ - start)));

		const char *first = text_.data() + start;
		const char *last = text_.data() + pos_;
		if (integer) {
			/* Like nlohmann: integers that do not fit 64 bits become doubles. */
			if (negative) {
				std::int64_t v;
				if (std::from_chars(first, last, v).ec == std::errc()) {
					out = v;
					return;
				}
			} else {
				std::uint64_t v;
				if (std::from_chars(first, last, v).ec == std::errc()) {
					out = v;
					return;
				}
			}
		}
		double d = 0;
		auto r = std::from_chars(first, last, d);
		if (r.ec != std::errc() || !std::isfinite(d))
			fail(start, fmt::format("number {} is out of range",
						text_.substr(start, pos_ - start)));
		out = d;
	}
};

} // namespace

JsonDocument::JsonDocument() : impl_(std::make_unique<Impl>())
{
}
JsonDocument::JsonDocument(JsonDocument &&) noexcept = default;
JsonDocument &JsonDocument::operator=(JsonDocument &&) noexcept = default;
JsonDocument::~JsonDocument() = default;

JsonParseResult JsonDocument::parse(std::string_view text)
{
	JsonDocument doc;
	Parser parser(text, *doc.impl_);
	try {
		parser.parseDocument();
	} catch (const SyntaxFailure &f) {
		return JsonSyntaxError{parser.posAt(f.offset), parser.path(), f.message};
	}
	return doc;
}

TextPos JsonDocument::valuePos(const std::string &path) const
{
	auto it = impl_->values.find(path);
	return it == impl_->values.end() ? TextPos{} : it->second;
}

TextPos JsonDocument::keyPos(const std::string &path) const
{
	auto it = impl_->keys.find(path);
	return it == impl_->keys.end() ? TextPos{} : it->second;
}

std::string JsonDocument::dump() const
{
	return impl_->root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string jsonPathMember(const std::string &parent, std::string_view key)
{
	bool ident = !key.empty() && isIdentStart(key[0]);
	for (char c : key)
		ident = ident && isIdentChar(c);
	if (ident)
		return fmt::format("{}.{}", parent, key);
	std::string out = parent + "[\"";
	for (char c : key) {
		unsigned char u = static_cast<unsigned char>(c);
		if (c == '"' || c == '\\') {
			out += '\\';
			out += c;
		} else if (u < 0x20) {
			out += fmt::format("\\u{:04x}", u);
		} else {
			out += c;
		}
	}
	return out + "\"]";
}

std::string jsonPathIndex(const std::string &parent, std::size_t index)
{
	return fmt::format("{}[{}]", parent, index);
}

} // namespace mmrace::scenarios
