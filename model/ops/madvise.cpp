/* SPDX-License-Identifier: GPL-2.0 */
/*
 * madvise(addr, len, MADV_DONTNEED) over one anon VMA:
 *
 *   do_madvise() -> madvise_lock()                              mm/madvise.c
 *     get_lock_mode(): MADV_DONTNEED -> MADVISE_VMA_READ_LOCK:
 *       lock_vma_under_rcu() (the per-VMA lock for read, no mmap_lock);
 *       if that fails, MADVISE_MMAP_READ_LOCK: mmap_read_lock()
 *   madvise_do_behavior() -> madvise_vma_behavior() -> madvise_dontneed_free()
 *     -> madvise_dontneed_single_vma() -> zap_page_range_single_batched()
 *                                                              mm/memory.c
 *       tlb_gather_mmu(); unmap_single_vma() -> zap_pte_range()
 *         present: ptep_get_and_clear_full(); folio_remove_rmap_ptes();
 *                  tlb_remove_page()
 *         swap:    free_swap_and_cache_nr() -> __try_to_reclaim_swap()
 *                  (swapfile.cpp)
 *       tlb_finish_mmu() -> tlb_flush_mmu(): flush_tlb_range(), then
 *         free_pages_and_swap_cache()
 *   madvise_unlock()
 *
 * The VMA stays, with its page tables (no free_pgtables()): the next touch
 * faults in a zero-filled page. That is what makes a freed swap slot
 * reusable for the same address while an earlier do_swap_page() still
 * holds the old entry (the ABA that do_swap_page()'s swapcache recheck
 * guards against; access.cpp).
 *
 * Reductions (mm/madvise.c, mm/memory.c @09f03682): one whole or partial
 * range inside one anon VMA (the loader checks); no hugetlb, THP, uffd-wp
 * markers, guard regions, mseal or MMU notifiers; the mmu_gather's flush
 * follows munmap.cpp's order (flush, then free).
 * Ghost: from before the zap until after the flush the range is being
 * discarded: a load there may see the old data or zero and a store may or
 * may not survive, so the oracle checks and remembers nothing there; at the
 * end the range is forgotten ("no value promised", as after munmap) until
 * the next completed store.
 */
#include "ops.hpp"

namespace mmrace::model {

long madviseDontneed(Kernel &k, std::uint64_t addr, std::uint64_t len)
{
	World &w = k.world();
	const std::uint64_t end = addr + len;
	/* madvise_lock(): lock_vma_under_rcu() */
	VmaIdx v = lockVmaUnderRcu(k, addr);
	const bool vmaLocked = v != kNone && w.vmas[v].end >= end;
	if (v != kNone && !vmaLocked)
		k.unlockShared(*w.vmas[v].lock, "madvise_lock: vma_end_read() (range beyond the VMA)");
	if (!vmaLocked) {
		/* MADVISE_MMAP_READ_LOCK */
		k.lockShared(*w.mmapLock, "madvise_lock: mmap_read_lock()");
		v = w.findVma(addr); /* find_vma_prev() */
		if (v == kNone || w.vmas[v].start > addr || w.vmas[v].end < end) {
			k.unlockShared(*w.mmapLock, "madvise_unlock: mmap_read_unlock()");
			return -12; /* -ENOMEM: "Addresses ... are not mapped" */
		}
	}
	k.discardMemoryBegin(addr, end, "madvise(MADV_DONTNEED): the range is being discarded (ghost)");
	/* zap_page_range_single_batched(): tlb_gather_mmu() */
	std::vector<FolioIdx> pages;
	zapPteRanges(k, addr, end, pages);
	/* tlb_finish_mmu() -> tlb_flush_mmu(): flush, then free
	 * [guard munmap.tlb_flush_before_free: the same tlb_flush_mmu()] */
	const bool flushFirst = k.guard(Guard::MunmapTlbFlushBeforeFree);
	if (flushFirst)
		k.flushTlbRange(addr, end, "tlb_flush_mmu_tlbonly: flush_tlb_range()");
	for (FolioIdx f : pages)
		k.folioPut(f, 1, "tlb_batch_pages_flush: free_pages_and_swap_cache()");
	if (!flushFirst)
		k.flushTlbRange(addr, end, "tlb_flush_mmu_tlbonly: flush_tlb_range()");
	/* after the flush: a store racing with the zap (through a stale TLB
	 * entry or into a page faulted in meanwhile) is not promised */
	k.discardMemoryEnd(addr, end, "madvise(MADV_DONTNEED): the range reads zero now (ghost)");
	if (vmaLocked)
		k.unlockShared(*w.vmas[v].lock, "madvise_unlock: vma_end_read()");
	else
		k.unlockShared(*w.mmapLock, "madvise_unlock: mmap_read_unlock()");
	return 0;
}

} // namespace mmrace::model
