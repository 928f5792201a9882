/* SPDX-License-Identifier: GPL-2.0 */
#include "shared.hpp"

#include <bit>
#include <stdexcept>

namespace mmrace::programs
{

int SharedInt::load(Execution &e, const char *label)
{
	e.point({id_, kNoObject, AccessKind::Read, label, nullptr});
	return value_;
}

void SharedInt::store(Execution &e, int value, const char *label)
{
	e.point({id_, kNoObject, AccessKind::Write, label, nullptr});
	value_ = value;
}

int SharedInt::fetchAdd(Execution &e, int delta, const char *label)
{
	e.point({id_, kNoObject, AccessKind::ReadModifyWrite, label, nullptr});
	int old = value_;
	value_ += delta;
	return old;
}

bool SharedInt::compareExchange(Execution &e, int &expected, int desired, const char *label)
{
	/* Declared as an RMW whether or not it will succeed: the outcome is only
	 * known once the step runs. */
	e.point({id_, kNoObject, AccessKind::ReadModifyWrite, label, nullptr});
	if (value_ != expected) {
		expected = value_;
		return false;
	}
	value_ = desired;
	return true;
}

void Mutex::lock(Execution &e, const char *label)
{
	e.point({id_, kNoObject, AccessKind::Acquire, label, this});
	owner_ = e.current();
}

bool Mutex::tryLock(Execution &e, const char *label)
{
	/* No sync object: a trylock is always enabled. */
	e.point({id_, kNoObject, AccessKind::TryAcquire, label, nullptr});
	if (owner_ != kNoTask)
		return false;
	owner_ = e.current();
	return true;
}

void Mutex::unlock(Execution &e, const char *label)
{
	if (owner_ != e.current())
		throw std::logic_error("unlock of " + name_ + " by a task that does not hold it");
	e.point({id_, kNoObject, AccessKind::Release, label, nullptr});
	owner_ = kNoTask;
}

bool Mutex::canProceed(AccessKind, TaskId) const
{
	return owner_ == kNoTask;
}

std::string Mutex::describeWait(AccessKind) const
{
	if (owner_ == kNoTask)
		return name_ + " (free)";
	return name_ + " (held by task " + std::to_string(owner_) + ")";
}

void Mutex::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (owner_ != kNoTask)
		emit(arg, owner_);
}

void RwSem::lockShared(Execution &e, const char *label)
{
	e.point({id_, kNoObject, AccessKind::AcquireShared, label, this});
	readers_ |= std::uint64_t{1} << e.current();
}

bool RwSem::tryLockShared(Execution &e, const char *label)
{
	e.point({id_, kNoObject, AccessKind::TryAcquireShared, label, nullptr});
	if (writer_ != kNoTask)
		return false;
	readers_ |= std::uint64_t{1} << e.current();
	return true;
}

void RwSem::unlockShared(Execution &e, const char *label)
{
	if (!(readers_ >> e.current() & 1))
		throw std::logic_error("up_read of " + name_ + " by a task that does not hold it");
	e.point({id_, kNoObject, AccessKind::ReleaseShared, label, nullptr});
	readers_ &= ~(std::uint64_t{1} << e.current());
}

void RwSem::lock(Execution &e, const char *label)
{
	e.point({id_, kNoObject, AccessKind::Acquire, label, this});
	writer_ = e.current();
}

bool RwSem::tryLock(Execution &e, const char *label)
{
	e.point({id_, kNoObject, AccessKind::TryAcquire, label, nullptr});
	if (writer_ != kNoTask || readers_)
		return false;
	writer_ = e.current();
	return true;
}

void RwSem::unlock(Execution &e, const char *label)
{
	if (writer_ != e.current())
		throw std::logic_error("up_write of " + name_ + " by a task that does not hold it");
	e.point({id_, kNoObject, AccessKind::Release, label, nullptr});
	writer_ = kNoTask;
}

bool RwSem::canProceed(AccessKind kind, TaskId) const
{
	if (kind == AccessKind::AcquireShared)
		return writer_ == kNoTask;
	return writer_ == kNoTask && !readers_;
}

std::string RwSem::describeWait(AccessKind kind) const
{
	return name_ + (kind == AccessKind::AcquireShared ? " (read)" : " (write)") +
	       (writer_ != kNoTask ? ", write-held by task " + std::to_string(writer_)
		: readers_	   ? ", read-held"
				   : ", free");
}

void RwSem::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (writer_ != kNoTask)
		emit(arg, writer_);
	for (std::uint64_t m = readers_; m; m &= m - 1)
		emit(arg, static_cast<TaskId>(std::countr_zero(m)));
}

} // namespace mmrace::programs
