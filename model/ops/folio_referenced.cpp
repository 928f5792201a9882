/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reclaim's aging check on an anon folio, as shrink_active_list() calls it:
 *
 *   folio_referenced(folio, is_locked = 0)          mm/rmap.c
 *     folio_trylock()                   [Seed E; before it, anon folios
 *                                        were walked without the folio lock]
 *     rmap_walk() -> rmap_walk_anon()
 *       folio_lock_anon_vma_read()      rwc->try_lock = true
 *       pgoff = folio_pgoff(folio)
 *       anon_vma_interval_tree_foreach: folio_referenced_one()
 *         page_vma_mapped_walk() -> map_pte(): lockless ptep_get(), then
 *           for a present PTE: PTL, check_pte()
 *         ptep_clear_flush_young_notify()
 *       anon_vma_unlock_read()
 *
 * Reduced from linux-next (2025) and the pre-Seed-E v6.8-v6.16 code; see
 * docs/model.md. Not modelled: KSM, mlock, memcg, the
 * non-try slow path of folio_lock_anon_vma_read() (folio_referenced always
 * sets try_lock), RCU (anon_vmas are not freed yet).
 */
#include "rmap.hpp"

namespace mmrace::model {

namespace {

int referenced(Kernel &k, FolioIdx f, bool isLocked)
{
	World &w = k.world();
	if (k.readMapcount(f, "folio_referenced: folio_mapcount()") == 0)
		return 0;
	bool weLocked = false;
	if (!isLocked && k.guard(Guard::FolioReferencedFolioTrylock)) {
		weLocked = k.trylock(*w.folios[f].lock, "folio_referenced: folio_trylock()");
		if (!weLocked)
			return 1;	/* contended: treat as referenced */
	}
	int young = 0;
	RmapWalkControl rwc;
	rwc.walker = "folio_referenced";
	rwc.heuristic = true;
	rwc.tryLock = true;
	rwc.rmapOne = [&](VmaIdx, std::uint64_t addr) {
		/* folio_referenced_one() */
		Pte pte;
		PteRef r = pageVmaMappedWalk(k, f, addr, false, rwc.walk, pte);
		if (r.table == kNone)
			return true;
		/* ptep_test_and_clear_young(): an atomic bit clear that keeps a
		 * D bit the hardware set since check_pte() read the entry */
		if (pte.young && k.ptepTestAndClearYoung(
				     r, "folio_referenced_one: ptep_clear_flush_young_notify()"))
			++young;
		k.unlock(w.ptl(r), "page_vma_mapped_walk_done: pte_unmap_unlock()");
		return true;
	};
	rmapWalk(k, f, rwc);
	if (weLocked)
		k.unlock(*w.folios[f].lock, "folio_referenced: folio_unlock()");
	return rwc.contended ? -1 : young;
}

} // namespace

int folioReferenced(Kernel &k, FolioIdx f)
{
	return referenced(k, f, false);
}

/* folio_referenced(folio, is_locked = 1), as folio_check_references() calls it */
int folioReferencedLocked(Kernel &k, FolioIdx f)
{
	return referenced(k, f, true);
}

} // namespace mmrace::model
