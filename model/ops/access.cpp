/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A user load or store of one address, as the CPU and the fault path do it:
 *
 *   the access: a TLB hit (Kernel::tlbAccess), else the hardware walk
 *     (Kernel::hwWalk); if neither allows it, a page fault, then the
 *     access is retried from the TLB (as the faulting instruction is)
 *   do_user_addr_fault()                             arch/x86/mm/fault.c
 *     lock_vma_under_rcu()                           mm/mmap_lock.c
 *       rcu_read_lock(); mas_walk(); vma_start_read() (a trylock of the
 *       per-VMA lock); recheck the VMA is still attached; rcu_read_unlock()
 *     else lock_mm_and_find_vma(): mmap_read_lock(), find_vma()
 *     no VMA, or access_error() (a write without VM_WRITE): SIGSEGV
 *     handle_mm_fault() -> __handle_mm_fault() -> handle_pte_fault()
 *                                                    mm/memory.c
 *       orig_pte = ptep_get_lockless() under pte_offset_map()'s RCU section
 *       none:    do_anonymous_page()
 *                  alloc_anon_folio() (zeroed), __folio_mark_uptodate(),
 *                  pte_offset_map_lock(), vmf_pte_changed()     [guard],
 *                  folio_add_new_anon_rmap(RMAP_EXCLUSIVE), set_ptes()
 *       swap:    do_swap_page()
 *                  migration entry: migration_entry_wait()   mm/migrate.c
 *                    PTL, still a migration entry: drop the PTL and
 *                    sleep until the folio is unlocked; the fault retries
 *                  swap_cache_get_folio() (folio_try_get)  mm/swap_state.c
 *                  miss, SWP_SYNCHRONOUS_IO and __swap_count() == 1:
 *                    a private locked folio, swapcache_prepare() (the
 *                    SWAP_HAS_CACHE pin; busy: sleep on swapcache_wq and
 *                    retry the fault), read from the slot; the pin is
 *                    cleared (swapcache_clear()) after the PTL is dropped
 *                  miss, else swapin_readahead() reduced to
 *                    __read_swap_cache_async(): alloc, swapcache_prepare()
 *                    + swap_cache_add_folio(), swap_read_folio(); a pinned
 *                    slot: sleep on swapcache_wq and look again
 *                  folio_lock_or_retry(): trylock, else drop the VMA or
 *                    mmap lock, wait for the folio, VM_FAULT_RETRY
 *                  folio_matches_swap_entry() recheck          [guard]
 *                  pte_offset_map_lock(), pte_same()           [guard]
 *                  BUG_ON(folio_test_anon && PageAnonExclusive)
 *                  the exclusive rule, stable writes + writeback [guard]
 *                  swap_free_nr(); should_try_to_free_swap() ->
 *                    folio_free_swap()                   mm/swapfile.c
 *                  writable + RMAP_EXCLUSIVE if exclusive or ref == 1
 *                  folio_add_new_anon_rmap() / folio_add_anon_rmap_ptes()
 *                  set_ptes(), folio_unlock(), a write: do_wp_page()
 *       present: PTL, pte_same(); a write to a read-only PTE: do_wp_page(),
 *                else ptep_set_access_flags()
 *   do_wp_page()
 *     PageAnonExclusive, or wp_can_reuse_anon_folio() (ref count checks,
 *     folio_trylock, folio_free_swap, ref == 1, folio_move_anon_rmap):
 *       SetPageAnonExclusive, wp_page_reuse()
 *     else folio_get(), drop the PTL, wp_page_copy(): alloc, copy,
 *       pte_offset_map_lock(), pte_same()                      [guard]
 *       ptep_clear_flush(), folio_add_new_anon_rmap(), set_pte_at(),
 *       folio_remove_rmap_pte(old), free_swap_cache(old), folio_put(old)
 *
 * Reduced from linux-next mm/memory.c (@042acf45), mm/swap_state.c and
 * mm/swapfile.c; docs/model.md. Not modelled: the zero
 * page (a read fault allocates, as with mm_forbids_zeropage()), large
 * folios, KSM, userfaultfd, anon_vma_prepare() (a VMA without an anon_vma
 * fails the fault with -ENOMEM), pte_alloc() (a PMD without a PTE table
 * fails likewise), readahead of other entries, memcg, mlock, soft-dirty;
 * schedule_timeout_uninterruptible(1) on swapcache_wq is a sleep until the
 * pin is cleared (the timeout only adds spinning).
 *
 * A folio the task allocated and has not published yet (no PTE, not in the
 * swap cache) is written without scheduling points: nobody else can see it
 * (as __folio_set_locked() on such a folio).
 */
#include "ops.hpp"

namespace mmrace::model {

namespace {

constexpr int kSigsegv = -14, kEnomem = -12;

enum class FaultRet : std::uint8_t {
	Done,	 /* 0 or VM_FAULT_NOPAGE-like: retry the access */
	Retry,	 /* VM_FAULT_RETRY: the VMA/mmap lock was dropped already */
	Sigsegv, /* VM_FAULT_SIGSEGV */
	Oom,	 /* what the model does not build (anon_vma, PTE table) */
};

struct Fault {
	std::uint64_t addr = 0;
	bool write = false;	/* FAULT_FLAG_WRITE */
	VmaIdx vma = kNone;
	bool vmaLock = false;	/* FAULT_FLAG_VMA_LOCK: the per-VMA lock, else mmap_lock */
};

/* vma_end_read() / mmap_read_unlock(): what the fault entered with. */
void releaseFaultLock(Kernel &k, const Fault &f, const char *label)
{
	World &w = k.world();
	if (f.vmaLock)
		k.unlockShared(*w.vmas[f.vma].lock, label);
	else
		k.unlockShared(*w.mmapLock, label);
}

/*
 * folio_add_new_anon_rmap() on a folio nobody else can see yet: mapping =
 * vma->anon_vma, index = linear_page_index(), mapcount 1, PageAnonExclusive
 * if RMAP_EXCLUSIVE.
 */
void newAnonRmapPrivate(World &w, FolioIdx f, VmaIdx v, std::uint64_t addr, bool exclusive)
{
	Folio &fo = w.folios[f];
	fo.anon = true;
	fo.mapping = w.vmas[v].anonVma;
	fo.index = w.vmas[v].pageIndex(addr);
	fo.mapcount += 1;
	fo.pae = exclusive;
}

/* free_swap_cache() (mm/swap_state.c) */
void freeSwapCache(Kernel &k, FolioIdx f)
{
	if (!k.readFlag(f, Kernel::Flag::Swapcache, "free_swap_cache: folio_test_swapcache()"))
		return;
	if (k.readMapcount(f, "free_swap_cache: folio_mapped()") > 0)
		return;
	Lock &l = *k.world().folios[f].lock;
	if (!k.trylock(l, "free_swap_cache: folio_trylock()"))
		return;
	folioFreeSwap(k, f);
	k.unlock(l, "free_swap_cache: folio_unlock()");
}

/* wp_can_reuse_anon_folio() for a small folio, called under the PTL */
bool wpCanReuseAnonFolio(Kernel &k, FolioIdx f, VmaIdx v)
{
	World &w = k.world();
	/* The early checks: ref > 3, and (after lru_add_drain(), which has
	 * nothing to drain here) ref > 1 + swapcache. */
	int ref = k.readRefcount(f, "wp_can_reuse_anon_folio: folio_ref_count()");
	if (ref > 3)
		return false;
	bool sc = k.readFlag(f, Kernel::Flag::Swapcache, "wp_can_reuse_anon_folio: folio_test_swapcache()");
	if (ref > 1 + (sc ? 1 : 0))
		return false;
	Lock &l = *w.folios[f].lock;
	if (!k.trylock(l, "wp_can_reuse_anon_folio: folio_trylock()"))
		return false;
	if (k.readFlag(f, Kernel::Flag::Swapcache, "wp_can_reuse_anon_folio: folio_test_swapcache()"))
		folioFreeSwap(k, f);
	if (k.readRefcount(f, "wp_can_reuse_anon_folio: folio_ref_count() != 1") != 1) {
		k.unlock(l, "wp_can_reuse_anon_folio: folio_unlock()");
		return false;
	}
	/* folio_move_anon_rmap(): the folio now belongs to this VMA's anon_vma */
	if (w.folios[f].mapping != w.vmas[v].anonVma)
		k.writeMapping(f, w.vmas[v].anonVma, "folio_move_anon_rmap: WRITE_ONCE(folio->mapping)");
	k.unlock(l, "wp_can_reuse_anon_folio: folio_unlock()");
	return true;
}

/* wp_page_copy(): called with a reference on the old folio, PTL dropped */
FaultRet wpPageCopy(Kernel &k, const Fault &f, const Pte &orig)
{
	World &w = k.world();
	FolioIdx old = orig.folio;
	FolioIdx nf = k.allocFolio("wp_page_copy: folio_prealloc()");
	std::uint64_t data = k.readContent(old, "__wp_page_copy_user: copy_mc_user_highpage()");
	w.folios[nf].content = data;	/* the new folio is private */
	/* __folio_mark_uptodate(new_folio) */
	PteRef r = k.pteOffsetMapLock(f.addr, "wp_page_copy: pte_offset_map_lock()");
	bool same = r.table != kNone;
	if (same && k.guard(Guard::WpPageCopyPteSame))
		same = k.readPte(r, "wp_page_copy: pte_same(ptep_get(vmf->pte), vmf->orig_pte)") == orig;
	if (!same) {
		if (r.table != kNone)
			k.unlock(w.ptl(r), "wp_page_copy: pte changed, pte_unmap_unlock()");
		k.folioPut(nf, 1, "wp_page_copy: folio_put(new_folio)");
		k.folioPut(old, 1, "wp_page_copy: folio_put(old_folio)");
		return FaultRet::Done;
	}
	k.writePte(r, Pte{}, "ptep_clear_flush: ptep_get_and_clear()");
	k.flushTlbRange(f.addr, f.addr + kPageSize, "ptep_clear_flush: flush_tlb_page()");
	newAnonRmapPrivate(w, nf, f.vma, f.addr, true);
	k.lruAdd(nf, f.addr, "wp_page_copy: folio_add_lru_vma(new_folio)");
	Pte entry = Pte::makePresent(nf, w.vmas[f.vma].writable, true, true);
	k.writePte(r, entry, "wp_page_copy: set_pte_at(maybe_mkwrite(pte_mkdirty(new)))");
	k.addMapcount(old, -1, "wp_page_copy: folio_remove_rmap_pte(old_folio)");
	k.unlock(w.ptl(r), "wp_page_copy: pte_unmap_unlock()");
	/* new_folio = old_folio: the reference the page table held */
	k.folioPut(old, 1, "wp_page_copy: folio_put(old_folio) (the page table's reference)");
	freeSwapCache(k, old);
	k.folioPut(old, 1, "wp_page_copy: folio_put(old_folio)");
	return FaultRet::Done;
}

/* do_wp_page(): entered with the PTL held and orig the present, read-only
 * PTE; returns with it released. */
FaultRet doWpPage(Kernel &k, const Fault &f, PteRef r, const Pte &orig)
{
	World &w = k.world();
	FolioIdx folio = orig.folio;	/* vm_normal_page() */
	bool pae = k.readPageAnonExclusive(folio, "do_wp_page: PageAnonExclusive(vmf->page)");
	if (pae || wpCanReuseAnonFolio(k, folio, f.vma)) {
		if (!pae)
			k.writePageAnonExclusive(folio, true, "do_wp_page: SetPageAnonExclusive()");
		/* wp_page_reuse() */
		Pte entry = orig;
		entry.young = true;
		entry.dirty = true;
		entry.writable = w.vmas[f.vma].writable;
		k.writePte(r, entry, "wp_page_reuse: ptep_set_access_flags(maybe_mkwrite(pte_mkdirty()))");
		k.unlock(w.ptl(r), "wp_page_reuse: pte_unmap_unlock()");
		return FaultRet::Done;
	}
	k.addRefcount(folio, 1, "do_wp_page: folio_get(folio)");
	k.unlock(w.ptl(r), "do_wp_page: pte_unmap_unlock()");
	return wpPageCopy(k, f, orig);
}

/* do_anonymous_page(), for a write fault or (no zero page) a read fault */
FaultRet doAnonymousPage(Kernel &k, const Fault &f)
{
	World &w = k.world();
	const Vma &vma = w.vmas[f.vma];
	if (vma.anonVma == kNone)
		return FaultRet::Oom;	/* vmf_anon_prepare(): not modelled */
	bool writable = vma.writable;
	FolioIdx nf = k.allocFolio("alloc_anon_folio: vma_alloc_folio(__GFP_ZERO)");
	/* __folio_mark_uptodate(); entry = pte_mkwrite(pte_mkdirty()) if VM_WRITE */
	Pte entry = Pte::makePresent(nf, writable, writable, true);
	PteRef r = k.pteOffsetMapLock(f.addr, "do_anonymous_page: pte_offset_map_lock()");
	if (r.table == kNone) {
		k.folioPut(nf, 1, "do_anonymous_page: release: folio_put()");
		return FaultRet::Done;
	}
	if (k.guard(Guard::DoAnonymousPagePteNoneRecheck) &&
	    !k.readPte(r, "do_anonymous_page: vmf_pte_changed(): !pte_none()").none()) {
		k.unlock(w.ptl(r), "do_anonymous_page: pte_unmap_unlock()");
		k.folioPut(nf, 1, "do_anonymous_page: release: folio_put()");
		return FaultRet::Done;
	}
	newAnonRmapPrivate(w, nf, f.vma, f.addr, true);
	k.lruAdd(nf, f.addr, "do_anonymous_page: folio_add_lru_vma()");
	k.zeroFillMemory(f.addr, "do_anonymous_page: the new page reads as zeroes");
	k.writePte(r, entry, "do_anonymous_page: set_ptes()");
	k.unlock(w.ptl(r), "do_anonymous_page: pte_unmap_unlock()");
	return FaultRet::Done;
}

/* migration_entry_wait() (mm/migrate.c) */
void migrationEntryWait(Kernel &k, std::uint64_t addr)
{
	World &w = k.world();
	PteRef r = k.pteOffsetMapLock(addr, "migration_entry_wait: pte_offset_map_lock()");
	if (r.table == kNone)
		return;
	Pte pte = k.readPte(r, "migration_entry_wait: ptep_get()");
	if (!pte.isMigration()) {
		k.unlock(w.ptl(r), "migration_entry_wait: pte_unmap_unlock()");
		return;
	}
	k.unlock(w.ptl(r), "migration_entry_wait_on_locked: spin_unlock(ptl)");
	k.waitFolioUnlocked(pte.folio, "migration_entry_wait_on_locked: folio_wait_bit(PG_locked)");
}

/*
 * swapin_readahead() for the faulting entry only: __read_swap_cache_async().
 * Returns the swap cache's folio with a reference, or kNone if the entry
 * was freed meanwhile.
 */
FolioIdx swapinReadahead(Kernel &k, SwapIdx s, std::uint64_t addr)
{
	World &w = k.world();
	for (;;) {
		FolioIdx nf = k.allocFolio("__read_swap_cache_async: folio_alloc_mpol()", true);
		/* Private until added: __folio_set_swapbacked(), folio->swap,
		 * PG_swapcache and the swap cache's reference. */
		w.folios[nf].swap = s;
		w.folios[nf].swapcache = true;
		w.folios[nf].refcount += 1;
		FolioIdx cur = kNone;
		int err = k.swapCacheAddIfAbsent(
			s, nf, cur, "__read_swap_cache_async: swapcache_prepare() + swap_cache_add_folio()");
		if (!err) {
			k.lruAdd(nf, addr, "__read_swap_cache_async: folio_add_lru()");
			std::uint64_t data = k.swapReadData(s, "swap_read_folio()");
			w.folios[nf].content = data;	/* locked by us, not mapped */
			k.unlock(*w.folios[nf].lock, "swap_read_folio: folio_end_read() unlocks");
			return nf;
		}
		/* Lost the race (or the entry is gone): drop the private folio. */
		w.folios[nf].swapcache = false;
		w.folios[nf].swap = kNone;
		w.folios[nf].refcount -= 1;
		k.unlock(*w.folios[nf].lock, "__read_swap_cache_async: folio_unlock(new)");
		k.folioPut(nf, 1, "__read_swap_cache_async: folio_put(new)");
		if (err != -17)
			return kNone;	/* the entry is unused now */
		if (cur == kNone) {
			/* A SWP_SYNCHRONOUS_IO swapin holds SWAP_HAS_CACHE. */
			k.waitSwapcachePin(s, "__read_swap_cache_async: schedule_timeout_uninterruptible(1)");
			continue;
		}
		if (k.tryGetFolio(cur, 1, "__read_swap_cache_async: swap_cache_get_folio(): folio_try_get()"))
			return cur;
		k.spinUntilTryGetCanChange(cur, s, "__read_swap_cache_async: folio_try_get() failed, retry");
	}
}

/* do_swap_page(): orig is a swap or migration entry. */
FaultRet doSwapPage(Kernel &k, Fault &f, const Pte &orig)
{
	World &w = k.world();
	if (orig.isMigration()) {
		migrationEntryWait(k, f.addr);
		return FaultRet::Done;
	}
	SwapIdx s = orig.swap;
	FolioIdx folio;
	for (;;) { /* swap_cache_get_folio() */
		folio = k.swapCacheGet(s, "swap_cache_get_folio: swap cache lookup");
		if (folio == kNone ||
		    k.tryGetFolio(folio, 1, "swap_cache_get_folio: folio_try_get()"))
			break;
		k.spinUntilTryGetCanChange(folio, s, "swap_cache_get_folio: folio_try_get() failed, retry");
	}
	FolioIdx swapcache = folio;
	bool fresh = false;
	bool needClearCache = false;
	if (folio == kNone) {
		if (w.swap.synchronousIo &&
		    k.readSwapCount(s, "do_swap_page: __swap_count(entry) == 1") == 1) {
			/* skip the swap cache: a private folio, locked */
			folio = k.allocFolio("alloc_swap_folio: vma_alloc_folio()", true);
			/* Prevent a parallel swapin from proceeding with the
			 * cache flag, and the entry from being freed and reused
			 * before our pte_same(). */
			if (k.swapcachePrepare(s, "do_swap_page: swapcache_prepare(entry)")) {
				k.waitSwapcachePin(s, "do_swap_page: schedule_timeout_uninterruptible(1)");
				k.unlock(*w.folios[folio].lock, "do_swap_page: out_page: folio_unlock()");
				k.folioPut(folio, 1, "do_swap_page: out_release: folio_put()");
				return FaultRet::Done;
			}
			needClearCache = true;
			w.folios[folio].swap = s;	/* to provide entry to swap_read_folio() */
			std::uint64_t data = k.swapReadData(s, "swap_read_folio() (SWP_SYNCHRONOUS_IO)");
			w.folios[folio].content = data;
			fresh = true;
		} else {
			folio = swapinReadahead(k, s, f.addr);
			swapcache = folio;
		}
		if (folio == kNone) {
			/* Back out if somebody else faulted in this PTE meanwhile. */
			PteRef r = k.pteOffsetMapLock(f.addr, "do_swap_page: pte_offset_map_lock()");
			if (r.table == kNone)
				return FaultRet::Done;
			bool same = k.readPte(r, "do_swap_page: pte_same() (no folio)") == orig;
			k.unlock(w.ptl(r), "do_swap_page: pte_unmap_unlock()");
			return same ? FaultRet::Oom : FaultRet::Done;
		}
	}

	Lock &fl = *w.folios[folio].lock;
	/* folio_lock_or_retry(); the fresh folio is ours and locked already */
	if (!fresh && !k.trylock(fl, "folio_lock_or_retry: folio_trylock()")) {
		releaseFaultLock(k, f, "__folio_lock_or_retry: release the VMA/mmap lock");
		k.waitFolioUnlocked(folio, "__folio_lock_or_retry: folio_wait_locked_killable()");
		k.folioPut(folio, 1, "do_swap_page: out_release: folio_put()");
		return FaultRet::Retry;
	}
	/* Clear the swap cache pin for direct swapin after the PTL unlock. */
	auto clearCache = [&] {
		if (needClearCache)
			k.swapcacheClear(s, "do_swap_page: swapcache_clear() + wake_up(&swapcache_wq)");
	};
	auto outPage = [&] {
		k.unlock(fl, "do_swap_page: out_page: folio_unlock()");
		k.folioPut(folio, 1, "do_swap_page: out_release: folio_put()");
		clearCache();
		return FaultRet::Done;
	};
	if (swapcache != kNone && k.guard(Guard::DoSwapPageSwapcacheRecheck)) {
		/* folio_matches_swap_entry() */
		if (!k.readFlag(folio, Kernel::Flag::Swapcache,
				"do_swap_page: folio_matches_swap_entry(): folio_test_swapcache()") ||
		    k.readFolioSwap(folio, "do_swap_page: folio_matches_swap_entry(): folio->swap") != s)
			return outPage();
	}
	PteRef r = k.pteOffsetMapLock(f.addr, "do_swap_page: pte_offset_map_lock()");
	if (r.table == kNone)
		return outPage();
	Lock &ptl = w.ptl(r);
	if (k.guard(Guard::DoSwapPagePteSame) &&
	    !(k.readPte(r, "do_swap_page: pte_same(ptep_get(vmf->pte), vmf->orig_pte)") == orig)) {
		k.unlock(ptl, "do_swap_page: out_nomap: pte_unmap_unlock()");
		return outPage();
	}
	/* folio_test_anon(): ->mapping is stable under the folio lock */
	bool anon = w.folios[folio].mapping != kNone;
	if (anon && k.readPageAnonExclusive(folio, "do_swap_page: BUG_ON(folio_test_anon(folio) && "
						   "PageAnonExclusive(page))"))
		k.warn("do_swap_page", "BUG_ON(folio_test_anon(folio) && PageAnonExclusive(page)): "
				       "a swap PTE points at an exclusive swapcache page");
	bool exclusive = orig.exclusive;
	if (folio != swapcache) {
		exclusive = true;	/* a fresh page never exposed to the swap cache */
	} else if (exclusive && k.guard(Guard::DoSwapPageStableWritesDropExclusive) &&
		   k.readFlag(folio, Kernel::Flag::Writeback, "do_swap_page: folio_test_writeback()") &&
		   w.swap.stableWrites) {
		/* Must not be mapped writable while under writeback to a
		 * backend that needs stable pages: drop the exclusive marker. */
		exclusive = false;
	}
	k.swapFree(s, "do_swap_page: swap_free_nr(entry)");
	bool write = f.write;
	/* should_try_to_free_swap() */
	if (write && !fresh &&
	    k.readFlag(folio, Kernel::Flag::Swapcache, "should_try_to_free_swap: folio_test_swapcache()") &&
	    k.readRefcount(folio, "should_try_to_free_swap: folio_ref_count() == 1 + nr") == 2)
		folioFreeSwap(k, folio);
	Pte pte = Pte::makePresent(folio, false, false, true);
	bool rmapExclusive = false;
	if (exclusive || k.readRefcount(folio, "do_swap_page: folio_ref_count(folio) == 1") == 1) {
		if (w.vmas[f.vma].writable) {
			pte.writable = true;
			if (write) {
				pte.dirty = true;
				write = false;	/* vmf->flags &= ~FAULT_FLAG_WRITE */
			}
		}
		rmapExclusive = true;
	}
	if (fresh) {
		/* folio_add_new_anon_rmap(folio, vma, address, rmap_flags) */
		newAnonRmapPrivate(w, folio, f.vma, f.addr, rmapExclusive);
		k.lruAdd(folio, f.addr, "do_swap_page: folio_add_lru_vma()");
	} else if (!anon) {
		/* folio_add_new_anon_rmap() on the swapin_readahead() folio:
		 * in the swap cache, so visible, but locked by us. */
		const Vma &vma = w.vmas[f.vma];
		k.writeMapping(folio, vma.anonVma, "folio_add_new_anon_rmap: __folio_set_anon()");
		k.writeIndex(folio, vma.pageIndex(f.addr), "folio_add_new_anon_rmap: folio->index");
		k.addMapcount(folio, 1, "folio_add_new_anon_rmap: atomic_set(&page->_mapcount, 0)");
		if (rmapExclusive)
			k.writePageAnonExclusive(folio, true, "folio_add_new_anon_rmap: SetPageAnonExclusive()");
	} else {
		/* folio_add_anon_rmap_ptes() */
		k.addMapcount(folio, 1, "folio_add_anon_rmap_ptes: atomic_inc(&page->_mapcount)");
		if (rmapExclusive)
			k.writePageAnonExclusive(folio, true, "folio_add_anon_rmap_ptes: SetPageAnonExclusive()");
	}
	k.writePte(r, pte, "do_swap_page: set_ptes()");
	k.unlock(fl, "do_swap_page: folio_unlock()");
	FaultRet ret = FaultRet::Done;
	if (write)
		ret = doWpPage(k, f, r, pte);
	else
		k.unlock(ptl, "do_swap_page: pte_unmap_unlock()");
	clearCache();
	return ret;
}

/* handle_mm_fault() -> __handle_mm_fault() -> handle_pte_fault() */
FaultRet handleMmFault(Kernel &k, Fault &f)
{
	World &w = k.world();
	PmdIdx p = k.pmdLookup(f.addr, "__handle_mm_fault: no PMD");
	if (p == kNone)
		return FaultRet::Oom;
	k.rcuReadLock("__pte_offset_map: rcu_read_lock()");
	Pmd pmd = k.readPmd(p, "__handle_mm_fault: vmf.orig_pmd = pmdp_get_lockless()");
	if (!pmd.isTable()) {
		k.rcuReadUnlock("__handle_mm_fault: rcu_read_unlock()");
		return FaultRet::Oom;	/* pte_alloc() / huge PMDs: not modelled */
	}
	PteRef lockless = w.pteIn(pmd.table, f.addr);
	Pte orig = k.readPte(lockless, "handle_pte_fault: vmf->orig_pte = ptep_get_lockless()");
	k.rcuReadUnlock("pte_unmap: rcu_read_unlock()");
	if (orig.none())
		return doAnonymousPage(k, f);
	if (!orig.present())
		return doSwapPage(k, f, orig);
	PteRef r = k.pteOffsetMapLock(f.addr, "handle_pte_fault: spin_lock(vmf->ptl)");
	if (r.table == kNone)
		return FaultRet::Done;
	Pte cur = k.readPte(r, "handle_pte_fault: pte_same(ptep_get(vmf->pte), entry)");
	if (!(cur == orig) && k.guard(Guard::HandlePteFaultPteSame)) {
		k.unlock(w.ptl(r), "handle_pte_fault: pte changed, pte_unmap_unlock()");
		return FaultRet::Done;
	}
	if (f.write && !orig.writable)
		return doWpPage(k, f, r, orig);
	Pte entry = orig;
	entry.young = true;
	if (f.write)
		entry.dirty = true;
	/* ptep_set_access_flags() only adds A/D bits (the hardware may set D
	 * meanwhile: it is kept) */
	if (!(entry == cur))
		k.ptepSetAccessFlags(r, f.write, "handle_pte_fault: ptep_set_access_flags()");
	k.unlock(w.ptl(r), "handle_pte_fault: pte_unmap_unlock()");
	return FaultRet::Done;
}

/* do_user_addr_fault(): find and lock the VMA, then handle_mm_fault() */
FaultRet doUserAddrFault(Kernel &k, std::uint64_t addr, bool write)
{
	World &w = k.world();
	Fault f;
	f.addr = addr;
	f.write = write;

	VmaIdx v = lockVmaUnderRcu(k, addr);
	const bool locked = v != kNone;
	if (locked) {
		f.vma = v;
		f.vmaLock = true;
	} else {
		/* lock_mm_and_find_vma() */
		k.lockShared(*w.mmapLock, "lock_mm_and_find_vma: mmap_read_lock()");
		f.vma = w.findVma(addr);	/* find_vma() */
		if (f.vma == kNone) {
			k.unlockShared(*w.mmapLock, "bad_area: mmap_read_unlock()");
			return FaultRet::Sigsegv;
		}
	}
	/* access_error(): a write to a VMA without VM_WRITE */
	if (write && !w.vmas[f.vma].writable) {
		releaseFaultLock(k, f, "bad_area_access_error: vma_end_read() / mmap_read_unlock()");
		return FaultRet::Sigsegv;
	}
	/* khugepaged: a fault on a file VMA (MAP_PRIVATE shmem) goes to
	 * do_fault() -> do_read_fault()/do_cow_fault(), shmem_fault(): not
	 * modelled, refused like the other paths the model does not build */
	if (w.vmas[f.vma].file != kNone) {
		releaseFaultLock(k, f, "do_user_addr_fault: file VMA: do_fault() is not modelled");
		return FaultRet::Oom;
	}
	/* end khugepaged */
	FaultRet ret = handleMmFault(k, f);
	if (ret != FaultRet::Retry)
		releaseFaultLock(k, f, "do_user_addr_fault: vma_end_read() / mmap_read_unlock()");
	return ret;
}

} // namespace

int userAccess(Kernel &k, std::uint64_t addr, bool write, std::uint64_t &value)
{
	const std::uint64_t stored = value;
	for (;;) {
		value = stored;
		if (k.tlbAccess(addr, write, value, write ? "user store: TLB hit" : "user load: TLB hit"))
			return 0;
		if (k.hwWalk(addr, write, value,
			     write ? "user store: hardware page-table walk"
				   : "user load: hardware page-table walk"))
			return 0;
		switch (doUserAddrFault(k, addr, write)) {
		case FaultRet::Sigsegv:
			return kSigsegv;
		case FaultRet::Oom:
			return kEnomem;
		case FaultRet::Done:
		case FaultRet::Retry:
			break;	/* the instruction is restarted */
		}
	}
}

} // namespace mmrace::model
