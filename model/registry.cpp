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
		/* end access */
		/* gup */
		{"gup_fast",
		 "get_user_pages_fast / pin_user_pages_fast -> gup_fast -> gup_fast_pmd_range -> "
		 "gup_fast_pte_range, try_grab_folio_fast, gup_put_folio, gup_must_unshare (mm/gup.c)",
		 "lockless GUP of one small anon page with IRQs off: PMD and PTE read, grab a "
		 "reference (FOLL_GET) or a pin (FOLL_PIN: +GUP_PIN_COUNTING_BIAS), recheck PMD and PTE; "
		 "result 1 page or 0 (the slow-GUP fallback is not modelled)",
		 {{"addr", ParamKind::Address, true, "user address (page aligned)"},
		  {"write", ParamKind::Bool, false, "FOLL_WRITE: needs a writable PTE"},
		  {"pin", ParamKind::Bool, false,
		   "FOLL_PIN (pin_user_pages_fast); default true; false: FOLL_GET (get_user_pages_fast)"}}},
		{"dma_write",
		 "a device writing through the pages GUP returned (no TLB, no page table)",
		 "DMA store into the folio of the task's most recent held GUP reference (taken with "
		 "FOLL_WRITE); -EINVAL if there is none",
		 {{"value", ParamKind::Value, false, "data stored; default a unique value"}}},
		{"dma_read",
		 "a device reading through the pages GUP returned",
		 "DMA load from the folio of the task's most recent held GUP reference; the oracle "
		 "checks the value (lost-write); -EINVAL if there is none",
		 {}},
		{"unpin",
		 "unpin_user_page -> gup_put_folio(FOLL_PIN) / put_page (FOLL_GET) (mm/gup.c)",
		 "drop every GUP reference the task holds, newest first; -EINVAL if it holds none",
		 {}},
		{"munmap",
		 "__vm_munmap -> do_vmi_munmap -> do_vmi_align_munmap / vms_gather_munmap_vmas, "
		 "vms_complete_munmap_vmas -> unmap_region: unmap_vmas -> zap_pte_range, "
		 "free_pgtables -> unlink_anon_vmas, free_pte_range, tlb_finish_mmu -> tlb_flush_mmu "
		 "(mm/vma.c, mm/memory.c, mm/mmu_gather.c; x86, MMU_GATHER_RCU_TABLE_FREE)",
		 "unmap one whole VMA: zap its PTEs under the PTL into an mmu_gather, unlink it from "
		 "its anon_vma, clear the PMD if no VMA is left in its range, then flush the TLB, "
		 "free the tables after an RCU-sched grace period and free the folios",
		 {{"addr", ParamKind::Address, true, "start of the VMA"},
		  {"len", ParamKind::Length, true, "the VMA's length (partial unmaps are not modelled)"},
		  {"tlb_broadcast", ParamKind::Bool, false,
		   "the flush uses INVLPGB (or a paravirt flush): no IPI, so it does not wait for "
		   "CPUs with IRQs off"}}},
		{"touch",
		 "a user load/store instruction: TLB lookup, else the hardware page-table walk",
		 "minimal user access without fault handling (for TLB witnesses): TLB hit or "
		 "hardware walk of a present PTE, else -EFAULT",
		 {{"addr", ParamKind::Address, true, "user address"},
		  {"write", ParamKind::Bool, false, "a store (else a load)"},
		  {"value", ParamKind::Value, false, "data stored; default a unique value"}}},
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
		/* end access */
		/* gup */
		{"gup_fast.irq_disable", "gup_fast()",
		 "local_irq_save() around the lockless walk: the table-freeing side's IPI "
		 "(tlb_remove_table_sync_one) or RCU-sched grace period waits it out, so the PTE "
		 "table cannot be freed under the walker"},
		{"gup_fast.pte_recheck", "gup_fast_pte_range()",
		 "after grabbing the folio, recheck pte_val(pte) == pte_val(ptep_get(ptep)) and "
		 "gup_put_folio() + fail if the PTE changed: with writers that clear the PTE and then "
		 "check folio_maybe_dma_pinned() (move_present_pte, try_to_migrate_one) it forms a "
		 "store-buffer pattern, one side always sees the other"},
		{"munmap.tlb_flush_before_free", "tlb_flush_mmu()",
		 "tlb_flush_mmu_tlbonly() before tlb_flush_mmu_free(): no CPU may still translate "
		 "to a folio or table when it goes back to the allocator"},
		{"munmap.pgtable_free_ipi_sync", "tlb_remove_table() / tlb_table_flush()",
		 "with MMU_GATHER_RCU_TABLE_FREE the table is freed after an RCU-sched grace period "
		 "(tlb_remove_table_rcu) or tlb_remove_table_sync_one(), which waits for every CPU "
		 "with IRQs off (GUP-fast)"},
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
