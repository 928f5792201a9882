/* SPDX-License-Identifier: GPL-2.0 */
#include "sync.hpp"

#include <bit>
#include <vector>

namespace mmrace::model {

const char *lockClassName(LockClass c)
{
	switch (c) {
	case LockClass::MmapLock: return "&mm->mmap_lock";
	case LockClass::FolioLock: return "folio_lock (PG_locked)";
	case LockClass::AnonVmaRwsem: return "&anon_vma->rwsem";
	case LockClass::Ptl: return "ptlock_ptr(ptdesc)";
	case LockClass::PmdLock: return "pmd_lockptr() (split PMD ptlock)";
	case LockClass::VmaLock: return "&vma->vm_lock";
	case LockClass::IMmapRwsem: return "&mapping->i_mmap_rwsem";
	case LockClass::PageTableLock: return "&mm->page_table_lock";
	case LockClass::Count: break;
	}
	return "?";
}

int lockClassRank(LockClass c)
{
	switch (c) {
	case LockClass::MmapLock: return 10;
	case LockClass::FolioLock: return 30;
	case LockClass::AnonVmaRwsem: return 60;
	case LockClass::Ptl: return 80;
	case LockClass::PmdLock: return 70;
	/* Faults take it before the folio lock (reference section 2c). */
	case LockClass::VmaLock: return 25;
	/* reference section 2c: after mmap_lock, before anon_vma->rwsem */
	case LockClass::IMmapRwsem: return 50;
	/* "anon_vma.lock -> page_table_lock|pte_lock" (mm/filemap.c) */
	case LockClass::PageTableLock: return 70;
	case LockClass::Count: break;
	}
	return 0;
}

bool lockClassSleeps(LockClass c)
{
	return c != LockClass::Ptl && c != LockClass::PmdLock && c != LockClass::PageTableLock;
}

bool Lock::canProceed(AccessKind kind, TaskId) const
{
	if (kind == AccessKind::AcquireShared)
		return writer_ == kNoTask;
	if (kind == AccessKind::Acquire)
		return free();
	return true;
}

std::string Lock::holderNames() const
{
	std::string out;
	auto name = [&](TaskId t) {
		return taskNames_ && t < taskNames_->size() ? (*taskNames_)[t]
							     : "task " + std::to_string(t);
	};
	if (writer_ != kNoTask)
		out = name(writer_);
	for (std::uint64_t m = readers_; m; m &= m - 1) {
		if (!out.empty())
			out += ", ";
		out += name(static_cast<TaskId>(std::countr_zero(m))) + " (read)";
	}
	return out.empty() ? "nobody" : out;
}

std::string Lock::describeWait(AccessKind kind) const
{
	const char *how = kind == AccessKind::AcquireShared ? "read" : "exclusive";
	return name_ + " (" + how + "), held by " + holderNames();
}

void Lock::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (writer_ != kNoTask)
		emit(arg, writer_);
	for (std::uint64_t m = readers_; m; m &= m - 1)
		emit(arg, static_cast<TaskId>(std::countr_zero(m)));
}

} // namespace mmrace::model
