/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Counts Mazurkiewicz traces without trusting any reduction: wraps a program
 * and gives every complete execution a canonical form of its trace. Under
 * plain DFS, which runs every interleaving, the number of distinct forms is
 * the exact number of traces; an optimal reduction (sleep sets, optimal
 * DPOR) must then have exactly that many complete executions.
 *
 * The canonical form: for every object, the sequence of steps that touched
 * it (as task and the task's step number), with each run of consecutive
 * reads, and each run of consecutive reader-side rwsem operations, sorted.
 * Two interleavings are equivalent exactly when they order
 * every pair of dependent steps alike, and dependent steps are those on a
 * common object with at least one write (access.hpp's dependent()); the
 * per-object sequences fix the order of exactly those pairs.
 *
 * It also records the coarser reads-from classes (which write each read
 * observed, or the initial value), the equivalence of Nidhugg's --rf mode
 * (Abdulla et al., OOPSLA 2019), whose published counts are of those
 * classes: they equal the trace counts only when no object is written twice.
 */

#include <map>
#include <set>
#include <string>
#include <vector>

#include "../execution.hpp"

namespace mmrace::programs
{

class TraceClasses : public Program
{
public:
	explicit TraceClasses(Program &inner) : inner_(inner) {}

	void setUp(Execution &e) override;
	void afterStep(Execution &e, const Step &step) override;
	void atEnd(Execution &e) override;

	/* Canonical forms of the traces of all complete executions so far. */
	const std::set<std::string> &traces() const { return traces_; }
	/* Canonical forms of their reads-from classes. */
	const std::set<std::string> &readsFromClasses() const { return readsFrom_; }

private:
	struct Event {
		TaskId task;
		std::uint32_t index; /* the task's step number */
		AccessKind kind;
		bool write;
	};
	void touch(ObjectId object, const Event &event);

	Program &inner_;
	std::map<ObjectId, std::vector<Event>> perObject_;
	std::vector<std::uint32_t> stepsOf_;
	std::set<std::string> traces_;
	std::set<std::string> readsFrom_;
};

} // namespace mmrace::programs
