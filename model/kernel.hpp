/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * What model operations use to touch shared state: every accessor declares
 * its access at a scheduling point first (labelled with the kernel step),
 * then reads or writes the World and records an event for the checkers.
 * Task-local computation (a PTE value already read, an address) needs none.
 */

#include <functional>

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
	/* `also`: one more object the step is declared to read, for a step
	 * that is also a ghost linearisation point (GUP-fast records its pin
	 * in its last recheck: memObject(addr), ordered against forgetMemory). */
	Pte readPte(PteRef r, const char *label, ObjectId also = kNoObject);
	/* set_pte_at(), or ptep_get_and_clear() using the returned old value */
	Pte writePte(PteRef r, const Pte &v, const char *label);
	/*
	 * An atomic update of a present PTE's access bits under the PTL, on the
	 * value at the step (the hardware may have set A/D since the caller
	 * read it: x86 sets them without the PTL): ptep_test_and_clear_young()
	 * clears A (returns whether it was set), ptep_set_access_flags() sets
	 * A, and D if `dirty`, keeping a D the hardware set.
	 */
	bool ptepTestAndClearYoung(PteRef r, const char *label);
	void ptepSetAccessFlags(PteRef r, bool dirty, const char *label);
	/* pmdp_get_lockless() / pmdp_get() */
	Pmd readPmd(PmdIdx p, const char *label, ObjectId also = kNoObject);
	/* set_pmd_at(), pmd_clear(), pmd_populate(); under the PMD lock */
	void writePmd(PmdIdx p, const Pmd &v, const char *label);
	/*
	 * pte_offset_map_lock() (mm/pgtable-generic.c __pte_offset_map_lock):
	 * read the PMD locklessly, take the table's PTL, recheck pmd_same()
	 * (guard pte_offset_map_lock.pmd_same) and retry if the table went
	 * away meanwhile. Returns the PTE with its PTL held, or table kNone
	 * (nothing locked) if the PMD holds no table.
	 */
	PteRef pteOffsetMapLock(std::uint64_t addr, const char *label);
	/* pte_free() / tlb_remove_table(): the table page goes back to the
	 * allocator. Its PMD must have been cleared. */
	void freeTable(TableIdx t, const char *label);
	/* pmd_alloc() (__pmd_alloc + pud_populate): the PMD slot covering
	 * addr, created (entry none) if no page table level reached it yet.
	 * kNone if `fail` (an allocation failure the scenario injects). */
	PmdIdx pmdAlloc(std::uint64_t addr, bool fail, const char *label);
	/* A lockless walker's pgd/p4d/pud/pmd_offset() for addr: the PMD slot,
	 * or kNone when no slot exists (yet): then the walk read pud_none()
	 * (or a pmd_none() the model has no slot for), a read of the PUD
	 * object, which pmdAlloc() writes when it makes a slot at run time. */
	PmdIdx pmdLookup(std::uint64_t addr, const char *label);
	/* pte_alloc() -> __pte_alloc(): a new empty table, installed under
	 * the PMD lock by pmd_install() (pmd_populate) if the PMD is still
	 * none, else freed. false if `fail` (injected allocation failure). */
	bool pteAlloc(PmdIdx p, bool fail, const char *label);

	/* Folio fields. */
	AnonVmaIdx readMapping(FolioIdx f, const char *label);
	void writeMapping(FolioIdx f, AnonVmaIdx a, const char *label);
	std::uint64_t readIndex(FolioIdx f, const char *label);
	void writeIndex(FolioIdx f, std::uint64_t index, const char *label);
	int readMapcount(FolioIdx f, const char *label);
	void addMapcount(FolioIdx f, int delta, const char *label);	/* folio_add/remove_*_rmap */
	int readRefcount(FolioIdx f, const char *label);
	void addRefcount(FolioIdx f, int delta, const char *label);	/* folio_get, folio_ref_add */
	/* folio_put_refs(): drops refs; at 0 the folio is freed (FolioFreed). */
	void folioPut(FolioIdx f, int refs, const char *label);
	/* folio_ref_try_add() (try_get_folio): fails on a free or frozen folio */
	bool tryGetFolio(FolioIdx f, int refs, const char *label);
	/* folio_ref_freeze(): refcount == expected -> 0 (frozen), else fail */
	bool refFreeze(FolioIdx f, int expected, const char *label);
	void refUnfreeze(FolioIdx f, int count, const char *label);
	/* free_unref_folios(): a folio whose refcount was frozen to 0
	 * (__remove_mapping) goes back to the allocator (FolioFreed). */
	void freeFrozenFolio(FolioIdx f, const char *label);
	bool readPageAnonExclusive(FolioIdx f, const char *label, ObjectId also = kNoObject);
	void writePageAnonExclusive(FolioIdx f, bool pae, const char *label);
	/* PG_swapcache, PG_writeback, PG_dirty, PG_lru and folio->swap */
	enum class Flag : std::uint8_t { Swapcache, Writeback, Dirty, Lru };
	bool readFlag(FolioIdx f, Flag flag, const char *label);
	void writeFlag(FolioIdx f, Flag flag, bool value, const char *label);
	/* folio_test_clear_lru() and friends: one atomic read-modify-write */
	bool testAndClearFlag(FolioIdx f, Flag flag, const char *label);
	SwapIdx readFolioSwap(FolioIdx f, const char *label);
	void writeFolioSwap(FolioIdx f, SwapIdx s, const char *label);
	/* The page's data, as the kernel reads or writes it (copies, I/O). */
	std::uint64_t readContent(FolioIdx f, const char *label);
	void writeContent(FolioIdx f, std::uint64_t v, const char *label);
	/* A new folio from the allocator: refcount 1, locked if asked
	 * (__folio_set_locked on a folio nobody else can see yet). */
	FolioIdx allocFolio(const char *label, bool locked = false);
	/* folio_wait_locked() / migration_entry_wait_on_locked(): sleep until
	 * PG_locked is clear (might_sleep). */
	void waitFolioUnlocked(FolioIdx f, const char *label);
	/*
	 * A failed folio_try_get() in a lookup loop (swap_cache_get_folio()):
	 * the retry waits until f's refcount is no longer frozen at 0 or the
	 * swap cache no longer holds f for slot s (see SpinWait).
	 */
	void spinUntilTryGetCanChange(FolioIdx f, SwapIdx s, const char *label);
	/* folio_wait_writeback() */
	void waitWriteback(FolioIdx f, const char *label);
	/*
	 * io-completion (World::bios). submitBio(): submit_bio() of the swap
	 * write-out of f that is bio `bio`: from now on the environment may
	 * complete it; `inlineEnd`: the caller completes it itself
	 * (SWP_SYNCHRONOUS_IO). waitBio() and endBio() are the environment
	 * task's steps: wait until the bio was submitted, then
	 * end_swap_bio_write() -> folio_end_writeback(), declared on that
	 * folio's PG_writeback and the bio only. A bio never submitted keeps
	 * its environment task blocked: a daemon, it need not finish.
	 */
	void submitBio(int bio, FolioIdx f, bool inlineEnd, const char *label);
	void waitBio(int bio, const char *label);
	void endBio(int bio, const char *label);
	/* folio_add_lru() / folio_add_lru_vma() of a fault's new folio, for
	 * the user page at addr (ghost World::lruAt, lruObject(addr)) */
	void lruAdd(FolioIdx f, std::uint64_t addr, const char *label);
	/* isolate_lru_folios() as `reclaim` at addr sees it: the LRU's folio
	 * for addr (World::lruAt), kNone if none; never a page-table walk */
	FolioIdx lruFolioAt(std::uint64_t addr, const char *label);

	/* Swap (one device; slots are swp_entry offsets). */
	SwapIdx allocSwapSlot(const char *label);		/* folio_alloc_swap(); kNone if full */
	int readSwapCount(SwapIdx s, const char *label);	/* __swap_count() */
	void swapDup(SwapIdx s, const char *label);		/* swap_duplicate() / folio_dup_swap() */
	/* swap_free(): count--, the slot is freed when nothing uses it. */
	void swapFree(SwapIdx s, const char *label);
	FolioIdx swapCacheGet(SwapIdx s, const char *label);	/* swap_cache_get_folio() (no ref) */
	void swapCacheAdd(SwapIdx s, FolioIdx f, const char *label);
	void swapCacheDel(SwapIdx s, const char *label);	/* __swap_cache_del_folio() */
	std::uint64_t swapReadData(SwapIdx s, const char *label);	/* swap_read_folio() */
	void swapWriteData(SwapIdx s, std::uint64_t v, const char *label);	/* swap_writepage() */
	/*
	 * swapcache_prepare() + swap_cache_add_folio() as one atomic step (the
	 * SWAP_HAS_CACHE claim under the cluster lock): 0 if f was added (f
	 * must carry PG_swapcache, ->swap and its swap cache reference
	 * already: it is not visible before this step); -EEXIST with `cached`
	 * the swap cache's folio, or kNone if only a pin holds SWAP_HAS_CACHE;
	 * -ENOENT if the entry is unused.
	 */
	int swapCacheAddIfAbsent(SwapIdx s, FolioIdx f, FolioIdx &cached, const char *label);
	/* swapcache_prepare(): claim SWAP_HAS_CACHE without a swap cache folio
	 * (the SWP_SYNCHRONOUS_IO swapin). 0, -EEXIST if the slot has a swap
	 * cache folio or pin already, -ENOENT if the entry is unused. */
	int swapcachePrepare(SwapIdx s, const char *label);
	/* swapcache_clear() + wake_up(&swapcache_wq); frees an unused slot */
	void swapcacheClear(SwapIdx s, const char *label);
	/* schedule_timeout_uninterruptible() on swapcache_wq: sleep until the
	 * slot's pin is cleared (might_sleep) */
	void waitSwapcachePin(SwapIdx s, const char *label);

	/*
	 * CPUs. One CPU per task. local_irq_save/restore are observed by IPIs:
	 * ipiSync() (smp_call_function(wait=1), tlb_remove_table_sync_one())
	 * and flushTlbRange() wait until no other CPU has IRQs off.
	 */
	void localIrqDisable(const char *label);
	void localIrqEnable(const char *label);
	void ipiSync(const char *label);
	/* An IPI to CPU c: its handler runs there once c has IRQs on. */
	void ipiRun(TaskId c, const char *label, ObjectId also, const std::function<void()> &handler);
	/* flush_tlb_range(): IPI every CPU, drop its entries in [start, end) */
	void flushTlbRange(std::uint64_t start, std::uint64_t end, const char *label);
	/* flush_tlb_range() on x86 with INVLPGB broadcast invalidation (or a
	 * paravirt flush that skips preempted vCPUs): every CPU's entries in
	 * [start, end) are dropped without an IPI, so it does not wait for
	 * CPUs with IRQs off. */
	void flushTlbRangeBroadcast(std::uint64_t start, std::uint64_t end, const char *label);
	/* also: what the first step of the read section reads (e.g. the VMA
	 * tree for lock_vma_under_rcu()'s mas_walk()) */
	void rcuReadLock(const char *label, ObjectId also = kNoObject);
	void rcuReadUnlock(const char *label);
	void synchronizeRcu(const char *label);
	int readWriteProtectSeq(const char *label);		/* raw_seqcount_try_begin() */

	/*
	 * User memory access from this task's CPU (the `access` op and DMA).
	 * tlbAccess: one step; on a TLB hit allowing the access it reads or
	 * stores the data and returns true. hwWalk: the page-table walk of a
	 * TLB miss, atomic with respect to IPIs (an instruction): if the PTE
	 * is present and allows the access it fills the TLB, does the access
	 * and returns true; else the caller takes a fault. `value` is stored
	 * on a write and receives the data on a read.
	 */
	bool tlbAccess(std::uint64_t addr, bool write, std::uint64_t &value, const char *label);
	bool hwWalk(std::uint64_t addr, bool write, std::uint64_t &value, const char *label);
	/* DMA through a GUP reference (no TLB): reads or writes the folio. */
	void dmaAccess(int gupRef, bool write, std::uint64_t &value, const char *label);
	/* Ghost: the user's mapping at [start, end) goes away (munmap): later
	 * reads there owe nothing to earlier writes. */
	void forgetMemory(std::uint64_t start, std::uint64_t end, const char *label);
	/* Ghost: MADV_DONTNEED starts discarding [start, end): until
	 * discardMemoryEnd() (which forgets the range) reads there owe nothing
	 * and stores are not remembered. */
	void discardMemoryBegin(std::uint64_t start, std::uint64_t end, const char *label);
	void discardMemoryEnd(std::uint64_t start, std::uint64_t end, const char *label);
	/* Ghost: a freshly zeroed anon page is mapped at addr: unless a write
	 * is remembered there (which the new page would have lost), later
	 * reads there owe 0. */
	void zeroFillMemory(std::uint64_t addr, const char *label);
	/* Ghost bookkeeping of GUP references (after the refcount changed). */
	int recordGupRef(FolioIdx f, std::uint64_t addr, bool pin, bool write);
	void releaseGupRef(int ref);

	/* khugepaged */
	/* vma->anon_vma: READ_ONCE() / the store of __anon_vma_prepare() */
	AnonVmaIdx readVmaAnonVma(VmaIdx v, const char *label);
	void writeVmaAnonVma(VmaIdx v, AnonVmaIdx a, const char *label);
	/*
	 * pte_free_defer() (mm/pgtable-generic.c): the detached table is freed
	 * by an RCU callback after a grace period. Run by the caller once it
	 * holds no lock: wait for the rcu_read_lock() sections that began
	 * before (as synchronize_rcu()) and for every task still inside
	 * __pte_offset_map()'s RCU section on t (World::pteMapRcu), then
	 * pte_free_now(): the table page goes back to the allocator.
	 */
	void pteFreeDefer(TableIdx t, const char *label);
	/* Ghost: the kernel stored `value` as the user's data at addr and made
	 * it visible there (UFFDIO_COPY's set_pte_at()): a completed write for
	 * the lost-write oracle (I-8). */
	void ghostUserWrite(std::uint64_t addr, std::uint64_t value, const char *label);
	/* end khugepaged */

	/* A VM_WARN_ON()/VM_BUG_ON() the model reproduces (a finding). */
	void warn(const char *label, std::string condition);

	/* anon_vma. */
	std::vector<VmaIdx> readAnonVmaTree(AnonVmaIdx a, const char *label);
	bool anonVmaTryGet(AnonVmaIdx a, const char *label);	/* atomic_inc_not_zero */
	void anonVmaPut(AnonVmaIdx a, const char *label);
	/* anon_vma_interval_tree_remove(): take VMA v off a's tree (under the
	 * root rwsem for write, unlink_anon_vmas()). */
	void anonVmaTreeRemove(AnonVmaIdx a, VmaIdx v, const char *label);

	/* VMAs. vma_mark_detached() + vma_iter_clear_gfp(): v leaves the mm's
	 * VMA tree (munmap); find_vma() no longer returns it. */
	void detachVma(VmaIdx v, const char *label);
	/* vma_link(): a new VMA (World::newVma) enters the mm's VMA tree. */
	void linkVma(VmaIdx v, const char *label);
	/* anon_vma_interval_tree_insert(): add v to a's tree (under the root
	 * rwsem for write) at its in-order position: by vm_pgoff, after the
	 * VMAs with an equal start (INTERVAL_TREE_DEFINE sends equal keys
	 * right), which is where the rmap walk visits it. */
	void anonVmaTreeInsert(AnonVmaIdx a, VmaIdx v, const char *label);
	/* vma_interval_tree_insert()/remove() of file VMA v in its file's
	 * i_mmap (__vma_link_file(), __remove_shared_vm_struct(); the caller
	 * holds i_mmap_rwsem for write): in vm_pgoff order, equal keys right */
	void iMmapInsert(VmaIdx v, const char *label);
	void iMmapRemove(VmaIdx v, const char *label);
	/* Ghost: the user's data at [from, from + len) is now at [to, to + len)
	 * (mremap moved the mapping); the old addresses owe nothing, and GUP
	 * references taken at `from` now stand for `to`. */
	void moveMemory(std::uint64_t from, std::uint64_t to, std::uint64_t len, const char *label);
	/* vma_set_range() / the vm_start, vm_end, vm_pgoff stores of
	 * __split_vma() and vma_expand(): the caller holds the mmap write lock,
	 * vma_start_write(v) and, for a VMA with an anon_vma, the root's rwsem
	 * for write with v off the interval tree (vma_prepare()). */
	void setVmaRange(VmaIdx v, std::uint64_t start, std::uint64_t end, std::uint64_t pgoff,
			 const char *label);

	/*
	 * Ghost: rmap walk bracketing. beginWalk is the walk's first real step,
	 * reading folio->index (folio_pgoff()), and also observes F's rmap;
	 * endWalk is an observer step after the last entry was looked at. Both
	 * conflict with every store that (un)maps F, so the verdict does not
	 * depend on the order of independent steps.
	 * migrationOf: the walk looks for the migration entries of that folio
	 * instead of F's present PTEs (remove_migration_ptes(src, dst) walks
	 * dst for src's entries); kNone: F's present PTEs.
	 */
	int beginWalk(FolioIdx f, AnonVmaIdx a, const char *walker, bool heuristic,
		      const char *label, FolioIdx migrationOf = kNone);
	void visitWalk(int walk, PteRef r);
	void endWalk(int walk, const char *label);

private:
	void point(ObjectId obj, AccessKind kind, const char *label, const SyncObject *sync = nullptr,
		   ObjectId obj2 = kNoObject, ObjectId obj3 = kNoObject)
	{
		exec_.point({obj, obj2, kind, label, sync, obj3});
	}
	void event(Event e) { world_.events.push_back(std::move(e)); }
	void staleTable(TableIdx t, const char *label);
	void hwInstrBegin();	/* oracle-rcu */
	void hwInstrEnd();
	Pte updatePte(PteRef r, const std::function<Pte(const Pte &)> &update, const char *label);
	bool tlbSetDirty(std::uint64_t addr, FolioIdx folio, std::uint64_t &value,
			 const char *label);
	void accessData(FolioIdx f, std::uint64_t addr, bool write, std::uint64_t &value,
			const char *label);
	void userAccessDone(std::uint64_t addr, bool write, std::uint64_t value, bool dma,
			    int gupRef, const char *label);
	/* lost-write linearisability (ghost, no scheduling points) */
	void forgetAddress(std::uint64_t addr);
	void rememberWrite(std::uint64_t addr, std::uint64_t value);
	void storeForwarded(const World::MemForward &fwd, std::uint64_t value);
	void acquired(Lock &l, bool shared, bool trylock, int subclass, const char *label);
	void released(Lock &l, const char *label);

	Execution &exec_;
	World &world_;
};

} // namespace mmrace::model
