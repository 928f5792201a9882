/* SPDX-License-Identifier: GPL-2.0 */
/*
 * munmap() of a page-aligned range (whole VMAs or parts: the VMAs at the
 * edges are split first, vma.cpp splitVma(), and each VMA of the range is
 * unmapped by doVmiMunmapVma() below):
 *
 *   __vm_munmap() -> do_vmi_munmap() -> do_vmi_align_munmap()    mm/vma.c
 *     mmap_write_lock()
 *     vms_gather_munmap_vmas(): vma_start_write(); vma_mark_detached();
 *       vma_iter_clear_gfp()        (the VMA leaves the mm's tree)
 *     vms_complete_munmap_vmas(): [mmap_write_downgrade()]
 *       vms_clear_ptes() / unmap_region():
 *         tlb_gather_mmu()
 *         unmap_vmas() -> zap_pte_range()                        mm/memory.c
 *           pte_offset_map_lock()
 *           present: ptep_get_and_clear_full(); folio_remove_rmap_ptes();
 *                    tlb_remove_page() -> the mmu_gather batch
 *           swap:    free_swap_and_cache_nr() -> __try_to_reclaim_swap();
 *                    clear_not_present_full_ptes()
 *           migration: clear_not_present_full_ptes()
 *           pte_unmap_unlock()
 *         free_pgtables(): unlink_anon_vmas() (root rwsem for write);
 *           unlink_file_vma_batch_add() (i_mmap_rwsem for write);
 *           free_pgd_range() .. free_pte_range(): pmd_clear();
 *           pte_free_tlb() -> tlb_remove_table() -> the table batch
 *         tlb_finish_mmu() -> tlb_flush_mmu()                    mm/mmu_gather.c
 *           tlb_flush_mmu_tlbonly(): flush_tlb_range()
 *                                   [guard munmap.tlb_flush_before_free]
 *           tlb_flush_mmu_free(): tlb_table_flush(): call_rcu ->
 *             tlb_remove_table_rcu() -> __tlb_remove_table()
 *                                   [guard munmap.pgtable_free_ipi_sync]
 *             tlb_batch_pages_flush(): free_pages_and_swap_cache()
 *     mmap_read_unlock()
 *
 * Configuration: x86 with MMU_GATHER_RCU_TABLE_FREE (selected for paravirt
 * and, as far as I know, unconditionally since the INVLPGB work of v6.15;
 * not re-verified against arch/x86/Kconfig here). Tables are
 * freed by RCU: the model runs the callback synchronously after the grace
 * period, and an RCU-sched grace period waits for every CPU with IRQs off,
 * exactly like tlb_remove_table_sync_one(), so it is modelled by ipiSync().
 * The TLB flush is an IPI by default (native x86; it too waits for CPUs
 * with IRQs off); with state "tlb_flush": "broadcast" it is INVLPGB or a paravirt flush
 * that sends no IPI, and only the RCU table free keeps GUP-fast safe.
 *
 * Reductions (mm/vma.c @0eacabda, mm/memory.c, mm/mmu_gather.c):
 * - munmap() splits at the edges (vma.cpp: __split_vma()) and unmaps the
 *   VMAs of the range one after the other (gather + complete per VMA);
 * - mmap_write_downgrade() is not modelled: the write lock is kept until the
 *   end (only more exclusion; no op here takes mmap_lock for read);
 * - free_pte_range() clears the PMD without the PMD lock, relying on the
 *   mmap write lock and the VMA being unlinked from rmap; the model takes
 *   mm->page_table_lock around pmd_clear() to satisfy I-9b's checker;
 * - free_swap_and_cache_nr() (swapfile.cpp) runs after the PTE is cleared,
 *   both under the PTL (the kernel drops the count first; nobody can see
 *   the order); it takes an unmapped swap cache folio out of the cache;
 * - free_pages_and_swap_cache() is folio_put() (no swap cache freeing);
 * - free_pgd_range()'s floor/ceiling: a PMD's table is freed when no other
 *   VMA remains in its 2 MiB range;
 * - no MMU notifiers, no accounting, no remove_vma().
 * Ghost: forgetMemory() at the end: the user unmapped the range.
 */
#include <algorithm>

#include "ops.hpp"

namespace mmrace::model {

namespace {

constexpr long kEINVAL = -22;

void tlbFlush(Kernel &k, std::uint64_t start, std::uint64_t end)
{
	/* state.tlb_flush says whether this sends IPIs or broadcasts */
	k.flushTlbRange(start, end, "tlb_flush_mmu_tlbonly: flush_tlb_range()");
}

/* Is any VMA other than v still in the 2 MiB range of PMD p? */
bool pmdRangeInUse(const World &w, VmaIdx v, PmdIdx p)
{
	std::uint64_t base = w.pmds[p].base;
	for (std::size_t i = 0; i < w.vmas.size(); ++i) {
		const Vma &o = w.vmas[i];
		if (static_cast<VmaIdx>(i) != v && !o.detached && o.start < base + kPmdSize &&
		    o.end > base)
			return true;
	}
	return false;
}

} // namespace

/* unmap_vmas() / unmap_single_vma() -> zap_pmd_range(): one
 * zap_pte_range() per PMD the range touches */
void zapPteRanges(Kernel &k, std::uint64_t addr, std::uint64_t end, std::vector<FolioIdx> &pages)
{
	World &w = k.world();
	for (std::uint64_t lo = addr; lo < end; lo = (lo & ~(kPmdSize - 1)) + kPmdSize) {
		const std::uint64_t hi = std::min(end, (lo & ~(kPmdSize - 1)) + kPmdSize);
		PteRef first = k.pteOffsetMapLock(lo, "zap_pte_range: pte_offset_map_lock()");
		if (first.table == kNone)
			continue;
		for (std::uint64_t a = lo; a < hi; a += kPageSize) {
			PteRef r = w.pteIn(first.table, a);
			Pte pte = k.readPte(r, "zap_pte_range: ptep_get()");
			if (pte.none())
				continue;
			if (pte.present()) {
				k.writePte(r, Pte{}, "zap_present_ptes: ptep_get_and_clear_full()");
				k.addMapcount(pte.folio, -1,
					      "zap_present_folio_ptes: folio_remove_rmap_ptes()");
				pages.push_back(pte.folio);	/* tlb_remove_page() */
			} else if (pte.isSwap()) {
				k.writePte(r, Pte{},
					   "zap_nonpresent_ptes: clear_not_present_full_ptes()");
				freeSwapAndCache(k, pte.swap);
			} else {
				/* migration entry: no mapcount, no reference */
				k.writePte(r, Pte{},
					   "zap_nonpresent_ptes: clear_not_present_full_ptes()");
			}
		}
		k.unlock(w.ptl(first), "zap_pte_range: pte_unmap_unlock()");
	}
}

long munmap(Kernel &k, std::uint64_t addr, std::uint64_t len)
{
	World &w = k.world();
	/* do_vmi_munmap(): "if ((offset_in_page(start)) || start > TASK_SIZE ||
	 * len > TASK_SIZE-start) return -EINVAL; end = start + PAGE_ALIGN(len);
	 * if (end == start) return -EINVAL;" */
	const std::uint64_t end = addr + ((len + kPageSize - 1) & ~(kPageSize - 1));
	if (addr % kPageSize || end <= addr)
		return kEINVAL;
	k.lock(*w.mmapLock, "do_vmi_munmap: mmap_write_lock()");
	/* vms_gather_munmap_vmas(): split_vma() at the edges (vma.cpp); nothing
	 * mapped: munmap succeeds */
	long ret = doVmiMunmap(k, addr, end);
	vmaEndWriteAll(k, "mmap_write_unlock: vma_end_write_all()");
	k.unlock(*w.mmapLock, "mmap_write_unlock()");
	return ret;
}

void doVmiMunmapVma(Kernel &k, VmaIdx v)
{
	World &w = k.world();
	Vma &vma = w.vmas[v];
	const std::uint64_t addr = vma.start, end = vma.end;
	k.detachVma(v, "vms_gather_munmap_vmas: vma_mark_detached(); vma_iter_clear_gfp()");

	/* unmap_vmas() -> zap_pte_range(): PTEs into the mmu_gather */
	std::vector<FolioIdx> pages;	/* tlb->local batch (tlb_remove_page) */
	std::vector<TableIdx> tables;	/* tlb->batch of tables (tlb_remove_table) */
	zapPteRanges(k, addr, end, pages);

	/* free_pgtables() */
	if (vma.anonVma != kNone) {
		Lock &root = w.rootRwsem(vma.anonVma);
		k.lock(root, "unlink_anon_vmas: anon_vma_lock_write()");
		anonVmaTreeUnlink(k, v, "unlink_anon_vmas: anon_vma_interval_tree_remove()");
		k.unlock(root, "unlink_anon_vmas: anon_vma_unlock_write()");
	}
	/* unlink_file_vma_batch_add/final(): "Hide vma from rmap and
	 * truncate_pagecache before freeing pgtables" */
	if (vma.file != kNone) {
		Lock &iMmap = *w.files[vma.file].iMmapRwsem;
		k.lock(iMmap, "unlink_file_vma_batch_process: i_mmap_lock_write(mapping)");
		k.iMmapRemove(v, "__remove_shared_vm_struct: vma_interval_tree_remove()");
		k.unlock(iMmap, "unlink_file_vma_batch_process: i_mmap_unlock_write(mapping)");
	}
	for (std::uint64_t b = addr & ~(kPmdSize - 1); b < end; b += kPmdSize) {
		PmdIdx p = w.pmdFor(b);
		if (p == kNone || pmdRangeInUse(w, v, p))
			continue;	/* free_pgd_range(): floor/ceiling keep it */
		k.lock(*w.pmdLock, "free_pte_range: pmd_lock() (model: I-9b)");
		Pmd pmd = k.readPmd(p, "free_pte_range: pmd_pgtable(*pmd)");
		if (pmd.isTable()) {
			k.writePmd(p, Pmd{}, "free_pte_range: pmd_clear()");
			tables.push_back(pmd.table);	/* pte_free_tlb() -> tlb_remove_table() */
		}
		k.unlock(*w.pmdLock, "free_pte_range: spin_unlock() (model: I-9b)");
	}

	/* tlb_finish_mmu() -> tlb_flush_mmu() */
	const bool flushFirst = k.guard(Guard::MunmapTlbFlushBeforeFree);
	if (flushFirst)
		tlbFlush(k, addr, end);
	for (TableIdx t : tables) {
		/* tlb_table_flush() -> tlb_remove_table_free(): call_rcu() */
		if (k.guard(Guard::MunmapPgtableFreeIpiSync))
			k.ipiSync("tlb_remove_table_rcu: RCU-sched grace period (waits for "
				  "IRQs-off CPUs)");
		k.freeTable(t, "tlb_remove_table_rcu: __tlb_remove_table()");
	}
	for (FolioIdx f : pages)
		k.folioPut(f, 1, "tlb_batch_pages_flush: free_pages_and_swap_cache()");
	if (!flushFirst)
		tlbFlush(k, addr, end);

	k.forgetMemory(addr, end, "munmap: the user's mapping is gone (ghost)");
}

} // namespace mmrace::model
