/* SPDX-License-Identifier: GPL-2.0 */
#include "execution.hpp"

#include <bit>
#include <cassert>
#include <exception>
#include <stdexcept>

#include <fmt/format.h>

namespace mmrace {

namespace ctx = boost::context;

std::string_view accessKindName(AccessKind kind)
{
	switch (kind) {
	case AccessKind::Read: return "read";
	case AccessKind::Write: return "write";
	case AccessKind::ReadModifyWrite: return "rmw";
	case AccessKind::Acquire: return "acquire";
	case AccessKind::AcquireShared: return "acquire-shared";
	case AccessKind::TryAcquire: return "trylock";
	case AccessKind::TryAcquireShared: return "trylock-shared";
	case AccessKind::Release: return "release";
	case AccessKind::ReleaseShared: return "release-shared";
	case AccessKind::Wait: return "wait";
	case AccessKind::Local: return "local";
	}
	return "?";
}

std::string_view severityName(Severity s)
{
	return s == Severity::Harmful ? "harmful" : "benign";
}

std::string_view outcomeName(Outcome o)
{
	switch (o) {
	case Outcome::Complete: return "complete";
	case Outcome::Deadlock: return "deadlock";
	case Outcome::StepBound: return "step-bound";
	case Outcome::Violation: return "violation";
	case Outcome::Stopped: return "stopped";
	}
	return "?";
}

Execution::Execution(Strategy &strategy, StackPool &stacks, const ExecutionLimits &limits)
	: strategy_(strategy), stacks_(stacks), limits_(limits)
{
	choices_.reserve(256);
	enabledScratch_.reserve(kMaxTasks);
}

Execution::~Execution()
{
	abortAll();
}

/*
 * Suspends the running fiber (task `self`, or run()'s caller for kNoTask) and
 * resumes the one in slot `to`. Whoever resumes us later has left its id in
 * switchFrom_: its continuation goes to its slot.
 *
 * fcontext's jump_fcontext enters the other fiber with an indirect jump, not
 * a return: the call that suspended us stays on the CPU's return stack
 * buffer, and the first return after every switch is mispredicted (about
 * 7 ns, more than the switch itself). resume_with() enters through
 * ontop_fcontext, whose function returns into the resumed fiber's call
 * site: calls and returns stay paired, and a task resumed where the other
 * one was suspended (the usual case, both in switchTo) returns where
 * predicted. The function itself is the identity: same semantics as
 * resume(). The ucontext backend (sanitizer builds) keeps resume().
 */
inline void Execution::switchTo(TaskId to, TaskId self)
{
	switchFrom_ = self;
#if defined(BOOST_USE_UCONTEXT)
	ctx::fiber from = std::move(slot(to)).resume();
#else
	ctx::fiber from = std::move(slot(to)).resume_with([](ctx::fiber &&f) { return std::move(f); });
#endif
	slot(switchFrom_) = std::move(from);
}

TaskId Execution::spawn(std::string name, std::function<void()> body, bool daemon)
{
	auto id = static_cast<TaskId>(tasks_.size());
	if (id >= kMaxTasks)
		throw std::runtime_error("at most 64 tasks per execution");
	if (daemon)
		daemonMask_ |= TaskMask{1} << id;
	tasks_.push_back(std::make_unique<Task>());
	Task *t = tasks_.back().get();
	t->id = id;
	t->name = std::move(name);
	t->body = std::move(body);
	t->steps[0].task = t->steps[1].task = id;
	slot(id) = ctx::fiber(std::allocator_arg, stacks_, [this, t](ctx::fiber &&from) {
		slot(switchFrom_) = std::move(from);
		try {
			t->body();
		} catch (const Abort &) {
		} catch (...) {
			taskError_ = std::current_exception();
		}
		return finishTask(*t);
	});
	/* Run the task-local prologue up to its first scheduling point. */
	TaskId spawner = current_, savedReturn = returnTo_;
	Mode savedMode = mode_;
	current_ = id;
	returnTo_ = spawner;
	mode_ = Mode::Setup;
	switchTo(id, spawner);
	current_ = spawner;
	returnTo_ = savedReturn;
	mode_ = savedMode;
	return id;
}

/* A point in a prologue, or while the tasks are being unwound. */
void Execution::pointOutsideLoop(Access access)
{
	Task &t = *tasks_[current_];
	if (mode_ == Mode::Aborting) {
		if (std::uncaught_exceptions() > 0)
			return;
		throw Abort{};
	}
	setPending(t, access);
	switchTo(returnTo_, t.id);
	if (mode_ == Mode::Aborting && std::uncaught_exceptions() == 0)
		throw Abort{};
}

/*
 * The scheduling loop runs on the task fibers. A task that reaches a point
 * (point() has recorded the step that ends) makes the next decision itself,
 * then goes on if it was picked again (no switch at all) or switches
 * straight to the picked task. run()'s fiber only starts the loop and takes
 * over when the execution ends.
 */
void Execution::endStep(const Step &ended)
{
	TaskId self = current_;
	TaskId next = stepEnded(ended);
	if (next == self)
		return;
	if (next != kNoTask)
		++switches_;
	switchTo(next, self);
	if (mode_ == Mode::Aborting && std::uncaught_exceptions() == 0)
		throw Abort{};
}

/* The body returned (or unwound); the fiber ends by resuming the result. */
ctx::fiber Execution::finishTask(Task &t)
{
	Step &ended = t.steps[t.cur];
	ended.index = steps_;
	t.cur ^= 1;
	t.finished = true;
	t.pending() = Access{};
	plainMask_ &= ~(TaskMask{1} << t.id);
	syncMask_ &= ~(TaskMask{1} << t.id);
	TaskId next = returnTo_;
	if (mode_ == Mode::Running) {
		next = stepEnded(ended);
		if (next != kNoTask)
			++switches_;
	}
	switchFrom_ = t.id;
	return std::move(slot(next));
}

/*
 * `ended` has ended: its task is at its next point, or finished. Returns the
 * task of the next step, or kNoTask when the execution ends (end_ says why).
 */
[[gnu::always_inline]] inline TaskId Execution::stepEnded(const Step &ended)
{
	try {
		if (taskError_) [[unlikely]] {
			end_ = End::Error;
			return kNoTask;
		}
		++steps_;
		if (tracing_) [[unlikely]]
			trace_.push_back(ended);
		program_->afterStep(*this, ended);
		return decide();
	} catch (...) {
		/* From afterStep or the strategy: run() rethrows it. */
		schedulerError_ = std::current_exception();
		end_ = End::Error;
		return kNoTask;
	}
}

/* One scheduling decision, before each step. */
[[gnu::always_inline]] inline TaskId Execution::decide()
{
	if (stopRequested_) [[unlikely]] {
		end_ = End::Violation;
		return kNoTask;
	}
	if (!(plainMask_ | syncMask_)) [[unlikely]] {
		end_ = End::Complete;
		return kNoTask;
	}
	/* Blocking objects are asked at every decision, in task order. */
	TaskMask enabled = plainMask_;
	for (TaskMask m = syncMask_; m; m &= m - 1) {
		auto id = static_cast<TaskId>(std::countr_zero(m));
		const Access &a = tasks_[id]->pending();
		if (a.sync->canProceed(a.kind, id))
			enabled |= TaskMask{1} << id;
	}
	if (!enabled) [[unlikely]] {
		/* Only blocked daemons left: nothing more will happen. */
		end_ = (plainMask_ | syncMask_) & ~daemonMask_ ? End::Deadlock : End::Complete;
		return kNoTask;
	}
	if (steps_ >= limits_.maxSteps) [[unlikely]] {
		end_ = End::StepBound;
		return kNoTask;
	}
	if (enabled != enabledMask_) [[unlikely]]
		listEnabled(enabled);
	TaskId pick = strategy_.pickTask({enabledScratch_, current_, *this});
	if (pick == kNoTask) [[unlikely]] {
		end_ = End::Stopped;
		return kNoTask;
	}
	assert(pick < tasks_.size() && (enabled & (TaskMask{1} << pick)));
	choices_.push_back({Choice::Kind::Task, pick,
			    static_cast<std::uint32_t>(enabledScratch_.size())});
	current_ = pick;
	currentTask_ = tasks_[pick].get();
	return pick;
}

void Execution::listEnabled(TaskMask enabled)
{
	enabledMask_ = enabled;
	enabledScratch_.clear();
	for (TaskMask m = enabled; m; m &= m - 1)
		enabledScratch_.push_back(static_cast<TaskId>(std::countr_zero(m)));
}

std::uint32_t Execution::choose(std::uint32_t n)
{
	if (n <= 1)
		return 0;
	std::uint32_t v = strategy_.pickValue(n);
	assert(v < n);
	choices_.push_back({Choice::Kind::Value, v, n});
	return v;
}

void Execution::report(Finding finding)
{
	if (finding.severity == Severity::Harmful)
		stopRequested_ = true;
	findings_.push_back(std::move(finding));
}

void Execution::abortAll()
{
	mode_ = Mode::Aborting;
	returnTo_ = kNoTask;
	for (auto &t : tasks_) {
		if (!t->finished && slot(t->id)) {
			current_ = t->id;
			switchTo(t->id, kNoTask);
		}
	}
	current_ = kNoTask;
}

Outcome Execution::run(Program &program)
{
	program_ = &program;
	program.setUp(*this);
	if (taskError_)
		std::rethrow_exception(taskError_);
	mode_ = Mode::Running;
	TaskId first = decide();
	if (first != kNoTask) {
		++switches_;
		switchTo(first, kNoTask);
	}
	/* Back on run()'s fiber: the execution has ended. */
	mode_ = Mode::Setup;
	return end();
}

Outcome Execution::end()
{
	switch (end_) {
	case End::Complete:
		current_ = kNoTask;
		program_->atEnd(*this);
		abortAll(); /* blocked daemons */
		return stopRequested_ ? Outcome::Violation : Outcome::Complete;
	case End::Deadlock:
		reportDeadlock();
		abortAll();
		return Outcome::Deadlock;
	case End::StepBound: {
		Finding f;
		f.invariant = "step-bound";
		f.title = fmt::format("no progress after {} steps: possible livelock "
				      "or unbounded retry", steps_);
		for (auto &t : tasks_)
			if (!t->finished)
				f.message += fmt::format("  {} is at {}\n", t->name, t->pending().label);
		f.message += "(raise --max-steps if the scenario is just long)\n";
		report(std::move(f));
		abortAll();
		return Outcome::StepBound;
	}
	case End::Stopped:
		stopReason_ = strategy_.stopReason();
		abortAll();
		return Outcome::Stopped;
	case End::Error:
		abortAll();
		std::rethrow_exception(taskError_ ? taskError_ : schedulerError_);
	case End::Violation:
	case End::None:
		break;
	}
	abortAll();
	return Outcome::Violation;
}

void Execution::reportDeadlock()
{
	Finding f;
	f.invariant = "deadlock";
	f.title = "deadlock: no task can make progress";
	/* Wait-for graph: waiter -> holders of what it waits for. */
	std::vector<std::vector<TaskId>> waitsFor(tasks_.size());
	for (auto &t : tasks_) {
		if (t->finished || !t->pending().sync)
			continue;
		t->pending().sync->holders(
			[](void *arg, TaskId h) { static_cast<std::vector<TaskId> *>(arg)->push_back(h); },
			&waitsFor[t->id]);
	}
	/* Find a cycle by walking first edges (every blocked task has a holder). */
	std::vector<int> seenAt(tasks_.size(), -1);
	std::vector<TaskId> walk;
	for (auto &t : tasks_) {
		if (t->finished)
			continue;
		TaskId cur = t->id;
		walk.clear();
		std::fill(seenAt.begin(), seenAt.end(), -1);
		while (cur != kNoTask && seenAt[cur] < 0) {
			seenAt[cur] = static_cast<int>(walk.size());
			walk.push_back(cur);
			cur = waitsFor[cur].empty() ? kNoTask : waitsFor[cur].front();
		}
		if (cur != kNoTask) {
			f.message += "wait-for cycle:\n";
			for (std::size_t i = static_cast<std::size_t>(seenAt[cur]); i < walk.size(); ++i) {
				const Task &w = *tasks_[walk[i]];
				f.message += fmt::format("  {} waits in {}\n    for {}\n", w.name,
							 w.pending().label,
							 w.pending().sync->describeWait(w.pending().kind));
			}
			break;
		}
	}
	f.message += "blocked tasks:\n";
	for (auto &t : tasks_) {
		if (t->finished)
			continue;
		f.message += fmt::format("  {}: {} ({})\n", t->name, t->pending().label,
					 t->pending().sync ? t->pending().sync->describeWait(t->pending().kind)
							 : "not waiting");
		f.steps.push_back({steps_, t->id, t->pending().label});
	}
	report(std::move(f));
}

} // namespace mmrace
