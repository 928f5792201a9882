/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The anon rmap walk, shared by every walker:
 *
 *   rmap_walk() -> rmap_walk_anon(folio, rwc, locked=false)    mm/rmap.c
 *     rmap_walk_anon_lock(): rwc->anon_lock (folio_lock_anon_vma_read) if
 *       set, else folio_anon_vma() + anon_vma_trylock_read(), falling back
 *       to anon_vma_lock_read() unless rwc->try_lock
 *     pgoff_start = folio_pgoff(folio)
 *     anon_vma_interval_tree_foreach(): rwc->rmap_one(folio, vma, address),
 *       stopping when rwc->done() says so
 *     anon_vma_unlock_read()
 *
 *   page_vma_mapped_walk() for one small folio at one address: map_pte()'s
 *   lockless look, then the PTL and check_pte() (present PTE of the folio,
 *   or with PVMW_MIGRATION a migration entry for it). With PVMW_SYNC
 *   (remove_migration_pte) map_pte() takes pte_offset_map_lock() directly,
 *   without the lockless look: a clear-then-set under the PTL (mremap's
 *   move_ptes) cannot make it miss the entry.
 *
 * Reduced from mm/rmap.c and mm/page_vma_mapped.c (linux-next 2025; the
 * pre-Seed-E folio_lock_anon_vma_read() recheck is the guard
 * folio_lock_anon_vma_read.recheck_mapping). See docs/model.md.
 */

#include <functional>

#include "ops.hpp"

namespace mmrace::model {

struct RmapWalkControl {
	const char *walker = "rmap_walk";	/* for reports: "try_to_unmap" */
	/* A miss costs performance, not correctness (folio_referenced). */
	bool heuristic = false;
	/* rwc->anon_lock = folio_lock_anon_vma_read (else folio_anon_vma()) */
	bool folioLockAnonVmaRead = true;
	bool tryLock = false;		/* rwc->try_lock */
	/* rwc->rmap_one(): false stops the walk */
	std::function<bool(VmaIdx vma, std::uint64_t addr)> rmapOne;
	/* rwc->done(), e.g. folio_not_mapped(); may be empty */
	std::function<bool()> done;
	/* The walk looks for this folio's migration entries (the ghost
	 * observer's view: remove_migration_ptes(src, dst) walks dst for
	 * src's entries); kNone: the walked folio's present PTEs. */
	FolioIdx migrationOf = kNone;
	bool contended = false;		/* out: the anon_vma lock was contended */
	int walk = -1;			/* out: the ghost walk id, while walking */
};

/*
 * rmap_walk() of an anon folio, not holding the anon_vma lock yet. Returns
 * false if no anon_vma was locked (unmapped, or contended with try_lock).
 */
bool rmapWalk(Kernel &k, FolioIdx f, RmapWalkControl &rwc);

/*
 * page_vma_mapped_walk() of small folio f at addr: on success returns the
 * PTE with its PTL held (the caller unlocks it) and records the visit for
 * the walk's observer; else table kNone and nothing held.
 */
PteRef pageVmaMappedWalk(Kernel &k, FolioIdx f, std::uint64_t addr, bool migration, int walk,
			 Pte &pte, bool sync = false);

} // namespace mmrace::model
