/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Building blocks for small test programs on the scheduler (the classic DPOR
 * benchmarks, random programs): a shared integer and a blocking mutex. Each
 * operation is exactly one scheduling point, declared before the access is
 * made, with the access kind that gives the right dependencies:
 *
 *   load                          Read
 *   store                         Write
 *   fetchAdd, compareExchange     ReadModifyWrite (a failed CAS too: it still
 *                                 reads, and treating it as a write keeps two
 *                                 CASes on one variable ordered, as every
 *                                 DPOR tool we compare with does for RMWs)
 *   lock                          Acquire (blocks while the mutex is held)
 *   tryLock                       TryAcquire (never blocks, may fail)
 *   unlock                        Release
 *
 * and for a reader-writer semaphore (as the kernel's rwsem, without writer
 * preference: a waiting writer does not hold new readers back)
 *
 *   lockShared (down_read)        AcquireShared (blocks while a writer holds it)
 *   tryLockShared                 TryAcquireShared (fails while a writer holds it)
 *   unlockShared (up_read)        ReleaseShared
 *   lock, tryLock, unlock         Acquire, TryAcquire, Release (exclusive)
 *
 * Object ids come from an ObjectIds counter that the program resets in
 * setUp(), so an object gets the same id in every execution as long as the
 * program creates its objects in a fixed order.
 */

#include <set>
#include <string>

#include "../execution.hpp"
#include "../sync_object.hpp"

namespace mmrace::programs
{

/* Hands out 1, 2, 3, ...: non-zero (kNoObject is 0), distinct, deterministic. */
class ObjectIds
{
public:
	ObjectId next() { return next_++; }
	void reset() { next_ = 1; }

private:
	ObjectId next_ = 1;
};

class SharedInt
{
public:
	SharedInt(ObjectIds &ids, int initial = 0) : id_(ids.next()), value_(initial) {}

	/* Task side: one scheduling point each. Labels must be string literals. */
	int load(Execution &e, const char *label = "load");
	void store(Execution &e, int value, const char *label = "store");
	/* Returns the old value. */
	int fetchAdd(Execution &e, int delta, const char *label = "fetch_add");
	/* Strong CAS; on failure `expected` receives the current value. */
	bool compareExchange(Execution &e, int &expected, int desired,
			     const char *label = "compare_exchange");

	/* No scheduling point: for setUp() and atEnd(), never from a task. */
	int peek() const { return value_; }
	ObjectId id() const { return id_; }

private:
	ObjectId id_;
	int value_;
};

/* A non-recursive blocking mutex. */
class Mutex : public SyncObject
{
public:
	Mutex(ObjectIds &ids, std::string name) : id_(ids.next()), name_(std::move(name)) {}
	/* The scheduler keeps a pointer to it in the pending access. */
	Mutex(const Mutex &) = delete;
	Mutex &operator=(const Mutex &) = delete;

	void lock(Execution &e, const char *label = "lock");
	bool tryLock(Execution &e, const char *label = "trylock");
	/* Unlocking a mutex the task does not hold is a bug in the test program:
	 * it throws, and the execution rethrows it. */
	void unlock(Execution &e, const char *label = "unlock");

	TaskId owner() const { return owner_; }
	ObjectId id() const { return id_; }
	const std::string &name() const { return name_; }

	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	ObjectId id_;
	std::string name_;
	TaskId owner_ = kNoTask;
};

/* A reader-writer semaphore; the same lock state as model/sync.hpp's Lock. */
class RwSem : public SyncObject
{
public:
	RwSem(ObjectIds &ids, std::string name) : id_(ids.next()), name_(std::move(name)) {}
	RwSem(const RwSem &) = delete;
	RwSem &operator=(const RwSem &) = delete;

	void lockShared(Execution &e, const char *label = "down_read");
	bool tryLockShared(Execution &e, const char *label = "down_read_trylock");
	void unlockShared(Execution &e, const char *label = "up_read");
	void lock(Execution &e, const char *label = "down_write");
	bool tryLock(Execution &e, const char *label = "down_write_trylock");
	void unlock(Execution &e, const char *label = "up_write");

	ObjectId id() const { return id_; }
	TaskId writer() const { return writer_; }
	std::uint64_t readers() const { return readers_; }

	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	ObjectId id_;
	std::string name_;
	TaskId writer_ = kNoTask;
	std::uint64_t readers_ = 0; /* bit per task */
};

/*
 * A program that records the final state of every complete execution as a
 * string, so that strategies can be compared on the set of states they
 * reach. The set accumulates over runs until cleared.
 */
class ObservedProgram : public Program
{
public:
	const std::set<std::string> &finalStates() const { return finalStates_; }
	void clearFinalStates() { finalStates_.clear(); }
	virtual std::string name() const = 0;

protected:
	void recordFinalState(std::string state) { finalStates_.insert(std::move(state)); }

private:
	std::set<std::string> finalStates_;
};

} // namespace mmrace::programs
