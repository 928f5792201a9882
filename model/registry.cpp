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
		 "table the model does not build, or is on a file VMA (do_fault() is not modelled)",
		 {{"addr", ParamKind::Address, true, "user address (page aligned)"},
		  {"write", ParamKind::Bool, false, "a store (default: a load)"},
		  {"value", ParamKind::Value, false, "the value stored (default: a unique value)"}}},
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
		   "FOLL_PIN (pin_user_pages_fast); default true; false: FOLL_GET (get_user_pages_fast)"},
		  {"longterm", ParamKind::Bool, false,
		   "FOLL_LONGTERM (with FOLL_PIN: RDMA, vfio): gup_fast_folio_allowed() reads "
		   "folio->mapping after the grab (anon folios are allowed)"}}},
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
		 "unmap a page-aligned range: split the VMAs at its edges (__split_vma), then per VMA "
		 "zap its PTEs under the PTL into an mmu_gather, unlink it from "
		 "its anon_vma, clear the PMD if no VMA is left in its range, then flush the TLB, "
		 "free the tables after an RCU-sched grace period and free the folios. Result: 0",
		 {{"addr", ParamKind::Address, true, "start of the range"},
		  {"len", ParamKind::Length, true, "its length (whole VMAs or parts of them)"}}},
		/* end gup */
		/* migrate */
		{"migrate",
		 "isolate_migratepages_block -> migrate_pages -> migrate_folio_unmap (try_to_migrate, "
		 "try_to_migrate_one) -> migrate_folio_move (move_to_new_folio, __migrate_folio, "
		 "__folio_migrate_mapping, folio_migrate_flags, remove_migration_ptes, "
		 "remove_migration_pte)",
		 "MIGRATE_SYNC migration of one small anon folio to a new folio: isolate it from the "
		 "LRU, replace its PTEs by migration entries, copy, map the new folio; -EAGAIN (undone, "
		 "put back) if it is pinned or holds extra references, -EBUSY if not isolatable",
		 {{"folio", ParamKind::Folio, true, "the folio to migrate"}}},
		/* end migrate */
		/* reclaim */
		{"reclaim",
		 "shrink_inactive_list -> isolate_lru_folios, shrink_folio_list "
		 "(folio_check_references, folio_alloc_swap, try_to_unmap -> try_to_unmap_one, "
		 "pageout -> swap_writeout, __remove_mapping), move_folios_to_lru",
		 "one pass of reclaim over one anon folio: isolate it, skip it if referenced, add "
		 "it to the swap cache, unmap it to swap PTEs, start its writeout or, when clean "
		 "and unmapped, free it. Result: 0 reclaimed (freed), 1 kept or activated, "
		 "2 writeback started (the folio stays in the swap cache)",
		 {{"folio", ParamKind::Folio, false, "the anon folio to reclaim (or give addr)"},
		  {"addr", ParamKind::Address, false,
		   "instead of folio: the LRU's folio for addr (isolate_lru_folios() never walks the "
		   "page table): the scenario's page at addr, or the last folio a fault put on the "
		   "LRU for addr during the run, whether or not it is still mapped there; result -1 "
		   "if there never was one"}}},
		{"writeback_done",
		 "end_swap_bio_write -> folio_end_writeback",
		 "the swap-out I/O of the folio completes: PG_writeback is cleared. "
		 "Result: 0, or -1 if no writeback was in flight",
		 {{"folio", ParamKind::Folio, true, "the folio under writeback"}}},
		/* end reclaim */
		/* swapfile */
		{"madvise_dontneed",
		 "do_madvise -> madvise_lock (lock_vma_under_rcu, else mmap_read_lock) -> "
		 "madvise_dontneed_single_vma -> zap_page_range_single_batched -> zap_pte_range "
		 "(free_swap_and_cache_nr -> __try_to_reclaim_swap), tlb_finish_mmu "
		 "(mm/madvise.c, mm/memory.c, mm/swapfile.c)",
		 "madvise(MADV_DONTNEED) of a range inside one anon VMA: zap its PTEs (a swap "
		 "entry's slot is freed, and its swap cache folio dropped if unmapped), flush, free "
		 "the pages; the VMA and its page tables stay. Result 0, or -12 (not mapped)",
		 {{"addr", ParamKind::Address, true, "start (page aligned)"},
		  {"len", ParamKind::Length, true, "bytes; the range must lie inside one VMA"}}},
		/* end swapfile */
		/* mremap */
		{"mremap",
		 "do_mremap -> mremap_to -> move_vma -> copy_vma_and_data (copy_vma: vm_area_dup, "
		 "anon_vma_clone, vma_link) -> move_page_tables (try_realign_addr, can_align_down, "
		 "alloc_new_pmd, move_pgt_entry -> move_normal_pmd, pte_alloc, move_ptes), pmc_revert "
		 "on failure, unmap_source_vma -> do_vmi_munmap (mm/mremap.c, mm/vma.c)",
		 "resize and/or move [old, old + old_len) of an anon VMA (the whole VMA or part of "
		 "it). Same length without fixed: nothing (MREMAP_NO_RESIZE). Shorter: the tail is "
		 "unmapped (do_vmi_munmap, splitting the VMA). Longer: the VMA grows in place "
		 "(vma_merge_extend) if the range ends the VMA and the space after is free, else "
		 "with maymove it moves to the model's get_unmapped_area() (the first PMD boundary "
		 "2 MiB above every VMA). fixed: the destination is unmapped first, a shorter range "
		 "is shrunk first, then moved. A move: copy_vma() merges into a compatible "
		 "neighbour (need_rmap_locks) or makes a new VMA in the same anon_vma, the page "
		 "tables move PTE by PTE or a whole PTE table per PMD (after realigning both "
		 "addresses down to a PMD boundary), then the old range is unmapped (splitting its "
		 "VMA). Result: the new address (old if in place), or -EINVAL (FIXED without "
		 "MAYMOVE, overlapping ranges, old_len 0 when growing), -ENOMEM (cannot grow "
		 "without MAYMOVE; page tables could not be allocated: the move is undone and the "
		 "new range unmapped), -EFAULT (no VMA at old, or the range crosses its end)",
		 {{"old", ParamKind::Address, true, "start of the range to remap"},
		  {"old_len", ParamKind::Length, true, "its length"},
		  {"new_len", ParamKind::Length, true, "the new length"},
		  {"maymove", ParamKind::Bool, false, "MREMAP_MAYMOVE"},
		  {"fixed", ParamKind::Bool, false, "MREMAP_FIXED: move to new_addr"},
		  {"new_addr", ParamKind::Address, false,
		   "destination with fixed; whatever is mapped there is unmapped first"},
		  {"pgtable_alloc_fails", ParamKind::Bool, false,
		   "fault injection: every page-table allocation of this call fails (pmd_alloc, "
		   "pte_alloc), as with fail_page_alloc"},
		  {"relocate_anon", ParamKind::Bool, false,
		   "MREMAP_RELOCATE_ANON (posted June 2025): give the new VMA a fresh anon_vma and "
		   "re-home its folios (folio->mapping, ->index) before moving the page tables; a "
		   "failed relocation is undone and falls back to a plain move"},
		  {"must_relocate_anon", ParamKind::Bool, false,
		   "MREMAP_MUST_RELOCATE_ANON ([PATCH 02/11]): as relocate_anon, but -EFAULT (the "
		   "VMA left in place) instead of the fallback, and for a VMA whose anon_vma a fork "
		   "shares"}}},
		/* end mremap */
		/* khugepaged */
		{"retract_page_tables",
		 "collapse_file -> retract_page_tables (i_mmap_lock_read, find_pmd_or_thp_or_none, "
		 "check_pmd_state, pmd_lock, pte_lockptr, pmdp_collapse_flush, pte_free_defer) "
		 "(mm/khugepaged.c, mm/pgtable-generic.c)",
		 "khugepaged, after collapse_file() replaced the file range's page cache by a locked "
		 "huge folio: for each private VMA of the file mapping the PMD-aligned range at addr, "
		 "without mmap or VMA lock, clear the PMD and free its PTE table after an RCU grace "
		 "period, unless the VMA has an anon_vma or is uffd-wp registered. Result: the number "
		 "of tables retracted",
		 {{"addr", ParamKind::Address, true,
		   "an address in a file VMA: the file and the PMD-aligned page index "
		   "(linear_page_index rounded down to HPAGE_PMD_NR) to retract"}}},
		{"uffdio_copy",
		 "mfill_atomic_copy -> mfill_atomic (uffd_mfill_lock, anon_vma_prepare -> "
		 "__anon_vma_prepare, mm_alloc_pmd, __pte_alloc) -> mfill_atomic_pte_copy -> "
		 "mfill_atomic_install_pte (mm/userfaultfd.c, mm/rmap.c)",
		 "UFFDIO_COPY of one page into a private VMA registered MISSING (anon or MAP_PRIVATE "
		 "shmem): a new anon folio with the data, mapped if the PTE is still none. Result: "
		 "4096, -EEXIST (a PTE or no PTE table there), -EAGAIN (the PTE table went away: "
		 "pte_offset_map_lock() failed), -ENOENT (no VMA, or not registered)",
		 {{"dst", ParamKind::Address, true, "destination address (page aligned)"},
		  {"value", ParamKind::Value, false, "the data copied (default: a unique value)"}}},
		/* end khugepaged */
	};
	return ops;
}

const std::vector<GuardInfo> &allGuards()
{
	static const std::vector<GuardInfo> guards = {
		{"folio_referenced.folio_trylock", "folio_referenced()",
		 "folio_trylock() anon folios before the rmap walk; contention counts as "
		 "referenced (Seed E: 'mm: always call rmap_walk() on locked folios')",
		 "mm/rmap.c"},
		{"folio_lock_anon_vma_read.recheck_mapping", "folio_lock_anon_vma_read()",
		 "after taking the root anon_vma lock, re-read folio->mapping and retry if "
		 "folio_move_anon_rmap() changed it meanwhile",
		 "mm/rmap.c"},
		{"uffd_move.folio_lock", "move_pages_pte()",
		 "lock the source folio before folio_move_anon_rmap() changes folio->mapping "
		 "and ->index",
		 "mm/userfaultfd.c"},
		{"uffd_move.trylock_under_ptl", "move_pages_pte()",
		 "only folio_trylock() under the source PTL; on contention drop the PTL and "
		 "sleep in folio_lock(), then retry",
		 "mm/userfaultfd.c"},
		{"uffd_move.anon_vma_write_lock", "move_pages_pte()",
		 "folio_get_anon_vma() + anon_vma_lock_write() of the source root around the move, "
		 "serialising against lockless folio_referenced() (before Seed E)",
		 "mm/userfaultfd.c"},
		{"uffd_move.double_pt_lock", "move_present_pte()",
		 "double_pt_lock(): hold both the source and destination PTLs while moving the PTE",
		 "mm/userfaultfd.c"},
		{"uffd_move.pte_same", "move_present_pte() / is_pte_pages_stable()",
		 "re-read source and destination PTEs under the PTLs and back off with -EAGAIN "
		 "if either changed",
		 "mm/userfaultfd.c"},
		{"uffd_move.pinned_recheck", "move_present_pte()",
		 "re-check folio_maybe_dma_pinned() after ptep_clear_flush() and restore the PTE "
		 "if the folio got pinned",
		 "mm/userfaultfd.c"},
		{"pte_offset_map_lock.pmd_same", "__pte_offset_map_lock()",
		 "after taking the PTL, recheck that the PMD still points at the same table "
		 "(it may have been detached and freed between the lockless map and the lock)",
		 "mm/pgtable-generic.c"},
		/* access (faults) */
		{"do_anonymous_page.pte_none_recheck", "do_anonymous_page()",
		 "after allocating the new folio, take the PTL and recheck that the PTE is still "
		 "none (vmf_pte_changed()); else a concurrent fault already mapped a page: back out",
		 "mm/memory.c"},
		{"do_swap_page.swapcache_recheck", "do_swap_page()",
		 "after locking the swapcache folio, recheck folio_test_swapcache() && folio->swap "
		 "== entry (folio_matches_swap_entry()): it may have left the swap cache before we "
		 "locked it",
		 "mm/memory.c"},
		{"do_swap_page.pte_same", "do_swap_page()",
		 "under the PTL, recheck pte_same(*pte, orig_pte): another fault may have swapped "
		 "the entry in meanwhile",
		 "mm/memory.c"},
		{"do_swap_page.stable_writes_drop_exclusive", "do_swap_page()",
		 "a swapcache folio still under writeback to a SWP_STABLE_WRITES device is mapped "
		 "without the exclusive marker (so read-only), even if the swap PTE was exclusive",
		 "mm/memory.c"},
		{"wp_page_copy.pte_same", "wp_page_copy()",
		 "after the copy, retake the PTL and recheck pte_same(*pte, orig_pte) before "
		 "replacing the PTE: a concurrent fault may have replaced it already",
		 "mm/memory.c"},
		/* end access */
		/* gup */
		{"gup_fast.irq_disable", "gup_fast()",
		 "local_irq_save() around the lockless walk: the table-freeing side's IPI "
		 "(tlb_remove_table_sync_one) or RCU-sched grace period waits it out, so the PTE "
		 "table cannot be freed under the walker",
		 "mm/gup.c"},
		{"gup_fast.pte_recheck", "gup_fast_pte_range()",
		 "after grabbing the folio, recheck pte_val(pte) == pte_val(ptep_get(ptep)) and "
		 "gup_put_folio() + fail if the PTE changed: with writers that clear the PTE and then "
		 "check folio_maybe_dma_pinned() (move_present_pte, try_to_migrate_one) it forms a "
		 "store-buffer pattern, one side always sees the other",
		 "mm/gup.c"},
		{"munmap.tlb_flush_before_free", "tlb_flush_mmu()",
		 "tlb_flush_mmu_tlbonly() before tlb_flush_mmu_free(): no CPU may still translate "
		 "to a folio or table when it goes back to the allocator",
		 "mm/mmu_gather.c"},
		{"munmap.pgtable_free_ipi_sync", "tlb_remove_table() / tlb_table_flush()",
		 "with MMU_GATHER_RCU_TABLE_FREE the table is freed after an RCU-sched grace period "
		 "(tlb_remove_table_rcu) or tlb_remove_table_sync_one(), which waits for every CPU "
		 "with IRQs off (GUP-fast)",
		 "mm/mmu_gather.c"},
		/* end gup */
		/* migrate */
		{"migrate.expected_refcount", "__migrate_folio()",
		 "after unmapping, folio_ref_count(src) must equal folio_expected_ref_count(src) + 1: "
		 "any other reference (GUP, a racing lookup) makes the migration back off with -EAGAIN",
		 "mm/migrate.c"},
		{"try_to_migrate_one.flush", "try_to_migrate_one() / ptep_clear_flush()",
		 "flush the TLB of every CPU for the page right after clearing its PTE, before the "
		 "migration entry is installed and the folio copied",
		 "mm/rmap.c"},
		{"try_to_migrate_one.pinned_check", "folio_try_share_anon_rmap_pte()",
		 "with the PTE cleared, refuse to clear PageAnonExclusive of a folio that may be "
		 "DMA-pinned (folio_maybe_dma_pinned): restore the PTE and abort the migration",
		 "include/linux/rmap.h"},
		/* end migrate */
		/* reclaim */
		{"try_to_unmap_one.pinned_check", "try_to_unmap_one() / folio_try_share_anon_rmap_pte()",
		 "after clearing the PTE, refuse to share a PageAnonExclusive page that is "
		 "(maybe) DMA-pinned: restore the PTE and abort the unmap (clear first, then "
		 "check, pairing with GUP-fast's grab-then-recheck)",
		 "mm/rmap.c"},
		{"shrink_folio_list.flush_before_io", "shrink_folio_list() / try_to_unmap_flush_dirty()",
		 "flush the deferred (batched) TLB flush of writable entries before pageout() "
		 "starts the I/O, so no CPU can write to the folio after its data was written out",
		 "mm/vmscan.c"},
		{"__remove_mapping.ref_freeze", "__remove_mapping()",
		 "folio_ref_freeze(folio, 1 + nr_pages): free the folio only if the isolation "
		 "and swap cache references are the only ones (a speculative or GUP reference "
		 "keeps it), and make later folio_try_get() fail",
		 "mm/vmscan.c"},
		{"shrink_folio_list.flush_before_free", "shrink_folio_list() / try_to_unmap_flush()",
		 "complete the deferred TLB flush before free_unref_folios() gives folios back "
		 "to the allocator, and at the end of the pass",
		 "mm/vmscan.c"},
		/* end reclaim */
		/* mremap */
		{"try_realign_addr.can_align_down", "can_align_down()",
		 "realign old_addr/new_addr down to the PMD boundary only if no VMA intersects "
		 "[addr & PMD_MASK, vma->vm_start) (find_vma_intersection), on both sides: else the "
		 "PMD-level move carries another mapping's PTEs along (Seed D1)",
		 "mm/mremap.c"},
		{"move_page_tables.realign_return_guard", "move_page_tables()",
		 "return 0 if the loop broke inside the first PMD after realigning "
		 "(old_addr < old_end - len_in), instead of len_in + old_addr - old_end, which is "
		 "negative then (Seed D2)",
		 "mm/mremap.c"},
		{"move_ptes.flush_before_unlock", "move_ptes()",
		 "flush_tlb_range() of the old range before dropping the PTLs when a present PTE "
		 "moved, so the folio cannot be unmapped at the new address and freed while a CPU "
		 "still caches the old translation (commit eb66ae030829)",
		 "mm/mremap.c"},
		{"move_pgt_entry.take_rmap_locks", "move_page_tables() / move_pgt_entry(NORMAL_PMD)",
		 "a PMD-level move always takes the rmap locks (anon_vma write): move_normal_pmd() "
		 "does not take the PTE lock, so an rmap walker holding it must not see the table "
		 "move under it (commit 97113eb39fa7)",
		 "mm/mremap.c"},
		{"relocate_anon_pte.wait_migration_entry", "relocate_anon_ptes() (MREMAP_RELOCATE_ANON)",
		 "a migration entry is not skipped: drop the PTL, wait for the migration to end "
		 "(migration_entry_wait()) and look at the PTE again, as UFFDIO_MOVE does (David "
		 "Hildenbrand: 'probably have to wait for the migration entry to become a present "
		 "pte again'; Seed A3a). Off: the posted v1 skips it",
		 "mm/mremap.c"},
		{"relocate_anon_pte.relocate_swapcache", "relocate_anon_ptes() (MREMAP_RELOCATE_ANON)",
		 "a swap entry whose folio is in the swap cache: look the folio up "
		 "(swap_cache_get_folio()), folio_trylock() it and relocate it too, as move_swap_pte() "
		 "does (David Hildenbrand: 'we could lookup any folio in the swapcache and adjust "
		 "that'; Seed A3b). Off: the posted v1 skips every non-present PTE",
		 "mm/mremap.c"},
		{"relocate_anon_pte.clear_then_check_pinned", "relocate_anon_pte() (MREMAP_RELOCATE_ANON)",
		 "the folio_maybe_dma_pinned() check follows move_present_pte()'s protocol: "
		 "ptep_clear_flush() first, then check the pin, restore the PTE and fail the "
		 "relocation (fall back to a plain move) if pinned (Seed A1). Off: the posted v1 "
		 "checks the pin with the PTE still mapped and skips a pinned folio as a success",
		 "mm/mremap.c"},
		{"relocate_anon_pte.folio_trylock", "relocate_anon_pte() (MREMAP_RELOCATE_ANON)",
		 "folio_trylock() under the PTL; on contention take a reference, drop the PTL, wait "
		 "for the folio lock and retry (as move_pages_pte() does). Off: the posted v1 sleeps "
		 "in folio_lock() holding the PTL spinlock (syzkaller: 'sleeping function called "
		 "from invalid context in __relocate_anon_folios'; Seed A4)",
		 "mm/mremap.c"},
		{"relocate_anon_pte.no_pae_warning", "relocate_anon_pte() (MREMAP_RELOCATE_ANON)",
		 "no VM_WARN_ON_ONCE(!PageAnonExclusive()): an exclusively mapped page may lack PAE "
		 "after a swapin under writeback on a stable-writes device (Lorenzo Stoakes: 'So "
		 "maybe drop this second one?', David Hildenbrand: 'Yes.'; Seed A2). Off: the posted "
		 "v1's warning",
		 "mm/mremap.c"},
		{"relocate_anon_pte.undo_relocates_pinned", "relocate_anon_pte(undo = true)",
		 "the undo pass relocates pinned folios back too, so it cannot fail (David "
		 "Hildenbrand: 'relocate pinned folios too'; 'I really wish we can find a way to not "
		 "require the fallback'; Seed A1'). Off: the posted v1's undo skips a folio pinned "
		 "since the forward pass, leaving it on the new VMA's anon_vma",
		 "mm/mremap.c"},
		{"relocate_anon_folios.hold_folio_locks", "copy_vma_and_data() (MREMAP_RELOCATE_ANON)",
		 "mmrace's proposal, not in the thread: every folio the forward pass re-homed stays "
		 "locked until the move is complete or undone, and the undo moves exactly those back "
		 "without taking a folio lock, so nothing waits for a folio lock while holding the new "
		 "anon_vma A' for write (migration holds the folio lock and waits for A'). Off: the "
		 "posted v1 (and the reviewers' fixes) unlock each folio at once and the undo locks it "
		 "again (seed-a1p-undo-vs-migrate-deadlock)",
		 "mm/mremap.c"},
		/* end mremap */
		/* khugepaged */
		{"retract_page_tables.anon_vma_recheck", "retract_page_tables()",
		 "repeat the vma->anon_vma and userfaultfd_wp() checks under the PMD lock and the "
		 "PTL before pmdp_collapse_flush() (v2: 'repeat checks under ptl because UFFD, per "
		 "PeterX and JannH'): without the mmap lock, UFFDIO_COPY may have run "
		 "anon_vma_prepare() and installed an anon PTE since the racy READ_ONCE() check "
		 "(Seed C1). Off: v1, the table is cleared and freed without looking",
		 "mm/khugepaged.c"},
		/* end khugepaged */
		/* mremap-shapes */
		{"copy_vma.need_rmap_locks", "copy_vma() / move_ptes()",
		 "when vma_merge_new_range() merges the destination into a neighbour, "
		 "*need_rmap_locks = (new_vma->vm_pgoff <= vma->vm_pgoff) and move_ptes() then "
		 "holds the rmap locks (anon_vma write): the merged VMA comes first in the anon_vma "
		 "interval tree, so an rmap walk could visit it before the PTEs arrive and the old "
		 "VMA after they left (Michel Lespinasse, 'mm: avoid taking rmap locks in "
		 "move_ptes()', 2012). Off: need_rmap_locks stays false after a merge",
		 "mm/vma.c"},
		{"can_align_down.vma_start", "can_align_down()",
		 "realign down only if the address is the start of its VMA (vma->vm_start == "
		 "addr_to_align): 'If @addr_to_align of either source or destination is not the "
		 "beginning of the corresponding VMA, we can't align down or we will destroy part "
		 "of the current mapping.' A partial move's source starts inside its VMA, so the "
		 "PMD-level move would carry the rest of that VMA's PTEs along (Seed D1 variant)",
		 "mm/mremap.c"},
		{"vma_prepare.anon_vma_lock", "vma_prepare() / vma_complete()",
		 "__split_vma() and vma_expand() take the anon_vma root's rwsem for write around "
		 "anon_vma_interval_tree_pre_update_vma() .. post_update_vma(): the VMA is off the "
		 "interval tree while its vm_start/vm_end/vm_pgoff change, and an rmap walk (which "
		 "holds the rwsem for read) must not find it missing. Off: the tree update runs "
		 "without the lock",
		 "mm/vma.c"},
		/* end mremap-shapes */
		/* guards-audit */
		{"mfill_atomic_install_pte.pte_none_recheck", "mfill_atomic_install_pte()",
		 "under the PTL, install the new PTE only if the destination PTE is still none "
		 "(!pte_none_mostly() -> -EEXIST): another UFFDIO_COPY (a second handler thread "
		 "resolving the same fault) may have installed a page since the lockless checks. "
		 "Off: the PTE is overwritten and the first folio stays accounted as mapped",
		 "mm/userfaultfd.c"},
		{"retract_page_tables.pte_free_defer", "retract_page_tables() / pte_free_defer()",
		 "free the detached PTE table through pte_free_defer() (call_rcu -> pte_free_now), "
		 "after an RCU grace period: __pte_offset_map() (pte_offset_map_lock() of "
		 "UFFDIO_COPY, faults) reads the PMD under rcu_read_lock() without the mmap lock and "
		 "may still reach the table (Hugh Dickins' 2023 rework of retract_page_tables() "
		 "without the mmap lock). Off: pte_free() at once",
		 "mm/khugepaged.c"},
		{"handle_pte_fault.pte_same", "handle_pte_fault()",
		 "with the PTL taken, recheck pte_same(ptep_get(vmf->pte), vmf->orig_pte) before "
		 "do_wp_page() or ptep_set_access_flags(): the entry was read locklessly, under the "
		 "VMA or mmap read lock only, and MADV_DONTNEED, reclaim, migration or UFFDIO_MOVE "
		 "may have changed it since. Off: the fault acts on the stale entry",
		 "mm/memory.c"},
		{"retract_page_tables.pmd_recheck", "retract_page_tables()",
		 "with the PMD lock taken, check_pmd_state() again: the lockless "
		 "find_pmd_or_thp_or_none() saw a PTE table, but without the mmap lock another "
		 "clearer of the same PMD (collapse_pte_mapped_thp() of MADV_COLLAPSE, under the "
		 "mmap read lock; in the library a second retract stands for it) may have cleared "
		 "it and queued the table for freeing since. Off: the PMD is cleared again and the "
		 "table freed a second time",
		 "mm/khugepaged.c"},
		/* end guards-audit */
		/* oracle-rcu */
		{"pte_free_defer.irqs_off_readers", "pte_free_defer(): call_rcu()",
		 "the grace period before pte_free_now() also waits for the CPUs that were in an "
		 "IRQs-off section (GUP-fast's local_irq_save() around its lockless PMD and PTE "
		 "reads): since the RCU flavour consolidation local_irq_disable() is an RCU read-side "
		 "section (CONFIG_MMU_GATHER_RCU_TABLE_FREE relies on it). With a broadcast TLB flush "
		 "no IPI waits for GUP-fast, so nothing else keeps the table alive. Off: the grace "
		 "period waits only for rcu_read_lock() sections",
		 "mm/pgtable-generic.c"},
		/* end oracle-rcu */
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
		{"relocate_anon:v1-posted",
		 "MREMAP_RELOCATE_ANON as posted on 9 June 2025 ([PATCH 01/11] mm/mremap: introduce "
		 "more mergeable mremap via MREMAP_RELOCATE_ANON), before the review: every "
		 "fix off (the reviewers' six and mmrace's hold_folio_locks)",
		 {"relocate_anon_pte.wait_migration_entry", "relocate_anon_pte.relocate_swapcache",
		  "relocate_anon_pte.clear_then_check_pinned", "relocate_anon_pte.folio_trylock",
		  "relocate_anon_pte.no_pae_warning", "relocate_anon_pte.undo_relocates_pinned",
		  "relocate_anon_folios.hold_folio_locks"}},
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
