/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Swap-out of one small anon folio, as one pass of shrink_inactive_list():
 *
 *   isolate_lru_folios()                               mm/vmscan.c
 *     folio_test_lru(), folio_try_get(), folio_test_clear_lru()
 *   shrink_folio_list()                                mm/vmscan.c
 *     folio_trylock()                     else keep
 *     folio_test_writeback()              activate (case 2: not waiting)
 *     folio_check_references()
 *       folio_referenced(folio, is_locked = 1)   young PTE -> keep
 *     anon, !swapcache:
 *       folio_maybe_dma_pinned()          keep (no point in swapping it)
 *       folio_alloc_swap()                slot, swap cache (+1 ref), PG_swapcache
 *       folio_mark_dirty()
 *     folio_mapped(): try_to_unmap(TTU_BATCH_FLUSH)      mm/rmap.c
 *       rmap_walk() -> try_to_unmap_one() per VMA:
 *         page_vma_mapped_walk() (PTL)
 *         ptep_get_and_clear(); set_tlb_ubc_flush_pending() (deferred
 *           flush, task-local) if another CPU may cache the PTE, else
 *           flush_tlb_range()                 [should_defer_flush()]
 *         pte_dirty -> folio_mark_dirty()
 *         folio_dup_swap()                swap count + 1
 *         PageAnonExclusive && folio_try_share_anon_rmap_pte() fails
 *           (pinned): folio_put_swap(), restore the PTE, abort
 *         set_pte_at(swp_pte | exclusive if PageAnonExclusive)
 *         folio_remove_rmap_pte(); folio_put()
 *       still mapped -> activate
 *     folio_maybe_dma_pinned()            activate
 *     dirty: try_to_unmap_flush_dirty(); pageout()
 *       is_page_cache_freeable(): refcount == 1 + nr_pages, else keep
 *       folio_clear_dirty_for_io()
 *       swap_writeout() -> __swap_writepage(): folio_start_writeback(),
 *         folio_unlock(), the I/O copies the page to the slot; with
 *         SWP_SYNCHRONOUS_IO it completes inline (folio_end_writeback())
 *       PAGE_SUCCESS: writeback in flight -> keep; else folio_trylock()
 *         and go on to free it
 *     __remove_mapping(): folio_ref_freeze(folio, 1 + nr_pages),
 *       recheck dirty, __swap_cache_del_folio() (the slot's cache pin)
 *     try_to_unmap_flush(); free_unref_folios()
 *   move_folios_to_lru(): folio_set_lru(), folio_put() (the isolation ref)
 *
 *   end_swap_bio_write() -> folio_end_writeback()       mm/page_io.c
 *
 * Reduced from mm/vmscan.c @00685984 and mm/rmap.c @019d65eb (linux-next),
 * docs/model.md. Not modelled: MGLRU, PG_referenced/PG_active
 * (a young PTE keeps the folio; a later pass after the young bit was
 * cleared reclaims it), mlock, memcg, demotion, large folios and splitting,
 * lazyfree (MADV_FREE), zswap, swap_writeout()'s folio_free_swap() shortcut,
 * the swap cluster lock (xa_lock_irq of i_pages), workingset shadows, MMU
 * notifiers.
 *
 * Not guards: the folio_maybe_dma_pinned() checks before folio_alloc_swap()
 * and after the unmap are modelled unconditionally. For anon folios they
 * avoid pointless work but protect nothing by themselves: a pin taken before
 * the unmap is refused by try_to_unmap_one() (guard
 * try_to_unmap_one.pinned_check), and one taken afterwards cannot exist
 * (GUP-fast rechecks the PTE and backs off), while __remove_mapping()'s
 * freeze (guard __remove_mapping.ref_freeze) keeps any pinned folio.
 */
#include <algorithm>

#include "rmap.hpp"

namespace mmrace::model {

namespace {

/* current->tlb_ubc (struct tlbflush_unmap_batch): task-local. */
struct TlbBatch {
	bool flushRequired = false;
	bool writable = false;
	std::uint64_t start = 0, end = 0;

	void add(std::uint64_t s, std::uint64_t e)
	{
		start = flushRequired ? std::min(start, s) : s;
		end = flushRequired ? std::max(end, e) : e;
		flushRequired = true;
	}
};

/* try_to_unmap_flush(): arch_tlbbatch_flush() */
void tryToUnmapFlush(Kernel &k, TlbBatch &b, const char *label)
{
	if (!b.flushRequired)
		return;
	k.flushTlbRange(b.start, b.end, label);
	b = TlbBatch{};
}

/* try_to_unmap_flush_dirty(): flush iff a writable entry may be cached */
void tryToUnmapFlushDirty(Kernel &k, TlbBatch &b)
{
	if (b.writable)
		tryToUnmapFlush(k, b, "try_to_unmap_flush_dirty: arch_tlbbatch_flush()");
}

constexpr std::uint32_t kPinned = kGupPinCountingBias;

/* folio_maybe_dma_pinned() of a small folio */
bool maybeDmaPinned(Kernel &k, FolioIdx f, const char *label)
{
	return k.readRefcount(f, label) >= static_cast<int>(kPinned);
}

/*
 * try_to_unmap_one() for one VMA of a small anon folio in the swap cache.
 * Returns false to abort the walk (walk_abort).
 */
bool tryToUnmapOne(Kernel &k, FolioIdx f, std::uint64_t addr, int walk, TlbBatch &batch)
{
	World &w = k.world();
	Pte pte;
	PteRef r = pageVmaMappedWalk(k, f, addr, false, walk, pte);
	if (r.table == kNone)
		return true;
	Lock &ptl = w.ptl(r);
	bool anonExclusive =
	    k.readPageAnonExclusive(f, "try_to_unmap_one: PageAnonExclusive(subpage)");
	/* should_defer_flush(): defer when another CPU may cache this mm's
	 * PTEs (every task runs on its own CPU in this mm). */
	bool defer = w.tlb.size() > 1;
	Pte pteval;
	if (defer) {
		pteval = k.writePte(r, Pte{}, "try_to_unmap_one: ptep_get_and_clear()");
		/* set_tlb_ubc_flush_pending(): task-local, no flush yet. "If
		 * the PTE was dirty then it's best to assume it's writable":
		 * writable = pte_dirty(pteval). A writable but clean entry a CPU
		 * may cache cannot store without its locked walk setting D,
		 * which finds the PTE cleared and faults (Kernel::tlbAccess). */
		batch.add(addr, addr + kPageSize);
		if (pteval.dirty)
			batch.writable = true;
	} else {
		pteval = k.writePte(r, Pte{}, "try_to_unmap_one: ptep_clear_flush()");
		k.flushTlbRange(addr, addr + kPageSize,
				"try_to_unmap_one: ptep_clear_flush(): flush_tlb_range()");
	}
	if (pteval.dirty)
		k.writeFlag(f, Kernel::Flag::Dirty, true, "try_to_unmap_one: folio_mark_dirty()");
	auto abort = [&]() {
		k.writePte(r, pteval, "try_to_unmap_one: set_pte_at() (restore, walk_abort)");
		k.unlock(ptl, "page_vma_mapped_walk_done: pte_unmap_unlock()");
		return false;
	};
	/* folio_test_swapbacked() != folio_test_swapcache(): WARN_ON_ONCE */
	if (!k.readFlag(f, Kernel::Flag::Swapcache, "try_to_unmap_one: folio_test_swapcache()")) {
		k.warn(
		    "try_to_unmap_one: folio_test_swapbacked(folio) != folio_test_swapcache(folio)",
		    "an anon folio is unmapped to swap without being in the swap cache");
		return abort();
	}
	/* entry = page_swap_entry(subpage) */
	SwapIdx slot = k.readFolioSwap(f, "try_to_unmap_one: page_swap_entry()");
	k.swapDup(slot, "try_to_unmap_one: folio_dup_swap()");
	/* See folio_try_share_anon_rmap_pte(): clear the PTE first. */
	if (anonExclusive) {
		if (k.guard(Guard::TryToUnmapOnePinnedCheck) &&
		    maybeDmaPinned(k, f,
				   "folio_try_share_anon_rmap_pte: folio_maybe_dma_pinned()")) {
			k.swapFree(slot, "try_to_unmap_one: folio_put_swap() (pinned)");
			return abort();
		}
		k.writePageAnonExclusive(f, false,
					 "folio_try_share_anon_rmap_pte: ClearPageAnonExclusive()");
	}
	k.writePte(r, Pte::makeSwap(slot, anonExclusive),
		   anonExclusive ? "try_to_unmap_one: set_pte_at(pte_swp_mkexclusive(swp_pte))"
				 : "try_to_unmap_one: set_pte_at(swp_pte)");
	k.addMapcount(f, -1, "try_to_unmap_one: folio_remove_rmap_ptes()");
	k.folioPut(f, 1, "try_to_unmap_one: folio_put_refs()");
	k.unlock(ptl, "page_vma_mapped_walk_done: pte_unmap_unlock()");
	return true;
}

/* try_to_unmap(folio, TTU_BATCH_FLUSH) */
void tryToUnmap(Kernel &k, FolioIdx f, TlbBatch &batch)
{
	RmapWalkControl rwc;
	rwc.walker = "try_to_unmap";
	rwc.rmapOne = [&](VmaIdx, std::uint64_t addr) {
		return tryToUnmapOne(k, f, addr, rwc.walk, batch);
	};
	rwc.done = [&]() { return k.readMapcount(f, "folio_not_mapped: !folio_mapped()") == 0; };
	rmapWalk(k, f, rwc);
}

/*
 * __swap_writepage(): the folio goes under writeback, is unlocked, and the
 * I/O writes its data to the slot; a synchronous device completes it inline.
 */
void swapWritepage(Kernel &k, FolioIdx f, int bio)
{
	World &w = k.world();
	SwapIdx slot = k.readFolioSwap(f, "swap_writeout: folio->swap");
	k.writeFlag(f, Kernel::Flag::Writeback, true, "__swap_writepage: folio_start_writeback()");
	k.unlock(*w.folios[f].lock, "__swap_writepage: folio_unlock()");
	std::uint64_t data = k.readContent(f, "swap_writepage_bdev: bio reads the page");
	k.swapWriteData(slot, data, "swap_writepage_bdev: the device stores the page");
	/* The bio: the environment completes it at any point from now on
	 * (swapIoCompletion()), unless the device completes it inline. */
	if (bio >= 0)
		k.submitBio(bio, f, w.swap.synchronousIo,
			    "submit_bio: the write-out is in flight (the environment ends it)");
	if (w.swap.synchronousIo)
		k.writeFlag(
		    f, Kernel::Flag::Writeback, false,
		    "swap_writepage_bdev_sync: __end_swap_bio_write(): folio_end_writeback()");
}

enum class Pageout { Keep, Clean, Success };

/* pageout() of an anon swap cache folio, locked */
Pageout pageout(Kernel &k, FolioIdx f, int bio)
{
	/* is_page_cache_freeable(): the isolation and swap cache refs only */
	if (k.readRefcount(f, "is_page_cache_freeable: folio_ref_count() == 1 + nr_pages") != 2)
		return Pageout::Keep;
	/* folio_clear_dirty_for_io() */
	if (!k.testAndClearFlag(f, Kernel::Flag::Dirty,
				"folio_clear_dirty_for_io: folio_test_clear_dirty()"))
		return Pageout::Clean;
	/* writeout(): folio_set_reclaim(); swap_writeout() */
	swapWritepage(k, f, bio);
	return Pageout::Success;
}

/*
 * __remove_mapping() of a swap cache folio, locked. On success the folio's
 * refcount is frozen at 0 and it has left the swap cache.
 */
bool removeMapping(Kernel &k, FolioIdx f)
{
	const int expected = 2; /* 1 (isolation) + folio_nr_pages() (swap cache) */
	if (k.guard(Guard::RemoveMappingRefFreeze)) {
		if (!k.refFreeze(f, expected,
				 "__remove_mapping: folio_ref_freeze(folio, 1 + nr_pages)"))
			return false; /* cannot_free */
	} else {
		/* No check: the references are taken to be the expected ones. */
		k.refUnfreeze(f, 0, "__remove_mapping: refcount taken as 1 + nr_pages (no freeze)");
	}
	if (k.readFlag(f, Kernel::Flag::Dirty, "__remove_mapping: folio_test_dirty()")) {
		k.refUnfreeze(f, expected, "__remove_mapping: folio_ref_unfreeze() (dirty)");
		return false;
	}
	if (!k.readFlag(f, Kernel::Flag::Swapcache, "__remove_mapping: folio_test_swapcache()"))
		return false; /* not modelled: page cache folios */
	SwapIdx slot = k.readFolioSwap(f, "__remove_mapping: swap = folio->swap");
	/* __swap_cache_del_folio(): the folio leaves the swap cache; its
	 * references went with the freeze; the slot is freed if no swap PTE
	 * uses it any more (put_swap_folio). */
	k.writeFolioSwap(f, kNone, "__swap_cache_del_folio: folio->swap.val = 0");
	k.writeFlag(f, Kernel::Flag::Swapcache, false,
		    "__swap_cache_del_folio: folio_clear_swapcache()");
	k.swapCacheDel(slot, "__swap_cache_del_folio: swap cache entry cleared");
	return true;
}

} // namespace

namespace
{

int shrinkFolioListPass(Kernel &k, FolioIdx f, int bio)
{
	World &w = k.world();
	Lock &folioLock = *w.folios[f].lock;
	/* isolate_lru_folios() */
	if (!k.readFlag(f, Kernel::Flag::Lru, "isolate_lru_folios: folio_test_lru()"))
		return kReclaimKept;
	if (!k.tryGetFolio(f, 1, "isolate_lru_folios: folio_try_get()"))
		return kReclaimKept;
	if (!k.testAndClearFlag(f, Kernel::Flag::Lru,
				"isolate_lru_folios: folio_test_clear_lru()")) {
		/* another thread is already isolating this folio */
		k.folioPut(f, 1, "isolate_lru_folios: folio_put()");
		return kReclaimKept;
	}
	TlbBatch batch;
	int result = kReclaimKept;
	bool locked = false;
	/* move_folios_to_lru() after the pass; try_to_unmap_flush() before it */
	auto putback = [&]() {
		if (locked)
			k.unlock(folioLock, "shrink_folio_list: keep_locked: folio_unlock()");
		if (k.guard(Guard::ShrinkFolioListFlushBeforeFree))
			tryToUnmapFlush(k, batch, "shrink_folio_list: try_to_unmap_flush()");
		k.writeFlag(f, Kernel::Flag::Lru, true, "move_folios_to_lru: folio_set_lru()");
		k.folioPut(f, 1, "move_folios_to_lru: folio_put_testzero() (isolation ref)");
		return result;
	};

	if (!k.trylock(folioLock, "shrink_folio_list: folio_trylock()"))
		return putback();
	locked = true;
	/* Case 2: mark it for immediate reclaim and activate, do not wait. */
	if (k.readFlag(f, Kernel::Flag::Writeback, "shrink_folio_list: folio_test_writeback()"))
		return putback();
	/* folio_check_references(): FOLIOREF_KEEP on contention or one young
	 * PTE, FOLIOREF_ACTIVATE on more; both keep it here. */
	if (folioReferencedLocked(k, f) != 0)
		return putback();

	if (!k.readFlag(f, Kernel::Flag::Swapcache, "shrink_folio_list: folio_test_swapcache()")) {
		if (maybeDmaPinned(k, f,
				   "shrink_folio_list: folio_maybe_dma_pinned() (before swap)"))
			return putback();
		/* folio_alloc_swap() */
		SwapIdx slot = k.allocSwapSlot("folio_alloc_swap: swap_alloc_slow()");
		if (slot == kNone)
			return putback(); /* activate_locked_split */
		k.addRefcount(f, 1, "__swap_cache_add_folio: folio_ref_add(folio, nr_pages)");
		k.writeFlag(f, Kernel::Flag::Swapcache, true,
			    "__swap_cache_add_folio: folio_set_swapcache()");
		k.writeFolioSwap(f, slot, "__swap_cache_add_folio: folio->swap = entry");
		k.swapCacheAdd(slot, f, "__swap_cache_add_folio: swap cache entry set");
		k.writeFlag(f, Kernel::Flag::Dirty, true, "shrink_folio_list: folio_mark_dirty()");
	}

	if (k.readMapcount(f, "shrink_folio_list: folio_mapped()") > 0) {
		tryToUnmap(k, f, batch);
		if (k.readMapcount(f, "shrink_folio_list: folio_mapped() after try_to_unmap()") > 0)
			return putback(); /* activate_locked */
	}
	/* The folio is unmapped now so it cannot be newly pinned anymore. */
	if (maybeDmaPinned(k, f, "shrink_folio_list: folio_maybe_dma_pinned() (after unmap)"))
		return putback(); /* activate_locked */

	if (k.readFlag(f, Kernel::Flag::Dirty, "shrink_folio_list: folio_test_dirty()")) {
		/* Flush the TLB if a writable entry potentially exists to avoid
		 * CPU writes after I/O starts. */
		if (k.guard(Guard::ShrinkFolioListFlushBeforeIo))
			tryToUnmapFlushDirty(k, batch);
		switch (pageout(k, f, bio)) {
		case Pageout::Keep:
			return putback();
		case Pageout::Success:
			locked = false; /* __swap_writepage() unlocked it */
			result = kReclaimWriteback;
			if (k.readFlag(f, Kernel::Flag::Writeback,
				       "shrink_folio_list: folio_test_writeback()"))
				return putback();
			if (k.readFlag(f, Kernel::Flag::Dirty,
				       "shrink_folio_list: folio_test_dirty()"))
				return putback();
			/* A synchronous write: go ahead and try to reclaim it. */
			if (!k.trylock(folioLock,
				       "shrink_folio_list: folio_trylock() (synchronous write)"))
				return putback();
			locked = true;
			if (k.readFlag(f, Kernel::Flag::Dirty,
				       "shrink_folio_list: folio_test_dirty()") ||
			    k.readFlag(f, Kernel::Flag::Writeback,
				       "shrink_folio_list: folio_test_writeback()"))
				return putback();
			break;
		case Pageout::Clean:
			break;
		}
	}

	if (!removeMapping(k, f))
		return putback(); /* keep_locked */
	k.unlock(folioLock, "shrink_folio_list: folio_unlock()");
	locked = false;
	/* free_it: the batch is full or the pass ends */
	if (k.guard(Guard::ShrinkFolioListFlushBeforeFree))
		tryToUnmapFlush(
		    k, batch, "shrink_folio_list: try_to_unmap_flush() before free_unref_folios()");
	k.freeFrozenFolio(f, "shrink_folio_list: free_unref_folios()");
	return kReclaimFreed;
}

} // namespace

int shrinkFolioList(Kernel &k, FolioIdx f, int bio)
{
	return shrinkFolioListPass(k, f, bio);
}

/*
 * isolate_lru_folios() takes folios off the LRU list, never through the
 * page table. A scenario cannot name a folio that a fault allocates while it
 * runs, so "reclaim at addr" isolates the LRU's folio for addr: the
 * scenario's page there at the start, or the folio a fault put on the LRU
 * for addr since (folio_add_lru_vma(), World::lruAt). -1: none.
 */
int shrinkFolioAt(Kernel &k, std::uint64_t addr, int bio)
{
	FolioIdx f =
	    k.lruFolioAt(addr, "isolate_lru_folios: the LRU's folio (model: the one for addr)");
	if (f == kNone)
		return -1;
	return shrinkFolioList(k, f, bio);
}

/*
 * The environment's completion of one swap write-out: end_swap_bio_write()
 * -> __end_swap_bio_write() -> folio_end_writeback(), run from the block
 * layer's completion interrupt on another CPU, at any point after the bio
 * was submitted (the bio always ends; an I/O error would re-dirty the
 * folio: not modelled). folio_end_writeback() clears PG_writeback and wakes
 * its waiters (folio_wait_writeback() is enabled by the clear); PG_reclaim's
 * folio_rotate_reclaimable() is not modelled (no LRU order). It touches
 * only the folio it completes and the bio's ghost object.
 */
void swapIoCompletion(Kernel &k, int bio)
{
	k.waitBio(bio, "end_swap_bio_write: the bio is in flight (environment)");
	if (k.world().bios[bio].state == Bio::State::Submitted)
		k.endBio(bio,
			 "end_swap_bio_write: folio_end_writeback() (I/O completion, environment)");
}

int folioEndWriteback(Kernel &k, FolioIdx f)
{
	/* The completion exists only once the bio was submitted. */
	if (!k.readFlag(f, Kernel::Flag::Writeback, "end_swap_bio_write: bio completion"))
		return -1;
	k.writeFlag(f, Kernel::Flag::Writeback, false,
		    "folio_end_writeback: folio_clear_writeback()");
	return 0;
}

} // namespace mmrace::model
