/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Kernel sync primitives on the scheduler: spinlock (the PTL), rwsem
 * (mmap_lock, anon_vma->rwsem) and the folio lock bit (PG_locked, a sleeping
 * lock with trylock). Each lock belongs to a lock class for the lockdep-style
 * checker. A lock here is state only: acquiring and releasing go through
 * Kernel (kernel.hpp), which declares the access first.
 *
 * Limitation: rwsem readers are not blocked by a waiting writer (no handoff),
 * so read-read deadlocks through a queued writer are not modelled.
 */

#include <cstdint>
#include <string>
#include <vector>

#include "objects.hpp"
#include "scheduler/sync_object.hpp"

namespace mmrace::model {

enum class LockClass : std::uint8_t {
	MmapLock,	/* &mm->mmap_lock, rwsem */
	FolioLock,	/* PG_locked (lockdep does not track it; we do) */
	AnonVmaRwsem,	/* &anon_vma->rwsem (of the root) */
	Ptl,		/* ptlock_ptr(ptdesc), split PTE lock */
	PmdLock,	/* pmd_lockptr(): the PMD table page's split ptlock */
	VmaLock,	/* the per-VMA lock (vma_start_read/vma_start_write) */
	/* khugepaged */
	IMmapRwsem,	/* &mapping->i_mmap_rwsem */
	PageTableLock,	/* &mm->page_table_lock (not the PMD lock: split PMD ptlocks) */
	/* end khugepaged */
	Count,
};

const char *lockClassName(LockClass c);
bool lockClassSleeps(LockClass c);
/*
 * Rank in the documented mm lock order (mm/rmap.c's header comment,
 * docs/checking.md, lock-rank): a lock may be taken, blocking, only
 * while holding locks of lower rank (same rank only nested, see lockdep).
 */
int lockClassRank(LockClass c);

class Lock : public SyncObject {
public:
	Lock(LockClass cls, std::uint32_t serial, std::string name)
		: cls_(cls), id_(objectId(ObjKind::Lock, serial)), name_(std::move(name))
	{
	}

	LockClass lockClass() const { return cls_; }
	ObjectId id() const { return id_; }
	const std::string &name() const { return name_; }
	bool sleeps() const { return lockClassSleeps(cls_); }

	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

	/* State changes, made by Kernel after the scheduling point. */
	bool free() const { return writer_ == kNoTask && readers_ == 0; }
	bool heldBy(TaskId t) const { return writer_ == t || (readers_ >> t) & 1; }
	TaskId writer() const { return writer_; }
	std::uint64_t readers() const { return readers_; }
	void setWriter(TaskId t) { writer_ = t; }
	void addReader(TaskId t) { readers_ |= std::uint64_t{1} << t; }
	void dropReader(TaskId t) { readers_ &= ~(std::uint64_t{1} << t); }

	/* For messages: "held by mover" needs task names. */
	void setTaskNames(const std::vector<std::string> *names) { taskNames_ = names; }

private:
	std::string holderNames() const;

	LockClass cls_;
	ObjectId id_;
	std::string name_;
	TaskId writer_ = kNoTask;
	std::uint64_t readers_ = 0;
	const std::vector<std::string> *taskNames_ = nullptr;
};

} // namespace mmrace::model
