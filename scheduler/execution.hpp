/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * One execution of a fiber program: tasks on Boost.Context fibers, the
 * scheduling loop, blocking, deadlock and step-bound detection. A task calls
 * point() before each shared access; between two points it runs alone.
 */

#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access.hpp"
#include "choice.hpp"
#include "finding.hpp"
#include "strategy.hpp"

namespace mmrace {

using StackPool = boost::context::pooled_fixedsize_stack;

/* Sanitizer builds grow frames a lot; fibers get no guard page. */
#if defined(__SANITIZE_ADDRESS__)
inline constexpr std::size_t kFiberStackSize = 1024 * 1024;
#else
inline constexpr std::size_t kFiberStackSize = 256 * 1024;
#endif

struct Step {
	std::uint64_t index;
	TaskId task;
	Access access;
};

class Execution;

/* The program under test, as the execution loop sees it. */
class Program {
public:
	virtual ~Program() = default;
	/* Builds the initial state and spawns the tasks. */
	virtual void setUp(Execution &exec) = 0;
	/* After every step; may call exec.report(). */
	virtual void afterStep(Execution &exec, const Step &step) { (void)exec, (void)step; }
	/* After the last step of a complete execution (all tasks finished). */
	virtual void atEnd(Execution &exec) { (void)exec; }
};

enum class Outcome : std::uint8_t {
	Complete,	/* every task finished */
	Deadlock,	/* no task enabled, some unfinished */
	StepBound,	/* max steps reached: livelock or unbounded retry */
	Violation,	/* a harmful finding stopped the execution */
	Stopped,	/* the strategy stopped it (pruned, or replay diverged) */
};

std::string_view outcomeName(Outcome o);

struct ExecutionLimits {
	std::uint64_t maxSteps = 10000;
};

class Execution {
public:
	Execution(Strategy &strategy, StackPool &stacks, const ExecutionLimits &limits);
	~Execution();
	Execution(const Execution &) = delete;
	Execution &operator=(const Execution &) = delete;

	/* Setup side. */
	TaskId spawn(std::string name, std::function<void()> body);
	Outcome run(Program &program);

	/* Task side (called from inside a task). */
	void point(const Access &access);
	std::uint32_t choose(std::uint32_t n);
	TaskId current() const { return current_; }

	/* Either side. A harmful finding stops the execution after this step. */
	void report(Finding finding);

	/* Observation. */
	std::size_t taskCount() const { return tasks_.size(); }
	const std::string &taskName(TaskId t) const { return tasks_[t]->name; }
	const Access &pending(TaskId t) const { return tasks_[t]->pending; }
	bool finished(TaskId t) const { return tasks_[t]->finished; }
	std::uint64_t steps() const { return steps_; }
	const ChoiceLog &choices() const { return choices_; }
	const std::vector<Finding> &findings() const { return findings_; }
	const std::string &stopReason() const { return stopReason_; }
	/* Steps are only kept when tracing (re-runs for reports). */
	void setTracing(bool on) { tracing_ = on; }
	const std::vector<Step> &trace() const { return trace_; }

private:
	struct Task {
		TaskId id;
		std::string name;
		std::function<void()> body;
		boost::context::fiber fiber;	/* resumed by the scheduler */
		boost::context::fiber caller;	/* resumed by the task to yield */
		Access pending;
		bool finished = false;
	};
	struct Abort {};

	bool enabled(const Task &t) const
	{
		return !t.finished && (!t.pending.sync || t.pending.sync->canProceed(t.pending.kind, t.id));
	}
	void resume(Task &t);
	void abortAll();
	void reportDeadlock();

	Strategy &strategy_;
	StackPool &stacks_;
	ExecutionLimits limits_;
	std::vector<std::unique_ptr<Task>> tasks_;
	std::vector<TaskId> enabledScratch_;
	TaskId current_ = kNoTask;
	std::uint64_t steps_ = 0;
	bool aborting_ = false;
	bool stopRequested_ = false;
	bool tracing_ = false;
	ChoiceLog choices_;
	std::vector<Finding> findings_;
	std::vector<Step> trace_;
	std::string stopReason_;
	std::exception_ptr taskError_;
};

} // namespace mmrace
