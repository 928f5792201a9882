/* SPDX-License-Identifier: GPL-2.0 */
#include "scenarios/load_context.hpp"

#include <fmt/format.h>

namespace mmrace::scenarios
{

void LoadContext::fail(const std::string &path, std::string message) const
{
	TextPos p = doc_.valuePos(path);
	throw LoadFailure{LoadError{file_, path, p.line, p.column, std::move(message)}};
}

void LoadContext::failAtKey(const std::string &path, std::string message) const
{
	TextPos p = doc_.keyPos(path);
	throw LoadFailure{LoadError{file_, path, p.line, p.column, std::move(message)}};
}

static std::string joinViews(std::initializer_list<std::string_view> names)
{
	std::string out;
	for (std::string_view n : names) {
		if (!out.empty())
			out += ", ";
		out += n;
	}
	return out;
}

void LoadContext::checkKeys(const Json &obj, const std::string &path,
			    std::initializer_list<std::string_view> allowed,
			    std::string_view what) const
{
	for (const auto &[key, value] : obj.items()) {
		bool known = false;
		for (std::string_view a : allowed)
			known = known || key == a;
		if (!known)
			failAtKey(jsonPathMember(path, key),
				  fmt::format("unknown key \"{}\" in {}; allowed: {}", key, what,
					      joinViews(allowed)));
	}
}

void LoadContext::requireKeys(const Json &obj, const std::string &path,
			      std::initializer_list<std::string_view> required,
			      std::string_view what) const
{
	for (std::string_view r : required)
		if (!member(obj, r))
			fail(path, fmt::format("missing required key \"{}\" in {}", r, what));
}

const Json &LoadContext::object(const Json &v, const std::string &path, std::string_view what) const
{
	if (!v.is_object())
		fail(path, fmt::format("{} must be an object, got {}", what, describeValue(v)));
	return v;
}

const Json &LoadContext::array(const Json &v, const std::string &path, std::string_view what) const
{
	if (!v.is_array())
		fail(path, fmt::format("{} must be an array, got {}", what, describeValue(v)));
	return v;
}

std::string LoadContext::string(const Json &v, const std::string &path, std::string_view what) const
{
	if (!v.is_string())
		fail(path, fmt::format("{} must be a string, got {}", what, describeValue(v)));
	return v.get<std::string>();
}

std::string LoadContext::name(const Json &v, const std::string &path, std::string_view what) const
{
	std::string s = string(v, path, what);
	if (s.empty())
		fail(path, fmt::format("{} must not be empty", what));
	return s;
}

bool LoadContext::boolean(const Json &v, const std::string &path, std::string_view what) const
{
	if (!v.is_boolean())
		fail(path, fmt::format("{} must be true or false, got {}", what, describeValue(v)));
	return v.get<bool>();
}

std::uint64_t LoadContext::unsignedInt(const Json &v, const std::string &path,
				       std::string_view what, bool positive) const
{
	const char *kind = positive ? "a positive integer" : "a non-negative integer";
	/* Our parser stores every non-negative integer that fits as unsigned. */
	if (!v.is_number_unsigned())
		fail(path, fmt::format("{} must be {}, got {}", what, kind, describeValue(v)));
	std::uint64_t n = v.get<std::uint64_t>();
	if (positive && n == 0)
		fail(path, fmt::format("{} must be {}, got 0", what, kind));
	return n;
}

std::uint64_t LoadContext::address(const Json &v, const std::string &path,
				   std::string_view what) const
{
	std::uint64_t a = 0;
	if (v.is_string()) {
		auto parsed = parseAddressText(v.get_ref<const std::string &>(), false);
		if (!parsed)
			fail(path,
			     fmt::format("{} must be a hex string such as \"0x100000\" (at most "
					 "64 bits) or a non-negative integer, got {}",
					 what, describeValue(v)));
		a = *parsed;
	} else if (v.is_number_unsigned()) {
		a = v.get<std::uint64_t>();
	} else {
		fail(path,
		     fmt::format("{} must be an address: a hex string such as \"0x100000\" or "
				 "a non-negative integer, got {}",
				 what, describeValue(v)));
	}
	if (a % kPageSize)
		fail(path, fmt::format("{} {} is not page aligned (multiple of {:#x})", what,
				       hex(a), kPageSize));
	return a;
}

const Json *member(const Json &obj, std::string_view key)
{
	auto it = obj.find(key);
	return it == obj.end() ? nullptr : &*it;
}

std::string describeValue(const Json &v)
{
	switch (v.type()) {
	case Json::value_t::object:
		return "an object";
	case Json::value_t::array:
		return "an array";
	case Json::value_t::string: {
		const std::string &s = v.get_ref<const std::string &>();
		if (s.size() > 40)
			return fmt::format("the string \"{}...\"", s.substr(0, 40));
		return fmt::format("the string \"{}\"", s);
	}
	case Json::value_t::boolean:
		return v.get<bool>() ? "true" : "false";
	case Json::value_t::null:
		return "null";
	case Json::value_t::number_unsigned:
		return fmt::format("{}", v.get<std::uint64_t>());
	case Json::value_t::number_integer:
		return fmt::format("{}", v.get<std::int64_t>());
	case Json::value_t::number_float:
		return fmt::format("the floating-point number {}", v.get<double>());
	default:
		return "an unsupported value";
	}
}

std::string hex(std::uint64_t v)
{
	return fmt::format("{:#x}", v);
}

std::optional<std::uint64_t> parseAddressText(std::string_view text, bool allowDecimal)
{
	unsigned base = 16;
	if (text.size() > 2 && text[0] == '0' && text[1] == 'x')
		text.remove_prefix(2);
	else if (allowDecimal && !text.empty())
		base = 10;
	else
		return std::nullopt;
	std::uint64_t v = 0;
	for (char c : text) {
		unsigned d;
		if (c >= '0' && c <= '9')
			d = static_cast<unsigned>(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = static_cast<unsigned>(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = static_cast<unsigned>(c - 'A' + 10);
		else
			return std::nullopt;
		if (v > (UINT64_MAX - d) / base)
			return std::nullopt;
		v = v * base + d;
	}
	return v;
}

const VmaSpec *findVma(const Scenario &s, std::uint64_t address)
{
	for (const VmaSpec &v : s.vmas)
		if (address >= v.start && address < v.end())
			return &v;
	return nullptr;
}

std::string describeVma(const VmaSpec &v)
{
	return fmt::format("{} [{}, {})", v.name, hex(v.start), hex(v.end()));
}

std::string describeVmas(const Scenario &s)
{
	if (s.vmas.empty())
		return "state.vmas is empty";
	std::string out = "VMAs: ";
	for (std::size_t i = 0; i < s.vmas.size(); ++i) {
		if (i == kMaxListedNames) {
			out += fmt::format(", ... ({} in all)", s.vmas.size());
			break;
		}
		if (i)
			out += ", ";
		out += describeVma(s.vmas[i]);
	}
	return out;
}

} // namespace mmrace::scenarios
