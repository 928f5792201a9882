/* SPDX-License-Identifier: GPL-2.0 */
#include "world.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "scenarios/scenario.hpp"

namespace mmrace::model {

Lock *World::newLock(LockClass cls, std::string name)
{
	auto serial = static_cast<std::uint32_t>(locks.size());
	auto *l = new Lock(cls, serial, std::move(name));
	l->setTaskNames(&taskNames_);
	locks.push_back(l);
	return l;
}

World::World(const scenarios::Scenario &sc, const GuardSet &guards,
	     const std::vector<std::string> &taskNames, std::size_t cpus)
    : guards_(guards), taskNames_(taskNames)
{
	const std::size_t ntasks = taskNames.size();
	/* Per-CPU state: environment tasks run on no CPU of this mm. */
	const std::size_t ncpus = std::min(cpus, ntasks);
	held.resize(ntasks);
	tlb.resize(ncpus);
	irqOff.assign(ncpus, false);
	ipiHolder.assign(ncpus, kNoTask);
	rcuDepth.assign(ntasks, 0);
	rcuExits.assign(ntasks, 0);
	rcuWaitFor.resize(ntasks);
	for (std::size_t t = 0; t < ntasks; ++t) {
		bitWait.push_back(std::make_unique<FolioBitWait>(*this));
		spinWait.push_back(std::make_unique<SpinWait>());
		swapWait.push_back(std::make_unique<SwapCacheWait>(*this));
	}
	for (std::size_t t = 0; t < ncpus; ++t) {
		cpuIpi.push_back(std::make_unique<CpuIpi>(*this, static_cast<TaskId>(t)));
		cpuWalk.push_back(std::make_unique<CpuWalk>(*this, static_cast<TaskId>(t)));
	}
	hwInFlight.assign(ncpus, false);
	mmapLock.reset(newLock(LockClass::MmapLock, "mm->mmap_lock"));
	pmdLock.reset(newLock(LockClass::PmdLock, "pmd_lock(pmd)"));
	pageTableLock.reset(newLock(LockClass::PageTableLock, "mm->page_table_lock"));
	pteMapRcu.resize(ntasks);
	for (std::size_t t = 0; t < ntasks; ++t)
		pteMapWait.push_back(std::make_unique<PteMapWait>(*this));
	for (const auto &name : sc.files) {
		File f;
		f.name = name;
		f.iMmapRwsem.reset(newLock(LockClass::IMmapRwsem, fmt::format("file {}: i_mmap_rwsem", name)));
		files.push_back(std::move(f));
	}
	tlbBroadcast = sc.tlbBroadcast;
	swap.stableWrites = sc.swap.stableWrites;
	swap.synchronousIo = sc.swap.synchronousIo;
	swap.slots.resize(sc.swap.slots);
	swapPinnedBy.assign(sc.swap.slots, kNoTask);

	for (const auto &a : sc.anonVmas) {
		AnonVma av;
		av.name = a.name;
		av.rwsem.reset(newLock(LockClass::AnonVmaRwsem, fmt::format("anon_vma {}->rwsem", a.name)));
		anonVmas.push_back(std::move(av));
	}
	for (std::size_t i = 0; i < sc.anonVmas.size(); ++i) {
		const std::string &root = sc.anonVmas[i].root.empty() ? sc.anonVmas[i].name
								      : sc.anonVmas[i].root;
		anonVmas[i].root = findAnonVma(root);
		if (anonVmas[i].root == kNone)
			throw std::invalid_argument("anon_vma root " + root + " not found");
	}

	for (const auto &v : sc.vmas) {
		Vma vma;
		vma.name = v.name;
		vma.start = v.start;
		vma.end = v.end();
		vma.pgoff = v.start / kPageSize;
		vma.anonVma = v.anonVma.empty() ? kNone : findAnonVma(v.anonVma);
		vma.uffdMissing = std::find(v.uffd.begin(), v.uffd.end(), "missing") != v.uffd.end();
		vma.uffdWp = std::find(v.uffd.begin(), v.uffd.end(), "wp") != v.uffd.end();
		if (!v.file.empty()) {
			/* MAP_PRIVATE of the file from offset 0 */
			vma.file = findFile(v.file);
			if (vma.file == kNone)
				throw std::invalid_argument("file " + v.file + " not found");
			vma.pgoff = 0;
			files[vma.file].iMmap.push_back(static_cast<VmaIdx>(vmas.size()));
		}
		vma.writable = v.writable;
		vma.lock.reset(newLock(LockClass::VmaLock, fmt::format("vma {}->vm_lock", v.name)));
		auto idx = static_cast<VmaIdx>(vmas.size());
		if (vma.anonVma != kNone) {
			/* anon_vma_chain: linked into its own anon_vma and, for a
			 * forked child, into the root's tree as well. */
			anonVmas[vma.anonVma].vmas.push_back(idx);
			AnonVmaIdx root = anonVmas[vma.anonVma].root;
			if (root != vma.anonVma)
				anonVmas[root].vmas.push_back(idx);
		}
		for (std::uint64_t b = vma.start & ~(kPmdSize - 1); b < vma.end; b += kPmdSize) {
			if (pmdFor(b) != kNone)
				continue;
			PteTable t;
			t.base = b;
			t.ptl.reset(newLock(LockClass::Ptl, fmt::format("ptl(pte table of {:#x})", std::max(b, vma.start))));
			t.installedAt = static_cast<PmdIdx>(pmds.size());
			PmdSlot slot;
			slot.base = b;
			slot.entry.kind = Pmd::Kind::Table;
			slot.entry.table = static_cast<TableIdx>(tables.size());
			tables.push_back(std::move(t));
			pmds.push_back(slot);
		}
		vmas.push_back(std::move(vma));
	}

	/*
	 * The PMD slots an op may allocate at run time (mremap's destination):
	 * made now, entry none, so that a slot's existence never changes while
	 * tasks run (a walker that finds no slot reads nothing shared). If no
	 * VMA lies in the slot's 1 GiB region, its PMD page does not exist
	 * yet either: pud_none(), until pmd_alloc() populates the PUD.
	 */
	auto regionMapped = [this](std::uint64_t base) {
		for (const PmdSlot &s : pmds)
			if (!s.pudNone && (s.base & ~(kPudSize - 1)) == (base & ~(kPudSize - 1)))
				return true;
		return false;
	};
	auto makeSlots = [&](std::uint64_t start, std::uint64_t end) {
		for (std::uint64_t b = start & ~(kPmdSize - 1); b < end; b += kPmdSize) {
			if (pmdFor(b) != kNone)
				continue;
			PmdSlot slot;
			slot.base = b;
			slot.pudNone = slot.pudNoneAtStart = !regionMapped(b);
			pmds.push_back(slot);
		}
	};
	auto roundUp = [](std::uint64_t a) { return (a + kPmdSize - 1) & ~(kPmdSize - 1); };
	/* MREMAP_FIXED destinations; for the others (mremap.cpp's
	 * get_unmapped_area(): 2 MiB above the highest VMA at the time), a
	 * window above every address the run can reach: the VMAs, the fixed
	 * destinations, growth in place, and each placement's gap and size */
	std::uint64_t top = 0, growth = 0, placed = 0;
	for (const auto &v : sc.vmas)
		top = std::max(top, v.end());
	for (const auto &t : sc.threads)
		for (const auto &op : t.ops) {
			if (op.op != "mremap")
				continue;
			const scenarios::OpArg *to = op.arg("new_addr");
			const scenarios::OpArg *fixed = op.arg("fixed");
			const scenarios::OpArg *oldLen = op.arg("old_len");
			const scenarios::OpArg *len = op.arg("new_len");
			if (!len || !oldLen)
				continue;
			if (len->number > oldLen->number)
				growth += len->number - oldLen->number;
			if (fixed && fixed->flag && to) {
				makeSlots(to->number, to->number + len->number);
				top = std::max(top, to->number + len->number);
			} else {
				placed += kPmdSize + roundUp(len->number);
			}
		}
	if (placed)
		makeSlots(roundUp(top), roundUp(top + growth) + placed + kPmdSize);

	vmas.reserve(vmas.size() + kSpareObjects);
	/* Folios are allocated while tasks may hold references into the
	 * vector (faults, migration, swap-in): never reallocate it. */
	folios.reserve(sc.pages.size() + kSpareFolios);
	tables.reserve(tables.size() + kSpareObjects);
	pmds.reserve(pmds.size() + kSparePmdSlots);
	anonVmas.reserve(anonVmas.size() + kSpareObjects);
	opRanges.resize(ntasks);
	opBegin.assign(ntasks, 0);
	remapInFlight.assign(ntasks, nullptr);
	relocatingAnon.assign(ntasks, 0);

	SwapIdx nextSlot = 0;
	for (const auto &p : sc.pages) {
		VmaIdx v = findVma(p.at);
		if (v == kNone || vmas[v].anonVma == kNone)
			throw std::invalid_argument(fmt::format("page {:#x} has no anon VMA", p.at));
		std::uint64_t content = p.content ? p.content
						  : std::hash<std::string>{}(p.folio.empty()
										  ? fmt::format("{:#x}", p.at)
										  : p.folio) |
							    1;
		memory[p.at] = content;
		Pte &e = pte(pteFor(p.at));
		if (p.state != scenarios::PageSpec::State::Present) {
			SwapIdx slot = nextSlot++;
			SwapSlot &ss = swap.slots[slot];
			ss.allocated = true;
			ss.count = 1;
			ss.data = content;
			ss.written = !p.writeback;
			e = Pte::makeSwap(slot, p.exclusive);
			if (p.state == scenarios::PageSpec::State::Swapped)
				continue;
			/* In the swap cache, unmapped: add_to_swap() + try_to_unmap() done. */
			FolioIdx fi = newFolio(p.folio);
			Folio &f = folios[fi];
			f.mapping = vmas[v].anonVma;
			f.index = vmas[v].pageIndex(p.at);
			f.content = content;
			f.swapcache = true;
			f.swap = slot;
			f.writeback = p.writeback;
			ss.cache = fi;
			lruAt[p.at] = fi;
			continue;
		}
		FolioIdx fi = newFolio(p.folio);
		Folio &f = folios[fi];
		f.large = p.large;
		/* do_anonymous_page(): folio_add_new_anon_rmap(RMAP_EXCLUSIVE);
		 * "exclusive": false clears PageAnonExclusive (read-only PTE) */
		f.mapcount = 1;
		f.pae = p.exclusive;
		f.mapping = vmas[v].anonVma;
		f.index = vmas[v].pageIndex(p.at);
		f.content = content;
		lruAt[p.at] = fi;
		e = Pte::makePresent(fi, p.writable && vmas[v].writable, p.writable, p.young);
		if (!p.gup.empty()) {
			/* Held by someone outside the scenario (task kNoTask). */
			GupRef g;
			g.folio = fi;
			g.addr = p.at;
			g.pin = p.gup == "pin";
			g.write = true;
			f.refcount += g.pin ? kGupPinCountingBias : 1;
			gupRefs.push_back(g);
			gupRefRemapped.push_back(false);
		}
		for (const std::string &name : p.tlb) {
			auto it = std::find(taskNames.begin(), taskNames.end(), name);
			if (it == taskNames.end())
				throw std::invalid_argument("tlb: unknown thread " + name);
			tlb[static_cast<std::size_t>(it - taskNames.begin())].push_back(
			    {p.at, fi, e.writable, e.dirty, 0});
		}
	}
	bios = bioPlan(sc);
	for (Bio &b : bios)
		if (b.state == Bio::State::Submitted)
			for (const auto &p : sc.pages)
				if (p.writeback && b.task == "bio " + p.folio)
					b.folio = findFolio(p.folio);
	for (std::size_t i = 0; i < bios.size(); ++i)
		bioWait.push_back(std::make_unique<BioWait>(*this, static_cast<int>(i)));
}

std::vector<Bio> World::bioPlan(const scenarios::Scenario &sc)
{
	/* A page that starts under writeback and that a writeback_done op of
	 * the scenario names is left to that op (it pins the moment); every
	 * other write-out the environment ends, a reclaim's too: a
	 * writeback_done that comes after the environment's completion finds
	 * nothing in flight, as in the kernel. */
	std::set<std::string> pinned;
	for (const auto &t : sc.threads)
		for (const auto &op : t.ops)
			if (op.op == "writeback_done")
				if (const scenarios::OpArg *f = op.arg("folio"))
					pinned.insert(f->text);
	std::vector<Bio> plan;
	for (const auto &p : sc.pages)
		if (p.writeback && !pinned.count(p.folio)) {
			Bio b;
			b.state = Bio::State::Submitted;
			b.task = "bio " + p.folio;
			plan.push_back(b);
		}
	for (std::size_t t = 0; t < sc.threads.size(); ++t)
		for (std::size_t i = 0; i < sc.threads[t].ops.size(); ++i)
			if (sc.threads[t].ops[i].op == "reclaim") {
				Bio b;
				b.owner = static_cast<TaskId>(t);
				b.task = fmt::format("bio {}#{}", sc.threads[t].name, i);
				plan.push_back(b);
			}
	return plan;
}

int World::takeReclaimBio()
{
	while (reclaimBioCursor < bios.size() && bios[reclaimBioCursor].owner == kNoTask)
		++reclaimBioCursor;
	if (reclaimBioCursor >= bios.size())
		return -1;
	return static_cast<int>(reclaimBioCursor++);
}

FolioIdx World::newFolio(std::string name)
{
	if (folios.size() == folios.capacity())
		throw std::length_error("World: no spare folio slot");
	Folio f;
	f.lock.reset(newLock(LockClass::FolioLock, "folio " + name));
	f.name = std::move(name);
	f.refcount = 1;
	auto fi = static_cast<FolioIdx>(folios.size());
	folios.push_back(std::move(f));
	return fi;
}

VmaIdx World::newVma(std::string name)
{
	if (vmas.size() == vmas.capacity())
		throw std::length_error("World: no spare VMA slot");
	Vma vma;
	vma.lock.reset(newLock(LockClass::VmaLock, fmt::format("vma {}->vm_lock", name)));
	vma.name = std::move(name);
	vma.detached = true;
	vmas.push_back(std::move(vma));
	return static_cast<VmaIdx>(vmas.size() - 1);
}

VmaIdx World::dupVma(VmaIdx v, std::string name)
{
	VmaIdx n = newVma(std::move(name));
	Vma &nv = vmas[n];
	const Vma &ov = vmas[v];
	nv.start = ov.start;
	nv.end = ov.end;
	nv.pgoff = ov.pgoff;
	nv.anonVma = ov.anonVma;
	nv.uffdMissing = ov.uffdMissing;
	nv.uffdWp = ov.uffdWp;
	nv.file = ov.file;
	nv.writable = ov.writable;
	return n;
}

TableIdx World::newTable(std::uint64_t base)
{
	if (tables.size() == tables.capacity())
		throw std::length_error("World: no spare page table slot");
	PteTable t;
	t.base = base;
	t.ptl.reset(newLock(LockClass::Ptl, fmt::format("ptl(new pte table of {:#x})", base)));
	tables.push_back(std::move(t));
	return static_cast<TableIdx>(tables.size() - 1);
}

PmdIdx World::newPmdSlot(std::uint64_t base)
{
	if (pmds.size() == pmds.capacity())
		throw std::length_error("World: no spare PMD slot");
	PmdSlot slot;
	slot.base = base;
	slot.pudNone = true;
	for (const PmdSlot &s : pmds)
		if (!s.pudNone && (s.base & ~(kPudSize - 1)) == (base & ~(kPudSize - 1)))
			slot.pudNone = false;
	slot.pudNoneAtStart = true; /* its existence is dynamic: readers read the PUD */
	pmds.push_back(slot);
	return static_cast<PmdIdx>(pmds.size() - 1);
}

AnonVmaIdx World::newAnonVma(std::string name)
{
	if (anonVmas.size() == anonVmas.capacity())
		throw std::length_error("World: no spare anon_vma slot");
	AnonVma av;
	av.rwsem.reset(newLock(LockClass::AnonVmaRwsem, fmt::format("anon_vma {}->rwsem", name)));
	av.name = std::move(name);
	anonVmas.push_back(std::move(av));
	AnonVmaIdx a = static_cast<AnonVmaIdx>(anonVmas.size() - 1);
	anonVmas[a].root = a;
	return a;
}

VmaIdx World::findVma(std::uint64_t addr) const
{
	for (std::size_t i = 0; i < vmas.size(); ++i)
		if (vmas[i].contains(addr))
			return static_cast<VmaIdx>(i);
	return kNone;
}

PmdIdx World::pmdFor(std::uint64_t addr) const
{
	std::uint64_t base = addr & ~(kPmdSize - 1);
	for (std::size_t i = 0; i < pmds.size(); ++i)
		if (pmds[i].base == base)
			return static_cast<PmdIdx>(i);
	return kNone;
}

PteRef World::pteFor(std::uint64_t addr) const
{
	PmdIdx p = pmdFor(addr);
	if (p == kNone || !pmds[p].entry.isTable())
		return {kNone, 0};
	return pteIn(pmds[p].entry.table, addr);
}

FolioIdx World::findFolio(const std::string &name) const
{
	for (std::size_t i = 0; i < folios.size(); ++i)
		if (folios[i].name == name)
			return static_cast<FolioIdx>(i);
	return kNone;
}

FileIdx World::findFile(const std::string &name) const
{
	for (std::size_t i = 0; i < files.size(); ++i)
		if (files[i].name == name)
			return static_cast<FileIdx>(i);
	return kNone;
}

AnonVmaIdx World::findAnonVma(const std::string &name) const
{
	for (std::size_t i = 0; i < anonVmas.size(); ++i)
		if (anonVmas[i].name == name)
			return static_cast<AnonVmaIdx>(i);
	return kNone;
}

std::vector<PteRef> World::mappingsOf(FolioIdx f) const
{
	std::vector<PteRef> out;
	for (std::size_t t = 0; t < tables.size(); ++t)
		if (!tables[t].freed)
			for (std::uint32_t s = 0; s < 512; ++s)
				if (tables[t].entries[s].mapsFolio(f))
					out.push_back({static_cast<TableIdx>(t), s});
	return out;
}

std::vector<PteRef> World::entriesReferring(FolioIdx f) const
{
	std::vector<PteRef> out;
	for (std::size_t t = 0; t < tables.size(); ++t)
		if (!tables[t].freed)
			for (std::uint32_t s = 0; s < 512; ++s)
				if (tables[t].entries[s].refersTo(f))
					out.push_back({static_cast<TableIdx>(t), s});
	return out;
}

bool CpuIpi::canProceed(AccessKind kind, TaskId) const
{
	/* local_irq_save() waits only while an IPI handler runs there (it
	 * interrupted this CPU); an IPI waits for IRQs on and no other handler. */
	if (w_.ipiHolder[cpu_] != kNoTask)
		return false;
	return kind == AccessKind::AcquireShared || !w_.irqOff[cpu_];
}

std::string CpuIpi::describeWait(AccessKind) const
{
	return "IPI to the CPU of " + w_.taskNames()[cpu_] + ", which has IRQs off";
}

void CpuIpi::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (w_.irqOff[cpu_])
		emit(arg, cpu_);
	if (w_.ipiHolder[cpu_] != kNoTask)
		emit(arg, w_.ipiHolder[cpu_]);
}

/* oracle-rcu */
bool CpuWalk::canProceed(AccessKind kind, TaskId) const
{
	return kind != AccessKind::Wait || !w_.hwInFlight[cpu_];
}

std::string CpuWalk::describeWait(AccessKind) const
{
	return "broadcast TLB flush: waits for the in-flight translation of the CPU of " +
	       w_.taskNames()[cpu_];
}

void CpuWalk::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (w_.hwInFlight[cpu_])
		emit(arg, cpu_);
}
/* end oracle-rcu */

bool RcuSync::canProceed(AccessKind, TaskId task) const
{
	for (auto [t, exits] : w_.rcuWaitFor[task])
		if (w_.rcuExits[t] <= exits)
			return false;
	return true;
}

std::string RcuSync::describeWait(AccessKind) const
{
	return "synchronize_rcu(): a grace period";
}

void RcuSync::holders(void (*emit)(void *, TaskId), void *arg) const
{
	for (std::size_t t = 0; t < w_.rcuDepth.size(); ++t)
		if (w_.rcuDepth[t] > 0)
			emit(arg, static_cast<TaskId>(t));
}

bool PteMapWait::canProceed(AccessKind, TaskId task) const
{
	for (std::size_t t = 0; t < w_.pteMapRcu.size(); ++t)
		if (t != task && std::find(w_.pteMapRcu[t].begin(), w_.pteMapRcu[t].end(), table_) !=
				     w_.pteMapRcu[t].end())
			return false;
	return true;
}

std::string PteMapWait::describeWait(AccessKind) const
{
	return "pte_free_defer(): an RCU grace period (a __pte_offset_map() reader of the table)";
}

void PteMapWait::holders(void (*emit)(void *, TaskId), void *arg) const
{
	for (std::size_t t = 0; t < w_.pteMapRcu.size(); ++t)
		if (std::find(w_.pteMapRcu[t].begin(), w_.pteMapRcu[t].end(), table_) !=
		    w_.pteMapRcu[t].end())
			emit(arg, static_cast<TaskId>(t));
}

bool FolioBitWait::canProceed(AccessKind, TaskId) const
{
	const Folio &f = w_.folios[folio_];
	return writeback_ ? !f.writeback : f.lock->free();
}

std::string FolioBitWait::describeWait(AccessKind) const
{
	const Folio &f = w_.folios[folio_];
	return fmt::format("folio_wait_bit({}, {})", f.name, writeback_ ? "PG_writeback" : "PG_locked");
}

void FolioBitWait::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (!writeback_)
		w_.folios[folio_].lock->holders(emit, arg);
}

bool BioWait::canProceed(AccessKind, TaskId) const
{
	return w_.bios[bio_].state == Bio::State::Submitted;
}

std::string BioWait::describeWait(AccessKind) const
{
	return "the environment: waiting for a swap write-out to be submitted";
}

void BioWait::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (w_.bios[bio_].owner != kNoTask)
		emit(arg, w_.bios[bio_].owner);
}

bool SwapCacheWait::canProceed(AccessKind, TaskId) const
{
	return !w_.swap.slots[slot_].pinned;
}

std::string SwapCacheWait::describeWait(AccessKind) const
{
	return fmt::format("swapcache_wq: swap slot {} has SWAP_HAS_CACHE", slot_);
}

void SwapCacheWait::holders(void (*emit)(void *, TaskId), void *arg) const
{
	if (w_.swap.slots[slot_].pinned && w_.swapPinnedBy[slot_] != kNoTask)
		emit(arg, w_.swapPinnedBy[slot_]);
}

bool World::holds(TaskId t, const Lock &l) const
{
	return l.heldBy(t);
}

} // namespace mmrace::model
