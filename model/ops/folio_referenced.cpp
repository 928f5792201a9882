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
 * reference/kernel-mm.md section 1e. Not modelled: KSM, mlock, memcg, the
 * non-try slow path of folio_lock_anon_vma_read() (folio_referenced always
 * sets try_lock), RCU (anon_vmas are not freed yet).
 */
#include "ops.hpp"

namespace mmrace::model {

namespace {

/*
 * folio_lock_anon_vma_read() with rwc->try_lock: returns the anon_vma
 * read-locked, or kNone (not mapped, or contended).
 */
AnonVmaIdx folioLockAnonVmaRead(Kernel &k, FolioIdx f, bool &contended)
{
	World &w = k.world();
	for (;;) {
		/* rcu_read_lock(); anon_mapping = READ_ONCE(folio->mapping) */
		AnonVmaIdx anonVma = k.readMapping(f, "folio_lock_anon_vma_read: READ_ONCE(folio->mapping)");
		if (anonVma == kNone)
			return kNone;
		if (k.readMapcount(f, "folio_lock_anon_vma_read: folio_mapped()") == 0)
			return kNone;
		/* root = READ_ONCE(anon_vma->root): never changes here */
		Lock &root = w.rootRwsem(anonVma);
		if (k.trylockShared(root, "folio_lock_anon_vma_read: down_read_trylock(&root->rwsem)")) {
			if (k.guard(Guard::RecheckMapping) &&
			    k.readMapping(f, "folio_lock_anon_vma_read: recheck folio->mapping") != anonVma) {
				/* folio_move_anon_rmap() moved it: retry */
				k.unlockShared(root, "folio_lock_anon_vma_read: up_read (mapping changed, retry)");
				continue;
			}
			if (k.readMapcount(f, "folio_lock_anon_vma_read: folio_mapped()") == 0) {
				k.unlockShared(root, "folio_lock_anon_vma_read: up_read (unmapped)");
				return kNone;
			}
			return anonVma;
		}
		contended = true;
		return kNone;
	}
}

} // namespace

int folioReferenced(Kernel &k, FolioIdx f)
{
	World &w = k.world();
	if (k.readMapcount(f, "folio_referenced: folio_mapcount()") == 0)
		return 0;
	bool weLocked = false;
	if (k.guard(Guard::FolioReferencedFolioTrylock)) {
		weLocked = k.trylock(*w.folios[f].lock, "folio_referenced: folio_trylock()");
		if (!weLocked)
			return 1;	/* contended: treat as referenced */
	}
	bool contended = false;
	AnonVmaIdx anonVma = folioLockAnonVmaRead(k, f, contended);
	int referenced = 0;
	if (anonVma != kNone) {
		int walk = k.beginWalk(f, anonVma, "folio_referenced", true,
				       "rmap_walk_anon: pgoff_start = folio_pgoff(folio)");
		std::uint64_t pgoff = w.walks[walk].pgoff;
		for (VmaIdx v : k.readAnonVmaTree(anonVma, "rmap_walk_anon: anon_vma_interval_tree_foreach")) {
			std::uint64_t addr;
			if (!w.vmas[v].addressOf(pgoff, addr))
				continue;
			/*
			 * folio_referenced_one() -> page_vma_mapped_walk() -> map_pte():
			 * a lockless look first; only a present PTE is locked and checked.
			 */
			PteRef r = w.pteFor(addr);
			if (!k.readPte(r, "map_pte: ptep_get() (lockless)").present())
				continue;
			Lock &ptl = w.ptl(r);
			k.lock(ptl, "map_pte: spin_lock(ptl)");
			Pte pte = k.readPte(r, "check_pte: ptep_get()");
			if (pte.mapsFolio(f)) {
				k.visitWalk(walk, r);
				if (pte.young) {
					Pte old = pte;
					old.young = false;
					k.writePte(r, old, "folio_referenced_one: ptep_clear_flush_young_notify()");
					++referenced;
				}
			}
			k.unlock(ptl, "page_vma_mapped_walk_done: pte_unmap_unlock()");
		}
		k.endWalk(walk, "rmap_walk_anon: walk done");
		k.unlockShared(w.rootRwsem(anonVma), "rmap_walk_anon: anon_vma_unlock_read()");
	}
	if (weLocked)
		k.unlock(*w.folios[f].lock, "folio_referenced: folio_unlock()");
	return contended ? -1 : referenced;
}

} // namespace mmrace::model
