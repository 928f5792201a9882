/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMA tree surgery under the mmap write lock, shared by munmap and mremap:
 *
 *   vma_start_write() / vma_end_write_all()           include/linux/mmap_lock.h
 *   __split_vma()                                              mm/vma.c
 *     vm_area_dup(); new->vm_end = addr (new_below) or new->vm_start = addr,
 *       new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT
 *     anon_vma_clone(new, vma): the new VMA joins vma's anon_vma trees
 *     vma_start_write(vma); vma_start_write(new)
 *     vma_prepare(): file: i_mmap_lock_write(); __vma_link_file(new);
 *       anon_vma_lock_write(); anon_vma_interval_tree_pre_update_vma(vma)
 *                                   [guard vma_prepare.anon_vma_lock]
 *       file: vma_interval_tree_remove(vma)
 *     vma->vm_start = addr; vma->vm_pgoff += ... (new_below) or vma->vm_end = addr
 *     vma_complete(): file: vma_interval_tree_insert(vma); vma_iter_store_new(new);
 *       anon_vma_interval_tree_post_update_vma(vma); anon_vma_unlock_write();
 *       file: i_mmap_unlock_write()
 *   do_vmi_munmap() -> do_vmi_align_munmap() -> vms_gather_munmap_vmas():
 *     __split_vma(vma, start, 1) if start > vma->vm_start; __split_vma(next,
 *     end, 0) if next->vm_end > end; vma_start_write() of each VMA in the
 *     range; then vms_complete_munmap_vmas() (munmap.cpp: doVmiMunmapVma())
 *   vma_merge_new_range() -> can_vma_merge_left()/can_vma_merge_right()
 *     (is_mergeable_vma(), is_mergeable_anon_vma(), contiguous vm_pgoff)
 *     -> vma_expand(): vma_start_write(middle) [and of next if it goes];
 *     vma_prepare(); vma_set_range(); vma_complete() (next: vma_mark_detached,
 *     its anon_vma links dropped, __remove_shared_vm_struct() of a file's)
 *
 * Reductions (mm/vma.c, linux-next @22f79b3b): anon VMAs and private file
 * VMAs (whose i_mmap is kept up to date under i_mmap_rwsem, as
 * vma_prepare()/vma_complete() do); VM flags are VM_WRITE and the
 * uffd-missing registration only, so is_mergeable_vma() compares those two
 * and vm_file; is_mergeable_anon_vma() is "the same anon_vma" (the
 * singular-chain case of a VMA without anon_vma merging with one that has
 * one is not modelled: both must have none); vma_expand()'s removal of next
 * drops next's anon_vma links inside the vma_prepare() section instead of
 * in anon_vma_merge() after it; no map_count limit, no mempolicy, no
 * accounting, no uprobes, no khugepaged hooks, no vma_adjust_trans_huge()
 * (no huge PMDs). do_vmi_munmap() unmaps the VMAs of the range one after
 * the other (gather, then complete, per VMA).
 *
 *   lock_vma_under_rcu()                                  mm/mmap_lock.c
 *     rcu_read_lock(); mas_walk(): the lockless walk reads the VMA tree,
 *       which every link, detach and vma_set_range() writes (so it is
 *       ordered against them like any shared read)
 *     vma_start_read(): a trylock of the per-VMA lock; then "Check if the
 *       VMA got isolated after we found it" and the range
 *     rcu_read_unlock()
 */
#include <algorithm>

#include "ops.hpp"

namespace mmrace::model
{

namespace
{

/* is_mergeable_vma(): the flags this model has, and the same vm_file */
bool sameFlags(const Vma &a, const Vma &b)
{
	return a.writable == b.writable && a.uffdMissing == b.uffdMissing && a.file == b.file;
}

/* vma_prepare()/vma_complete()'s file part: mapping->i_mmap_rwsem, or
 * nullptr for an anonymous VMA */
Lock *iMmapRwsem(World &w, VmaIdx v)
{
	const FileIdx f = w.vmas[v].file;
	return f == kNone ? nullptr : w.files[f].iMmapRwsem.get();
}

std::uint64_t pages(const Vma &v)
{
	return (v.end - v.start) / kPageSize;
}

} // namespace

/* anon_vma_interval_tree_insert()/remove() in v's anon_vma and its root */
void anonVmaTreeLink(Kernel &k, VmaIdx v, const char *label)
{
	World &w = k.world();
	AnonVmaIdx a = w.vmas[v].anonVma;
	k.anonVmaTreeInsert(a, v, label);
	if (w.anonVmas[a].root != a)
		k.anonVmaTreeInsert(w.anonVmas[a].root, v, label);
}

void anonVmaTreeUnlink(Kernel &k, VmaIdx v, const char *label)
{
	World &w = k.world();
	AnonVmaIdx a = w.vmas[v].anonVma;
	k.anonVmaTreeRemove(a, v, label);
	if (w.anonVmas[a].root != a)
		k.anonVmaTreeRemove(w.anonVmas[a].root, v, label);
}

void vmaStartWrite(Kernel &k, VmaIdx v, const char *label)
{
	World &w = k.world();
	Lock &l = *w.vmas[v].lock;
	/* vma_start_write(): a no-op if this mmap_lock section write-locked it */
	if (w.holds(k.self(), l))
		return;
	/* the model holds VMA write locks as locks, nested in acquisition order */
	int nested = 0;
	for (const HeldLock &h : w.held[k.self()])
		if (h.lock->lockClass() == LockClass::VmaLock)
			++nested;
	k.lock(l, label, std::min(nested, 7));
	/* mremap-result's snapshot: from now until mmap_write_unlock() no task
	 * can change whether a PTE of v is none (faults, MADV_DONTNEED and
	 * UFFDIO_COPY/MOVE hold v's read lock or the mmap lock; reclaim and
	 * migration only turn one entry into another), so what the mremap
	 * moves or keeps is judged against the entries here */
	RemapRecord *rec = w.remapInFlight[k.self()];
	const Vma &vma = w.vmas[v];
	if (rec && !rec->snapshotTaken && vma.start < rec->oldAddr + rec->len &&
	    rec->oldAddr < vma.end) {
		rec->snapshotTaken = true;
		for (std::size_t i = 0; i < rec->hadEntry.size(); ++i) {
			PteRef r = w.pteFor(rec->oldAddr + i * kPageSize);
			rec->hadEntry[i] = r.table != kNone && !w.pte(r).none();
		}
	}
}

void vmaEndWriteAll(Kernel &k, const char *label)
{
	World &w = k.world();
	std::vector<Lock *> vmaLocks;
	for (const HeldLock &h : w.held[k.self()])
		if (h.lock->lockClass() == LockClass::VmaLock)
			vmaLocks.push_back(h.lock);
	for (auto it = vmaLocks.rbegin(); it != vmaLocks.rend(); ++it)
		k.unlock(**it, label);
}

VmaIdx splitVma(Kernel &k, VmaIdx v, std::uint64_t addr, bool newBelow)
{
	World &w = k.world();
	/* vm_area_dup(): a private copy nobody can see yet */
	VmaIdx n = w.dupVma(v, w.vmas[v].name + (newBelow ? "<" : ">"));
	Vma &nv = w.vmas[n];
	const Vma &vma = w.vmas[v];
	if (newBelow) {
		nv.end = addr;
	} else {
		nv.start = addr;
		nv.pgoff += (addr - vma.start) / kPageSize;
	}
	/* anon_vma_clone(new, vma) */
	if (vma.anonVma != kNone) {
		Lock &root = w.rootRwsem(vma.anonVma);
		k.lock(root, "anon_vma_clone: anon_vma_lock_write()");
		anonVmaTreeLink(k, n, "anon_vma_clone: anon_vma_interval_tree_insert()");
		k.unlock(root, "anon_vma_clone: anon_vma_unlock_write()");
	}
	vmaStartWrite(k, v, "__split_vma: vma_start_write(vma)");
	vmaStartWrite(k, n, "__split_vma: vma_start_write(new)");
	const AnonVmaIdx a = vma.anonVma;
	/* vma_prepare(): a file VMA's i_mmap first ("Put into interval tree
	 * now ... but we cannot insert into address space until vma start or
	 * end is updated"), then the anon_vma   [guard vma_prepare.anon_vma_lock] */
	Lock *iMmap = iMmapRwsem(w, v);
	if (iMmap) {
		k.lock(*iMmap, "vma_prepare: i_mmap_lock_write(mapping)");
		k.iMmapInsert(n, "vma_prepare: __vma_link_file(insert)");
	}
	const bool lockTree = k.guard(Guard::VmaPrepareAnonVmaLock);
	if (a != kNone) {
		if (lockTree)
			k.lock(w.rootRwsem(a), "vma_prepare: anon_vma_lock_write()");
		anonVmaTreeUnlink(k, v, "vma_prepare: anon_vma_interval_tree_pre_update_vma()");
	}
	if (iMmap)
		k.iMmapRemove(v, "vma_prepare: vma_interval_tree_remove(vma, &mapping->i_mmap)");
	if (newBelow)
		k.setVmaRange(v, addr, vma.end, vma.pgoff + (addr - vma.start) / kPageSize,
			      "__split_vma: vma->vm_start = addr; vma->vm_pgoff += ...");
	else
		k.setVmaRange(v, vma.start, addr, vma.pgoff, "__split_vma: vma->vm_end = addr");
	/* vma_complete() */
	if (iMmap)
		k.iMmapInsert(v, "vma_complete: vma_interval_tree_insert(vma, &mapping->i_mmap)");
	k.linkVma(n, "vma_complete: vma_iter_store_new(new)");
	if (a != kNone) {
		anonVmaTreeLink(k, v, "vma_complete: anon_vma_interval_tree_post_update_vma()");
		if (lockTree)
			k.unlock(w.rootRwsem(a), "vma_complete: anon_vma_unlock_write()");
	}
	if (iMmap)
		k.unlock(*iMmap, "vma_complete: i_mmap_unlock_write(mapping)");
	return n;
}

long doVmiMunmap(Kernel &k, std::uint64_t start, std::uint64_t end)
{
	World &w = k.world();
	/* vms_gather_munmap_vmas(): the VMAs the range intersects, in order
	 * (the mmap write lock keeps the tree stable: no point) */
	std::vector<VmaIdx> in;
	for (std::size_t i = 0; i < w.vmas.size(); ++i) {
		const Vma &v = w.vmas[i];
		if (!v.detached && v.start < end && v.end > start)
			in.push_back(static_cast<VmaIdx>(i));
	}
	if (in.empty())
		return 0;
	std::sort(in.begin(), in.end(),
		  [&](VmaIdx a, VmaIdx b) { return w.vmas[a].start < w.vmas[b].start; });
	/* "If we need to split any vma, do it now to save pain later." */
	if (start > w.vmas[in.front()].start)
		splitVma(k, in.front(), start, true);
	if (end < w.vmas[in.back()].end)
		splitVma(k, in.back(), end, false);
	for (VmaIdx v : in)
		vmaStartWrite(k, v, "vms_gather_munmap_vmas: vma_start_write(next)");
	/* vms_complete_munmap_vmas() */
	for (VmaIdx v : in)
		doVmiMunmapVma(k, v);
	return 0;
}

VmaIdx vmaMergeNewRange(Kernel &k, const Vma &like, std::uint64_t start, std::uint64_t end,
			std::uint64_t pgoff)
{
	World &w = k.world();
	/* find_vma_prev() / vma_iter_next_rewind(): the neighbours that touch
	 * the range (the mmap write lock keeps the tree stable: no point) */
	VmaIdx prev = kNone, next = kNone;
	for (std::size_t i = 0; i < w.vmas.size(); ++i) {
		const Vma &v = w.vmas[i];
		if (v.detached)
			continue;
		if (v.end == start)
			prev = static_cast<VmaIdx>(i);
		if (v.start == end)
			next = static_cast<VmaIdx>(i);
	}
	const std::uint64_t len = (end - start) / kPageSize;
	/* can_vma_merge_after(): is_mergeable_vma(), is_mergeable_anon_vma(),
	 * prev->vm_pgoff + vma_pages(prev) == pgoff */
	const bool left = prev != kNone && sameFlags(w.vmas[prev], like) &&
			  w.vmas[prev].anonVma == like.anonVma &&
			  w.vmas[prev].pgoff + pages(w.vmas[prev]) == pgoff;
	/* can_vma_merge_before(): next->vm_pgoff == pgoff + pglen; with both,
	 * prev and next must be compatible with each other too */
	const bool right = next != kNone && sameFlags(w.vmas[next], like) &&
			   w.vmas[next].anonVma == like.anonVma &&
			   w.vmas[next].pgoff == pgoff + len;
	if (!left && !right)
		return kNone;
	/* vma_expand() of the middle VMA over the new range */
	const VmaIdx middle = left ? prev : next;
	const VmaIdx remove = left && right ? next : kNone;
	std::uint64_t nStart = left ? w.vmas[prev].start : start;
	std::uint64_t nEnd = right ? w.vmas[next].end : end;
	std::uint64_t nPgoff = left ? w.vmas[prev].pgoff : pgoff;
	vmaStartWrite(k, middle, "vma_expand: vma_start_write(middle)");
	if (remove != kNone)
		vmaStartWrite(k, remove, "vma_expand: vma_start_write(next)");
	const AnonVmaIdx a = w.vmas[middle].anonVma;
	/* vma_prepare(): i_mmap of a file VMA, then the anon_vma */
	Lock *iMmap = iMmapRwsem(w, middle);
	if (iMmap)
		k.lock(*iMmap, "vma_prepare: i_mmap_lock_write(mapping)");
	const bool lockTree = k.guard(Guard::VmaPrepareAnonVmaLock);
	if (a != kNone) {
		if (lockTree)
			k.lock(w.rootRwsem(a), "vma_prepare: anon_vma_lock_write()");
		anonVmaTreeUnlink(k, middle, "vma_prepare: anon_vma_interval_tree_pre_update_vma()");
	}
	if (iMmap)
		k.iMmapRemove(middle, "vma_prepare: vma_interval_tree_remove(vma, &mapping->i_mmap)");
	k.setVmaRange(middle, nStart, nEnd, nPgoff, "vma_expand: vma_set_range()");
	if (iMmap)
		k.iMmapInsert(middle,
			      "vma_complete: vma_interval_tree_insert(vma, &mapping->i_mmap)");
	if (remove != kNone) {
		k.detachVma(remove, "vma_complete: vma_mark_detached(next)");
		if (iMmap)
			k.iMmapRemove(remove, "vma_complete: __remove_shared_vm_struct(remove)");
		if (a != kNone)
			anonVmaTreeUnlink(k, remove, "anon_vma_merge: unlink_anon_vmas(next)");
	}
	if (a != kNone) {
		anonVmaTreeLink(k, middle, "vma_complete: anon_vma_interval_tree_post_update_vma()");
		if (lockTree)
			k.unlock(w.rootRwsem(a), "vma_complete: anon_vma_unlock_write()");
	}
	if (iMmap)
		k.unlock(*iMmap, "vma_complete: i_mmap_unlock_write(mapping)");
	return middle;
}

VmaIdx lockVmaUnderRcu(Kernel &k, std::uint64_t addr)
{
	World &w = k.world();
	k.rcuReadLock("lock_vma_under_rcu: rcu_read_lock(); mas_walk()", mmObject(MmField::VmaTree));
	VmaIdx v = w.findVma(addr); /* mas_walk(): read in the step above */
	bool locked = false;
	if (v != kNone && k.trylockShared(*w.vmas[v].lock, "lock_vma_under_rcu: vma_start_read()")) {
		/* the VMA may have been detached or changed before we locked it */
		locked = w.vmas[v].contains(addr);
		if (!locked)
			k.unlockShared(*w.vmas[v].lock,
				       "lock_vma_under_rcu: vma_end_read() (detached or moved)");
	}
	k.rcuReadUnlock("lock_vma_under_rcu: rcu_read_unlock()");
	return locked ? v : kNone;
}

} // namespace mmrace::model
