/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The exhaustive-search tree as plain data (after loom's rt/path.rs): one
 * branch per nondeterministic choice of the current execution, each knowing
 * which alternatives were explored. An execution replays the prefix of the
 * path and extends it; backtrack() then moves to the next unexplored branch.
 * No fibers are involved, so the search order is unit-tested on its own.
 *
 * Task branches carry the sleep set at entry (Godefroid): tasks whose next
 * step is known to lead only to already explored traces, and the backtrack
 * set: the tasks that must be explored from this node. Plain DFS backtracks
 * over every enabled task and puts nothing to sleep; DPOR starts with the
 * chosen task alone and adds the tasks race analysis asks for; a bounded
 * search leaves out the choices over its bound.
 */

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "access.hpp"
#include "sync_object.hpp"

namespace mmrace {

using TaskMask = std::uint64_t;

constexpr TaskMask bit(TaskId t)
{
	return TaskMask{1} << t;
}

struct Branch {
	enum class Kind : std::uint8_t { Task, Value };
	Kind kind = Kind::Task;
	std::uint32_t chosen = 0;	/* task id or value */
	std::uint32_t options = 0;	/* values only: how many */
	TaskMask enabled = 0;		/* tasks only */
	TaskMask done = 0;		/* tasks only: explored, including chosen */
	TaskMask sleep = 0;		/* tasks only: sleep set at entry */
	TaskMask backtrack = 0;		/* tasks only: to explore (done is a subset) */

	bool operator==(const Branch &) const = default;
};

/*
 * The sleep set below a task branch (Godefroid): the tasks asleep at it and
 * its siblings explored before the chosen one, minus every task whose
 * pending step conflicts with the chosen step. `pending(t)` gives a task's
 * pending access.
 */
template<typename Pending>
TaskMask sleepAfter(const Branch &b, TaskId chosen, Pending pending)
{
	const auto &step = pending(chosen);
	TaskMask next = (b.sleep | b.done) & ~bit(chosen);
	for (TaskMask m = next; m; m &= m - 1) {
		auto q = static_cast<TaskId>(std::countr_zero(m));
		if (dependent(pending(q), step))
			next &= ~bit(q);
	}
	return next;
}

class Path {
public:
	Path() = default;
	/*
	 * A subtree: `prefix` is replayed by every execution and never
	 * backtracked into (parallel exploration hands out such subtrees).
	 */
	explicit Path(std::vector<Branch> prefix)
		: branches_(std::move(prefix)), floor_(branches_.size())
	{
	}

	/* Rewinds the replay cursor for a new execution. */
	void beginExecution() { pos_ = 0; }

	/*
	 * A task choice among `enabled` with sleep set `sleep`. Replays the
	 * recorded branch or, past the end of the path, records a new one
	 * choosing `preferred` if it is available, else the lowest available
	 * task. Returns nullopt if every enabled task is asleep.
	 */
	std::optional<TaskId> branchTask(TaskMask enabled, TaskMask sleep, TaskId preferred);
	/*
	 * As above, but a new branch only backtracks over `allowed` (which must
	 * contain the choice it makes: preferred if allowed and awake, else the
	 * lowest allowed awake task).
	 */
	std::optional<TaskId> branchTask(TaskMask enabled, TaskMask sleep, TaskId preferred,
					 TaskMask allowed);
	/* A value choice in [0, n). */
	std::uint32_t branchValue(std::uint32_t n);
	/* The branch the last branchTask() call replayed or created. */
	const Branch &last() const { return branches_[pos_ - 1]; }
	/* Index of that branch (for strategies that revisit it, e.g. DPOR). */
	std::size_t lastIndex() const { return pos_ - 1; }
	/* Adds tasks to a recorded branch's backtrack set (not inside the prefix,
	 * whose branches the splitter already expanded). */
	void addBacktrack(std::size_t branch, TaskMask tasks)
	{
		if (branch >= floor_)
			branches_[branch].backtrack |= tasks;
	}

	/*
	 * After an execution: drops the branches past the cursor, then moves
	 * the deepest branch with an unexplored alternative to it. False when
	 * the whole tree has been explored.
	 */
	bool backtrack();
	/*
	 * As backtrack(), but the next choice at a branch with alternatives is
	 * made by choose(branchIndex, alternatives), which returns one of them.
	 */
	template<typename Choose>
	bool backtrackWith(Choose choose)
	{
		branches_.resize(pos_ > floor_ ? pos_ : floor_);
		while (branches_.size() > floor_) {
			Branch &b = branches_.back();
			if (b.kind == Branch::Kind::Value) {
				if (b.chosen + 1 < b.options) {
					++b.chosen;
					return true;
				}
			} else {
				TaskMask alt = b.backtrack & b.enabled & ~b.sleep & ~b.done;
				if (alt) {
					b.chosen = choose(branches_.size() - 1, alt);
					b.done |= bit(b.chosen);
					return true;
				}
			}
			branches_.pop_back();
		}
		return false;
	}
	/* True while the current execution replays recorded branches. */
	bool replaying() const { return pos_ < branches_.size(); }

	std::size_t depth() const { return branches_.size(); }
	/* Length of the fixed prefix (0 for the whole tree). */
	std::size_t fixedPrefix() const { return floor_; }
	const std::vector<Branch> &branches() const { return branches_; }

	/* Checkpoint form (a line of text), for resuming a search. */
	std::string serialize() const;
	static std::optional<Path> deserialize(const std::string &text);

private:
	std::vector<Branch> branches_;
	std::size_t floor_ = 0;	/* length of the fixed prefix */
	std::size_t pos_ = 0;
};

} // namespace mmrace
