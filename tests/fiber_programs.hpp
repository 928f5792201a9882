/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* Small fiber programs shared by the scheduler and strategy tests. */

#include <functional>
#include <memory>
#include <string>

#include "scheduler/execution.hpp"

namespace mmrace::testing {

/* A blocking mutex for test programs. */
class TestLock : public SyncObject {
public:
	explicit TestLock(ObjectId id, const char *name) : id_(id), name_(name) {}

	void lock(Execution &e, const char *label)
	{
		e.point({id_, kNoObject, AccessKind::Acquire, label, this});
		owner_ = e.current();
	}
	void unlock(Execution &e, const char *label)
	{
		e.point({id_, kNoObject, AccessKind::Release, label, nullptr});
		owner_ = kNoTask;
	}
	bool canProceed(AccessKind, TaskId) const override { return owner_ == kNoTask; }
	std::string describeWait(AccessKind) const override
	{
		return std::string(name_) + (owner_ == kNoTask ? " (free)" : " (held)");
	}
	void holders(void (*emit)(void *, TaskId), void *arg) const override
	{
		if (owner_ != kNoTask)
			emit(arg, owner_);
	}

private:
	ObjectId id_;
	const char *name_;
	TaskId owner_ = kNoTask;
};

/* A program given as a setup function; shared state lives in the closure. */
class FnProgram : public Program {
public:
	explicit FnProgram(std::function<void(Execution &)> setup) : setup_(std::move(setup)) {}
	void setUp(Execution &e) override { setup_(e); }
	void atEnd(Execution &e) override
	{
		if (onEnd)
			onEnd(e);
	}
	std::function<void(Execution &)> onEnd;

private:
	std::function<void(Execution &)> setup_;
};

/* Two tasks with k steps each on their own objects. */
inline void independentSteps(Execution &e, int k)
{
	for (int t = 0; t < 2; ++t)
		e.spawn("t" + std::to_string(t), [&e, t, k] {
			for (int i = 0; i < k; ++i)
				e.point({ObjectId(100 + t), kNoObject, AccessKind::Write, "w", nullptr});
		});
}

/* cpu0 takes A then B, cpu1 takes B then A. */
inline std::unique_ptr<Program> makeAbba()
{
	struct Abba : Program {
		std::unique_ptr<TestLock> a, b;
		void setUp(Execution &e) override
		{
			a = std::make_unique<TestLock>(1, "A");
			b = std::make_unique<TestLock>(2, "B");
			e.spawn("cpu0", [this, &e] {
				a->lock(e, "lock A");
				b->lock(e, "lock B");
				b->unlock(e, "unlock B");
				a->unlock(e, "unlock A");
			});
			e.spawn("cpu1", [this, &e] {
				b->lock(e, "lock B");
				a->lock(e, "lock A");
				a->unlock(e, "unlock A");
				b->unlock(e, "unlock B");
			});
		}
	};
	return std::make_unique<Abba>();
}

} // namespace mmrace::testing
