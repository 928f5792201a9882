/* SPDX-License-Identifier: GPL-2.0 */
#include "execution.hpp"

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
}

Execution::~Execution()
{
	abortAll();
}

TaskId Execution::spawn(std::string name, std::function<void()> body)
{
	auto id = static_cast<TaskId>(tasks_.size());
	if (id >= 64)
		throw std::runtime_error("at most 64 tasks per execution");
	tasks_.push_back(std::make_unique<Task>());
	Task *t = tasks_.back().get();
	t->id = id;
	t->name = std::move(name);
	t->body = std::move(body);
	t->fiber = ctx::fiber(std::allocator_arg, stacks_, [this, t](ctx::fiber &&sink) {
		t->caller = std::move(sink);
		try {
			t->body();
		} catch (const Abort &) {
		} catch (...) {
			taskError_ = std::current_exception();
		}
		t->finished = true;
		t->pending = Access{};
		return std::move(t->caller);
	});
	/* Run the task-local prologue up to its first scheduling point. */
	TaskId saved = current_;
	current_ = id;
	resume(*t);
	current_ = saved;
	return id;
}

void Execution::resume(Task &t)
{
	t.fiber = std::move(t.fiber).resume();
}

void Execution::point(const Access &access)
{
	Task &t = *tasks_[current_];
	if (aborting_) {
		if (std::uncaught_exceptions() > 0)
			return;
		throw Abort{};
	}
	t.pending = access;
	t.caller = std::move(t.caller).resume();
	if (aborting_ && std::uncaught_exceptions() == 0)
		throw Abort{};
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
	aborting_ = true;
	for (auto &t : tasks_) {
		if (!t->finished && t->fiber) {
			current_ = t->id;
			resume(*t);
		}
	}
	current_ = kNoTask;
}

Outcome Execution::run(Program &program)
{
	program.setUp(*this);
	if (taskError_)
		std::rethrow_exception(taskError_);
	for (;;) {
		if (stopRequested_) {
			abortAll();
			return Outcome::Violation;
		}
		enabledScratch_.clear();
		bool unfinished = false;
		for (auto &t : tasks_) {
			if (t->finished)
				continue;
			unfinished = true;
			if (enabled(*t))
				enabledScratch_.push_back(t->id);
		}
		if (!unfinished) [[unlikely]] {
			current_ = kNoTask;
			program.atEnd(*this);
			return stopRequested_ ? Outcome::Violation : Outcome::Complete;
		}
		if (enabledScratch_.empty()) [[unlikely]] {
			reportDeadlock();
			abortAll();
			return Outcome::Deadlock;
		}
		if (steps_ >= limits_.maxSteps) [[unlikely]] {
			Finding f;
			f.invariant = "step-bound";
			f.title = fmt::format("no progress after {} steps: possible livelock "
					      "or unbounded retry", steps_);
			for (auto &t : tasks_)
				if (!t->finished)
					f.message += fmt::format("  {} is at {}\n", t->name,
								 t->pending.label);
			f.message += "(raise --max-steps if the scenario is just long)\n";
			report(std::move(f));
			abortAll();
			return Outcome::StepBound;
		}
		TaskId pick = strategy_.pickTask({enabledScratch_, current_, *this});
		if (pick == kNoTask) {
			stopReason_ = strategy_.stopReason();
			abortAll();
			return Outcome::Stopped;
		}
		assert(pick < tasks_.size());
		choices_.push_back({Choice::Kind::Task, pick,
				    static_cast<std::uint32_t>(enabledScratch_.size())});
		Step step{steps_, pick, tasks_[pick]->pending};
		current_ = pick;
		resume(*tasks_[pick]);
		if (taskError_) {
			abortAll();
			std::rethrow_exception(taskError_);
		}
		++steps_;
		if (tracing_)
			trace_.push_back(step);
		program.afterStep(*this, step);
	}
}

void Execution::reportDeadlock()
{
	Finding f;
	f.invariant = "deadlock";
	f.title = "deadlock: no task can make progress";
	/* Wait-for graph: waiter -> holders of what it waits for. */
	std::vector<std::vector<TaskId>> waitsFor(tasks_.size());
	for (auto &t : tasks_) {
		if (t->finished || !t->pending.sync)
			continue;
		t->pending.sync->holders(
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
							 w.pending.label,
							 w.pending.sync->describeWait(w.pending.kind));
			}
			break;
		}
	}
	f.message += "blocked tasks:\n";
	for (auto &t : tasks_) {
		if (t->finished)
			continue;
		f.message += fmt::format("  {}: {} ({})\n", t->name, t->pending.label,
					 t->pending.sync ? t->pending.sync->describeWait(t->pending.kind)
							 : "not waiting");
		f.steps.push_back({steps_, t->id, t->pending.label});
	}
	report(std::move(f));
}

} // namespace mmrace
