/* SPDX-License-Identifier: GPL-2.0 */
#include "registry.hpp"

namespace mmrace::model {

const std::vector<OpInfo> &allOps()
{
	static const std::vector<OpInfo> ops = {
		{"folio_referenced",
		 "shrink_active_list -> folio_referenced(is_locked=0) -> rmap_walk_anon, "
		 "folio_lock_anon_vma_read, folio_referenced_one",
		 "reclaim's aging check: walk the rmap of an anon folio and test-and-clear "
		 "the young bit of every PTE mapping it",
		 {{"folio", ParamKind::Folio, true, "the folio to age"}}},
		{"uffdio_move",
		 "move_pages -> move_pages_pte -> move_present_pte -> folio_move_anon_rmap",
		 "UFFDIO_MOVE of present small anon PTEs from src to dst, page by page",
		 {{"src", ParamKind::Address, true, "source address (page aligned)"},
		  {"dst", ParamKind::Address, true, "destination address, in a VMA registered with uffd"},
		  {"len", ParamKind::Length, true, "bytes to move"}}},
		{"lock_sequence",
		 "lib/locking-selftest.c style: nested sleeping-lock acquisition",
		 "take the listed locks in order, then release them in reverse "
		 "(lockdep selftest pattern, e.g. two threads forming ABBA)",
		 {{"locks", ParamKind::LockList, true,
		   "lock references: \"mmap_lock\", \"folio:NAME\", \"anon_vma:NAME\" (its root's "
		   "rwsem, write), \"ptl:ADDRESS\""}}},
		/* access (faults) */
		{"access",
		 "a user load/store: TLB hit, else the hardware walk, else do_user_addr_fault -> "
		 "lock_vma_under_rcu (or lock_mm_and_find_vma) -> handle_mm_fault -> handle_pte_fault "
		 "-> do_anonymous_page | do_swap_page (swap_cache_get_folio, swapin_readahead, "
		 "migration_entry_wait) | do_wp_page (wp_can_reuse_anon_folio, wp_page_reuse, "
		 "wp_page_copy), then the access is retried",
		 "read or write one user address from the task's CPU, taking and retrying page "
		 "faults as the hardware does; result 0, or -14 (SIGSEGV: no VMA, or a write to a "
		 "VMA without VM_WRITE), or -12 where the fault would need an anon_vma or a PTE "
		 "table the model does not build",
		 {{"addr", ParamKind::Address, true, "user address (page aligned)"},
		  {"write", ParamKind::Bool, false, "a store (default: a load)"},
		  {"value", ParamKind::Value, false, "the value stored (default: a unique value)"}}},
		/* end access */
		/* gup */
		/* end gup */
		/* migrate */
		/* end migrate */
		/* reclaim */
		/* end reclaim */
	};
	return ops;
}

const std::vector<GuardInfo> &allGuards()
{
	static const std::vector<GuardInfo> guards = {
		{"folio_referenced.folio_trylock", "folio_referenced()",
		 "folio_trylock() anon folios before the rmap walk; contention counts as "
		 "referenced (Seed E: 'mm: always call rmap_walk() on locked folios')"},
		{"folio_lock_anon_vma_read.recheck_mapping", "folio_lock_anon_vma_read()",
		 "after taking the root anon_vma lock, re-read folio->mapping and retry if "
		 "folio_move_anon_rmap() changed it meanwhile"},
		{"uffd_move.folio_lock", "move_pages_pte()",
		 "lock the source folio before folio_move_anon_rmap() changes folio->mapping "
		 "and ->index"},
		{"uffd_move.trylock_under_ptl", "move_pages_pte()",
		 "only folio_trylock() under the source PTL; on contention drop the PTL and "
		 "sleep in folio_lock(), then retry"},
		{"uffd_move.anon_vma_write_lock", "move_pages_pte()",
		 "folio_get_anon_vma() + anon_vma_lock_write() of the source root around the move, "
		 "serialising against lockless folio_referenced() (before Seed E)"},
		{"uffd_move.double_pt_lock", "move_present_pte()",
		 "double_pt_lock(): hold both the source and destination PTLs while moving the PTE"},
		{"uffd_move.pte_same", "move_present_pte() / is_pte_pages_stable()",
		 "re-read source and destination PTEs under the PTLs and back off with -EAGAIN "
		 "if either changed"},
		{"uffd_move.pinned_recheck", "move_present_pte()",
		 "re-check folio_maybe_dma_pinned() after ptep_clear_flush() and restore the PTE "
		 "if the folio got pinned"},
		{"pte_offset_map_lock.pmd_same", "__pte_offset_map_lock()",
		 "after taking the PTL, recheck that the PMD still points at the same table "
		 "(it may have been detached and freed between the lockless map and the lock)"},
		/* access (faults) */
		{"do_anonymous_page.pte_none_recheck", "do_anonymous_page()",
		 "after allocating the new folio, take the PTL and recheck that the PTE is still "
		 "none (vmf_pte_changed()); else a concurrent fault already mapped a page: back out"},
		{"do_swap_page.swapcache_recheck", "do_swap_page()",
		 "after locking the swapcache folio, recheck folio_test_swapcache() && folio->swap "
		 "== entry (folio_matches_swap_entry()): it may have left the swap cache before we "
		 "locked it"},
		{"do_swap_page.pte_same", "do_swap_page()",
		 "under the PTL, recheck pte_same(*pte, orig_pte): another fault may have swapped "
		 "the entry in meanwhile"},
		{"do_swap_page.stable_writes_drop_exclusive", "do_swap_page()",
		 "a swapcache folio still under writeback to a SWP_STABLE_WRITES device is mapped "
		 "without the exclusive marker (so read-only), even if the swap PTE was exclusive"},
		{"wp_page_copy.pte_same", "wp_page_copy()",
		 "after the copy, retake the PTL and recheck pte_same(*pte, orig_pte) before "
		 "replacing the PTE: a concurrent fault may have replaced it already"},
		/* end access */
		/* gup */
		/* end gup */
		/* migrate */
		/* end migrate */
		/* reclaim */
		/* end reclaim */
	};
	return guards;
}

const std::vector<PresetInfo> &allPresets()
{
	static const std::vector<PresetInfo> presets = {
		{"mainline", "every guard on", {}},
		{"pre-seed-e",
		 "locking before Seed E: folio_referenced walks anon folios without the folio lock; "
		 "UFFDIO_MOVE write-locks the source anon_vma and walkers recheck folio->mapping",
		 {"folio_referenced.folio_trylock"}},
		{"seed-e",
		 "Seed E as merged: every rmap walk holds the folio lock; UFFDIO_MOVE no longer "
		 "takes the anon_vma lock and the mapping recheck is gone",
		 {"uffd_move.anon_vma_write_lock", "folio_lock_anon_vma_read.recheck_mapping"}},
	};
	return presets;
}

template<typename T>
static const T *findByName(const std::vector<T> &v, std::string_view name)
{
	for (const T &x : v)
		if (name == x.name)
			return &x;
	return nullptr;
}

const OpInfo *findOp(std::string_view name)
{
	return findByName(allOps(), name);
}

const GuardInfo *findGuard(std::string_view name)
{
	return findByName(allGuards(), name);
}

const PresetInfo *findPreset(std::string_view name)
{
	return findByName(allPresets(), name);
}

template<typename T>
static std::string joinNames(const std::vector<T> &v)
{
	std::string out;
	for (const T &x : v) {
		if (!out.empty())
			out += ", ";
		out += x.name;
	}
	return out;
}

std::string opNames()
{
	return joinNames(allOps());
}

std::string guardNames()
{
	return joinNames(allGuards());
}

std::string presetNames()
{
	return joinNames(allPresets());
}

} // namespace mmrace::model
