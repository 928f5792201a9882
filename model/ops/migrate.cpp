/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Migration of one small anon folio, MIGRATE_SYNC, as alloc_contig_range()
 * or compaction drive it from a PFN (the folio is named, not looked up
 * through a page table):
 *
 *   isolate_migratepages_block()                     mm/compaction.c
 *     folio_get_nontail_page() (try-get: fails on a freed folio)
 *     folio_test_clear_lru(): only one isolator wins; the reference taken
 *       becomes the isolation reference
 *   migrate_pages() -> migrate_pages_batch()         mm/migrate.c
 *     migrate_folio_unmap(src)
 *       folio_ref_count(src) == 1: freed under us, done
 *       dst = get_new_folio()
 *       folio_trylock(src), else (MIGRATE_SYNC) folio_lock(src)
 *       folio_test_writeback(src): folio_wait_writeback()
 *       anon_vma = folio_get_anon_vma(src)
 *       folio_trylock(dst)
 *       folio_mapped(src): try_to_migrate(src, 0)     mm/rmap.c
 *         rmap_walk(): rwc = {try_to_migrate_one, done = folio_not_mapped,
 *                             anon_lock = folio_lock_anon_vma_read}
 *         try_to_migrate_one(): page_vma_mapped_walk() (PTL);
 *           ptep_clear_flush()                   [guard try_to_migrate_one.flush]
 *           pte_dirty -> folio_mark_dirty(); writable = pte_write()
 *           anon_exclusive && folio_try_share_anon_rmap_pte():
 *             folio_maybe_dma_pinned() -> restore the PTE, abort
 *                                             [guard try_to_migrate_one.pinned_check]
 *             else ClearPageAnonExclusive()
 *           make_{writable,readable_exclusive,readable}_migration_entry
 *             (+young, +dirty); set_pte_at()
 *           folio_remove_rmap_pte(); folio_put()
 *       still mapped: migrate_folio_undo_src() + migrate_folio_undo_dst()
 *     migrate_folio_move(src, dst)
 *       move_to_new_folio() -> migrate_folio() -> __migrate_folio()
 *         folio_ref_count(src) != folio_expected_ref_count(src) + 1
 *           -> -EAGAIN                          [guard migrate.expected_refcount]
 *         folio_mc_copy(dst, src)
 *         __folio_migrate_mapping(NULL mapping): dst->index/mapping = src's
 *         folio_migrate_flags(): PG_dirty (PAE goes by the migration entries)
 *       folio_add_lru(dst)
 *       remove_migration_ptes(src, dst, 0): rmap_walk(dst) with
 *         folio_anon_vma() + anon_vma_lock_read() (no rwc->anon_lock);
 *         remove_migration_pte() per VMA: page_vma_mapped_walk(PVMW_MIGRATION)
 *           (PTL), folio_get(dst), folio_add_anon_rmap_pte(RMAP_EXCLUSIVE unless
 *           a readable entry), writable only for a writable entry, set_pte_at()
 *       folio_unlock(dst); folio_put(dst); put_anon_vma(); folio_unlock(src);
 *       migrate_folio_done(): folio_put(src), the last reference: freed
 *     -EAGAIN after unmap: migrate_folios_undo(): remove_migration_ptes(src,
 *       src), put_anon_vma, folio_unlock(src); folio_unlock(dst), folio_put(dst)
 *   putback_movable_pages(): folio_putback_lru(): PG_lru back, folio_put()
 *
 * Reduced from mm/migrate.c @0136411c and mm/rmap.c @019d65eb (linux-next,
 * 2025); docs/model.md. Not modelled: the retry passes of
 * migrate_pages_batch() (one pass; -EAGAIN is reported after the undo),
 * MIGRATE_ASYNC and TTU_BATCH_FLUSH, MMU notifiers, mlock, KSM, large
 * folios, swapcache folios (their __folio_migrate_mapping() freezes the
 * refcount under the xarray lock; such a folio is reported -EBUSY
 * untouched), RCU in folio_get_anon_vma() (anon_vmas are never freed).
 */
#include "rmap.hpp"

namespace mmrace::model
{

namespace
{

constexpr int kEAGAIN = -11, kEBUSY = -16;

/* folio_get_anon_vma() */
AnonVmaIdx folioGetAnonVma(Kernel &k, FolioIdx f)
{
	AnonVmaIdx a = k.readMapping(f, "folio_get_anon_vma: READ_ONCE(folio->mapping)");
	if (a == kNone)
		return kNone;
	if (k.readMapcount(f, "folio_get_anon_vma: folio_mapped()") == 0)
		return kNone;
	if (!k.anonVmaTryGet(a, "folio_get_anon_vma: atomic_inc_not_zero(&anon_vma->refcount)"))
		return kNone;
	if (k.readMapcount(f, "folio_get_anon_vma: folio_mapped() recheck") == 0) {
		k.anonVmaPut(a, "folio_get_anon_vma: put_anon_vma()");
		return kNone;
	}
	return a;
}

/*
 * try_to_migrate_one() for the one PTE a small folio can have in this VMA.
 * Returns false to stop the walk (a pinned folio: the PTE was restored).
 */
bool tryToMigrateOne(Kernel &k, FolioIdx f, std::uint64_t addr, int walk)
{
	World &w = k.world();
	Pte pteval;
	PteRef r = pageVmaMappedWalk(k, f, addr, false, walk, pteval);
	if (r.table == kNone)
		return true;
	Lock &ptl = w.ptl(r);
	bool anonExclusive =
	    k.readPageAnonExclusive(f, "try_to_migrate_one: PageAnonExclusive(subpage)");
	/* ptep_clear_flush(): clear, then flush this page on every CPU */
	k.writePte(r, Pte{}, "try_to_migrate_one: ptep_clear_flush(): ptep_get_and_clear()");
	if (k.guard(Guard::TryToMigrateOneFlush))
		k.flushTlbRange(addr, addr + kPageSize,
				"try_to_migrate_one: ptep_clear_flush(): flush_tlb_page()");
	if (pteval.dirty)
		k.writeFlag(f, Kernel::Flag::Dirty, true, "try_to_migrate_one: folio_mark_dirty()");
	bool writable = pteval.writable;
	if (writable && !anonExclusive)
		k.warn("try_to_migrate_one",
		       "VM_WARN_ON_FOLIO(writable && folio_test_anon(folio) && !anon_exclusive)");
	if (anonExclusive) {
		/* folio_try_share_anon_rmap_pte(): smp_mb(); pinned -> -EBUSY */
		if (k.guard(Guard::TryToMigrateOnePinnedCheck) &&
		    k.readRefcount(f, "__folio_try_share_anon_rmap: folio_maybe_dma_pinned()") >=
			kGupPinCountingBias) {
			k.writePte(r, pteval, "try_to_migrate_one: set_pte_at() (pinned, restore)");
			k.unlock(ptl, "page_vma_mapped_walk_done: pte_unmap_unlock()");
			return false;
		}
		k.writePageAnonExclusive(f, false,
					 "__folio_try_share_anon_rmap: ClearPageAnonExclusive()");
	}
	Pte entry = Pte::makeMigration(f, writable, anonExclusive);
	entry.young = pteval.young; /* make_migration_entry_young() */
	entry.dirty = pteval.dirty; /* make_migration_entry_dirty() */
	k.writePte(r, entry, "try_to_migrate_one: set_pte_at(migration entry)");
	k.addMapcount(f, -1, "try_to_migrate_one: folio_remove_rmap_pte()");
	k.folioPut(f, 1, "try_to_migrate_one: folio_put()");
	k.unlock(ptl, "page_vma_mapped_walk_done: pte_unmap_unlock()");
	return true;
}

/* try_to_migrate(src, 0): the caller holds the folio lock. */
void tryToMigrate(Kernel &k, FolioIdx f)
{
	RmapWalkControl rwc;
	rwc.walker = "try_to_migrate";
	rwc.rmapOne = [&](VmaIdx, std::uint64_t addr) {
		return tryToMigrateOne(k, f, addr, rwc.walk);
	};
	rwc.done = [&] { return k.readMapcount(f, "folio_not_mapped: !folio_mapped()") == 0; };
	rmapWalk(k, f, rwc);
}

/* remove_migration_ptes(src, dst, 0): src's entries become dst's PTEs. */
void removeMigrationPtes(Kernel &k, FolioIdx src, FolioIdx dst)
{
	World &w = k.world();
	RmapWalkControl rwc;
	rwc.walker = "remove_migration_ptes";
	rwc.folioLockAnonVmaRead = false; /* folio_anon_vma() + anon_vma_lock_read() */
	rwc.migrationOf = src;
	rwc.rmapOne = [&](VmaIdx, std::uint64_t addr) {
		/* remove_migration_pte() */
		Pte old;
		/* DEFINE_FOLIO_VMA_WALK(..., PVMW_SYNC | PVMW_MIGRATION) */
		PteRef r = pageVmaMappedWalk(k, src, addr, true, rwc.walk, old, true);
		if (r.table == kNone)
			return true;
		k.addRefcount(dst, 1, "remove_migration_pte: folio_get()");
		bool dirty = old.dirty && k.readFlag(dst, Kernel::Flag::Dirty,
						     "remove_migration_pte: folio_test_dirty()");
		/* pte_mkwrite() only for a writable entry */
		Pte pte = Pte::makePresent(dst, old.writable, dirty, old.young);
		/* folio_add_anon_rmap_pte(RMAP_EXCLUSIVE unless readable) */
		if (old.exclusive)
			k.writePageAnonExclusive(dst, true,
						 "__folio_add_anon_rmap: SetPageAnonExclusive()");
		k.addMapcount(dst, 1,
			      "folio_add_anon_rmap_pte: atomic_inc_and_test(&page->_mapcount)");
		k.writePte(r, pte, "remove_migration_pte: set_pte_at()");
		k.unlock(w.ptl(r), "page_vma_mapped_walk_done: pte_unmap_unlock()");
		return true;
	};
	rmapWalk(k, dst, rwc);
}

/* __migrate_folio() for an anon folio without a mapping (not swapcache). */
int migrateFolioCopy(Kernel &k, FolioIdx src, FolioIdx dst)
{
	/* folio_expected_ref_count(): the mapcount (no swapcache, anon) */
	int expected = k.readMapcount(src, "folio_expected_ref_count: folio_mapcount()") + 1;
	if (k.guard(Guard::MigrateExpectedRefcount) &&
	    k.readRefcount(src, "__migrate_folio: folio_ref_count(src) != expected_count") !=
		expected)
		return kEAGAIN;
	k.writeContent(dst, k.readContent(src, "folio_mc_copy: read src"),
		       "folio_mc_copy: write dst");
	/* __folio_migrate_mapping(NULL): "No turning back from here" */
	k.writeIndex(dst, k.readIndex(src, "__folio_migrate_mapping: folio->index"),
		     "__folio_migrate_mapping: newfolio->index = folio->index");
	k.writeMapping(dst, k.readMapping(src, "__folio_migrate_mapping: folio->mapping"),
		       "__folio_migrate_mapping: newfolio->mapping = folio->mapping");
	/* folio_migrate_flags() */
	if (k.readFlag(src, Kernel::Flag::Dirty, "folio_migrate_flags: folio_test_dirty(folio)"))
		k.writeFlag(dst, Kernel::Flag::Dirty, true,
			    "folio_migrate_flags: folio_set_dirty(newfolio)");
	return 0;
}

/* folio_putback_lru() from putback_movable_pages() */
void putback(Kernel &k, FolioIdx src)
{
	k.writeFlag(src, Kernel::Flag::Lru, true, "folio_putback_lru: folio_add_lru()");
	k.folioPut(src, 1, "folio_putback_lru: folio_put()");
}

} // namespace

int migratePages(Kernel &k, FolioIdx src)
{
	World &w = k.world();
	/* isolate_migratepages_block() */
	if (!k.tryGetFolio(src, 1, "isolate_migratepages_block: folio_get_nontail_page()"))
		return kEBUSY;
	if (!k.testAndClearFlag(src, Kernel::Flag::Lru,
				"folio_isolate_lru: folio_test_clear_lru()")) {
		k.folioPut(src, 1, "isolate_migratepages_block: folio_put() (not on the LRU)");
		return kEBUSY;
	}
	/* migrate_folio_unmap() */
	if (k.readRefcount(src, "migrate_folio_unmap: folio_ref_count(src) == 1") == 1) {
		/* freed from under us: migrate_folio_done() */
		k.folioPut(src, 1, "migrate_folio_done: folio_put()");
		return 0;
	}
	FolioIdx dst = k.allocFolio("migrate_folio_unmap: get_new_folio()");
	Lock &srcLock = *w.folios[src].lock, &dstLock = *w.folios[dst].lock;
	if (!k.trylock(srcLock, "migrate_folio_unmap: folio_trylock(src)"))
		k.lock(srcLock, "migrate_folio_unmap: folio_lock(src) (MIGRATE_SYNC)");
	if (k.readFlag(src, Kernel::Flag::Writeback,
		       "migrate_folio_unmap: folio_test_writeback(src)"))
		k.waitWriteback(src, "migrate_folio_unmap: folio_wait_writeback(src)");
	if (k.readFlag(src, Kernel::Flag::Swapcache,
		       "folio_mapping(src): folio_test_swapcache()")) {
		/* not modelled: the swap cache's migrate_folio (see the header) */
		k.unlock(srcLock, "migrate_folio_undo_src: folio_unlock(src)");
		k.folioPut(dst, 1, "migrate_folio_undo_dst: folio_put(dst)");
		putback(k, src);
		return kEBUSY;
	}
	AnonVmaIdx anonVma = folioGetAnonVma(k, src);
	bool dstLocked = k.trylock(dstLock, "migrate_folio_unmap: folio_trylock(dst)");
	bool wasMapped = false;
	int rc = kEAGAIN;
	if (dstLocked) {
		if (k.readMapcount(src, "migrate_folio_unmap: folio_mapped(src)") > 0) {
			if (anonVma == kNone)
				k.warn("migrate_folio_unmap",
				       "VM_BUG_ON_FOLIO(folio_test_anon(src) && !anon_vma)");
			tryToMigrate(k, src);
			wasMapped = true;
		}
		if (k.readMapcount(src, "migrate_folio_unmap: !folio_mapped(src)") == 0) {
			/* migrate_folio_move() -> move_to_new_folio() */
			rc = migrateFolioCopy(k, src, dst);
			if (rc == 0) {
				k.writeFlag(dst, Kernel::Flag::Lru, true,
					    "migrate_folio_move: folio_add_lru(dst)");
				if (wasMapped)
					removeMigrationPtes(k, src, dst);
				k.unlock(dstLock, "migrate_folio_move: folio_unlock(dst)");
				k.folioPut(dst, 1, "migrate_folio_move: folio_put(dst)");
				if (anonVma != kNone)
					k.anonVmaPut(anonVma, "migrate_folio_move: put_anon_vma()");
				k.unlock(srcLock, "migrate_folio_move: folio_unlock(src)");
				k.folioPut(src, 1, "migrate_folio_done: folio_put(src)");
				return 0;
			}
		}
	}
	/* migrate_folio_undo_src() / migrate_folios_undo() */
	if (wasMapped)
		removeMigrationPtes(k, src, src);
	if (anonVma != kNone)
		k.anonVmaPut(anonVma, "migrate_folio_undo_src: put_anon_vma()");
	k.unlock(srcLock, "migrate_folio_undo_src: folio_unlock(src)");
	/* migrate_folio_undo_dst() */
	if (dstLocked)
		k.unlock(dstLock, "migrate_folio_undo_dst: folio_unlock(dst)");
	k.folioPut(dst, 1, "migrate_folio_undo_dst: folio_put(dst)");
	putback(k, src);
	return rc;
}

} // namespace mmrace::model
