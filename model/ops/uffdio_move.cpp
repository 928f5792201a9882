/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UFFDIO_MOVE of present small anon PTEs:
 *
 *   move_pages()                                   mm/userfaultfd.c
 *     uffd_move_lock()          modelled by its fallback: mmap_read_lock()
 *       find_vmas_mm_locked() -> find_vma_and_prepare_anon(dst)
 *         -> anon_vma_prepare()    anon_vma lock, mm->page_table_lock
 *     per page: move_pages_pte(), retried on -EAGAIN
 *       read dst PTE (!pte_none: -EEXIST) and src PTE under their PTLs
 *       under the src PTL: pte_same, PageAnonExclusive, folio_trylock,
 *         folio_get; on contention drop the PTL and folio_lock(), retry
 *       [pre-Seed-E] folio_get_anon_vma + anon_vma_trylock_write, else
 *         anon_vma_lock_write() and retry
 *       move_present_pte()
 *         double_pt_lock(); is_pte_pages_stable()
 *         folio_maybe_dma_pinned() / !PageAnonExclusive -> -EBUSY
 *         ptep_clear_flush(src); recheck pinned (restore, -EBUSY)
 *         folio_move_anon_rmap(): WRITE_ONCE(folio->mapping)
 *         folio->index = linear_page_index(dst_vma, dst_addr)
 *         set_pte_at(dst); double_pt_unlock()
 *       out: anon_vma_unlock_write + put_anon_vma; folio_unlock + folio_put
 *
 *       a migration entry: migration_entry_wait(), -EAGAIN (retry)
 *
 * Reduced from mm/userfaultfd.c @62c66da5 (docs/model.md). Not
 * modelled yet: per-VMA locks, map_changing_lock, MMU notifiers, zero
 * pages, large folios, move_swap_pte() (a swap entry gives -EBUSY),
 * PMD-level moves, allocating a missing destination page table.
 */
#include "ops.hpp"

namespace mmrace::model {

namespace {

constexpr int kEAGAIN = -11, kEBUSY = -16, kEEXIST = -17, kENOENT = -2, kEINVAL = -22;

struct MoveState {
	FolioIdx folio = kNone;	/* src_folio, locked and referenced */
	bool folioLocked = false;
	Pte folioPte;		/* src_folio_pte */
	AnonVmaIdx anonVma = kNone;	/* src_anon_vma, write-locked */
};

/* double_pt_lock(): both PTLs, ordered by address, the second nested. */
void doublePtLock(Kernel &k, Lock &dst, Lock &src)
{
	if (&dst == &src) {
		k.lock(src, "double_pt_lock: spin_lock(ptl)");
		return;
	}
	Lock &first = dst.id() < src.id() ? dst : src;
	Lock &second = dst.id() < src.id() ? src : dst;
	k.lock(first, "double_pt_lock: spin_lock(ptl1)");
	k.lock(second, "double_pt_lock: spin_lock_nested(ptl2, SINGLE_DEPTH_NESTING)", 1);
}

void doublePtUnlock(Kernel &k, Lock &dst, Lock &src)
{
	k.unlock(src, "double_pt_unlock: spin_unlock(src_ptl)");
	if (&dst != &src)
		k.unlock(dst, "double_pt_unlock: spin_unlock(dst_ptl)");
}

int movePresentPte(Kernel &k, PteRef dstRef, PteRef srcRef, const Pte &origDst,
		   const Pte &origSrc, FolioIdx f, VmaIdx dstVma, std::uint64_t dstAddr)
{
	World &w = k.world();
	Lock &dstPtl = w.ptl(dstRef), &srcPtl = w.ptl(srcRef);
	bool locked = k.guard(Guard::UffdMoveDoublePtLock);
	if (locked)
		doublePtLock(k, dstPtl, srcPtl);
	auto fail = [&](int err) {
		if (locked)
			doublePtUnlock(k, dstPtl, srcPtl);
		return err;
	};
	if (k.guard(Guard::UffdMovePteSame)) {
		/* is_pte_pages_stable() */
		if (!(k.readPte(srcRef, "is_pte_pages_stable: pte_same(src)") == origSrc) ||
		    !(k.readPte(dstRef, "is_pte_pages_stable: pte_same(dst)") == origDst))
			return fail(kEAGAIN);
	}
	if (k.readRefcount(f, "move_present_pte: folio_maybe_dma_pinned()") >= 1024 ||
	    !k.readPageAnonExclusive(f, "move_present_pte: PageAnonExclusive()"))
		return fail(kEBUSY);
	Pte cleared{};
	Pte moved = k.writePte(srcRef, cleared, "move_present_pte: ptep_clear_flush(src)");
	std::uint64_t srcAddr = w.addressOf(srcRef);
	k.flushTlbRange(srcAddr, srcAddr + kPageSize, "move_present_pte: ptep_clear_flush(src): flush_tlb_page()");
	if (k.guard(Guard::UffdMovePinnedRecheck) &&
	    k.readRefcount(f, "move_present_pte: recheck folio_maybe_dma_pinned()") >= 1024) {
		k.writePte(srcRef, moved, "move_present_pte: set_pte_at(src) (pinned, restore)");
		return fail(kEBUSY);
	}
	k.writeMapping(f, w.vmas[dstVma].anonVma, "folio_move_anon_rmap: WRITE_ONCE(folio->mapping)");
	k.writeIndex(f, w.vmas[dstVma].pageIndex(dstAddr),
		     "move_present_pte: folio->index = linear_page_index(dst_vma, dst_addr)");
	moved.writable = true;
	moved.dirty = true;
	k.writePte(dstRef, moved, "move_present_pte: set_pte_at(dst, pte_mkwrite(pte_mkdirty()))");
	if (locked)
		doublePtUnlock(k, dstPtl, srcPtl);
	return 0;
}

void release(Kernel &k, MoveState &st)
{
	World &w = k.world();
	if (st.anonVma != kNone) {
		k.unlock(w.rootRwsem(st.anonVma), "move_pages_pte: anon_vma_unlock_write()");
		k.anonVmaPut(st.anonVma, "move_pages_pte: put_anon_vma()");
		st.anonVma = kNone;
	}
	if (st.folio != kNone) {
		if (st.folioLocked)
			k.unlock(*w.folios[st.folio].lock, "move_pages_pte: folio_unlock(src_folio)");
		k.addRefcount(st.folio, -1, "move_pages_pte: folio_put(src_folio)");
		st.folio = kNone;
		st.folioLocked = false;
	}
}

int movePagesPte(Kernel &k, std::uint64_t dstAddr, std::uint64_t srcAddr)
{
	World &w = k.world();
	/* mm_find_pmd() / mm_alloc_pmd(): a missing slot is a pud_none() read */
	k.pmdLookup(dstAddr, "move_pages: mm_alloc_pmd(dst): none");
	k.pmdLookup(srcAddr, "move_pages: mm_find_pmd(src): none");
	PteRef dstRef = w.pteFor(dstAddr), srcRef = w.pteFor(srcAddr);
	VmaIdx dstVma = w.findVma(dstAddr);
	/* No page table (a hole freed by munmap): nothing to move. Allocating
	 * the destination table is not modelled. */
	if (dstRef.table == kNone || srcRef.table == kNone || dstVma == kNone)
		return kENOENT;
	Lock &dstPtl = w.ptl(dstRef), &srcPtl = w.ptl(srcRef);
	MoveState st;
	int err = 0;
	for (;;) { /* retry: */
		k.lock(dstPtl, "move_pages_pte: spin_lock(dst_ptl)");
		Pte origDst = k.readPte(dstRef, "move_pages_pte: orig_dst_pte = ptep_get(dst_pte)");
		k.unlock(dstPtl, "move_pages_pte: spin_unlock(dst_ptl)");
		/* "if (!pte_none(orig_dst_pte))": a present page, a swap entry
		 * (with or without a swap-cache folio) or a migration entry at
		 * the destination all refuse the move */
		if (!origDst.none()) {
			err = kEEXIST;
			break;
		}
		k.lock(srcPtl, "move_pages_pte: spin_lock(src_ptl)");
		Pte origSrc = k.readPte(srcRef, "move_pages_pte: orig_src_pte = ptep_get(src_pte)");
		k.unlock(srcPtl, "move_pages_pte: spin_unlock(src_ptl)");
		if (origSrc.isMigration()) {
			/* migration_entry_wait(): sleep until the migration is done */
			release(k, st);
			k.waitFolioUnlocked(origSrc.folio, "move_pages_pte: migration_entry_wait()");
			err = kEAGAIN;
			break;
		}
		if (!origSrc.present()) {
			/* A swap entry would go through move_swap_pte(): not modelled
			 * yet, so UFFDIO_MOVE refuses it like a hole. */
			err = origSrc.isSwap() ? kEBUSY : kENOENT;
			break;
		}
		if (st.folio != kNone && !(st.folioPte == origSrc)) {
			err = kEAGAIN;
			break;
		}
		if (st.folio == kNone) {
			k.lock(srcPtl, "move_pages_pte: spin_lock(src_ptl)");
			if (!(k.readPte(srcRef, "move_pages_pte: pte_same(ptep_get(src_pte))") == origSrc)) {
				k.unlock(srcPtl, "move_pages_pte: spin_unlock(src_ptl)");
				err = kEAGAIN;
				break;
			}
			FolioIdx f = origSrc.folio;	/* vm_normal_folio() */
			if (!k.readPageAnonExclusive(f, "move_pages_pte: PageAnonExclusive()")) {
				k.unlock(srcPtl, "move_pages_pte: spin_unlock(src_ptl)");
				err = kEBUSY;
				break;
			}
			Lock &fl = *w.folios[f].lock;
			bool locked = true;
			if (k.guard(Guard::UffdMoveFolioLock)) {
				if (k.guard(Guard::UffdMoveTrylockUnderPtl)) {
					locked = k.trylock(fl, "move_pages_pte: folio_trylock(src_folio)");
				} else {
					k.lock(fl, "move_pages_pte: folio_lock(src_folio) under src_ptl");
				}
			}
			k.addRefcount(f, 1, "move_pages_pte: folio_get(src_folio)");
			st.folio = f;
			st.folioLocked = locked && k.guard(Guard::UffdMoveFolioLock);
			st.folioPte = origSrc;
			k.unlock(srcPtl, "move_pages_pte: spin_unlock(src_ptl)");
			if (!locked) {
				k.lock(fl, "move_pages_pte: folio_lock(src_folio)");
				st.folioLocked = true;
				continue;
			}
		}
		if (k.guard(Guard::UffdMoveAnonVmaWriteLock) && st.anonVma == kNone) {
			/* folio_get_anon_vma() */
			AnonVmaIdx a = k.readMapping(st.folio, "folio_get_anon_vma: READ_ONCE(folio->mapping)");
			if (a == kNone || !k.anonVmaTryGet(a, "folio_get_anon_vma: atomic_inc_not_zero(&anon_vma->refcount)")) {
				err = kEAGAIN;
				break;
			}
			if (k.readMapcount(st.folio, "folio_get_anon_vma: folio_mapped()") == 0) {
				k.anonVmaPut(a, "folio_get_anon_vma: put_anon_vma()");
				err = kEAGAIN;
				break;
			}
			Lock &rw = w.rootRwsem(a);
			st.anonVma = a;
			if (!k.trylock(rw, "move_pages_pte: anon_vma_trylock_write(src_anon_vma)")) {
				k.lock(rw, "move_pages_pte: anon_vma_lock_write(src_anon_vma)");
				continue;
			}
		}
		err = movePresentPte(k, dstRef, srcRef, origDst, origSrc, st.folio, dstVma, dstAddr);
		break;
	}
	release(k, st);
	return err;
}

/*
 * move_pages()'s checks before the first page, under the mmap lock: both
 * ranges inside their VMAs, then validate_move_areas(). VM_SHARED, VM_LOCKED,
 * vm_page_prot and vma_move_compatible()'s VM_PFNMAP/VM_IO/VM_HUGETLB/...
 * have no counterpart in the model (every VMA is MAP_PRIVATE, unlocked,
 * normal); VM_WRITE is its only access flag, and a VMA is registered with
 * the (one) userfaultfd context iff it has a uffd mode.
 */
int validateMoveAreas(const Vma &s, const Vma &d, std::uint64_t src, std::uint64_t dst,
		      std::uint64_t len)
{
	/* "fully within a single existing vma" */
	if (src + len > s.end || dst + len > d.end)
		return kEINVAL;
	/* (src_vma->vm_flags & VM_ACCESS_FLAGS) != (dst_vma->vm_flags & ...) */
	if (s.writable != d.writable)
		return kEINVAL;
	/* "only move between writable VMAs" */
	if (!s.writable)
		return kEINVAL;
	/* dst_vma->vm_userfaultfd_ctx.ctx == ctx */
	if (!d.uffdMissing && !d.uffdWp)
		return kEINVAL;
	/* "Only allow moving across anonymous vmas": vma_is_anonymous() */
	if (s.file != kNone || d.file != kNone)
		return kEINVAL;
	return 0;
}

} // namespace

int uffdioMove(Kernel &k, std::uint64_t dst, std::uint64_t src, std::uint64_t len)
{
	World &w = k.world();
	/* move_pages(): "Sanitize the command parameters" (userfaultfd_move()'s
	 * validate_range() refuses the same before): page-aligned, not
	 * zero-sized, no wrap */
	if (src % kPageSize || dst % kPageSize || len % kPageSize || len == 0 || src + len <= src ||
	    dst + len <= dst)
		return kEINVAL;
	k.lockShared(*w.mmapLock, "uffd_move_lock: mmap_read_lock()");
	auto unlock = [&](int err) {
		k.unlockShared(*w.mmapLock, "uffd_move_unlock: mmap_read_unlock()");
		return err;
	};
	/* find_vmas_mm_locked() -> find_vma_and_prepare_anon(mm, dst_start):
	 * the destination gets an anon_vma before any folio is moved into it,
	 * or folio_move_anon_rmap() would leave the folio with no mapping */
	const VmaIdx dv = w.findVma(dst);
	if (dv == kNone)
		return unlock(kENOENT);
	anonVmaPrepare(k, dv);
	/* vma_lookup(mm, src_start) */
	const VmaIdx sv = w.findVma(src);
	if (sv == kNone)
		return unlock(kENOENT);
	/* The mmap lock keeps both VMAs as they are from here on. */
	if (int err = validateMoveAreas(w.vmas[sv], w.vmas[dv], src, dst, len))
		return unlock(err);
	std::uint64_t moved = 0;
	int err = 0;
	while (moved < len) {
		err = movePagesPte(k, dst + moved, src + moved);
		if (err == kEAGAIN)
			continue;
		if (err)
			break;
		moved += kPageSize;
	}
	/* "return moved ? moved : err": a short move reports the bytes moved,
	 * and userspace repeats the rest to learn the error */
	return unlock(moved ? static_cast<int>(moved) : err);
}

} // namespace mmrace::model
