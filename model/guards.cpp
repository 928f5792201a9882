/* SPDX-License-Identifier: GPL-2.0 */
#include "guards.hpp"

#include <stdexcept>

#include "registry.hpp"

namespace mmrace::model {

static int guardIndex(const std::string &name)
{
	const auto &all = allGuards();
	if (all.size() != static_cast<std::size_t>(Guard::Count))
		throw std::logic_error("model::Guard and allGuards() disagree");
	for (std::size_t i = 0; i < all.size(); ++i)
		if (name == all[i].name)
			return static_cast<int>(i);
	return -1;
}

std::vector<std::string> GuardSet::namesOf(const std::bitset<64> &bits)
{
	std::vector<std::string> names;
	for (std::size_t i = 0; i < allGuards().size(); ++i)
		if (bits.test(i))
			names.push_back(allGuards()[i].name);
	return names;
}

std::vector<std::string> GuardSet::offNames() const
{
	return namesOf(off_);
}

std::string GuardSet::build(const std::string &preset, const std::vector<std::string> &off,
			    GuardSet &out)
{
	out = GuardSet{};
	std::vector<std::string> names;
	if (!preset.empty()) {
		const PresetInfo *p = findPreset(preset);
		if (!p)
			return "unknown preset \"" + preset + "\"; allowed: " + presetNames();
		names.assign(p->guardsOff.begin(), p->guardsOff.end());
	}
	names.insert(names.end(), off.begin(), off.end());
	for (const std::string &n : names) {
		int i = guardIndex(n);
		if (i < 0)
			return "unknown guard \"" + n + "\"; allowed: " + guardNames();
		out.off_.set(static_cast<std::size_t>(i));
	}
	return {};
}

} // namespace mmrace::model
