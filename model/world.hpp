/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The mm state of one execution, rebuilt from the scenario before every
 * execution (objects live in vectors addressed by typed indices, so a reset
 * is a rebuild of a few small vectors).
 *
 * Per-field locking rules (what the checker enforces), next to the fields:
 *   Pte                    written under its table's PTL
 *   Folio::mapping, index  written under the folio lock (plus, before Seed E,
 *                          the old root's rwsem for write if the root changes)
 *   AnonVma::vmas          changed under the root's rwsem for write (not yet
 *                          changed by any operation)
 *
 * Besides kernel state the World keeps ghost state for the checkers: the
 * locks each task holds, the rmap walks in progress, and the events of the
 * current step (what was written, acquired, walked).
 */

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "guards.hpp"
#include "objects.hpp"
#include "sync.hpp"

namespace mmrace::scenarios {
struct Scenario;
}

namespace mmrace::model {

inline constexpr std::uint64_t kPageSize = 4096;
inline constexpr std::uint64_t kPmdSize = 512 * kPageSize;

struct Pte {
	enum class Kind : std::uint8_t { None, Present };
	Kind kind = Kind::None;
	FolioIdx folio = kNone;
	bool writable = false;
	bool dirty = false;
	bool young = false;

	bool present() const { return kind == Kind::Present; }
	bool mapsFolio(FolioIdx f) const { return present() && folio == f; }
	bool operator==(const Pte &) const = default;	/* pte_same() */
};

struct PteTable {
	std::uint64_t base = 0;	/* PMD-aligned address it covers */
	std::unique_ptr<Lock> ptl;
	std::vector<Pte> entries = std::vector<Pte>(512);
};

struct Folio {
	std::string name;
	int refcount = 0;
	int mapcount = 0;
	bool anon = true;
	bool pae = false;		/* PageAnonExclusive of its (only) page */
	AnonVmaIdx mapping = kNone;	/* folio->mapping (anon_vma | PAGE_MAPPING_ANON) */
	std::uint64_t index = 0;	/* folio->index, in pages */
	std::uint64_t content = 0;
	std::unique_ptr<Lock> lock;	/* PG_locked */
};

struct AnonVma {
	std::string name;
	AnonVmaIdx root = kNone;
	std::unique_ptr<Lock> rwsem;	/* only the root's is used */
	std::vector<VmaIdx> vmas;	/* the interval tree, in rmap walk order */
	int refcount = 1;
};

struct Vma {
	std::string name;
	std::uint64_t start = 0, end = 0;
	std::uint64_t pgoff = 0;	/* in pages; start >> PAGE_SHIFT for fresh anon VMAs */
	AnonVmaIdx anonVma = kNone;
	bool uffdMissing = false;

	bool contains(std::uint64_t addr) const { return addr >= start && addr < end; }
	/* linear_page_index() */
	std::uint64_t pageIndex(std::uint64_t addr) const { return pgoff + (addr - start) / kPageSize; }
	/* vma_address(): the address of page index `pgoff`, if inside the VMA */
	bool addressOf(std::uint64_t index, std::uint64_t &addr) const
	{
		if (index < pgoff || index >= pgoff + (end - start) / kPageSize)
			return false;
		addr = start + (index - pgoff) * kPageSize;
		return true;
	}
};

struct HeldLock {
	Lock *lock;
	bool shared;
	bool trylock;
	int subclass;
	std::uint64_t step;	/* step that acquired it */
	const char *label;
};

/* An rmap walk in progress (ghost state for I-1 and I-2). */
struct RmapWalk {
	TaskId task = kNoTask;
	const char *walker = "";	/* "folio_referenced" */
	bool heuristic = false;		/* a miss costs performance, not correctness */
	FolioIdx folio = kNone;
	AnonVmaIdx anonVma = kNone;	/* the anon_vma whose tree is walked */
	std::uint64_t pgoff = 0;	/* folio_pgoff() as read at the start */
	std::uint64_t beginStep = 0;
	std::vector<PteRef> throughout;	/* mapped F at the start, not written since */
	std::vector<PteRef> visited;
	bool active = false;
	bool reported = false;		/* one finding per walk is enough */
};

/* An operation's return value, as the syscall or function would report it. */
struct OpResult {
	TaskId task;
	const char *op;
	long value;	/* bytes moved or -errno; folio_referenced's count, -1 contended */
};

/* What happened in the current step, for the checkers. */
struct Event {
	enum class Kind : std::uint8_t {
		Acquiring,	/* about to block on a lock: might_sleep(), lockdep */
		Acquired,
		Released,
		PteWritten,
		MappingWritten,
		IndexWritten,
		WalkBegin,
		WalkEnd,
	};
	Kind kind;
	TaskId task;
	Lock *lock = nullptr;
	bool trylock = false;
	bool shared = false;
	int subclass = 0;
	PteRef pte;
	Pte oldPte, newPte;
	FolioIdx folio = kNone;
	std::uint64_t oldValue = 0, newValue = 0;
	int walk = -1;
	const char *label = "";
};

class World {
public:
	/* Builds the initial state; throws std::invalid_argument on nonsense the
	 * loader should have rejected. */
	World(const scenarios::Scenario &scenario, const GuardSet &guards,
	      const std::vector<std::string> &taskNames);

	const GuardSet &guards() const { return guards_; }

	/* Kernel state. */
	std::vector<Folio> folios;
	std::vector<AnonVma> anonVmas;
	std::vector<Vma> vmas;
	std::vector<PteTable> tables;
	std::unique_ptr<Lock> mmapLock;

	/* Lookups (immutable layout: VMAs and tables do not change yet). */
	VmaIdx findVma(std::uint64_t addr) const;
	PteRef pteFor(std::uint64_t addr) const;	/* table must exist */
	std::uint64_t addressOf(PteRef r) const { return tables[r.table].base + r.slot * kPageSize; }
	Pte &pte(PteRef r) { return tables[r.table].entries[r.slot]; }
	const Pte &pte(PteRef r) const { return tables[r.table].entries[r.slot]; }
	Lock &ptl(PteRef r) { return *tables[r.table].ptl; }
	FolioIdx findFolio(const std::string &name) const;
	AnonVmaIdx findAnonVma(const std::string &name) const;
	Lock &rootRwsem(AnonVmaIdx a) { return *anonVmas[anonVmas[a].root].rwsem; }
	/* Every present PTE mapping f (ghost scan). */
	std::vector<PteRef> mappingsOf(FolioIdx f) const;

	/* Ghost: held locks per task, in acquisition order. */
	std::vector<std::vector<HeldLock>> held;
	bool holds(TaskId t, const Lock &l) const;

	/* Ghost: rmap walks (index = walk id). */
	std::vector<RmapWalk> walks;

	/* Results of completed operations, in completion order. */
	std::vector<OpResult> results;

	/* Ghost: events of the current step; the checker drains them. */
	std::vector<Event> events;

	/* Every lock, for names and lockdep ids. */
	std::vector<Lock *> locks;

	const std::vector<std::string> &taskNames() const { return taskNames_; }

private:
	Lock *newLock(LockClass cls, std::string name);

	GuardSet guards_;
	std::vector<std::string> taskNames_;
};

} // namespace mmrace::model
