/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * One execution of a fiber program: tasks on Boost.Context fibers, the
 * scheduling loop, blocking, deadlock and step-bound detection. A task calls
 * point() before each shared access; between two points it runs alone.
 *
 * The scheduling loop runs on the task fibers, not on a scheduler fiber: the
 * task that reaches a point ends its step, asks the strategy for the next
 * one, and goes on without any switch when it is picked again, or switches
 * straight to the picked task (one switch per step, not two). run()'s own
 * fiber starts the loop and takes over when the execution ends (complete,
 * deadlock, step bound, a harmful finding, a stop, an exception).
 */

#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include <algorithm>
#include <array>
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
	Complete,  /* every task finished (daemons: or blocked) */
	Deadlock,  /* no task enabled, some unfinished */
	StepBound, /* max steps reached: livelock or unbounded retry */
	Violation, /* a harmful finding stopped the execution */
	Stopped,   /* the strategy stopped it (pruned, or replay diverged) */
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

	/* Setup side. A daemon task (the program's environment, e.g. I/O
	 * completion) need not finish: an execution in which every other task
	 * finished and no daemon is enabled is complete, and the daemons still
	 * blocked are unwound. */
	TaskId spawn(std::string name, std::function<void()> body, bool daemon = false);
	Outcome run(Program &program);

	/* Task side (called from inside a task). */
	inline void point(const Access &access);
	std::uint32_t choose(std::uint32_t n);
	TaskId current() const { return current_; }

	/* Either side. A harmful finding stops the execution after this step. */
	void report(Finding finding);

	/* Observation. */
	std::size_t taskCount() const { return tasks_.size(); }
	const std::string &taskName(TaskId t) const { return tasks_[t]->name; }
	const Access &pending(TaskId t) const { return tasks_[t]->pending(); }
	bool finished(TaskId t) const { return tasks_[t]->finished; }
	std::uint64_t steps() const { return steps_; }
	/*
	 * Steps that needed a fiber switch: the first one, and each whose task
	 * is not the one that ran the step before. The others went on on the
	 * running fiber.
	 */
	std::uint64_t switches() const { return switches_; }
	const ChoiceLog &choices() const { return choices_; }
	const std::vector<Finding> &findings() const { return findings_; }
	const std::string &stopReason() const { return stopReason_; }
	/* Steps are only kept when tracing (re-runs for reports). */
	void setTracing(bool on) { tracing_ = on; }
	const std::vector<Step> &trace() const { return trace_; }

private:
	using TaskMask = std::uint64_t;
	static constexpr TaskId kMaxTasks = 64;
	struct Task {
		TaskId id;
		std::string name;
		std::function<void()> body;
		/*
		 * Used in turn: steps[cur].access is the pending access, the other
		 * one the task's last step, which afterStep() gets without a copy.
		 */
		Step steps[2] = {};
		unsigned cur = 0;
		bool finished = false;

		const Access &pending() const { return steps[cur].access; }
		Access &pending() { return steps[cur].access; }
	};
	struct Abort {};
	enum class Mode : std::uint8_t {
		Setup,		/* prologues: a point returns to the spawner */
		Running,	/* the scheduling loop */
		Aborting,	/* unwinding the tasks: a point throws Abort */
	};
	/* Why the scheduling loop handed control back to run(). */
	enum class End : std::uint8_t { None, Complete, Deadlock, StepBound, Violation, Stopped, Error };

	/* Continuation slots: a task's (kNoTask: run()'s caller, the last slot). */
	boost::context::fiber &slot(TaskId t) { return fibers_[std::min(t, kMaxTasks)]; }
	void switchTo(TaskId to, TaskId self);
	void setPending(Task &t, const Access &access);
	void pointOutsideLoop(Access access);
	void endStep(const Step &ended);
	TaskId stepEnded(const Step &ended);
	TaskId decide();
	void listEnabled(TaskMask enabled);
	boost::context::fiber finishTask(Task &t);
	Outcome end();
	void abortAll();
	void reportDeadlock();

	Strategy &strategy_;
	StackPool &stacks_;
	ExecutionLimits limits_;
	Program *program_ = nullptr;
	std::vector<std::unique_ptr<Task>> tasks_;
	Mode mode_ = Mode::Setup;
	bool stopRequested_ = false;
	bool tracing_ = false;
	End end_ = End::None;
	TaskId current_ = kNoTask;
	/* tasks_[current_] while the scheduling loop runs. */
	Task *currentTask_ = nullptr;
	/* Who switched to the running fiber: where its continuation goes. */
	TaskId switchFrom_ = kNoTask;
	/* Outside the scheduling loop a point or a finished task goes back here. */
	TaskId returnTo_ = kNoTask;
	std::uint64_t steps_ = 0;
	std::uint64_t switches_ = 0;
	/*
	 * Unfinished tasks whose pending access has no SyncObject (always
	 * enabled), and those whose access has one (asked at every decision).
	 * enabledScratch_ lists the tasks of enabledMask_, ascending.
	 */
	TaskMask plainMask_ = 0, syncMask_ = 0, enabledMask_ = 0;
	TaskMask daemonMask_ = 0; /* daemon tasks (spawn()) */
	std::vector<TaskId> enabledScratch_;
	ChoiceLog choices_;
	std::array<boost::context::fiber, kMaxTasks + 1> fibers_;
	std::vector<Finding> findings_;
	std::vector<Step> trace_;
	std::string stopReason_;
	std::exception_ptr taskError_;
	std::exception_ptr schedulerError_;
};

inline void Execution::setPending(Task &t, const Access &access)
{
	t.pending() = access;
	TaskMask b = TaskMask{1} << t.id;
	if (access.sync) {
		syncMask_ |= b;
		plainMask_ &= ~b;
	} else {
		plainMask_ |= b;
		syncMask_ &= ~b;
	}
}

/*
 * Inline so that the caller's Access is built straight into the task's
 * pending slot: a copy through the caller's stack costs a store-forwarding
 * stall per step (so does copying the old pending access into a Step, hence
 * the two slots). The rest of the step is endStep().
 */
inline void Execution::point(const Access &access)
{
	if (mode_ != Mode::Running) [[unlikely]] {
		pointOutsideLoop(access);
		return;
	}
	Task &t = *currentTask_;
	Step &ended = t.steps[t.cur];
	ended.index = steps_;
	t.cur ^= 1;
	setPending(t, access);
	endStep(ended);
}

} // namespace mmrace
