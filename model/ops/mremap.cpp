/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mremap(old, old_len, new_len, flags, new_addr) of (part of) an anon VMA:
 *
 *   do_mremap()                                                  mm/mremap.c
 *     check_mremap_params(): page-aligned addr, new_len != 0, MREMAP_FIXED
 *       needs MREMAP_MAYMOVE and a page-aligned new_addr -> -EINVAL
 *     mmap_write_lock(); vma_lookup(addr) -> -EFAULT
 *     mremap_at() (no MREMAP_FIXED):
 *       MREMAP_NO_RESIZE: return addr
 *       MREMAP_SHRINK: shrink_vma() -> do_vmi_munmap(addr + new_len, delta)
 *         (vma.cpp: __split_vma() at the edges; drop_lock's
 *         mmap_write_downgrade() is not modelled); return addr
 *       MREMAP_EXPAND: expand_vma(): resize_is_valid() (-EINVAL for
 *         old_len 0, -EFAULT if [addr, addr + old_len) leaves the VMA);
 *         vrm_can_expand_in_place() (the range ends the VMA, vma_expandable():
 *         no VMA in [vm_end, vm_end + delta)) -> expand_vma_in_place() ->
 *         vma_merge_extend() (vma.cpp vmaMergeNewRange(): vma_expand());
 *         else !MREMAP_MAYMOVE: -ENOMEM; else vrm_set_new_addr()
 *         (get_unmapped_area(), see below) and move_vma()
 *     mremap_to() (MREMAP_FIXED):
 *       vrm_overlaps() -> -EINVAL; do_munmap(new_addr, new_len) (splits what
 *       is there); vma_lookup(addr) again; MREMAP_SHRINK: shrink_vma() and
 *       old_len = new_len; resize_is_valid(); move_vma()
 *   move_vma():
 *     vma_start_write(vma)                 "We don't want racing faults"
 *     copy_vma_and_data()
 *       copy_vma()                                               mm/vma.c
 *         an unfaulted VMA (no anon_vma): pgoff = addr >> PAGE_SHIFT
 *         vma_merge_new_range() (vma.cpp): a neighbour with the same
 *           flags and anon_vma and a contiguous pgoff is expanded over the
 *           destination (vma_expand()); "Source vma may have been merged
 *           into new_vma" (VM_BUG_ON_VMA(faulted_in_anon_vma)); then
 *           *need_rmap_locks = (new_vma->vm_pgoff <= vma->vm_pgoff)
 *                                   [guard copy_vma.need_rmap_locks]
 *         else vm_area_dup(); pgoff = vm_pgoff + offset into the VMA;
 *           need_rmap_locks = false
 *         anon_vma_clone(): the new VMA joins the SAME anon_vma trees, in
 *           interval-tree order (after the old VMA: equal pgoff goes right)
 *         vma_link(): vma_start_write(new); vma_iter_store_new()
 *       MREMAP_RELOCATE_ANON (the series posted 9 June 2025, [PATCH 01/11]
 *       "mm/mremap: introduce more mergeable mremap via
 *       MREMAP_RELOCATE_ANON"; docs/model.md):
 *         should_relocate_anon(): anon VMA with an anon_vma that no fork
 *           shares (vma_had_uncowed_parents/children: the model's anon_vma
 *           is its own root and no other anon_vma has it as root)
 *         again: copy_vma(): no merge; pgoff = addr >> PAGE_SHIFT,
 *           new_vma->anon_vma = NULL (no anon_vma_clone), vma_link(),
 *           __anon_vma_prepare(): a brand-new root anon_vma A'
 *         lock_new_anon_vma(): anon_vma_lock_write(A'), lockdep subclass 1
 *         relocate_anon_folios(undo = false) -> __relocate_anon_folios()
 *           -> relocate_anon_ptes(): pte_offset_map_lock() held across the
 *           table; non-present PTEs skipped
 *                     [guards relocate_anon_pte.wait_migration_entry,
 *                      relocate_anon_pte.relocate_swapcache]
 *           -> relocate_anon_pte(): vm_normal_folio(); folio_lock() under
 *             the PTL                [guard relocate_anon_pte.folio_trylock]
 *             WARN_ON_ONCE(folio_maybe_mapped_shared()) -> skip;
 *             VM_WARN_ON_ONCE(!PageAnonExclusive())
 *                                    [guard relocate_anon_pte.no_pae_warning]
 *             folio_maybe_dma_pinned() -> skip
 *                          [guard relocate_anon_pte.clear_then_check_pinned;
 *                           in the undo pass relocate_anon_pte.undo_relocates_pinned]
 *             folio_test_large() -> fail; folio_move_anon_rmap();
 *             WRITE_ONCE(folio->index, linear_page_index())
 *         [guard relocate_anon_folios.hold_folio_locks, mmrace's proposal:
 *          each re-homed folio stays locked until the move is complete or
 *          undone; the undo puts back exactly those, taking no folio lock]
 *         failure: relocate_anon_folios(undo = true); anon_vma_unlock_write(A');
 *           do_munmap(new_vma); goto again without relocation
 *         MREMAP_MUST_RELOCATE_ANON ([PATCH 02/11]): -EFAULT instead of the
 *           fallback, and for a VMA whose anon_vma a fork shares
 *         move_page_tables() (maybe_take_rmap_locks(): the roots differ, so
 *           the NORMAL_PMD override takes the old anon_vma as before); an
 *           error: undo, then unlock A' (before pmc_revert, in the posted
 *           order); else unlock A' (vma_merge_existing_range(): no merge)
 *       move_page_tables(pmc)
 *         try_realign_addr() -> can_realign_addr() -> can_align_down():
 *           vma->vm_start == addr_to_align [guard can_align_down.vma_start],
 *           no VMA in [addr & PMD_MASK, vm_start)
 *                                   [guard try_realign_addr.can_align_down]
 *         per extent (get_extent): get_old_pmd(); alloc_new_pmd() (a
 *           failure breaks the loop)
 *           extent == PMD_SIZE: move_pgt_entry(NORMAL_PMD, need_rmap_locks
 *             = true)               [guard move_pgt_entry.take_rmap_locks]
 *             -> take_rmap_locks(); move_normal_pmd(): WARN_ON_ONCE
 *             (!pmd_none(*new_pmd)); pmd_lock(); "Racing with collapse?";
 *             pmd_clear(old); pmd_populate(new); flush_tlb_range(); unlock
 *           pmd_none(*old_pmd): continue; pte_alloc(new_pmd) (failure:
 *           break); move_ptes() < 0: goto again
 *         move_ptes(): [take_rmap_locks() if need_rmap_locks];
 *           pte_offset_map_lock(old); pte_offset_map_rw_nolock(new) +
 *           spin_lock_nested(new_ptl); per PTE: ptep_get_and_clear(old),
 *           set_pte_at(new); flush_tlb_range(old range) if a present PTE
 *           moved, BEFORE the PTLs are dropped
 *                                   [guard move_ptes.flush_before_unlock]
 *         "Prevent negative return values when {old,new}_addr was
 *         realigned but we broke out of the above loop for the first PMD
 *         itself"              [guard move_page_tables.realign_return_guard]
 *       moved_len < old_len: -ENOMEM; pmc_revert (new -> old,
 *         need_rmap_locks = true), and the NEW VMA is unmapped instead
 *       (vrm->addr/old_len become the new range)
 *     unmap_source_vma() -> do_vmi_munmap(addr, old_len): splits the VMA
 *       when only part of it moved (vma.cpp, munmap.cpp; same lock held)
 *     mmap_write_unlock(): vma_end_write_all() (every VMA write-locked)
 *
 * Reduced from mm/mremap.c and mm/vma.c (linux-next @22f79b3b,
 * docs/model.md). Reductions: anon VMAs only, no
 * MREMAP_DONTUNMAP, no hugetlb, THP or PUD-level moves (one PUD, no huge
 * PMDs), no KSM (prep_move_vma), map_count limits, accounting, mlock,
 * MMU notifiers or uffd; VM flags are VM_WRITE and the uffd registration
 * (what merges compare); the PMD lock is the one split PMD ptlock of the
 * model's single PMD page (old_ptl == new_ptl), so the nested PMD lock is
 * not taken;
 * flush_tlb_batched_pending() is not modelled (reclaim's deferred flush is
 * task-local in the model). get_unmapped_area() without MREMAP_FIXED is the
 * first PMD boundary 2 MiB above the highest VMA (bottom-up, deterministic,
 * never adjacent to a VMA). The shrink's mmap_write_downgrade() is not
 * modelled (the write lock is kept). MREMAP_RELOCATE_ANON's copy_vma()
 * never merges. The page-table allocations can be made to fail by the op's
 * "pgtable_alloc_fails" parameter (fault injection); pmd_alloc() only
 * allocates, and so only fails, where no PMD page covers the destination
 * yet (pud_none(): another 1 GiB region than every VMA's).
 * Ghost: the op declares its old and new ranges while it runs (range-safety,
 * I-10) and records what it promises for the mremap-result check.
 */
#include <algorithm>

#include "ops.hpp"

namespace mmrace::model
{

namespace
{

constexpr long kEINVAL = -22, kENOMEM = -12, kEAGAIN = -11, kEFAULT = -14;

/* struct vma_remap_struct */
struct VmaRemap {
	std::uint64_t addr = 0, oldLen = 0, newLen = 0, newAddr = 0;
	bool mayMove = false, fixed = false;
	bool relocateAnon = false; /* MREMAP_RELOCATE_ANON */
	bool mustRelocateAnon = false; /* MREMAP_MUST_RELOCATE_ANON */
	bool allocFails = false;
	VmaIdx vma = kNone;
};

/* struct pagetable_move_control */
struct PagetableMoveControl {
	VmaIdx old = kNone, newVma = kNone;
	std::uint64_t oldAddr = 0, newAddr = 0, oldEnd = 0, lenIn = 0;
	bool needRmapLocks = false;
	bool forStack = false; /* exec's shift_arg_pages(): never here */
	bool allocFails = false;
};

void takeRmapLocks(Kernel &k, VmaIdx v)
{
	World &w = k.world();
	if (w.vmas[v].file != kNone)
		k.lock(*w.files[w.vmas[v].file].iMmapRwsem,
		       "take_rmap_locks: i_mmap_lock_write(vma->vm_file->f_mapping)");
	if (w.vmas[v].anonVma != kNone)
		k.lock(w.rootRwsem(w.vmas[v].anonVma), "take_rmap_locks: anon_vma_lock_write()");
}

void dropRmapLocks(Kernel &k, VmaIdx v)
{
	World &w = k.world();
	if (w.vmas[v].anonVma != kNone)
		k.unlock(w.rootRwsem(w.vmas[v].anonVma),
			 "drop_rmap_locks: anon_vma_unlock_write()");
	if (w.vmas[v].file != kNone)
		k.unlock(*w.files[w.vmas[v].file].iMmapRwsem,
			 "drop_rmap_locks: i_mmap_unlock_write()");
}

/* move_ptes(): 0, or -EAGAIN if a table vanished (retry the PMD) */
long movePtes(Kernel &k, const PagetableMoveControl &pmc, PmdIdx newPmd, std::uint64_t oldAddr,
	      std::uint64_t oldEnd, std::uint64_t newAddr)
{
	World &w = k.world();
	const std::uint64_t len = oldEnd - oldAddr;
	if (pmc.needRmapLocks)
		takeRmapLocks(k, pmc.old);
	long err = 0;
	PteRef oldRef = k.pteOffsetMapLock(oldAddr, "move_ptes: pte_offset_map_lock(old_pmd)");
	if (oldRef.table == kNone) {
		err = kEAGAIN;
	} else {
		Lock &oldPtl = w.ptl(oldRef);
		/* pte_offset_map_rw_nolock(): "we already hold the exclusive
		 * mmap_lock, so this new_pte page is stable" */
		Pmd np = k.readPmd(newPmd, "move_ptes: pte_offset_map_rw_nolock(new_pmd)");
		if (!np.isTable()) {
			k.unlock(oldPtl, "move_ptes: pte_unmap_unlock(old_pte)");
			err = kEAGAIN;
		} else {
			Lock &newPtl = *w.tables[np.table].ptl;
			if (&newPtl != &oldPtl)
				k.lock(newPtl,
				       "move_ptes: spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING)",
				       1);
			bool forceFlush = false;
			for (std::uint64_t o = oldAddr, n = newAddr; o < oldEnd;
			     o += kPageSize, n += kPageSize) {
				PteRef from = w.pteIn(oldRef.table, o);
				/* pte_none(ptep_get(old_pte)): every PTE writer holds
				 * this PTL (pte-unlocked checks it), so a read under it
				 * needs no scheduling point of its own */
				if (w.pte(from).none())
					continue;
				Pte pte = k.writePte(from, Pte{},
						     "move_ptes: ptep_get_and_clear(old_pte)");
				if (pte.present())
					forceFlush = true;
				k.writePte(w.pteIn(np.table, n), pte,
					   "move_ptes: set_pte_at(new_pte)");
			}
			const bool flushFirst = k.guard(Guard::MovePtesFlushBeforeUnlock);
			if (forceFlush && flushFirst)
				k.flushTlbRange(
				    oldEnd - len, oldEnd,
				    "move_ptes: flush_tlb_range() before dropping the PTLs");
			if (&newPtl != &oldPtl)
				k.unlock(newPtl, "move_ptes: spin_unlock(new_ptl)");
			k.unlock(oldPtl, "move_ptes: pte_unmap_unlock(old_pte)");
			if (forceFlush && !flushFirst)
				k.flushTlbRange(
				    oldEnd - len, oldEnd,
				    "move_ptes: flush_tlb_range() after dropping the PTLs");
		}
	}
	if (pmc.needRmapLocks)
		dropRmapLocks(k, pmc.old);
	return err;
}

/* move_normal_pmd(): the whole PTE table moves to the new PMD */
bool moveNormalPmd(Kernel &k, std::uint64_t oldAddr, PmdIdx oldPmd, PmdIdx newPmd)
{
	World &w = k.world();
	if (k.readPmd(newPmd, "move_normal_pmd: pmd_none(*new_pmd)").kind != Pmd::Kind::None) {
		k.warn("move_normal_pmd", "WARN_ON_ONCE(!pmd_none(*new_pmd))");
		return false;
	}
	k.lock(*w.pmdLock, "move_normal_pmd: pmd_lock(old_pmd) (new_ptl == old_ptl)");
	Pmd pmd = k.readPmd(oldPmd, "move_normal_pmd: pmd = *old_pmd");
	bool res = false;
	/* "Racing with collapse?" */
	if (pmd.isTable()) {
		k.writePmd(oldPmd, Pmd{}, "move_normal_pmd: pmd_clear(old_pmd)");
		res = true;
		k.writePmd(newPmd, pmd, "move_normal_pmd: pmd_populate(new_pmd, pmd_pgtable(pmd))");
		k.flushTlbRange(oldAddr, oldAddr + kPmdSize, "move_normal_pmd: flush_tlb_range()");
	}
	k.unlock(*w.pmdLock, "move_normal_pmd: spin_unlock(old_ptl)");
	return res;
}

/* move_pgt_entry(NORMAL_PMD, ..., need_rmap_locks) */
bool movePgtEntryNormalPmd(Kernel &k, VmaIdx vma, std::uint64_t oldAddr, PmdIdx oldPmd,
			   PmdIdx newPmd, bool needRmapLocks)
{
	if (needRmapLocks)
		takeRmapLocks(k, vma);
	bool moved = moveNormalPmd(k, oldAddr, oldPmd, newPmd);
	if (needRmapLocks)
		dropRmapLocks(k, vma);
	return moved;
}

/* get_extent(NORMAL_PMD, ...) */
std::uint64_t getExtent(std::uint64_t oldAddr, std::uint64_t oldEnd, std::uint64_t newAddr)
{
	std::uint64_t next = (oldAddr + kPmdSize) & ~(kPmdSize - 1);
	std::uint64_t extent = next - oldAddr;
	if (extent > oldEnd - oldAddr)
		extent = oldEnd - oldAddr;
	next = (newAddr + kPmdSize) & ~(kPmdSize - 1);
	if (extent > next - newAddr)
		extent = next - newAddr;
	return extent;
}

/* find_vma_intersection(mm, start, end) != NULL (mmap lock held: no point) */
bool vmaIntersects(const World &w, std::uint64_t start, std::uint64_t end)
{
	for (const Vma &v : w.vmas)
		if (!v.detached && v.start < end && v.end > start)
			return true;
	return false;
}

/* can_align_down() */
bool canAlignDown(Kernel &k, const PagetableMoveControl &pmc, VmaIdx v, std::uint64_t addrToAlign)
{
	const World &w = k.world();
	const Vma &vma = w.vmas[v];
	std::uint64_t masked = addrToAlign & ~(kPmdSize - 1);
	/* "If @addr_to_align of either source or destination is not the
	 * beginning of the corresponding VMA, we can't align down or we will
	 * destroy part of the current mapping." (a partial move's source)
	 *                               [guard can_align_down.vma_start] */
	if (!pmc.forStack && vma.start != addrToAlign && k.guard(Guard::CanAlignDownVmaStart))
		return false;
	if (pmc.forStack && masked >= vma.start)
		return true;
	if (!k.guard(Guard::TryRealignAddrCanAlignDown))
		return true;
	/* "Make sure the realignment doesn't cause the address to fall on an
	 * existing mapping." */
	return !vmaIntersects(w, masked, vma.start);
}

/* try_realign_addr(pmc, PMD_MASK) -> can_realign_addr() */
void tryRealignAddr(Kernel &k, PagetableMoveControl &pmc)
{
	const std::uint64_t alignMask = kPmdSize - 1;
	const std::uint64_t oldAlign = pmc.oldAddr & alignMask, newAlign = pmc.newAddr & alignMask;
	const std::uint64_t oldAlignNext = kPmdSize - oldAlign;
	if (pmc.lenIn < oldAlignNext)
		return;
	if (oldAlign == 0)
		return;
	if (oldAlign != newAlign)
		return;
	if (!canAlignDown(k, pmc, pmc.old, pmc.oldAddr) ||
	    !canAlignDown(k, pmc, pmc.newVma, pmc.newAddr))
		return;
	pmc.oldAddr &= ~alignMask;
	pmc.newAddr &= ~alignMask;
}

/* move_page_tables(): how much was moved (unsigned long arithmetic) */
std::uint64_t movePageTables(Kernel &k, PagetableMoveControl &pmc)
{
	World &w = k.world();
	if (!pmc.lenIn)
		return 0;
	tryRealignAddr(k, pmc);
	std::uint64_t oldAddr = pmc.oldAddr, newAddr = pmc.newAddr;
	const std::uint64_t oldEnd = pmc.oldEnd;
	std::uint64_t extent = 0;
	for (; oldAddr < oldEnd; oldAddr += extent, newAddr += extent) {
		/* PUD level: one PUD, no huge PUDs, no 1 GiB extents */
		extent = getExtent(oldAddr, oldEnd, newAddr);
		/* get_old_pmd(): NULL if pmd_none() */
		PmdIdx oldPmd = w.pmdFor(oldAddr);
		if (oldPmd == kNone ||
		    k.readPmd(oldPmd, "get_old_pmd: pmd_none(*pmd)").kind == Pmd::Kind::None)
			continue;
		PmdIdx newPmd = k.pmdAlloc(newAddr, pmc.allocFails, "alloc_new_pmd: pmd_alloc()");
		if (newPmd == kNone)
			break;
		for (;;) { /* again: */
			if (extent == kPmdSize &&
			    movePgtEntryNormalPmd(k, pmc.old, oldAddr, oldPmd, newPmd,
						  k.guard(Guard::MovePgtEntryTakeRmapLocks) ||
						      pmc.needRmapLocks))
				break;
			if (k.readPmd(oldPmd, "move_page_tables: pmd_none(*old_pmd)").kind ==
			    Pmd::Kind::None)
				break;
			if (!k.pteAlloc(newPmd, pmc.allocFails, "pte_alloc: pmd_populate(new_pmd)"))
				goto out;
			if (movePtes(k, pmc, newPmd, oldAddr, oldAddr + extent, newAddr) < 0)
				continue;
			break;
		}
	}
out:
	if (k.guard(Guard::MovePageTablesRealignReturnGuard) && oldAddr < oldEnd - pmc.lenIn)
		return 0;
	return pmc.lenIn + oldAddr - oldEnd; /* how much done */
}

/*
 * copy_vma(): the VMA the data goes to, linked and write-locked, in the same
 * anon_vmas: a neighbour vma_merge_new_range() expanded over the range, or a
 * new VMA. *vmap becomes the merged VMA if the source merged into it.
 */
VmaIdx copyVma(Kernel &k, VmaIdx &vmap, std::uint64_t addr, std::uint64_t len, std::uint64_t pgoff,
	       bool &needRmapLocks, bool relocateAnon)
{
	World &w = k.world();
	const VmaIdx v = vmap;
	const std::uint64_t vmaStart = w.vmas[v].start;
	/* "If anonymous vma has not yet been faulted, update new pgoff to
	 * match new location, to increase its chance of merging." */
	bool faultedInAnonVma = true;
	if (w.vmas[v].file == kNone && w.vmas[v].anonVma == kNone) { /* vma_is_anonymous() */
		pgoff = addr / kPageSize;
		faultedInAnonVma = false;
	}
	/* vma_merge_new_range(): MREMAP_RELOCATE_ANON's copy is never merged
	 * in the model (so *relocate_anon stays set) */
	if (!relocateAnon) {
		VmaIdx m = vmaMergeNewRange(k, w.vmas[v], addr, addr + len, pgoff);
		if (m != kNone) {
			/* "Source vma may have been merged into new_vma" */
			if (vmaStart >= w.vmas[m].start && vmaStart < w.vmas[m].end) {
				if (faultedInAnonVma)
					k.warn("copy_vma",
					       "VM_BUG_ON_VMA(faulted_in_anon_vma, new_vma)");
				vmap = m;
			}
			/* *need_rmap_locks = (new_vma->vm_pgoff <= vma->vm_pgoff): the
			 * merged VMA comes first in the anon_vma interval tree, so
			 * an rmap walk may visit it before the PTEs arrive and the
			 * old VMA after they left: move_ptes() must hold the rmap
			 * locks. [guard copy_vma.need_rmap_locks] */
			needRmapLocks = k.guard(Guard::CopyVmaNeedRmapLocks) &&
					w.vmas[m].pgoff <= w.vmas[vmap].pgoff;
			return m;
		}
	}
	/* a new VMA (so *relocate_anon stays set), with a fresh mapping's
	 * pgoff for MREMAP_RELOCATE_ANON */
	if (relocateAnon)
		pgoff = addr / kPageSize;
	VmaIdx n = w.dupVma(v, w.vmas[v].name + "'"); /* vm_area_dup() */
	Vma &nv = w.vmas[n];
	const Vma &ov = w.vmas[v];
	nv.start = addr;
	nv.end = addr + len;
	nv.pgoff = pgoff;
	if (relocateAnon)
		nv.anonVma = kNone;
	/* anon_vma_clone(): an AVC into each anon_vma the old VMA is in */
	if (ov.anonVma != kNone && !relocateAnon) {
		Lock &root = w.rootRwsem(ov.anonVma);
		k.lock(root, "anon_vma_clone: anon_vma_lock_write()");
		anonVmaTreeLink(k, n, "anon_vma_clone: anon_vma_interval_tree_insert()");
		k.unlock(root, "anon_vma_clone: anon_vma_unlock_write()");
	}
	/* vma_link(): vma_start_write(); vma_iter_store_new() */
	/* vma_start_write() holds no lock in lockdep's sense (the VMA stays
	 * write-locked by mm_lock_seq until mmap_write_unlock()); the model
	 * holds the lock, nested under the old VMA's */
	vmaStartWrite(k, n, "vma_link: vma_start_write(new_vma)");
	k.linkVma(n, "vma_link: vma_iter_store_new()");
	/* vma_link_file() */
	if (const FileIdx f = w.vmas[n].file; f != kNone) {
		Lock &iMmap = *w.files[f].iMmapRwsem;
		k.lock(iMmap, "vma_link_file: i_mmap_lock_write(mapping)");
		k.iMmapInsert(n, "vma_link_file: __vma_link_file()");
		k.unlock(iMmap, "vma_link_file: i_mmap_unlock_write(mapping)");
	}
	if (relocateAnon) {
		/* __anon_vma_prepare(): anon_vma_alloc() (nobody else can see it
		 * yet), then anon_vma_lock_write(); vma->anon_vma = anon_vma;
		 * anon_vma_chain_link() */
		AnonVmaIdx a = w.newAnonVma(w.anonVmas[w.vmas[v].anonVma].name + "'");
		Lock &root = w.rootRwsem(a);
		k.lock(root, "__anon_vma_prepare: anon_vma_lock_write()");
		w.vmas[n].anonVma = a;
		k.anonVmaTreeInsert(a, n, "__anon_vma_prepare: anon_vma_chain_link()");
		k.unlock(root, "__anon_vma_prepare: anon_vma_unlock_write()");
	}
	needRmapLocks = false;
	return n;
}

/* should_relocate_anon(): the mmap lock is held for write, so no fork can
 * change what this reads (no scheduling point). With
 * MREMAP_MUST_RELOCATE_ANON ([PATCH 02/11]) a VMA that cannot be relocated
 * is -EFAULT (*err), except that one without an anon_vma has nothing to
 * relocate. */
bool shouldRelocateAnon(const World &w, const VmaRemap &vrm, long &err)
{
	if (!vrm.relocateAnon && !vrm.mustRelocateAnon)
		return false;
	/* "Failures are fatal in the 'must' case." */
	if (vrm.mustRelocateAnon)
		err = -14; /* -EFAULT */
	const Vma &old = w.vmas[vrm.vma];
	/* VM_SPECIAL/VM_HUGETLB, !vma_is_anonymous(): never in the model */
	/* vma_maybe_has_shared_anon_folios(): vma_had_uncowed_parents()
	 * (anon_vma_chain not singular): a VMA on a child anon_vma;
	 * vma_had_uncowed_children() (num_children > 1): another anon_vma has
	 * this one as its root */
	if (old.anonVma != kNone) {
		if (w.anonVmas[old.anonVma].root != old.anonVma)
			return false;
		for (std::size_t i = 0; i < w.anonVmas.size(); ++i)
			if (static_cast<AnonVmaIdx>(i) != old.anonVma &&
			    w.anonVmas[i].root == old.anonVma)
				return false;
	}
	/* "Below issues are non-fatal in 'must' case." */
	err = 0;
	if (old.anonVma == kNone) /* "If no folios are mapped..." */
		return false;
	return true;
}

enum class Relocated { Done, Failed, Retry };

/*
 * Guard relocate_anon_folios.hold_folio_locks (mmrace's proposal): the
 * folios the forward pass re-homed, still locked (and, for a swap-cache
 * folio, still referenced), with the address they had in the old VMA.
 */
struct HeldFolio {
	FolioIdx folio = kNone;
	std::uint64_t oldAddr = 0;
	bool ref = false;
};
using HeldFolios = std::vector<HeldFolio>;

/* folio_move_anon_rmap(folio, vma); WRITE_ONCE(folio->index, new_index) */
void relocateFolio(Kernel &k, FolioIdx f, VmaIdx to, std::uint64_t addr)
{
	World &w = k.world();
	const Vma &vma = w.vmas[to];
	k.writeMapping(f, vma.anonVma,
		       "relocate_anon_pte: folio_move_anon_rmap(): WRITE_ONCE(folio->mapping)");
	k.writeIndex(f, vma.pageIndex(addr), "relocate_anon_pte: WRITE_ONCE(folio->index)");
}

/*
 * folio_trylock() under the PTL, or, when it fails, what move_pages_pte()
 * does: folio_get(), drop the PTL, wait for the folio lock, folio_put()
 * and look at the PTE again (Retry: the PTL is no longer held). Guard off:
 * the posted v1's folio_lock(), a sleeping lock under the PTL spinlock.
 */
bool lockFolioUnderPtl(Kernel &k, FolioIdx f, Lock &ptl)
{
	World &w = k.world();
	Lock &fl = *w.folios[f].lock;
	if (!k.guard(Guard::RelocateAnonPteFolioTrylock)) {
		k.lock(fl, "relocate_anon_pte: folio_lock() (under the PTL)");
		return true;
	}
	if (k.trylock(fl, "relocate_anon_pte: folio_trylock()"))
		return true;
	k.addRefcount(f, 1, "relocate_anon_pte: folio_get()");
	k.unlock(ptl, "relocate_anon_pte: pte_unmap_unlock() (folio locked by another)");
	k.waitFolioUnlocked(f, "relocate_anon_pte: folio_wait_locked()");
	k.folioPut(f, 1, "relocate_anon_pte: folio_put()");
	return false;
}

/* relocate_anon_pte() for a present PTE; the PTL is held */
Relocated relocateAnonPte(Kernel &k, const PagetableMoveControl &pmc, PteRef r,
			  std::uint64_t oldAddr, std::uint64_t newAddr, const Pte &pte, bool undo,
			  Lock &ptl, HeldFolios &held)
{
	World &w = k.world();
	/* vm_normal_folio(): every present PTE maps a normal folio here */
	const FolioIdx f = pte.folio;
	if (!lockFolioUnderPtl(k, f, ptl))
		return Relocated::Retry;
	Relocated ret = Relocated::Done;
	const VmaIdx to = undo ? pmc.old : pmc.newVma;
	const std::uint64_t at = undo ? oldAddr : newAddr;
	/* !folio_test_anon() || folio_test_ksm(): no-op (never here) */
	if (w.folios[f].anon) {
		/* folio_maybe_mapped_shared(): for a small folio, mapcount > 1;
		 * then VM_WARN_ON_ONCE(folio_mapcount > folio_nr_pages) is the
		 * same condition */
		if (k.readMapcount(f, "relocate_anon_pte: folio_maybe_mapped_shared()") > 1) {
			k.warn("relocate_anon_pte",
			       "WARN_ON_ONCE(folio_maybe_mapped_shared(folio))");
			goto out;
		}
		if (!k.guard(Guard::RelocateAnonPteNoPaeWarning) &&
		    !k.readPageAnonExclusive(
			f, "relocate_anon_pte: PageAnonExclusive(folio_page(folio, 0))"))
			k.warn("relocate_anon_pte",
			       "VM_WARN_ON_ONCE(!PageAnonExclusive(folio_page(folio, 0)))");
		/* the undo pass checks the pin too, as posted; the review's fix
		 * relocates pinned folios back, so the undo cannot fail */
		const bool checkPin = !undo || !k.guard(Guard::RelocateAnonPteUndoRelocatesPinned);
		if (!k.guard(Guard::RelocateAnonPteClearThenCheckPinned)) {
			/* posted v1: the pin check with the PTE still mapped, a
			 * pinned folio skipped ("goto out" with ret = 1) */
			if (checkPin &&
			    k.readRefcount(f, "relocate_anon_pte: folio_maybe_dma_pinned()") >=
				kGupPinCountingBias)
				goto out;
			if (w.folios[f].large) { /* folio_test_large(): ret = 0 */
				ret = Relocated::Failed;
				goto out;
			}
			relocateFolio(k, f, to, at);
			goto relocated;
		}
		/* The review's protocol, as move_present_pte() (UFFDIO_MOVE):
		 * clear the PTE and flush (GUP-fast's grab-then-recheck then
		 * fails, and the IPI waits for GUP-fast sections), then check
		 * the pin; a pinned folio fails the relocation (-EBUSY there;
		 * here the fallback is a plain move). */
		if (w.folios[f].large) {
			ret = Relocated::Failed;
			goto out;
		}
		Pte old =
		    k.writePte(r, Pte{}, "relocate_anon_pte: ptep_clear_flush(): clear the PTE");
		k.flushTlbRange(oldAddr, oldAddr + kPageSize,
				"relocate_anon_pte: ptep_clear_flush(): flush_tlb_page()");
		if (checkPin &&
		    k.readRefcount(f, "relocate_anon_pte: folio_maybe_dma_pinned() (PTE "
				      "cleared)") >= kGupPinCountingBias) {
			k.writePte(r, old, "relocate_anon_pte: set_pte_at(): restore (pinned)");
			/* the undo skips it, as posted; the forward pass fails */
			if (!undo)
				ret = Relocated::Failed;
			goto out;
		}
		relocateFolio(k, f, to, at);
		k.writePte(r, old, "relocate_anon_pte: set_pte_at(): the PTE back");
		goto relocated;
	}
	goto out;
relocated:
	if (!undo && k.guard(Guard::RelocateAnonFoliosHoldFolioLocks)) {
		/* stays locked until the move is complete or undone */
		held.push_back({f, oldAddr, false});
		return ret;
	}
out:
	k.unlock(*w.folios[f].lock, "relocate_anon_pte: folio_unlock()");
	return ret;
}

/*
 * A swap entry: the review's fix (move_swap_pte()'s swap cache handling):
 * the swap cache's folio, if any, is trylocked and relocated. Returns false
 * if the PTL was dropped (retry).
 */
bool relocateAnonSwapPte(Kernel &k, const PagetableMoveControl &pmc, const Pte &pte,
			 std::uint64_t oldAddr, std::uint64_t newAddr, bool undo, Lock &ptl,
			 HeldFolios &held)
{
	FolioIdx f = k.swapCacheGet(pte.swap, "relocate_anon_ptes: swap_cache_get_folio()");
	if (f == kNone)
		return true;
	if (!k.tryGetFolio(f, 1, "relocate_anon_ptes: swap_cache_get_folio(): folio_try_get()"))
		return true;
	bool locked = lockFolioUnderPtl(k, f, ptl);
	if (!locked) {
		k.folioPut(f, 1, "relocate_anon_ptes: folio_put()");
		return false;
	}
	/* still the swap cache's folio for this entry (the lock keeps it) */
	if (k.readFlag(f, Kernel::Flag::Swapcache, "relocate_anon_ptes: folio_test_swapcache()") &&
	    k.readFolioSwap(f, "relocate_anon_ptes: folio->swap.val == entry.val") == pte.swap) {
		relocateFolio(k, f, undo ? pmc.old : pmc.newVma, undo ? oldAddr : newAddr);
		if (!undo && k.guard(Guard::RelocateAnonFoliosHoldFolioLocks)) {
			held.push_back({f, oldAddr, true});
			return true;
		}
	}
	k.unlock(*k.world().folios[f].lock, "relocate_anon_ptes: folio_unlock()");
	k.folioPut(f, 1, "relocate_anon_ptes: folio_put()");
	return true;
}

/* relocate_anon_ptes(): one PTE table, its PTL held throughout */
bool relocateAnonPtes(Kernel &k, const PagetableMoveControl &pmc, std::uint64_t oldAddr,
		      std::uint64_t oldEnd, std::uint64_t newAddr, bool undo, HeldFolios &held)
{
	World &w = k.world();
again:
	PteRef start = k.pteOffsetMapLock(oldAddr, "relocate_anon_ptes: pte_offset_map_lock()");
	/* "Just give up if we can't." */
	if (start.table == kNone)
		return false;
	Lock &ptl = w.ptl(start);
	for (std::uint64_t o = oldAddr, n = newAddr; o < oldEnd; o += kPageSize, n += kPageSize) {
		PteRef r = w.pteIn(start.table, o);
		Pte pte = k.readPte(r, "relocate_anon_ptes: ptep_get()");
		if (pte.none())
			continue;
		if (pte.isMigration() && k.guard(Guard::RelocateAnonPteWaitMigrationEntry)) {
			/* migration_entry_wait(): drop the PTL, sleep until the
			 * migration unlocks the folio, look again */
			k.unlock(ptl, "relocate_anon_ptes: pte_unmap_unlock() (migration entry)");
			k.waitFolioUnlocked(pte.folio,
					    "relocate_anon_ptes: migration_entry_wait() -> "
					    "migration_entry_wait_on_locked()");
			oldAddr = o;
			newAddr = n;
			goto again;
		}
		if (pte.isSwap() && k.guard(Guard::RelocateAnonPteRelocateSwapcache)) {
			if (!relocateAnonSwapPte(k, pmc, pte, o, n, undo, ptl, held)) {
				oldAddr = o;
				newAddr = n;
				goto again;
			}
			continue;
		}
		/* posted v1: if (pte_none(pte) || !pte_present(pte)) continue; */
		if (!pte.present())
			continue;
		switch (relocateAnonPte(k, pmc, r, o, n, pte, undo, ptl, held)) {
		case Relocated::Done:
			break;
		case Relocated::Failed:
			k.unlock(ptl, "relocate_anon_ptes: pte_unmap_unlock()");
			return false;
		case Relocated::Retry:
			oldAddr = o;
			newAddr = n;
			goto again;
		}
	}
	k.unlock(ptl, "relocate_anon_ptes: pte_unmap_unlock()");
	return true;
}

/* relocate_anon_folios() -> __relocate_anon_folios() (pmc's addresses are
 * task-local copies, so "Reset state ready for retry" is implicit) */
bool relocateAnonFolios(Kernel &k, const PagetableMoveControl &pmc, bool undo, HeldFolios &held)
{
	World &w = k.world();
	if (!pmc.lenIn)
		return true;
	w.relocatingAnon[k.self()] = !undo;
	bool ok = true;
	std::uint64_t oldAddr = pmc.oldAddr, newAddr = pmc.newAddr, extent = 0;
	for (; oldAddr < pmc.oldEnd; oldAddr += extent, newAddr += extent) {
		/* PUD level: one PUD, never huge */
		extent = getExtent(oldAddr, pmc.oldEnd, newAddr);
		PmdIdx pmd = w.pmdFor(oldAddr);
		if (pmd == kNone)
			continue;
		Pmd v = k.readPmd(pmd, "__relocate_anon_folios: pmdp_get()");
		/* is_swap_pmd() || pmd_trans_huge() || pmd_devmap(): fail */
		if (v.kind == Pmd::Kind::Leaf || v.kind == Pmd::Kind::Migration) {
			ok = false;
			break;
		}
		if (v.kind == Pmd::Kind::None)
			continue;
		if (!relocateAnonPtes(k, pmc, oldAddr, oldAddr + extent, newAddr, undo, held)) {
			ok = false;
			break;
		}
	}
	w.relocatingAnon[k.self()] = 0;
	return ok;
}

/* folio_unlock() (and folio_put() for a swap-cache folio) of every held folio */
void unlockHeldFolios(Kernel &k, HeldFolios &held)
{
	for (const HeldFolio &h : held) {
		k.unlock(*k.world().folios[h.folio].lock,
			 "relocate_anon_folios: folio_unlock() (the held folios)");
		if (h.ref)
			k.folioPut(h.folio, 1, "relocate_anon_folios: folio_put()");
	}
	held.clear();
}

/*
 * "Undo if fails." As posted, relocate_anon_folios(undo = true) walks the
 * old range again and locks each folio to move it back. With guard
 * relocate_anon_folios.hold_folio_locks the undo moves back exactly the held
 * folios (their locks keep every other rmap user away), then unlocks them:
 * no folio lock is waited for while A' is held for write. A pinned folio is
 * skipped as the posted undo does unless relocate_anon_pte.undo_relocates_pinned.
 */
void undoRelocation(Kernel &k, const PagetableMoveControl &pmc, HeldFolios &held)
{
	if (!k.guard(Guard::RelocateAnonFoliosHoldFolioLocks)) {
		relocateAnonFolios(k, pmc, true, held);
		return;
	}
	for (const HeldFolio &h : held) {
		if (!k.guard(Guard::RelocateAnonPteUndoRelocatesPinned) &&
		    k.readRefcount(h.folio, "relocate_anon_folios: folio_maybe_dma_pinned() (undo)") >=
			kGupPinCountingBias)
			continue;
		relocateFolio(k, h.folio, pmc.old, h.oldAddr);
	}
	unlockHeldFolios(k, held);
}

/* copy_vma_and_data(): 0 or -errno; *newVmaOut the VMA the data is in */
long copyVmaAndData(Kernel &k, VmaRemap &vrm, VmaIdx &newVmaOut, RemapRecord &rec)
{
	World &w = k.world();
	const Vma &vma = w.vmas[vrm.vma];
	const std::uint64_t newPgoff = vma.pgoff + (vrm.addr - vma.start) / kPageSize;
	long mustErr = 0;
	bool relocateAnon = shouldRelocateAnon(w, vrm, mustErr);
	if (mustErr) {
		/* move_vma(): "if (err && !new_vma) return err;" nothing to unmap */
		vrm.vma = kNone;
		newVmaOut = kNone;
		return mustErr;
	}
	PagetableMoveControl pmc;
	VmaIdx newVma = kNone;
	HeldFolios held;
	for (;;) { /* again: */
		pmc = PagetableMoveControl{};
		pmc.old = vrm.vma;
		pmc.oldAddr = vrm.addr;
		pmc.oldEnd = vrm.addr + vrm.oldLen;
		pmc.newAddr = vrm.newAddr;
		pmc.lenIn = vrm.oldLen;
		pmc.allocFails = vrm.allocFails;
		newVma = copyVma(k, vrm.vma, vrm.newAddr, vrm.newLen, newPgoff, pmc.needRmapLocks,
				 relocateAnon);
		pmc.old = vrm.vma; /* copy_vma() may merge the source (unfaulted) */
		pmc.newVma = newVma;
		if (!relocateAnon)
			break;
		/* lock_new_anon_vma(): "We take a lock on its anon_vma so
		 * reclaim doesn't fail to unmap mappings"; lockdep subclass 1 */
		k.lock(w.rootRwsem(w.vmas[newVma].anonVma),
		       "lock_new_anon_vma: anon_vma_lock_write(); lock_set_subclass(1)", 1);
		if (relocateAnonFolios(k, pmc, false, held))
			break;
		/* "Undo if fails." */
		undoRelocation(k, pmc, held);
		k.unlock(w.rootRwsem(w.vmas[newVma].anonVma),
			 "copy_vma_and_data: anon_vma_unlock_write() (relocation failed)");
		/* do_munmap(new_vma): vma_start_write() is already held */
		doVmiMunmapVma(k, newVma);
		k.unlock(*w.vmas[newVma].lock, "do_munmap: vm_area_free() (the VMA is gone)");
		relocateAnon = false;
		if (vrm.mustRelocateAnon) {
			/* vrm_uncharge(); *new_vma_ptr = NULL; return -EFAULT */
			vrm.vma = kNone;
			newVmaOut = kNone;
			return -14;
		}
	}
	const std::uint64_t movedLen = movePageTables(k, pmc);
	rec.moved = true;
	rec.movedLen = movedLen;
	rec.needRmapLocks = pmc.needRmapLocks;
	long err = 0;
	if (movedLen < vrm.oldLen)
		err = kENOMEM;
	/* vm_ops->mremap: none for anon */
	if (err && relocateAnon) {
		/* before pmc_revert, as posted: the undo walks the old range */
		undoRelocation(k, pmc, held);
		k.unlock(w.rootRwsem(w.vmas[newVma].anonVma),
			 "copy_vma_and_data: anon_vma_unlock_write()");
	} else if (relocateAnon) {
		/* "Now we have successfully copied page tables and set up
		 * folios, we can safely drop the anon_vma lock." */
		unlockHeldFolios(k, held);
		k.unlock(w.rootRwsem(w.vmas[newVma].anonVma),
			 "copy_vma_and_data: anon_vma_unlock_write()");
		/* vma_merge_existing_range(): not modelled (no merge) */
	}
	if (err) {
		/* pmc_revert: move what was moved back; need_rmap_locks = true */
		PagetableMoveControl back;
		back.old = newVma;
		back.newVma = vrm.vma;
		back.oldAddr = vrm.newAddr;
		back.oldEnd = vrm.newAddr + movedLen;
		back.newAddr = vrm.addr;
		back.lenIn = movedLen;
		back.needRmapLocks = true;
		movePageTables(k, back);
		/* the new VMA is unmapped instead of the old one */
		vrm.vma = newVma;
		vrm.oldLen = vrm.newLen;
		vrm.addr = vrm.newAddr;
		newVmaOut = kNone;
		return err;
	}
	newVmaOut = newVma;
	k.moveMemory(vrm.addr, vrm.newAddr, vrm.oldLen,
		     "move_vma: the user's data is at the new address now (ghost)");
	return 0;
}

void recordStart(World &w, TaskId self, const VmaRemap &vrm, RemapRecord &rec)
{
	rec.task = self;
	rec.oldAddr = vrm.addr;
	rec.len = vrm.oldLen;
	rec.newLen = vrm.newLen;
	rec.newAddr = vrm.newAddr;
	/* the entries are recorded when the mremap first write-locks a VMA
	 * over the old range (vmaStartWrite()): until then a concurrent
	 * MADV_DONTNEED (per-VMA read lock) may legally empty the range */
	rec.hadEntry.assign(vrm.oldLen / kPageSize, false);
	w.remapInFlight[self] = &rec;
}

/* resize_is_valid() */
long resizeIsValid(const World &w, const VmaRemap &vrm)
{
	/* "attempted to duplicate a private mapping with mremap" */
	if (!vrm.oldLen)
		return kEINVAL;
	/* "We can't remap across vm area boundaries" */
	if (vrm.oldLen > w.vmas[vrm.vma].end - vrm.addr)
		return kEFAULT;
	/* VM_DONTEXPAND/VM_PFNMAP, mlock and may_expand_vm() limits: never */
	return 0;
}

/*
 * get_unmapped_area(NULL, 0, new_len, pgoff, 0) for the model's mm: the
 * first PMD boundary 2 MiB past the highest VMA (a bottom-up search with
 * a free PMD in between, so no merge happens by accident; deterministic).
 */
std::uint64_t getUnmappedArea(const World &w)
{
	std::uint64_t top = 0;
	for (const Vma &v : w.vmas)
		if (!v.detached)
			top = std::max(top, v.end);
	return ((top + kPmdSize - 1) & ~(kPmdSize - 1)) + kPmdSize;
}

/* move_vma(): the new address or -errno */
long moveVma(Kernel &k, VmaRemap &vrm, RemapRecord &rec)
{
	World &w = k.world();
	rec.newAddr = vrm.newAddr;
	auto &ranges = w.opRanges[k.self()].ranges;
	const std::pair<std::uint64_t, std::uint64_t> to{vrm.newAddr, vrm.newAddr + vrm.newLen};
	if (std::find(ranges.begin(), ranges.end(), to) == ranges.end())
		ranges.push_back(to);
	/* prep_move_vma(), vrm_charge(): map_count, KSM, accounting: nothing */
	/* "We don't want racing faults." */
	vmaStartWrite(k, vrm.vma, "move_vma: vma_start_write(vma)");
	VmaIdx newVma = kNone;
	long err = copyVmaAndData(k, vrm, newVma, rec);
	/* "if (err && !new_vma) return err;" */
	if (err && newVma == kNone && vrm.vma == kNone)
		return err;
	/* unmap_source_vma() -> do_vmi_munmap(addr, old_len): the old range,
	 * splitting the VMA if only part of it moved (or the new range after
	 * an error) */
	if (vrm.vma != kNone)
		doVmiMunmap(k, vrm.addr, vrm.addr + vrm.oldLen);
	return err ? err : static_cast<long>(vrm.newAddr);
}

/* shrink_vma(): do_vmi_munmap() of the tail; mremap_at()'s drop_lock
 * (mmap_write_downgrade) is not modelled */
void shrinkVma(Kernel &k, VmaRemap &vrm)
{
	doVmiMunmap(k, vrm.addr + vrm.newLen, vrm.addr + vrm.oldLen);
	/* vrm->vma = vma_lookup(mm, vrm->addr) */
	vrm.vma = k.world().findVma(vrm.addr);
}

/* mremap_to(): MREMAP_FIXED */
long mremapTo(Kernel &k, VmaRemap &vrm, RemapRecord &rec)
{
	World &w = k.world();
	/* vrm_overlaps() */
	if (vrm.addr < vrm.newAddr + vrm.newLen && vrm.newAddr < vrm.addr + vrm.oldLen)
		return kEINVAL;
	/* "VMA is moved to dst address, and munmap dst first." */
	w.opRanges[k.self()].ranges.push_back({vrm.newAddr, vrm.newAddr + vrm.newLen});
	doVmiMunmap(k, vrm.newAddr, vrm.newAddr + vrm.newLen);
	/* "If we remap a portion of a VMA elsewhere in the same VMA, this can
	 * invalidate the old VMA and iterator. Reset." */
	vrm.vma = w.findVma(vrm.addr);
	if (vrm.newLen < vrm.oldLen) {
		shrinkVma(k, vrm);
		/* "Set up for the move now shrink has been executed." */
		vrm.oldLen = vrm.newLen;
	}
	if (long err = resizeIsValid(w, vrm))
		return err;
	/* vrm_set_new_addr(): MAP_FIXED, new_addr as it is */
	return moveVma(k, vrm, rec);
}

/* mremap_at(): no MREMAP_FIXED */
long mremapAt(Kernel &k, VmaRemap &vrm, RemapRecord &rec)
{
	World &w = k.world();
	rec.newAddr = vrm.addr;
	/* MREMAP_NO_RESIZE: addr, without looking at the range at all */
	if (vrm.newLen == vrm.oldLen) {
		rec.noResize = true;
		return static_cast<long>(vrm.addr);
	}
	/* MREMAP_SHRINK: "Can always be done in-place." */
	if (vrm.newLen < vrm.oldLen) {
		rec.shrunkInPlace = true;
		shrinkVma(k, vrm);
		return static_cast<long>(vrm.addr);
	}
	/* MREMAP_EXPAND: expand_vma() */
	if (long err = resizeIsValid(w, vrm))
		return err;
	const std::uint64_t delta = vrm.newLen - vrm.oldLen;
	const Vma &vma = w.vmas[vrm.vma];
	/* vrm_can_expand_in_place(): [addr, addr + old_len) ends the VMA and
	 * vma_expandable(): no VMA in [vm_end, vm_end + delta) */
	if (vma.end - vrm.addr == vrm.oldLen && !vmaIntersects(w, vma.end, vma.end + delta)) {
		/* expand_vma_in_place() -> vma_merge_extend(): merge the range
		 * [vm_end, vm_end + delta) into the VMA (and maybe next) */
		vmaMergeNewRange(k, vma, vma.end, vma.end + delta,
				 vma.pgoff + (vma.end - vma.start) / kPageSize);
		return static_cast<long>(vrm.addr);
	}
	/* "We're not allowed to move the VMA, so error out." */
	if (!vrm.mayMove)
		return kENOMEM;
	/* vrm_set_new_addr() */
	vrm.newAddr = getUnmappedArea(w);
	return moveVma(k, vrm, rec);
}

} // namespace

long mremap(Kernel &k, const MremapArgs &args)
{
	World &w = k.world();
	VmaRemap vrm;
	vrm.addr = args.oldAddr;
	vrm.oldLen = args.oldLen;
	vrm.newLen = args.newLen;
	vrm.newAddr = args.newAddr;
	vrm.mayMove = args.mayMove;
	vrm.fixed = args.fixed;
	vrm.relocateAnon = args.relocateAnon;
	vrm.mustRelocateAnon = args.mustRelocateAnon;
	vrm.allocFails = args.pgtableAllocFails;
	/* check_mremap_params() */
	if (vrm.addr % kPageSize || !vrm.newLen)
		return kEINVAL;
	/* MREMAP_FIXED needs MREMAP_MAYMOVE and a page-aligned new_addr */
	if (vrm.fixed && (!vrm.mayMove || vrm.newAddr % kPageSize))
		return kEINVAL;
	/* "We can't relocate without allowing a move." */
	if ((vrm.relocateAnon || vrm.mustRelocateAnon) && !vrm.mayMove)
		return kEINVAL;
	vrm.oldLen = (vrm.oldLen + kPageSize - 1) & ~(kPageSize - 1);
	vrm.newLen = (vrm.newLen + kPageSize - 1) & ~(kPageSize - 1);
	k.lock(*w.mmapLock, "do_mremap: mmap_write_lock_killable()");
	/* vrm->vma = vma_lookup(mm, addr) */
	vrm.vma = w.findVma(vrm.addr);
	const TaskId self = k.self();
	RemapRecord rec;
	recordStart(w, self, vrm, rec);
	OpRanges &ranges = w.opRanges[self];
	ranges.op = "mremap";
	ranges.ranges = {{vrm.addr, vrm.addr + vrm.oldLen}};
	long result;
	if (vrm.vma == kNone)
		result = kEFAULT;
	else if (vrm.fixed)
		result = mremapTo(k, vrm, rec);
	else
		result = mremapAt(k, vrm, rec);
	rec.result = result;
	w.remapInFlight[self] = nullptr;
	ranges.op = nullptr;
	ranges.ranges.clear();
	w.remaps.push_back(std::move(rec));
	Event e{};
	e.kind = Event::Kind::RemapDone;
	e.task = self;
	e.record = static_cast<int>(w.remaps.size() - 1);
	e.label = "mremap: return";
	w.events.push_back(e);
	/* mmap_write_unlock(): vma_end_write_all() */
	vmaEndWriteAll(k, "mmap_write_unlock: vma_end_write_all()");
	k.unlock(*w.mmapLock, "do_mremap: mmap_write_unlock()");
	return result;
}

} // namespace mmrace::model
