/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, new) of one whole anon
 * VMA:
 *
 *   do_mremap() -> mremap_to() -> move_vma()                    mm/mremap.c
 *     mmap_write_lock()
 *     vrm_overlaps() -> -EINVAL; no MREMAP_FIXED and old_len == new_len:
 *       nothing to do, return addr (MREMAP_NO_RESIZE)
 *     vma_start_write(vma)                 "We don't want racing faults"
 *     copy_vma_and_data()
 *       copy_vma()                                               mm/vma.c
 *         vma_merge_new_range()            not modelled: no merge, so
 *                                          need_rmap_locks = false
 *         vm_area_dup(); pgoff = vm_pgoff + offset into the VMA
 *         anon_vma_clone(): the new VMA joins the SAME anon_vma trees, in
 *           interval-tree order (after the old VMA: equal pgoff goes right)
 *         vma_link(): vma_start_write(new); vma_iter_store_new()
 *       [MREMAP_RELOCATE_ANON hooks in here: vrm.relocateAnon, unused]
 *       move_page_tables(pmc)
 *         try_realign_addr() -> can_realign_addr() -> can_align_down()
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
 *     unmap_source_vma() -> do_vmi_munmap()  (munmap.cpp, same lock held)
 *     mmap_write_unlock(): vma_end_write_all()
 *
 * Reduced from mm/mremap.c and mm/vma.c (linux-next @22f79b3b,
 * reference/kernel-mm.md 1a). Reductions: whole VMAs only, old_len ==
 * new_len (no vma_expand/shrink, no split), anon VMAs only, no
 * MREMAP_DONTUNMAP, no hugetlb, THP or PUD-level moves (one PUD, no huge
 * PMDs), no KSM (prep_move_vma), accounting, MMU notifiers or uffd; the
 * PMD lock is the single mm->page_table_lock (old_ptl == new_ptl), so the
 * nested PMD lock is not taken; flush_tlb_batched_pending() is not modelled
 * (reclaim's deferred flush is task-local in the model). A destination
 * overlapping another VMA (MREMAP_FIXED's implicit munmap) is refused by
 * the loader. The page-table allocations can be made to fail by the op's
 * "pgtable_alloc_fails" parameter (fault injection).
 * Ghost: the op declares its old and new ranges while it runs (range-safety,
 * I-10) and records what it promises for the mremap-result check.
 */
#include <algorithm>

#include "ops.hpp"

namespace mmrace::model
{

namespace
{

constexpr long kEINVAL = -22, kENOMEM = -12, kEAGAIN = -11;

/* struct vma_remap_struct */
struct VmaRemap {
	std::uint64_t addr = 0, oldLen = 0, newLen = 0, newAddr = 0;
	bool mayMove = false, fixed = false;
	bool relocateAnon = false; /* MREMAP_RELOCATE_ANON: the hook, unused */
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
	if (w.vmas[v].anonVma != kNone)
		k.lock(w.rootRwsem(w.vmas[v].anonVma), "take_rmap_locks: anon_vma_lock_write()");
}

void dropRmapLocks(Kernel &k, VmaIdx v)
{
	World &w = k.world();
	if (w.vmas[v].anonVma != kNone)
		k.unlock(w.rootRwsem(w.vmas[v].anonVma),
			 "drop_rmap_locks: anon_vma_unlock_write()");
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
	/* Whole-VMA moves: vm_start == addr_to_align always holds here. */
	if (!pmc.forStack && vma.start != addrToAlign)
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

/* copy_vma(): the new VMA, linked and write-locked, in the same anon_vmas */
VmaIdx copyVma(Kernel &k, VmaIdx v, std::uint64_t addr, std::uint64_t len, std::uint64_t pgoff,
	       bool &needRmapLocks)
{
	World &w = k.world();
	/* vma_merge_new_range(): not modelled; a new VMA is always made */
	VmaIdx n = w.newVma(w.vmas[v].name + "'"); /* vm_area_dup() */
	Vma &nv = w.vmas[n];
	const Vma &ov = w.vmas[v];
	nv.start = addr;
	nv.end = addr + len;
	nv.pgoff = pgoff;
	nv.anonVma = ov.anonVma;
	nv.writable = ov.writable;
	nv.uffdMissing = ov.uffdMissing;
	/* anon_vma_clone(): an AVC into each anon_vma the old VMA is in */
	if (ov.anonVma != kNone) {
		Lock &root = w.rootRwsem(ov.anonVma);
		k.lock(root, "anon_vma_clone: anon_vma_lock_write()");
		k.anonVmaTreeInsert(ov.anonVma, n,
				    "anon_vma_clone: anon_vma_interval_tree_insert()");
		AnonVmaIdx r = w.anonVmas[ov.anonVma].root;
		if (r != ov.anonVma)
			k.anonVmaTreeInsert(r, n,
					    "anon_vma_clone: anon_vma_interval_tree_insert(root)");
		k.unlock(root, "anon_vma_clone: anon_vma_unlock_write()");
	}
	/* vma_link(): vma_start_write(); vma_iter_store_new() */
	/* vma_start_write() holds no lock in lockdep's sense (the VMA stays
	 * write-locked by mm_lock_seq until mmap_write_unlock()); the model
	 * holds the lock, nested under the old VMA's */
	k.lock(*w.vmas[n].lock, "vma_link: vma_start_write(new_vma)", 1);
	k.linkVma(n, "vma_link: vma_iter_store_new()");
	needRmapLocks = false;
	return n;
}

/* copy_vma_and_data(): 0 or -errno; *newVmaOut the VMA the data is in */
long copyVmaAndData(Kernel &k, VmaRemap &vrm, VmaIdx &newVmaOut, RemapRecord &rec)
{
	World &w = k.world();
	const Vma &vma = w.vmas[vrm.vma];
	const std::uint64_t newPgoff = vma.pgoff + (vrm.addr - vma.start) / kPageSize;
	PagetableMoveControl pmc;
	pmc.old = vrm.vma;
	pmc.oldAddr = vrm.addr;
	pmc.oldEnd = vrm.addr + vrm.oldLen;
	pmc.newAddr = vrm.newAddr;
	pmc.lenIn = vrm.oldLen;
	pmc.allocFails = vrm.allocFails;
	VmaIdx newVma = copyVma(k, vrm.vma, vrm.newAddr, vrm.newLen, newPgoff, pmc.needRmapLocks);
	pmc.newVma = newVma;
	/*
	 * MREMAP_RELOCATE_ANON (should_relocate_anon(), lock_new_anon_vma(),
	 * relocate_anon_folios()) hooks in here; vrm.relocateAnon is never
	 * set yet.
	 */
	const std::uint64_t movedLen = movePageTables(k, pmc);
	rec.moved = true;
	rec.movedLen = movedLen;
	long err = 0;
	if (movedLen < vrm.oldLen)
		err = kENOMEM;
	/* vm_ops->mremap: none for anon */
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
	rec.newAddr = vrm.newAddr;
	for (std::uint64_t a = vrm.addr; a < vrm.addr + vrm.oldLen; a += kPageSize) {
		PteRef r = w.pteFor(a);
		rec.hadEntry.push_back(r.table != kNone && !w.pte(r).none());
	}
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
	vrm.allocFails = args.pgtableAllocFails;
	/* check_mremap_params(): MREMAP_FIXED needs MREMAP_MAYMOVE */
	if (vrm.fixed && !vrm.mayMove)
		return kEINVAL;
	if (vrm.oldLen != vrm.newLen || vrm.relocateAnon)
		return kEINVAL; /* not modelled (the loader refuses them) */
	k.lock(*w.mmapLock, "do_mremap: mmap_write_lock_killable()");
	/* vrm->vma = vma_lookup(mm, addr): a whole VMA (the loader checks) */
	vrm.vma = w.findVma(vrm.addr);
	long result;
	if (vrm.vma == kNone) {
		result = -14; /* -EFAULT */
	} else if (!vrm.fixed) {
		/* MREMAP_NO_RESIZE without a new address: nothing to do */
		result = static_cast<long>(vrm.addr);
	} else if (vrm.addr < vrm.newAddr + vrm.newLen && vrm.newAddr < vrm.addr + vrm.oldLen) {
		result = kEINVAL; /* vrm_overlaps() */
	} else {
		TaskId self = k.self();
		RemapRecord rec;
		recordStart(w, self, vrm, rec);
		OpRanges &ranges = w.opRanges[self];
		ranges.op = "mremap";
		ranges.ranges = {{vrm.addr, vrm.addr + vrm.oldLen},
				 {vrm.newAddr, vrm.newAddr + vrm.newLen}};
		/* move_vma() */
		const VmaIdx oldVma = vrm.vma;
		k.lock(*w.vmas[oldVma].lock, "move_vma: vma_start_write(vma)");
		VmaIdx newVma = kNone;
		long err = copyVmaAndData(k, vrm, newVma, rec);
		/* unmap_source_vma(): the old VMA, or the new one after an error */
		doVmiMunmapVma(k, vrm.vma);
		result = err ? err : static_cast<long>(vrm.newAddr);
		rec.result = result;
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
		k.unlock(*w.vmas[oldVma].lock, "mmap_write_unlock: vma_end_write_all()");
		VmaIdx other = newVma != kNone ? newVma : vrm.vma == oldVma ? kNone : vrm.vma;
		if (other != kNone)
			k.unlock(*w.vmas[other].lock, "mmap_write_unlock: vma_end_write_all()");
	}
	k.unlock(*w.mmapLock, "do_mremap: mmap_write_unlock()");
	return result;
}

} // namespace mmrace::model
