/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Lock-order checking in lockdep's terms: lock classes (plus the nesting
 * subclass), a dependency graph "held class -> acquired class" accumulated
 * over every execution of a run, and a cycle reported when an acquisition
 * would close one, in the shape kernel developers read in dmesg.
 *
 * As in lockdep, a trylock adds no dependency (it cannot wait), but locks
 * taken while holding a trylocked lock do depend on it.
 */

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/world.hpp"
#include "scheduler/finding.hpp"

namespace mmrace::checker {

/* A dependency "held class -> acquired class", with where it was first seen. */
struct LockDepEdge {
	int from, to;			/* lock class * 8 + subclass */
	std::string task;
	std::string fromName, toName;	/* instances */
	std::string fromLabel, toLabel;
	std::uint64_t execution;	/* LockDep::beginExecution() id that added it */
	std::uint64_t seq = 0;		/* insertion order */
};

class LockDep {
public:
	/*
	 * Task `task` (named `taskName`) is about to block on `lock` while
	 * holding `held`. Records the dependencies; returns a finding if one
	 * would close a cycle or recurse on a held class.
	 */
	std::optional<Finding> acquiring(const std::string &taskName, std::uint64_t step,
					 std::uint64_t execution, const model::Lock &lock,
					 int subclass, const char *label,
					 const std::vector<model::HeldLock> &held);

	/*
	 * The graph is shared by every program instance of a run (parallel
	 * workers included), so each method locks. Execution ids are unique in
	 * the run; seq() is the number of edges ever added.
	 */
	std::uint64_t beginExecution() { return ++executions_; }

	/* Graph node of a lock class and nesting subclass (< kNodes). */
	static int node(const model::Lock &l, int subclass);
	static constexpr int kNodes = static_cast<int>(model::LockClass::Count) * 8;
	std::uint64_t seq() const;

	/*
	 * For traces: the edges a re-run of execution `execution` must start
	 * from to reproduce a finding made when seq() was `atSeq`: everything
	 * added before, except by that execution itself (the re-run adds those).
	 */
	std::vector<LockDepEdge> edgesBefore(std::uint64_t atSeq, std::uint64_t execution) const;
	void importEdges(const std::vector<LockDepEdge> &edges);
	std::size_t edgeCount() const;

private:
	using Node = int;
	using Edge = LockDepEdge;

	static std::string nodeName(Node n);
	/* Edges of a path from `from` to `to`, empty if none. */
	std::vector<const Edge *> path(Node from, Node to) const;
	const Edge *find(Node from, Node to) const;

	mutable std::mutex mutex_;
	std::vector<Edge> edges_;
	std::atomic<std::uint64_t> executions_{0};
};

} // namespace mmrace::checker
