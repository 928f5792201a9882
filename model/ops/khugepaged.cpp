/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khugepaged's removal of the page tables of a collapsed file range:
 *
 *   collapse_file() -> retract_page_tables(mapping, pgoff)  mm/khugepaged.c
 *     i_mmap_lock_read(mapping)       no mmap_lock, no VMA lock
 *     vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff):
 *       READ_ONCE(vma->anon_vma): skip (a racy pre-check)
 *       addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT):
 *         not PMD aligned, or the VMA ends before addr + HPAGE_PMD_SIZE: skip
 *       find_pmd_or_thp_or_none() -> check_pmd_state(): a PTE table, or skip
 *       userfaultfd_wp(vma): skip
 *       pml = pmd_lock(); check_pmd_state() again, else drop
 *         [guard retract_page_tables.pmd_recheck]
 *       ptl = pte_lockptr(); spin_lock_nested(ptl, SINGLE_DEPTH_NESTING)
 *       if (!vma->anon_vma && !userfaultfd_wp(vma))   [guard: the recheck
 *         under the PTL, v2: "repeat checks under ptl because UFFD, per
 *         PeterX and JannH"]
 *           pmdp_collapse_flush(): clear the PMD, flush the TLB range
 *           pmdp_get_lockless_sync() (a no-op on x86-64)
 *       spin_unlock(ptl); spin_unlock(pml)
 *       success: mm_dec_nr_ptes(); pte_free_defer(mm, table)
 *         [guard retract_page_tables.pte_free_defer]
 *     i_mmap_unlock_read(mapping)
 *
 * Reduced from mm/khugepaged.c @2e072a58 (docs/model.md, Seed
 * C). The op starts where collapse_file() has replaced the range's page
 * cache by the new huge folio, still locked (faults on the range block on
 * it); collapse_file() itself, the huge folio and installing a PMD mapping
 * (collapse_pte_mapped_thp()) are out of scope. The PMD lock is the split
 * PMD ptlock (World::pmdLock), not mm->page_table_lock. Not modelled: MMU
 * notifiers (mmu_notifier_invalidate_range_start/end around the clear,
 * Seed C2: no secondary-TLB walker exists in the model),
 * hpage_collapse_test_exit() (the mm is alive), mm counters.
 *
 * pte_free_defer() is an RCU callback: the model runs it in this task after
 * i_mmap_unlock_read() (Kernel::pteFreeDefer: a grace period, then the
 * free). The callback may in reality run earlier, before the unlock; only
 * i_mmap writers (munmap, mremap, VMA splits and merges of a file VMA)
 * could tell, and every schedule where the free precedes a writer's
 * i_mmap_lock_write() is still explored (the writer runs after the free).
 */
#include "ops.hpp"

namespace mmrace::model
{

long retractPageTables(Kernel &k, FileIdx file, std::uint64_t pgoff)
{
	World &w = k.world();
	File &f = w.files[file];
	std::vector<TableIdx> freed;
	k.lockShared(*f.iMmapRwsem, "retract_page_tables: i_mmap_lock_read(mapping)");
	/* vma_interval_tree_foreach(): i_mmap, and the range and pgoff of
	 * each VMA in it, change only under i_mmap_rwsem for write (munmap's
	 * unlink, __split_vma(), vma_expand(), copy_vma()'s vma_link_file()),
	 * so the read lock orders this walk against them (no point) */
	for (VmaIdx v : f.iMmap) {
		const Vma &vma = w.vmas[v];
		std::uint64_t addr;
		if (!vma.addressOf(pgoff, addr))
			continue;
		if (k.readVmaAnonVma(v, "retract_page_tables: READ_ONCE(vma->anon_vma)") != kNone)
			continue;
		if (addr % kPmdSize || vma.end < addr + kPmdSize)
			continue;
		/* find_pmd_or_thp_or_none(): mm_find_pmd(), check_pmd_state() */
		PmdIdx p = k.pmdLookup(addr, "find_pmd_or_thp_or_none: mm_find_pmd(): none");
		if (p == kNone)
			continue;
		Pmd pmd = k.readPmd(p, "find_pmd_or_thp_or_none: check_pmd_state(): pmdp_get_lockless()");
		if (!pmd.isTable())
			continue;
		/* vm_flags never change in the model: no scheduling point */
		if (vma.uffdWp)
			continue;
		k.lock(*w.pmdLock, "retract_page_tables: pml = pmd_lock(mm, pmd)");
		if (k.guard(Guard::RetractPageTablesPmdRecheck)) {
			pmd = k.readPmd(p, "retract_page_tables: check_pmd_state(pmd) under pml");
			if (!pmd.isTable()) {
				k.unlock(*w.pmdLock, "retract_page_tables: drop_pml: spin_unlock(pml)");
				continue;
			}
		}
		TableIdx t = pmd.table;
		Lock &ptl = *w.tables[t].ptl; /* pte_lockptr(mm, pmd) */
		k.lock(ptl, "retract_page_tables: spin_lock_nested(ptl, SINGLE_DEPTH_NESTING)", 1);
		bool success = true;
		if (k.guard(Guard::RetractPageTablesAnonVmaRecheck))
			success =
			    k.readVmaAnonVma(v, "retract_page_tables: recheck !vma->anon_vma under "
						"ptl") == kNone &&
			    !vma.uffdWp;
		if (success) {
			/* pmdp_collapse_flush(): pmdp_huge_get_and_clear() +
			 * flush_tlb_range(addr, addr + HPAGE_PMD_SIZE) */
			k.writePmd(p, Pmd{},
				   "retract_page_tables: pmdp_collapse_flush(): pmd_clear");
			k.flushTlbRange(
			    addr, addr + kPmdSize,
			    "retract_page_tables: pmdp_collapse_flush(): flush_tlb_range()");
			freed.push_back(t);
		}
		k.unlock(ptl, "retract_page_tables: spin_unlock(ptl)");
		k.unlock(*w.pmdLock, "retract_page_tables: spin_unlock(pml)");
	}
	k.unlockShared(*f.iMmapRwsem, "retract_page_tables: i_mmap_unlock_read(mapping)");
	for (TableIdx t : freed)
		if (k.guard(Guard::RetractPageTablesPteFreeDefer))
			k.pteFreeDefer(t, "retract_page_tables: pte_free_defer(): pte_free_now()");
		else
			k.freeTable(t, "retract_page_tables: pte_free() (no RCU grace period)");
	/* void in the kernel; the model reports how many tables it retracted */
	return static_cast<long>(freed.size());
}

} // namespace mmrace::model
