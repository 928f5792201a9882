/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UFFDIO_COPY of one page into a private VMA registered MISSING (anon, or a
 * MAP_PRIVATE shmem file: "we'll generate anonymous memory directly without
 * actually filling the hole"):
 *
 *   mfill_atomic_copy() -> mfill_atomic()                mm/userfaultfd.c
 *     uffd_mfill_lock() -> uffd_lock_vma()
 *       lock_vma_under_rcu(); private and !vma->anon_vma: vma_end_read(),
 *       mmap_read_lock(), find_vma_and_prepare_anon() -> anon_vma_prepare()
 *         -> __anon_vma_prepare()                        mm/rmap.c
 *              anon_vma_alloc(); anon_vma_lock_write();
 *              spin_lock(&mm->page_table_lock);
 *              if (!vma->anon_vma) vma->anon_vma = anon_vma,
 *                anon_vma_chain_link(); spin_unlock(); anon_vma_unlock_write()
 *       vma_start_read_locked(); mmap_read_unlock()
 *       validate_dst_vma(): registered with uffd, else -ENOENT
 *     mm_alloc_pmd(); dst_pmdval = pmdp_get_lockless(); none: __pte_alloc();
 *     dst_pmdval = pmdp_get_lockless(): not a table: -EEXIST
 *       ("For shmem mappings, khugepaged is allowed to remove page tables
 *       under us; pte_offset_map_lock() will deal with that.")
 *     mfill_atomic_pte() -> mfill_atomic_pte_copy()
 *       vma_alloc_folio(); copy_from_user() (the source always resolves:
 *       no -ENOENT retry outside the locks); __folio_mark_uptodate()
 *       mfill_atomic_install_pte()
 *         pte_offset_map_lock(): NULL (the table went away) -> -EAGAIN
 *           [guard pte_offset_map_lock.pmd_same inside]
 *         !pte_none_mostly() -> -EEXIST
 *           [guard mfill_atomic_install_pte.pte_none_recheck]
 *         folio_add_new_anon_rmap(RMAP_EXCLUSIVE), folio_add_lru_vma()
 *         set_pte_at(pte_mkdirty, pte_mkwrite if VM_WRITE); pte_unmap_unlock()
 *       error: folio_put()
 *     uffd_mfill_unlock(): vma_end_read()
 *   Result: PAGE_SIZE copied, or the error.
 *
 * Reduced from mm/userfaultfd.c @62c66da5 and mm/rmap.c (reference/kernel-
 * mm.md 1f). Not modelled: ctx->map_changing_lock and mmap_changing (no
 * non-cooperative event is modelled), mfill_file_over_size() (the file is
 * large enough), memcg charging, UFFDIO_COPY_MODE_WP, VM_SHARED VMAs
 * (shmem_mfill_atomic_pte()), find_mergeable_anon_vma() (a new anon_vma
 * each time), large folios and THP PMDs.
 */
#include <fmt/format.h>

#include "ops.hpp"

namespace mmrace::model
{

namespace
{

constexpr long kEAGAIN = -11, kEEXIST = -17, kENOENT = -2;

} // namespace

/* anon_vma_prepare() -> __anon_vma_prepare() (mmap_lock held for read) */
void anonVmaPrepare(Kernel &k, VmaIdx v)
{
	World &w = k.world();
	if (k.readVmaAnonVma(v, "anon_vma_prepare: vma->anon_vma") != kNone)
		return;
	/* anon_vma_alloc(): nobody else can see it yet */
	AnonVmaIdx a = w.newAnonVma(fmt::format("anon({})", w.vmas[v].name));
	Lock &root = w.rootRwsem(a);
	k.lock(root, "__anon_vma_prepare: anon_vma_lock_write(anon_vma)");
	/* "page_table_lock to protect against threads" */
	k.lock(*w.pageTableLock, "__anon_vma_prepare: spin_lock(&mm->page_table_lock)");
	if (k.readVmaAnonVma(v, "__anon_vma_prepare: likely(!vma->anon_vma)") == kNone) {
		k.writeVmaAnonVma(v, a, "__anon_vma_prepare: vma->anon_vma = anon_vma");
		k.anonVmaTreeInsert(a, v, "__anon_vma_prepare: anon_vma_chain_link()");
	}
	k.unlock(*w.pageTableLock, "__anon_vma_prepare: spin_unlock(&mm->page_table_lock)");
	k.unlock(root, "__anon_vma_prepare: anon_vma_unlock_write(anon_vma)");
	/* a lost race leaves the allocated anon_vma unused (put_anon_vma) */
}

namespace {

/* uffd_mfill_lock(): the VMA read-locked, or kNone (-ENOENT) */
VmaIdx uffdMfillLock(Kernel &k, std::uint64_t dst)
{
	World &w = k.world();
	/* uffd_lock_vma() -> lock_vma_under_rcu() */
	VmaIdx v = lockVmaUnderRcu(k, dst);
	const bool locked = v != kNone;
	if (locked) {
		/* "We know we're going to need to use anon_vma, so check that
		 * early." (every modelled VMA is private) */
		if (k.readVmaAnonVma(v, "uffd_lock_vma: unlikely(!vma->anon_vma)") != kNone)
			return v;
		k.unlockShared(*w.vmas[v].lock, "uffd_lock_vma: vma_end_read()");
	}
	k.lockShared(*w.mmapLock, "uffd_lock_vma: mmap_read_lock()");
	v = w.findVma(dst); /* find_vma_and_prepare_anon(): vma_lookup() */
	if (v != kNone) {
		anonVmaPrepare(k, v);
		/* vma_start_read_locked(): cannot fail under the mmap lock */
		k.lockShared(*w.vmas[v].lock, "uffd_lock_vma: vma_start_read_locked()");
	}
	k.unlockShared(*w.mmapLock, "uffd_lock_vma: mmap_read_unlock()");
	if (v != kNone && !w.vmas[v].uffdMissing) {
		/* validate_dst_vma(): !dst_vma->vm_userfaultfd_ctx.ctx */
		k.unlockShared(*w.vmas[v].lock, "uffd_mfill_lock: vma_end_read()");
		return kNone;
	}
	return v;
}

/* mfill_atomic_install_pte() for a new anon folio */
long mfillAtomicInstallPte(Kernel &k, VmaIdx v, std::uint64_t dst, FolioIdx folio)
{
	World &w = k.world();
	const Vma &vma = w.vmas[v];
	/* _dst_pte = pte_mkdirty(mk_pte()); pte_mkwrite() if VM_WRITE */
	Pte entry = Pte::makePresent(folio, vma.writable, true, true);
	PteRef r = k.pteOffsetMapLock(dst, "mfill_atomic_install_pte: pte_offset_map_lock()");
	if (r.table == kNone)
		return kEAGAIN;
	Lock &ptl = w.ptl(r);
	if (k.guard(Guard::MfillAtomicInstallPtePteNoneRecheck) &&
	    !k.readPte(r, "mfill_atomic_install_pte: pte_none_mostly(ptep_get(dst_pte))").none()) {
		k.unlock(ptl, "mfill_atomic_install_pte: out_unlock: pte_unmap_unlock()");
		return kEEXIST;
	}
	/* folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE): the folio
	 * is still private to this task (not mapped, no other reference) */
	Folio &f = w.folios[folio];
	f.mapping = vma.anonVma;
	f.index = vma.pageIndex(dst);
	f.mapcount = 1;
	f.pae = true;
	k.writePte(r, entry, "mfill_atomic_install_pte: set_pte_at()");
	k.ghostUserWrite(dst, f.content,
			 "mfill_atomic_install_pte: the copied data is mapped at dst");
	k.unlock(ptl, "mfill_atomic_install_pte: pte_unmap_unlock()");
	return 0;
}

} // namespace

long uffdioCopy(Kernel &k, std::uint64_t dst, std::uint64_t value)
{
	World &w = k.world();
	VmaIdx v = uffdMfillLock(k, dst);
	if (v == kNone)
		return kENOENT;
	Lock &vmaLock = *w.vmas[v].lock;
	long err = 0;
	/* mm_alloc_pmd(): the PMD page exists for every modelled VMA */
	PmdIdx p = k.pmdAlloc(dst, false, "mm_alloc_pmd: pmd_alloc()");
	Pmd pmd = k.readPmd(p, "mfill_atomic: dst_pmdval = pmdp_get_lockless(dst_pmd)");
	if (pmd.kind == Pmd::Kind::None)
		k.pteAlloc(p, false, "mfill_atomic: __pte_alloc(): pmd_populate()");
	pmd = k.readPmd(p, "mfill_atomic: dst_pmdval = pmdp_get_lockless(dst_pmd)");
	if (!pmd.isTable()) {
		err = kEEXIST;
	} else {
		/* mfill_atomic_pte_copy(): the folio is ours until it is mapped */
		FolioIdx folio = k.allocFolio("mfill_atomic_pte_copy: vma_alloc_folio()");
		w.folios[folio].content = value; /* copy_from_user(); __folio_mark_uptodate() */
		err = mfillAtomicInstallPte(k, v, dst, folio);
		if (err)
			k.folioPut(folio, 1, "mfill_atomic_pte_copy: out_release: folio_put()");
	}
	k.unlockShared(vmaLock, "uffd_mfill_unlock: vma_end_read()");
	return err ? err : static_cast<long>(kPageSize);
}

} // namespace mmrace::model
