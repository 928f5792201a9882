/* SPDX-License-Identifier: GPL-2.0 */
#include "lockdep.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include <fmt/format.h>

namespace mmrace::checker {

using model::HeldLock;
using model::Lock;

int LockDep::node(const Lock &l, int subclass)
{
	return static_cast<int>(l.lockClass()) * 8 + subclass;
}

std::string LockDep::nodeName(Node n)
{
	std::string name = model::lockClassName(static_cast<model::LockClass>(n / 8));
	if (n % 8)
		name += fmt::format("/{}", n % 8);
	return name;
}

const LockDep::Edge *LockDep::find(Node from, Node to) const
{
	for (const Edge &e : edges_)
		if (e.from == from && e.to == to)
			return &e;
	return nullptr;
}

std::vector<const LockDep::Edge *> LockDep::path(Node from, Node to) const
{
	std::map<Node, const Edge *> via;
	std::deque<Node> queue{from};
	via[from] = nullptr;
	while (!queue.empty()) {
		Node n = queue.front();
		queue.pop_front();
		if (n == to)
			break;
		for (const Edge &e : edges_)
			if (e.from == n && !via.count(e.to)) {
				via[e.to] = &e;
				queue.push_back(e.to);
			}
	}
	std::vector<const Edge *> out;
	if (!via.count(to) || from == to)
		return out;
	for (Node n = to; n != from; n = via[n]->from)
		out.insert(out.begin(), via[n]);
	return out;
}

static std::string heldReport(const std::string &task, const std::vector<HeldLock> &held)
{
	std::string out = fmt::format("{} lock{} held by {}:\n", held.size(),
				      held.size() == 1 ? "" : "s", task);
	for (std::size_t i = 0; i < held.size(); ++i)
		out += fmt::format(" #{}: {} ({}{}), at: {}\n", i, held[i].lock->name(),
				   model::lockClassName(held[i].lock->lockClass()),
				   held[i].trylock ? ", trylock" : "", held[i].label);
	return out;
}

std::uint64_t LockDep::seq() const
{
	std::lock_guard guard(mutex_);
	return edges_.size();
}

std::size_t LockDep::edgeCount() const
{
	std::lock_guard guard(mutex_);
	return edges_.size();
}

std::vector<LockDepEdge> LockDep::edgesBefore(std::uint64_t atSeq, std::uint64_t execution) const
{
	std::lock_guard guard(mutex_);
	std::vector<LockDepEdge> out;
	for (const Edge &e : edges_)
		if (e.seq < atSeq && e.execution != execution)
			out.push_back(e);
	return out;
}

void LockDep::importEdges(const std::vector<LockDepEdge> &edges)
{
	std::lock_guard guard(mutex_);
	edges_ = edges;
	for (std::size_t i = 0; i < edges_.size(); ++i)
		edges_[i].seq = i;
	for (const Edge &e : edges_)
		executions_ = std::max<std::uint64_t>(executions_, e.execution);
}

std::optional<Finding> LockDep::acquiring(const std::string &task, std::uint64_t step,
					  std::uint64_t execution, const Lock &lock, int subclass,
					  const char *label, const std::vector<HeldLock> &held)
{
	std::lock_guard guard(mutex_);
	Node next = node(lock, subclass);
	for (const HeldLock &h : held) {
		Node prev = node(*h.lock, h.subclass);
		if (prev == next) {
			Finding f;
			f.invariant = "lock-recursion";
			f.title = fmt::format("possible recursive locking detected: {} takes {} "
					      "while holding {} of the same class",
					      task, lock.name(), h.lock->name());
			f.message = fmt::format(
				"============================================\n"
				"WARNING: possible recursive locking detected\n"
				"--------------------------------------------\n"
				"{} is trying to acquire lock:\n"
				"  {} ({}), at: {}\n\n"
				"but task is already holding lock:\n"
				"  {} ({}), at: {}\n\n"
				"other info that might help us debug this:\n"
				" May be due to missing lock nesting notation\n\n{}",
				task, lock.name(), nodeName(next), label, h.lock->name(),
				nodeName(prev), h.label, heldReport(task, held));
			f.steps.push_back({h.step, kNoTask, fmt::format("{} ({})", h.label, h.lock->name())});
			f.steps.push_back({step, kNoTask, fmt::format("then tries {} ({})", label, lock.name())});
			return f;
		}
		auto back = path(next, prev);
		if (!back.empty()) {
			Finding f;
			f.invariant = "lock-order";
			f.title = fmt::format("possible circular locking dependency: {} takes {} "
					      "while holding {}",
					      task, nodeName(next), nodeName(prev));
			std::string m = fmt::format(
				"======================================================\n"
				"WARNING: possible circular locking dependency detected\n"
				"------------------------------------------------------\n"
				"{} is trying to acquire lock:\n"
				"  {} ({}), at: {}\n\n"
				"but task is already holding lock:\n"
				"  {} ({}), at: {}\n\n"
				"which lock already depends on the new lock.\n\n"
				"the existing dependency chain (in reverse order) is:\n",
				task, lock.name(), nodeName(next), label, h.lock->name(),
				nodeName(prev), h.label);
			int idx = static_cast<int>(back.size());
			std::string chain = nodeName(prev);
			for (auto it = back.rbegin(); it != back.rend(); ++it) {
				const Edge *e = *it;
				m += fmt::format("\n-> #{} ({}):\n       {} took {} at \"{}\"\n"
						 "       while holding {} taken at \"{}\"\n"
						 "       (first seen in execution {})\n",
						 idx--, nodeName(e->to), e->task, e->toName,
						 e->toLabel, e->fromName, e->fromLabel, e->execution);
			}
			m += fmt::format("\n-> #0 ({}):\n       {} is taking it now at \"{}\"\n",
					 nodeName(next), task, label);
			chain = nodeName(next);
			for (const Edge *e : back)
				chain += " --> " + nodeName(e->to);
			chain += " --> " + nodeName(next);
			m += fmt::format("\nother info that might help us debug this:\n\n"
					 "Chain exists of:\n  {}\n\n"
					 " Possible unsafe locking scenario:\n\n"
					 "       CPU0                    CPU1\n"
					 "       ----                    ----\n"
					 "  lock({});\n"
					 "                               lock({});\n"
					 "                               lock({});\n"
					 "  lock({});\n\n"
					 " *** DEADLOCK ***\n\n{}",
					 chain, nodeName(prev), nodeName(next), nodeName(prev),
					 nodeName(next), heldReport(task, held));
			f.message = std::move(m);
			f.steps.push_back({h.step, kNoTask, fmt::format("{} ({})", h.label, h.lock->name())});
			f.steps.push_back({step, kNoTask, fmt::format("then tries {} ({})", label, lock.name())});
			return f;
		}
	}
	/* No cycle: record the new dependencies (trylocked holders included). */
	for (const HeldLock &h : held) {
		Node prev = node(*h.lock, h.subclass);
		if (!find(prev, next))
			edges_.push_back({prev, next, task, h.lock->name(), lock.name(), h.label, label,
					  execution, edges_.size()});
	}
	return std::nullopt;
}

} // namespace mmrace::checker
