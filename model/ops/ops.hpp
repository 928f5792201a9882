/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* The operations a scenario thread can run, bound to a World. */

#include <functional>
#include <string>

#include "../kernel.hpp"

namespace mmrace::scenarios {
struct OpSpec;
}

namespace mmrace::model {

int folioReferenced(Kernel &k, FolioIdx folio);
int uffdioMove(Kernel &k, std::uint64_t dst, std::uint64_t src, std::uint64_t len);
void lockSequence(Kernel &k, const std::vector<Lock *> &locks);
/* access (faults) */
/* A user load or store at addr; value is stored, or receives what was read.
 * Returns 0, or -14 (SIGSEGV). */
int userAccess(Kernel &k, std::uint64_t addr, bool write, std::uint64_t &value);
/* end access */
/* gup */
/* gup.cpp: 1 page pinned (result id in *ref) or 0 (slow GUP fallback not modelled) */
/* longterm: FOLL_LONGTERM (gup_fast_folio_allowed() reads folio->mapping) */
int gupFast(Kernel &k, std::uint64_t addr, bool write, bool pin, int *ref = nullptr,
	    bool longterm = false);
/* DMA through the task's most recent held GUP reference; -EINVAL without one */
long dmaAccessOp(Kernel &k, bool write, std::uint64_t value);
/* unpin_user_page() / put_page() of every GUP reference the task holds */
long unpinAll(Kernel &k);
/* munmap.cpp */
long munmap(Kernel &k, std::uint64_t addr, std::uint64_t len);
/* do_vmi_align_munmap() of the whole VMA v: mmap write lock held and
 * vma_start_write(v) done by the caller (munmap, mremap's unmap_source_vma) */
void doVmiMunmapVma(Kernel &k, VmaIdx v);
/* end gup */
/* migrate */
/* migrate_pages() of one isolated small anon folio: 0, -EAGAIN or -EBUSY */
int migratePages(Kernel &k, FolioIdx folio);
/* end migrate */
/* reclaim */
/* folio_referenced(folio, is_locked = 1) (model/ops/folio_referenced.cpp) */
int folioReferencedLocked(Kernel &k, FolioIdx folio);
/* Result codes of shrinkFolioList() */
inline constexpr int kReclaimFreed = 0, kReclaimKept = 1, kReclaimWriteback = 2;
/* bio: the World::bios entry of the write-out this pass may submit (its
 * environment task completes it), -1: none (the write-out stays in flight
 * until a writeback_done op) */
int shrinkFolioList(Kernel &k, FolioIdx folio, int bio = -1);
/* shrinkFolioList() of the LRU's folio for addr (World::lruAt); -1 if none */
int shrinkFolioAt(Kernel &k, std::uint64_t addr, int bio = -1);
int folioEndWriteback(Kernel &k, FolioIdx folio);
/* io-completion: the environment task of bio World::bios[bio] */
void swapIoCompletion(Kernel &k, int bio);
/* end reclaim */
/* mremap */
/* mremap(old, len, len, flags, new_addr) of a whole anon VMA (mremap.cpp) */
struct MremapArgs {
	std::uint64_t oldAddr = 0, oldLen = 0, newLen = 0, newAddr = 0;
	bool mayMove = false, fixed = false;
	/* MREMAP_RELOCATE_ANON (the posted series; copy_vma_and_data()) */
	bool relocateAnon = false;
	bool mustRelocateAnon = false;	/* MREMAP_MUST_RELOCATE_ANON ([PATCH 02/11]) */
	/* fault injection: every page-table allocation (pmd_alloc, pte_alloc)
	 * fails, as with fail_page_alloc */
	bool pgtableAllocFails = false;
};
long mremap(Kernel &k, const MremapArgs &args);
/* end mremap */
/* khugepaged */
/* retract_page_tables(mapping, pgoff) (khugepaged.cpp): tables retracted */
long retractPageTables(Kernel &k, FileIdx file, std::uint64_t pgoff);
/* anon_vma_prepare() of a private VMA, mmap_lock held for read
 * (uffdio_copy.cpp; UFFDIO_COPY and UFFDIO_MOVE's find_vma_and_prepare_anon()) */
void anonVmaPrepare(Kernel &k, VmaIdx v);
/* UFFDIO_COPY of one page (uffdio_copy.cpp): 4096 or -errno */
long uffdioCopy(Kernel &k, std::uint64_t dst, std::uint64_t value);
/* end khugepaged */
/* mremap-shapes */
/* vma.cpp: VMA tree surgery, mmap write lock held */
/* vma_start_write(): no-op if already write-locked in this mmap_lock section */
void vmaStartWrite(Kernel &k, VmaIdx v, const char *label);
/* mmap_write_unlock()'s vma_end_write_all(): every VMA this task write-locked */
void vmaEndWriteAll(Kernel &k, const char *label);
/* __split_vma(): v keeps [addr, end) (newBelow) or [start, addr); returns the new VMA */
VmaIdx splitVma(Kernel &k, VmaIdx v, std::uint64_t addr, bool newBelow);
/* do_vmi_munmap() of [start, end): splits the VMAs at the edges, unmaps the rest */
long doVmiMunmap(Kernel &k, std::uint64_t start, std::uint64_t end);
/* vma_merge_new_range() of [start, end) at pgoff with the flags and anon_vma
 * of `like`: the expanded neighbour, or kNone (vma_merge_extend() passes the
 * VMA's own end, so the VMA itself is prev) */
VmaIdx vmaMergeNewRange(Kernel &k, const Vma &like, std::uint64_t start, std::uint64_t end,
			std::uint64_t pgoff);
/* anon_vma_interval_tree_insert()/remove() of v in its anon_vma and, for a
 * forked child's, in the root's tree too (the caller holds the root rwsem) */
void anonVmaTreeLink(Kernel &k, VmaIdx v, const char *label);
void anonVmaTreeUnlink(Kernel &k, VmaIdx v, const char *label);
/* lock_vma_under_rcu(): the VMA at addr read-locked, or kNone (none there,
 * or contended or changed meanwhile: fall back to mmap_read_lock()) */
VmaIdx lockVmaUnderRcu(Kernel &k, std::uint64_t addr);
/* end mremap-shapes */

/* swapfile */
/* swapfile.cpp: folio_free_swap() of a locked folio; free_swap_and_cache_nr()
 * of one entry (the zap path) */
bool folioFreeSwap(Kernel &k, FolioIdx f);
void freeSwapAndCache(Kernel &k, SwapIdx s);
/* munmap.cpp: zap_pte_range() over [start, end) of a VMA, under each PTL;
 * present pages go to the mmu_gather's batch (the caller flushes and frees) */
void zapPteRanges(Kernel &k, std::uint64_t start, std::uint64_t end, std::vector<FolioIdx> &pages);
/* madvise.cpp: madvise(addr, len, MADV_DONTNEED) of anon memory */
long madviseDontneed(Kernel &k, std::uint64_t addr, std::uint64_t len);
/* end swapfile */

/* Resolves the op's names against the World; throws std::invalid_argument
 * for references the loader should have rejected. */
std::function<void(Kernel &)> bindOp(World &world, const scenarios::OpSpec &op);

} // namespace mmrace::model
