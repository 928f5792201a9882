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

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
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
inline constexpr std::uint64_t kPudSize = 512 * kPmdSize;	/* what one PMD page maps */
/* include/linux/mm.h: a FOLL_PIN on a small folio adds this to _refcount. */
inline constexpr int kGupPinCountingBias = 1024;

/*
 * A PTE: none, present, a swap entry or a migration entry.
 *   Present:   folio, writable, dirty, young
 *   Swap:      swap slot, exclusive (pte_swp_exclusive)
 *   Migration: folio (the source), writable (make_writable_migration_entry),
 *              exclusive (readable_exclusive; implied by writable)
 * Swap and migration entries hold neither a mapcount nor a reference.
 */
struct Pte {
	enum class Kind : std::uint8_t { None, Present, Swap, Migration };
	Kind kind = Kind::None;
	FolioIdx folio = kNone;
	SwapIdx swap = kNone;
	bool writable = false;
	bool dirty = false;
	bool young = false;
	bool exclusive = false;

	bool none() const { return kind == Kind::None; }
	bool present() const { return kind == Kind::Present; }
	bool isSwap() const { return kind == Kind::Swap; }
	bool isMigration() const { return kind == Kind::Migration; }
	bool mapsFolio(FolioIdx f) const { return present() && folio == f; }
	/* Present or migration: the entry rmap must find (I-1). */
	bool refersTo(FolioIdx f) const { return (present() || isMigration()) && folio == f; }
	bool operator==(const Pte &) const = default;	/* pte_same() */

	static Pte makePresent(FolioIdx f, bool writable, bool dirty = false, bool young = true)
	{
		Pte p;
		p.kind = Kind::Present;
		p.folio = f;
		p.writable = writable;
		p.dirty = dirty;
		p.young = young;
		return p;
	}
	static Pte makeSwap(SwapIdx s, bool exclusive)
	{
		Pte p;
		p.kind = Kind::Swap;
		p.swap = s;
		p.exclusive = exclusive;
		return p;
	}
	static Pte makeMigration(FolioIdx f, bool writable, bool exclusive)
	{
		Pte p;
		p.kind = Kind::Migration;
		p.folio = f;
		p.writable = writable;
		p.exclusive = exclusive || writable;
		return p;
	}
};

/* A PTE table: a page of 512 entries with its split PTE lock. */
struct PteTable {
	std::uint64_t base = 0;	/* PMD-aligned address it covers (while installed) */
	std::unique_ptr<Lock> ptl;
	std::vector<Pte> entries = std::vector<Pte>(512);
	bool freed = false;	/* pte_free() / tlb_remove_table() done */
	PmdIdx installedAt = kNone;	/* the PMD entry pointing at it, kNone: detached */
};

/*
 * A PMD entry: none, a PTE table, a PMD-mapped THP (leaf) or a PMD
 * migration entry. Only Table is produced by the operations so far.
 */
struct Pmd {
	enum class Kind : std::uint8_t { None, Table, Leaf, Migration };
	Kind kind = Kind::None;
	TableIdx table = kNone;
	FolioIdx folio = kNone;

	bool isTable() const { return kind == Kind::Table; }
	bool operator==(const Pmd &) const = default;	/* pmd_same() */
};

/* One PMD slot of the mm, covering [base, base + 2 MiB). */
struct PmdSlot {
	std::uint64_t base = 0;
	Pmd entry;
	/* pud_none(): no PMD page covers this slot's 1 GiB yet (only slots
	 * made for an mremap destination in a region no VMA touches); the
	 * first pmd_alloc() there populates the PUD for every such slot */
	bool pudNone = false;
	bool pudNoneAtStart = false;	/* static: its reads also read the PUD */
};

struct Folio {
	std::string name;
	int refcount = 0;	/* _refcount; FOLL_PIN adds kGupPinCountingBias */
	int mapcount = 0;	/* present PTEs mapping it */
	bool anon = true;
	bool pae = false;		/* PageAnonExclusive of its (only) page */
	AnonVmaIdx mapping = kNone;	/* folio->mapping (anon_vma | PAGE_MAPPING_ANON) */
	std::uint64_t index = 0;	/* folio->index, in pages */
	std::uint64_t content = 0;	/* the page's data */
	bool swapcache = false;		/* PG_swapcache */
	SwapIdx swap = kNone;		/* folio->swap, valid with PG_swapcache */
	bool writeback = false;		/* PG_writeback */
	bool dirty = false;		/* PG_dirty */
	bool lru = true;		/* PG_lru (isolation clears it) */
	bool freed = false;		/* refcount dropped to 0 and it went back to the allocator */
	/* folio_test_large(): the model maps small folios only; a "large"
	 * folio is one MREMAP_RELOCATE_ANON refuses (the posted v1's forward
	 * pass fails on it), otherwise it behaves as a small one */
	bool large = false;
	std::unique_ptr<Lock> lock;	/* PG_locked */

	/* folio_maybe_dma_pinned() for a small folio */
	bool maybeDmaPinned() const { return refcount >= kGupPinCountingBias; }
};

/* A swap slot (swap_map[offset] and the swap cache's entry for it). */
struct SwapSlot {
	bool allocated = false;
	int count = 0;			/* swap PTEs and other users (swap_map count) */
	FolioIdx cache = kNone;		/* the swap cache's folio, if any */
	std::uint64_t data = 0;		/* what the device holds */
	bool written = false;		/* data was written out */
	/* SWAP_HAS_CACHE without a swap cache folio: swapcache_prepare() of
	 * the SWP_SYNCHRONOUS_IO swapin, until swapcache_clear() */
	bool pinned = false;
};

/* The swap device (one). */
struct SwapDevice {
	bool stableWrites = false;	/* SWP_STABLE_WRITES (bdev needs stable pages) */
	bool synchronousIo = false;	/* SWP_SYNCHRONOUS_IO (zram-like) */
	std::vector<SwapSlot> slots;
};

/*
 * A TLB entry on one CPU (x86-64): this mm's page at addr translates to
 * folio, with the PTE's R/W and D bits as the walk that filled it found
 * them. A store through an entry without D (or without R/W) is not a plain
 * hit: the CPU walks the page table again to set D (Kernel::tlbAccess).
 */
struct TlbEntry {
	std::uint64_t addr = 0;
	FolioIdx folio = kNone;
	bool writable = false;
	bool dirty = false;
	std::uint64_t filledStep = 0;
};

struct AnonVma {
	std::string name;
	AnonVmaIdx root = kNone;
	std::unique_ptr<Lock> rwsem;	/* only the root's is used */
	std::vector<VmaIdx> vmas;	/* the interval tree, in rmap walk order */
	int refcount = 1;
};

/*
 * A file (shmem inode) mapped by file VMAs: its address_space's
 * i_mmap_rwsem and i_mmap tree. The page cache is not modelled: the page at
 * index i holds fileContent(i) (what a read of a file VMA with no PTE there
 * sees); collapse_file() having replaced it by a locked huge folio is the
 * starting point of retract_page_tables() (model/ops/khugepaged.cpp).
 */
struct File {
	std::string name;
	std::unique_ptr<Lock> iMmapRwsem;	/* mapping->i_mmap_rwsem */
	std::vector<VmaIdx> iMmap;		/* mapping->i_mmap, in vm_pgoff order */

	std::uint64_t content(std::uint64_t index) const
	{
		return (std::hash<std::string>{}(name) + index * 0x9e3779b97f4a7c15ull) | 1;
	}
};

struct Vma {
	std::string name;
	std::uint64_t start = 0, end = 0;
	std::uint64_t pgoff = 0;	/* in pages; start >> PAGE_SHIFT for fresh anon VMAs */
	AnonVmaIdx anonVma = kNone;
	bool uffdMissing = false;
	bool uffdWp = false;		/* VM_UFFD_WP: userfaultfd_wp(vma) */
	FileIdx file = kNone;		/* vm_file (MAP_PRIVATE of a shmem file); kNone: anon */
	bool writable = true;		/* VM_WRITE */
	bool detached = false;		/* unmapped: no longer in the mm's VMA tree */
	std::unique_ptr<Lock> lock;	/* the per-VMA lock (vma_start_read/write) */

	bool contains(std::uint64_t addr) const { return !detached && addr >= start && addr < end; }
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

/* A GUP reference a task holds (ghost: who pinned what, where). */
struct GupRef {
	TaskId task = kNoTask;
	FolioIdx folio = kNone;
	std::uint64_t addr = 0;
	bool pin = true;	/* FOLL_PIN (else FOLL_GET) */
	bool write = false;	/* FOLL_WRITE */
	std::uint64_t step = 0;
	bool released = false;
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
	FolioIdx migrationOf = kNone;	/* tracks this folio's migration entries instead */
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

/*
 * Ghost: the address ranges an operation in progress may change page-table
 * entries in (mremap: its old and new range), per task (range-safety, I-10).
 */
struct OpRanges {
	const char *op = nullptr;	/* nullptr: nothing declared */
	std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;

	bool covers(std::uint64_t addr) const
	{
		for (const auto &[s, e] : ranges)
			if (addr >= s && addr < e)
				return true;
		return false;
	}
};

/* Ghost: one mremap's sequential specification, checked when it returns. */
struct RemapRecord {
	TaskId task = kNoTask;
	std::uint64_t oldAddr = 0, len = 0, newAddr = 0;	/* newAddr: where it moved to */
	std::uint64_t newLen = 0;	/* mremap-shapes: the requested new length */
	bool needRmapLocks = false;	/* mremap-shapes: copy_vma()'s *need_rmap_locks */
	/* per page of the old range: an entry when this mremap first
	 * write-locked a VMA over the range (snapshotTaken); all false if it
	 * never did (the no-resize return, or an early error) */
	std::vector<bool> hadEntry;
	bool snapshotTaken = false;
	bool noResize = false;	/* mremap_at()'s MREMAP_NO_RESIZE return */
	bool shrunkInPlace = false; /* mremap_at()'s MREMAP_SHRINK return (no range check) */
	std::uint64_t movedLen = 0;	/* move_page_tables()'s return (unsigned long) */
	bool moved = false;		/* move_page_tables() ran */
	long result = 0;		/* the syscall's return */
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
		PmdWritten,
		FolioFreed,	/* refcount reached 0: back to the allocator */
		TableFreed,	/* a PTE table page freed */
		StaleTableAccess,	/* an access to an entry of a freed table */
		UserRead,	/* a completed user or DMA read: value */
		UserWrite,	/* a completed user or DMA write: value */
		PinTaken,	/* a GUP reference taken (gupRef) */
		PinReleased,
		SwapFreed,	/* a swap slot's count reached 0 and it was freed */
		MightSleep,	/* a sleeping wait (not a lock): might_sleep() */
		Warn,		/* a VM_WARN_ON/VM_BUG_ON the model reproduces: label, text */
		PaeCleared,	/* PageAnonExclusive of folio went from set to clear */
		RemapDone,	/* mremap returned: record (World::remaps) */
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
	TableIdx table = kNone;
	PmdIdx pmd = kNone;
	Pmd oldPmd, newPmd;
	SwapIdx swap = kNone;
	std::uint64_t addr = 0;
	int gupRef = -1;
	bool dma = false;		/* UserRead/UserWrite through a GUP pin */
	bool known = false;		/* UserRead: the oracle knows the expected value */
	bool legal = true;		/* UserRead: the value is one a linearisation allows */
	const char *label = "";
	std::string text;		/* Warn: the condition */
	int record = -1;		/* RemapDone: World::remaps index */
};

class World;

/*
 * An IPI to one CPU (a TLB flush, or tlb_remove_table_sync_one()'s
 * smp_call_function(wait=1)): a CPU with IRQs off does not answer until it
 * enables them again, which is what keeps GUP-fast's walk safe.
 */
class CpuIpi : public SyncObject {
public:
	CpuIpi(const World &w, TaskId cpu) : w_(w), cpu_(cpu) {}
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
	TaskId cpu_;
};

/*
 * oracle-rcu: with broadcast TLB invalidation (arm64 TLBI + DSB, AMD INVLPGB
 * + TLBSYNC) the flush completes only after the CPU's in-flight
 * translations (a hardware walk, a TLB hit and its access) are done: the
 * flush waits until the CPU has no user instruction in flight.
 */
class CpuWalk : public SyncObject {
public:
	CpuWalk(const World &w, TaskId cpu) : w_(w), cpu_(cpu) {}
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
	TaskId cpu_;
};

/* synchronize_rcu(): waits for every read section that began before it. */
class RcuSync : public SyncObject {
public:
	explicit RcuSync(const World &w) : w_(w) {}
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
};

/* Waiting for a folio flag to clear (folio_wait_bit: PG_locked, PG_writeback). */
/*
 * A spin loop reduced to a wait: a retry that would find the same state
 * again (folio_try_get() on a frozen folio) blocks until what it read has
 * changed. Without this an unfair schedule spins forever and the step bound
 * calls it a livelock; with it the retry happens once per change, as under
 * any fair scheduler.
 */
class SpinWait : public SyncObject {
public:
	void set(std::function<bool()> changed, const char *what)
	{
		changed_ = std::move(changed);
		what_ = what;
	}
	bool canProceed(AccessKind, TaskId) const override { return changed_(); }
	std::string describeWait(AccessKind) const override { return what_; }
	void holders(void (*)(void *, TaskId), void *) const override {}

private:
	std::function<bool()> changed_;
	const char *what_ = "";
};

/*
 * pte_free_defer()'s grace period, for the readers that can still reach a
 * detached table: the tasks inside __pte_offset_map()'s RCU section on it
 * (from the lockless PMD read to pte_unmap_unlock(), World::pteMapRcu).
 */
class PteMapWait : public SyncObject {
public:
	explicit PteMapWait(const World &w) : w_(w) {}
	void set(TableIdx t) { table_ = t; }
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
	TableIdx table_ = kNone;
};

class FolioBitWait : public SyncObject {
public:
	FolioBitWait(const World &w) : w_(w) {}
	void set(FolioIdx f, bool writeback)
	{
		folio_ = f;
		writeback_ = writeback;
	}
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
	FolioIdx folio_ = kNone;
	bool writeback_ = false;
};

/*
 * io-completion: one swap write-out bio the environment completes
 * (end_swap_bio_write() from the block layer's completion interrupt). A
 * bio is either the write-out of a scenario page in flight at the start
 * (`"writeback": true`) or the one a `reclaim` op's pageout() may submit;
 * each has an environment task (MmProgram, a daemon task of the execution)
 * that completes it at any point after its submission; one whose bio is
 * never submitted stays blocked, which ends no execution early.
 */
struct Bio {
	enum class State : std::uint8_t { Pending, Submitted, Done };
	State state = State::Pending;
	FolioIdx folio = kNone; /* the folio under writeback */
	TaskId owner = kNoTask; /* the task whose reclaim op may submit it */
	std::string task;	/* the environment task's name */
};

/* The environment task of one bio waits until it was submitted. */
class BioWait : public SyncObject
{
public:
	BioWait(const World &w, int bio) : w_(w), bio_(bio) {}
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
	int bio_;
};

/* Waiting for a swap slot's SWAP_HAS_CACHE pin to go (swapcache_wq). */
class SwapCacheWait : public SyncObject {
public:
	SwapCacheWait(const World &w) : w_(w) {}
	void set(SwapIdx s) { slot_ = s; }
	bool canProceed(AccessKind kind, TaskId task) const override;
	std::string describeWait(AccessKind kind) const override;
	void holders(void (*emit)(void *, TaskId), void *arg) const override;

private:
	const World &w_;
	SwapIdx slot_ = kNone;
};

class World {
public:
	/* Builds the initial state; throws std::invalid_argument on nonsense the
	 * loader should have rejected. taskNames: the scenario's threads (each
	 * a task on its own CPU), then the environment tasks (no CPU of the
	 * mm: no TLB, never IPIed), `cpus` of them are CPUs (default all). */
	World(const scenarios::Scenario &scenario, const GuardSet &guards,
	      const std::vector<std::string> &taskNames, std::size_t cpus = ~std::size_t{0});

	/* io-completion: the bios a scenario can have in flight, in the order
	 * World::bios holds them (the pages under writeback at the start,
	 * then one per reclaim op in thread and op order), with the names of
	 * their environment tasks. None if the scenario names writeback_done:
	 * it then pins every completion itself. */
	static std::vector<Bio> bioPlan(const scenarios::Scenario &scenario);
	std::vector<Bio> bios;
	std::vector<std::unique_ptr<BioWait>> bioWait;
	/* bindOp(): the next reclaim op's bio, -1 if none */
	int takeReclaimBio();
	std::size_t reclaimBioCursor = 0;

	const GuardSet &guards() const { return guards_; }

	/* Kernel state. */
	std::vector<Folio> folios;
	std::vector<AnonVma> anonVmas;
	std::vector<Vma> vmas;
	std::vector<PteTable> tables;
	std::vector<PmdSlot> pmds;		/* one per 2 MiB any VMA touches */
	std::unique_ptr<Lock> mmapLock;
	/* pmd_lockptr(): with split PMD ptlocks (x86-64) the PMD table page's
	 * lock, one for the model's PMD slots; NOT mm->page_table_lock */
	std::unique_ptr<Lock> pmdLock;
	/* mm->page_table_lock itself (__anon_vma_prepare) */
	std::unique_ptr<Lock> pageTableLock;
	std::vector<File> files;
	SwapDevice swap;
	int writeProtectSeq = 0;		/* mm->write_protect_seq (fork) */
	bool tlbBroadcast = false;		/* flushes need no IPI (INVLPGB) */

	/* Per CPU (one CPU per task). */
	std::vector<std::vector<TlbEntry>> tlb;
	std::vector<bool> irqOff;		/* inside local_irq_save() */
	std::vector<TaskId> ipiHolder;		/* whose IPI handler runs there */
	std::vector<int> rcuDepth;		/* rcu_read_lock() nesting */
	std::vector<std::uint64_t> rcuExits;	/* read sections left so far */
	/* synchronize_rcu() snapshot: the readers it waits for, per waiter */
	std::vector<std::vector<std::pair<TaskId, std::uint64_t>>> rcuWaitFor;
	std::vector<std::unique_ptr<CpuIpi>> cpuIpi;		/* per CPU */
	/* oracle-rcu: per CPU, a user instruction in flight (broadcast flush only) */
	std::vector<bool> hwInFlight;
	std::vector<std::unique_ptr<CpuWalk>> cpuWalk;
	RcuSync rcuSync{*this};
	std::vector<std::unique_ptr<FolioBitWait>> bitWait;	/* per task */
	std::vector<std::unique_ptr<SpinWait>> spinWait;	/* per task */
	std::vector<std::unique_ptr<SwapCacheWait>> swapWait;	/* per task */
	/* Ghost: which task holds each slot's SWAP_HAS_CACHE pin */
	std::vector<TaskId> swapPinnedBy;

	/* Ghost: GUP references taken (index = id), and the logical memory:
	 * the last completed write to each user address (I-8). */
	std::vector<GupRef> gupRefs;
	std::vector<bool> gupRefRemapped;	/* the user unmapped the pinned address */
	std::map<std::uint64_t, std::uint64_t> memory;
	/* lost-write linearisability: the set of values a load of an address
	 * may legally return is {memory[a]} plus memoryAlso[a] (values of
	 * writes whose order against a concurrent move no linearisation fixes),
	 * memoryStep[a] the step that gave memory[a] its value. A move in
	 * flight forwards stores to its source pages (memForward) to the
	 * destination: a store that succeeded at the source is linearised
	 * before the move (docs/checking.md, "lost-write by linearisability"). */
	std::map<std::uint64_t, std::vector<std::uint64_t>> memoryAlso;
	std::map<std::uint64_t, std::uint64_t> memoryStep;
	struct MemForward {
		TaskId task;
		std::uint64_t from, to, step;
	};
	std::vector<MemForward> memForward;
	std::vector<std::uint64_t> opBegin;	/* per task: the current op's first step */
	bool memoryLegal(std::uint64_t addr, std::uint64_t value) const
	{
		auto it = memory.find(addr);
		if (it == memory.end() || it->second == value)
			return true;
		auto al = memoryAlso.find(addr);
		return al != memoryAlso.end() &&
		       std::find(al->second.begin(), al->second.end(), value) != al->second.end();
	}
	/* end lost-write linearisability */
	/* Ghost: ranges a MADV_DONTNEED is discarding right now: what they
	 * read is either the old data or zero, and a store into them is not
	 * promised until the discard is over (madvise.cpp). */
	struct Discard {
		TaskId task;
		std::uint64_t start, end;
	};
	std::vector<Discard> discarding;
	bool discarded(std::uint64_t addr) const
	{
		for (const Discard &d : discarding)
			if (addr >= d.start && addr < d.end)
				return true;
		return false;
	}
	std::uint64_t nextWriteValue = 0x1000;	/* bind-time default values */
	/* Ghost: the LRU as `reclaim` at an address sees it: the folio that
	 * was put on the LRU for each user page last (the scenario's pages at
	 * the start, then folio_add_lru() of a fault's new folio), read and
	 * written under lruObject(addr). The kernel's reclaim takes folios
	 * from the LRU, never through the page table. */
	std::map<std::uint64_t, FolioIdx> lruAt;

	/* Lookups. */
	VmaIdx findVma(std::uint64_t addr) const;
	/* kNone if no slot was made for it: at load (VMAs, mremap
	 * destinations) or by Kernel::pmdAlloc() since */
	PmdIdx pmdFor(std::uint64_t addr) const;
	/* The PTE for addr through the PMD as it is now (ghost lookup, no
	 * point); table kNone if the PMD holds no table. */
	PteRef pteFor(std::uint64_t addr) const;
	PteRef pteIn(TableIdx t, std::uint64_t addr) const
	{
		return {t, static_cast<std::uint32_t>((addr % kPmdSize) / kPageSize)};
	}
	std::uint64_t addressOf(PteRef r) const { return tables[r.table].base + r.slot * kPageSize; }
	Pte &pte(PteRef r) { return tables[r.table].entries[r.slot]; }
	const Pte &pte(PteRef r) const { return tables[r.table].entries[r.slot]; }
	Lock &ptl(PteRef r) { return *tables[r.table].ptl; }
	FolioIdx findFolio(const std::string &name) const;
	AnonVmaIdx findAnonVma(const std::string &name) const;
	Lock &rootRwsem(AnonVmaIdx a) { return *anonVmas[anonVmas[a].root].rwsem; }
	/* Every present PTE mapping f (ghost scan of installed tables). */
	std::vector<PteRef> mappingsOf(FolioIdx f) const;
	/* Every present or migration entry referring to f, in any live table. */
	std::vector<PteRef> entriesReferring(FolioIdx f) const;
	/* A new folio (alloc_anon_folio() / folio_alloc()): refcount 1. */
	FolioIdx newFolio(std::string name);

	/* Per task: the tables whose __pte_offset_map() RCU section it is in
	 * (Kernel::pteOffsetMapLock() until the PTL's unlock), and its
	 * pte_free_defer() wait. */
	std::vector<std::vector<TableIdx>> pteMapRcu;
	std::vector<std::unique_ptr<PteMapWait>> pteMapWait;
	FileIdx findFile(const std::string &name) const;

	/* Ghost: held locks per task, in acquisition order. */
	std::vector<std::vector<HeldLock>> held;
	bool holds(TaskId t, const Lock &l) const;

	/* Ghost: rmap walks (index = walk id). */
	std::vector<RmapWalk> walks;

	/* Ghost: declared operation ranges (per task) and mremap records. */
	std::vector<OpRanges> opRanges;
	std::vector<RemapRecord> remaps;
	/* Ghost: per task, the record of the mremap it is running (the
	 * record lives in that task's mremap() frame), for vmaStartWrite()'s
	 * snapshot of the old range */
	std::vector<RemapRecord *> remapInFlight;
	/* New objects for operations that create them (mremap's copy_vma,
	 * pmd_alloc, pte_alloc). Capacity is reserved at construction so
	 * references other tasks hold stay valid; throws if exhausted. */
	VmaIdx newVma(std::string name);	/* detached until linked */
	/* vm_area_dup(): a detached copy of v's range, pgoff, anon_vma, file
	 * and flags, with its own per-VMA lock */
	VmaIdx dupVma(VmaIdx v, std::string name);
	TableIdx newTable(std::uint64_t base);
	/* Kernel::pmdAlloc() at an address no slot was made for at load: a
	 * slot with a none entry whose reads also read the PUD object; its
	 * PMD page exists iff one of its 1 GiB region's already does */
	PmdIdx newPmdSlot(std::uint64_t base);
	/* anon_vma_alloc() (__anon_vma_prepare() of MREMAP_RELOCATE_ANON's new
	 * VMA): a new root anon_vma with an empty tree, refcount 1. */
	AnonVmaIdx newAnonVma(std::string name);
	/* Ghost: the task is in MREMAP_RELOCATE_ANON's forward pass (the
	 * relocate-pinned check applies to its folio->mapping/index stores). */
	std::vector<char> relocatingAnon;
	static constexpr std::size_t kSpareObjects = 16;
	static constexpr std::size_t kSpareFolios = 64;
	static constexpr std::size_t kSparePmdSlots = 64;

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
