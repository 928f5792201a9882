/* SPDX-License-Identifier: GPL-2.0 */
#include "rmap.hpp"

#include <algorithm>

namespace mmrace::model {

namespace {

/*
 * folio_lock_anon_vma_read(): returns the anon_vma read-locked, or kNone
 * (not mapped, or contended under try_lock).
 */
AnonVmaIdx folioLockAnonVmaRead(Kernel &k, FolioIdx f, RmapWalkControl &rwc)
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
		if (rwc.tryLock) {
			rwc.contended = true;
			return kNone;
		}
		/* The slow path: pin the anon_vma, then sleep on its lock. */
		if (!k.anonVmaTryGet(anonVma, "folio_lock_anon_vma_read: atomic_inc_not_zero(&anon_vma->refcount)"))
			return kNone;
		if (k.readMapcount(f, "folio_lock_anon_vma_read: folio_mapped()") == 0) {
			k.anonVmaPut(anonVma, "folio_lock_anon_vma_read: put_anon_vma()");
			return kNone;
		}
		k.lockShared(root, "folio_lock_anon_vma_read: anon_vma_lock_read()");
		if (k.guard(Guard::RecheckMapping) &&
		    k.readMapping(f, "folio_lock_anon_vma_read: recheck folio->mapping") != anonVma) {
			k.unlockShared(root, "folio_lock_anon_vma_read: anon_vma_unlock_read (retry)");
			k.anonVmaPut(anonVma, "folio_lock_anon_vma_read: put_anon_vma()");
			continue;
		}
		/* atomic_dec_and_test(): the last reference is never ours here
		 * (anon_vmas are not freed in the model yet). */
		k.anonVmaPut(anonVma, "folio_lock_anon_vma_read: atomic_dec_and_test(&anon_vma->refcount)");
		return anonVma;
	}
}

/* rmap_walk_anon_lock() without rwc->anon_lock */
AnonVmaIdx anonVmaLockRead(Kernel &k, FolioIdx f, RmapWalkControl &rwc)
{
	AnonVmaIdx anonVma = k.readMapping(f, "rmap_walk_anon_lock: folio_anon_vma()");
	if (anonVma == kNone)
		return kNone;
	Lock &root = k.world().rootRwsem(anonVma);
	if (k.trylockShared(root, "rmap_walk_anon_lock: anon_vma_trylock_read()"))
		return anonVma;
	if (rwc.tryLock) {
		rwc.contended = true;
		return kNone;
	}
	k.lockShared(root, "rmap_walk_anon_lock: anon_vma_lock_read()");
	return anonVma;
}

} // namespace

bool rmapWalk(Kernel &k, FolioIdx f, RmapWalkControl &rwc)
{
	World &w = k.world();
	AnonVmaIdx anonVma = rwc.folioLockAnonVmaRead ? folioLockAnonVmaRead(k, f, rwc)
						      : anonVmaLockRead(k, f, rwc);
	if (anonVma == kNone)
		return false;
	rwc.walk = k.beginWalk(f, anonVma, rwc.walker, rwc.heuristic,
			       "rmap_walk_anon: pgoff_start = folio_pgoff(folio)", rwc.migrationOf);
	std::uint64_t pgoff = w.walks[rwc.walk].pgoff;
	for (VmaIdx v : k.readAnonVmaTree(anonVma, "rmap_walk_anon: anon_vma_interval_tree_foreach")) {
		std::uint64_t addr;
		if (!w.vmas[v].addressOf(pgoff, addr))
			continue;
		if (!rwc.rmapOne(v, addr))
			break;
		if (rwc.done && rwc.done())
			break;
	}
	k.endWalk(rwc.walk, "rmap_walk_anon: walk done");
	k.unlockShared(w.rootRwsem(anonVma), "rmap_walk_anon: anon_vma_unlock_read()");
	rwc.walk = -1;
	return true;
}

PteRef pageVmaMappedWalk(Kernel &k, FolioIdx f, std::uint64_t addr, bool migration, int walk,
			 Pte &pte, bool sync)
{
	World &w = k.world();
	if (sync) {
		/* map_pte(): PVMW_SYNC "Use the stricter lookup" */
		PteRef r = k.pteOffsetMapLock(addr, "map_pte: pte_offset_map_lock() (PVMW_SYNC)");
		if (r.table == kNone)
			return r;
		pte = k.readPte(r, "check_pte: ptep_get()");
		bool ok = migration ? (pte.isMigration() && pte.folio == f) : pte.mapsFolio(f);
		if (!ok) {
			k.unlock(w.ptl(r), "page_vma_mapped_walk_done: pte_unmap_unlock()");
			return {kNone, 0};
		}
		if (walk >= 0)
			k.visitWalk(walk, r);
		return r;
	}
	PmdIdx p = k.pmdLookup(addr, "page_vma_mapped_walk: mm_find_pmd(): none");
	if (p == kNone)
		return {kNone, 0};
	Pmd pmd = k.readPmd(p, "page_vma_mapped_walk: pmdp_get_lockless()");
	if (!pmd.isTable())
		return {kNone, 0};
	/* map_pte(): pte_offset_map_rw_nolock() reads the PMD inside
	 * __pte_offset_map()'s rcu_read_lock(); the section lasts until
	 * pte_unmap(): pte_free_defer() cannot free the table before
	 * (World::pteMapRcu, as pte_offset_map_lock(); oracle-rcu) */
	auto &mapped = w.pteMapRcu[k.self()];
	mapped.push_back(pmd.table);
	PteRef r = w.pteIn(pmd.table, addr);
	/* map_pte(): a lockless look first */
	Pte look = k.readPte(r, "map_pte: ptep_get() (lockless)");
	bool candidate = migration ? look.isMigration() : look.present();
	if (!candidate) {
		/* not_found: pte_unmap(): rcu_read_unlock() (the PTE read reads
		 * the table, which pte_free_defer()'s wait declares) */
		mapped.erase(std::find(mapped.begin(), mapped.end(), pmd.table));
		return {kNone, 0};
	}
	Lock &ptl = *w.tables[pmd.table].ptl;
	k.lock(ptl, "map_pte: spin_lock(ptl)");
	if (k.guard(Guard::PteOffsetMapLockPmdSame) &&
	    !(k.readPmd(p, "map_pte: pmd_same() recheck") == pmd)) {
		k.unlock(ptl, "map_pte: pmd changed, spin_unlock(ptl)");
		return {kNone, 0};
	}
	pte = k.readPte(r, "check_pte: ptep_get()");
	bool ok = migration ? (pte.isMigration() && pte.folio == f) : pte.mapsFolio(f);
	if (!ok) {
		k.unlock(ptl, "page_vma_mapped_walk_done: pte_unmap_unlock()");
		return {kNone, 0};
	}
	if (walk >= 0)
		k.visitWalk(walk, r);
	return r;
}

} // namespace mmrace::model
