/* SPDX-License-Identifier: GPL-2.0 */
#include "path.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <sstream>
#include <stdexcept>

namespace mmrace {

static TaskId lowest(TaskMask m)
{
	return static_cast<TaskId>(std::countr_zero(m));
}

std::optional<TaskId> Path::branchTask(TaskMask enabled, TaskMask sleep, TaskId preferred)
{
	return branchTask(enabled, sleep, preferred, enabled);
}

std::optional<TaskId> Path::branchTask(TaskMask enabled, TaskMask sleep, TaskId preferred,
				       TaskMask allowed)
{
	if (pos_ < branches_.size()) {
		const Branch &b = branches_[pos_];
		if (b.kind != Branch::Kind::Task || !(b.enabled & bit(b.chosen)) || b.enabled != enabled)
			throw std::logic_error("exploration path diverged: the model is nondeterministic");
		++pos_;
		return b.chosen;
	}
	TaskMask avail = enabled & allowed & ~sleep;
	if (!avail)
		return std::nullopt;
	TaskId pick = (preferred != kNoTask && (avail & bit(preferred))) ? preferred : lowest(avail);
	branches_.push_back({Branch::Kind::Task, pick, 0, enabled, bit(pick), sleep,
			     (enabled & allowed) | bit(pick)});
	++pos_;
	return pick;
}

std::uint32_t Path::branchValue(std::uint32_t n)
{
	if (pos_ < branches_.size()) {
		const Branch &b = branches_[pos_];
		if (b.kind != Branch::Kind::Value || b.options != n)
			throw std::logic_error("exploration path diverged: the model is nondeterministic");
		++pos_;
		return b.chosen;
	}
	branches_.push_back({Branch::Kind::Value, 0, n, 0, 0, 0, 0});
	++pos_;
	return 0;
}

bool Path::backtrack()
{
	return backtrackWith([](std::size_t, TaskMask alt) { return lowest(alt); });
}

std::string Path::serialize() const
{
	std::ostringstream out;
	out << "path2";
	for (const Branch &b : branches_) {
		if (b.kind == Branch::Kind::Value)
			out << " v" << b.chosen << '/' << b.options;
		else
			out << " t" << b.chosen << ':' << b.enabled << ':' << b.done << ':' << b.sleep
			    << ':' << b.backtrack;
	}
	return out.str();
}

std::optional<Path> Path::deserialize(const std::string &text)
{
	std::istringstream in(text);
	std::string word;
	if (!(in >> word) || word != "path2")
		return std::nullopt;
	Path p;
	while (in >> word) {
		std::istringstream w(word.substr(1));
		Branch b;
		char sep = 0;
		if (word[0] == 'v') {
			b.kind = Branch::Kind::Value;
			if (!(w >> b.chosen >> sep >> b.options) || sep != '/' || b.chosen >= b.options)
				return std::nullopt;
		} else if (word[0] == 't') {
			char s2 = 0, s3 = 0, s4 = 0;
			if (!(w >> b.chosen >> sep >> b.enabled >> s2 >> b.done >> s3 >> b.sleep >> s4 >>
			      b.backtrack) ||
			    sep != ':' || s2 != ':' || s3 != ':' || s4 != ':' || b.chosen >= 64 ||
			    !(b.enabled & bit(b.chosen)))
				return std::nullopt;
		} else {
			return std::nullopt;
		}
		p.branches_.push_back(b);
	}
	return p;
}

} // namespace mmrace
