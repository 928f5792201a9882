/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * What model operations use to touch shared state: every accessor declares
 * its access at a scheduling point first (labelled with the kernel step),
 * then reads or writes the World and records an event for the checkers.
 * Task-local computation (a PTE value already read, an address) needs none.
 */

#include "scheduler/execution.hpp"
#include "world.hpp"

namespace mmrace::model {

class Kernel {
public:
	Kernel(Execution &exec, World &world) : exec_(exec), world_(world) {}

	World &world() { return world_; }
	Execution &exec() { return exec_; }
	TaskId self() const { return exec_.current(); }
	bool guard(Guard g) const { return world_.guards().on(g); }

	/* Locks. `subclass` is lockdep's nesting annotation (spin_lock_nested). */
	void lock(Lock &l, const char *label, int subclass = 0);	/* spin_lock, folio_lock, down_write */
	bool trylock(Lock &l, const char *label);			/* spin_trylock, folio_trylock, down_write_trylock */
	void unlock(Lock &l, const char *label);
	void lockShared(Lock &l, const char *label);			/* down_read */
	bool trylockShared(Lock &l, const char *label);			/* down_read_trylock */
	void unlockShared(Lock &l, const char *label);

	/* Page tables. */
	Pte readPte(PteRef r, const char *label);
	/* set_pte_at(), or ptep_get_and_clear() using the returned old value */
	Pte writePte(PteRef r, const Pte &v, const char *label);

	/* Folio fields. */
	AnonVmaIdx readMapping(FolioIdx f, const char *label);
	void writeMapping(FolioIdx f, AnonVmaIdx a, const char *label);
	std::uint64_t readIndex(FolioIdx f, const char *label);
	void writeIndex(FolioIdx f, std::uint64_t index, const char *label);
	int readMapcount(FolioIdx f, const char *label);
	int readRefcount(FolioIdx f, const char *label);
	void addRefcount(FolioIdx f, int delta, const char *label);	/* folio_get/put */
	bool readPageAnonExclusive(FolioIdx f, const char *label);

	/* anon_vma. */
	std::vector<VmaIdx> readAnonVmaTree(AnonVmaIdx a, const char *label);
	bool anonVmaTryGet(AnonVmaIdx a, const char *label);	/* atomic_inc_not_zero */
	void anonVmaPut(AnonVmaIdx a, const char *label);

	/*
	 * Ghost: rmap walk bracketing. beginWalk is the walk's first real step,
	 * reading folio->index (folio_pgoff()), and also observes F's rmap;
	 * endWalk is an observer step after the last entry was looked at. Both
	 * conflict with every store that (un)maps F, so the verdict does not
	 * depend on the order of independent steps.
	 */
	int beginWalk(FolioIdx f, AnonVmaIdx a, const char *walker, bool heuristic,
		      const char *label);
	void visitWalk(int walk, PteRef r);
	void endWalk(int walk, const char *label);

private:
	void point(ObjectId obj, AccessKind kind, const char *label, const SyncObject *sync = nullptr,
		   ObjectId obj2 = kNoObject)
	{
		exec_.point({obj, obj2, kind, label, sync});
	}
	void acquired(Lock &l, bool shared, bool trylock, int subclass, const char *label);
	void released(Lock &l, const char *label);

	Execution &exec_;
	World &world_;
};

} // namespace mmrace::model
