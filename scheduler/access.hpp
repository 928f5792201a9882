/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * What a task declares at a scheduling point: the shared object it is about
 * to touch, how, and the kernel step that does it. This is all the explorer
 * knows about the model; two steps are dependent exactly when their accesses
 * conflict (see dependent()).
 */

#include <cstdint>
#include <string_view>

namespace mmrace {

/* Opaque to the scheduler; the model encodes kind and index in it. */
using ObjectId = std::uint64_t;
inline constexpr ObjectId kNoObject = 0;

enum class AccessKind : std::uint8_t {
	Read,
	Write,
	ReadModifyWrite,
	Acquire,	/* blocking acquisition (exclusive or shared, see SyncObject) */
	AcquireShared,
	TryAcquire,	/* never blocks; may fail */
	TryAcquireShared,
	Release,
	ReleaseShared,
	Wait,		/* blocks until the object's condition holds; no state change */
	Local,		/* task-local marker (start, finish); conflicts with nothing */
};

std::string_view accessKindName(AccessKind kind);

class SyncObject;

struct Access {
	ObjectId object = kNoObject;
	/*
	 * A second object the step touches in the same atomic action, e.g. the
	 * ghost "rmap of folio F" object alongside a PTE store that (un)maps F.
	 */
	ObjectId object2 = kNoObject;
	AccessKind kind = AccessKind::Local;
	/* "function: what it does", a string literal (never freed). */
	const char *label = "";
	/* Set for Acquire*, Wait: decides whether the task is enabled. */
	const SyncObject *sync = nullptr;
	/* A third, e.g. a user store: the TLB, the folio's data, the ghost memory. */
	ObjectId object3 = kNoObject;
};

constexpr bool isWriteLike(AccessKind k)
{
	return k != AccessKind::Read && k != AccessKind::Local;
}

constexpr bool isSharedLockOp(AccessKind k)
{
	return k == AccessKind::AcquireShared || k == AccessKind::TryAcquireShared ||
	       k == AccessKind::ReleaseShared;
}

/*
 * Two steps of different tasks are dependent when they touch a common object
 * and at least one of them writes it. Every operation on a lock (including a
 * failed trylock) counts as a write of the lock: the order of two lock
 * operations can change what either of them observes. The exception is two
 * shared (reader) operations on one rwsem: they commute, and neither can
 * disable the other.
 */
constexpr bool dependent(const Access &a, const Access &b)
{
	if (a.kind == AccessKind::Local || b.kind == AccessKind::Local)
		return false;
	if (isSharedLockOp(a.kind) && isSharedLockOp(b.kind))
		return false;
	if (!isWriteLike(a.kind) && !isWriteLike(b.kind))
		return false;
	auto touches = [](const Access &x, ObjectId o) {
		return o != kNoObject && (x.object == o || x.object2 == o || x.object3 == o);
	};
	return touches(b, a.object) || touches(b, a.object2) || touches(b, a.object3);
}

} // namespace mmrace
