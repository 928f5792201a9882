/* SPDX-License-Identifier: GPL-2.0 */
#include "kernel.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace mmrace::model {

using K = AccessKind;

static Event makeEvent(Event::Kind kind, TaskId task)
{
	Event e{};
	e.kind = kind;
	e.task = task;
	return e;
}

void Kernel::acquired(Lock &l, bool shared, bool trylock, int subclass, const char *label)
{
	world_.held[self()].push_back({&l, shared, trylock, subclass, exec_.steps(), label});
	Event e = makeEvent(Event::Kind::Acquired, self());
	e.lock = &l;
	e.shared = shared;
	e.trylock = trylock;
	e.subclass = subclass;
	e.label = label;
	world_.events.push_back(e);
}

void Kernel::released(Lock &l, const char *label)
{
	auto &h = world_.held[self()];
	for (auto it = h.rbegin(); it != h.rend(); ++it) {
		if (it->lock == &l) {
			h.erase(std::next(it).base());
			break;
		}
	}
	Event e = makeEvent(Event::Kind::Released, self());
	e.lock = &l;
	e.label = label;
	world_.events.push_back(e);
}

void Kernel::lock(Lock &l, const char *label, int subclass)
{
	/* might_sleep() and lockdep's checks run at the call, before it can block. */
	Event e = makeEvent(Event::Kind::Acquiring, self());
	e.lock = &l;
	e.subclass = subclass;
	e.label = label;
	world_.events.push_back(e);
	point(l.id(), K::Acquire, label, &l);
	l.setWriter(self());
	acquired(l, false, false, subclass, label);
}

bool Kernel::trylock(Lock &l, const char *label)
{
	point(l.id(), K::TryAcquire, label);
	if (!l.free())
		return false;
	l.setWriter(self());
	acquired(l, false, true, 0, label);
	return true;
}

void Kernel::unlock(Lock &l, const char *label)
{
	point(l.id(), K::Release, label);
	l.setWriter(kNoTask);
	released(l, label);
	/* pte_unmap_unlock(): the PTL of a table mapped by pte_offset_map_lock()
	 * ends __pte_offset_map()'s RCU section on it (rcu_read_unlock()). */
	auto &mapped = world_.pteMapRcu[self()];
	for (auto it = mapped.begin(); it != mapped.end(); ++it) {
		if (world_.tables[*it].ptl.get() == &l) {
			mapped.erase(it);
			break;
		}
	}
}

void Kernel::lockShared(Lock &l, const char *label)
{
	Event e = makeEvent(Event::Kind::Acquiring, self());
	e.lock = &l;
	e.shared = true;
	e.label = label;
	world_.events.push_back(e);
	point(l.id(), K::AcquireShared, label, &l);
	l.addReader(self());
	acquired(l, true, false, 0, label);
}

bool Kernel::trylockShared(Lock &l, const char *label)
{
	point(l.id(), K::TryAcquireShared, label);
	if (l.writer() != kNoTask)
		return false;
	l.addReader(self());
	acquired(l, true, true, 0, label);
	return true;
}

void Kernel::unlockShared(Lock &l, const char *label)
{
	point(l.id(), K::ReleaseShared, label);
	l.dropReader(self());
	released(l, label);
}

void Kernel::staleTable(TableIdx t, const char *label)
{
	Event e = makeEvent(Event::Kind::StaleTableAccess, self());
	e.table = t;
	e.label = label;
	event(e);
}

Pte Kernel::readPte(PteRef r, const char *label, ObjectId also)
{
	point(r.object(), K::Read, label, nullptr, tableObject(r.table), also);
	if (world_.tables[r.table].freed)
		staleTable(r.table, label);
	return world_.pte(r);
}

Pmd Kernel::readPmd(PmdIdx p, const char *label, ObjectId also)
{
	/* a slot whose PMD page may not exist yet: the walk reads the PUD too */
	point(pmdObject(p), K::Read, label, nullptr, also,
	      world_.pmds[p].pudNoneAtStart ? mmObject(MmField::Pud) : kNoObject);
	return world_.pmds[p].entry;
}

void Kernel::writePmd(PmdIdx p, const Pmd &v, const char *label)
{
	point(pmdObject(p), K::Write, label);
	Pmd old = world_.pmds[p].entry;
	if (old.isTable() && world_.tables[old.table].installedAt == p)
		world_.tables[old.table].installedAt = kNone;
	if (v.isTable()) {
		world_.tables[v.table].installedAt = p;
		world_.tables[v.table].base = world_.pmds[p].base;
	}
	world_.pmds[p].entry = v;
	Event e = makeEvent(Event::Kind::PmdWritten, self());
	e.pmd = p;
	e.oldPmd = old;
	e.newPmd = v;
	e.label = label;
	event(e);
}

PteRef Kernel::pteOffsetMapLock(std::uint64_t addr, const char *label)
{
	PmdIdx p = pmdLookup(addr, "__pte_offset_map: pmd_offset(): no PMD");
	if (p == kNone)
		return {kNone, 0};
	for (;;) {
		/* rcu_read_lock(); pmdval = pmdp_get_lockless(pmd): from here to
		 * pte_unmap_unlock() the table cannot be freed by pte_free_defer()
		 * (the section is recorded in World::pteMapRcu; a none PMD ends
		 * it at once, in the same step) */
		Pmd pmd = readPmd(p, "__pte_offset_map: pmdp_get_lockless()");
		if (!pmd.isTable())
			return {kNone, 0};
		world_.pteMapRcu[self()].push_back(pmd.table);
		PteRef r = world_.pteIn(pmd.table, addr);
		Lock &ptl = *world_.tables[pmd.table].ptl;
		lock(ptl, label);
		if (world_.tables[pmd.table].freed)
			staleTable(pmd.table, label);
		if (!guard(Guard::PteOffsetMapLockPmdSame))
			return r;
		if (readPmd(p, "__pte_offset_map_lock: pmd_same(pmdval, pmdp_get_lockless())") == pmd)
			return r;
		unlock(ptl, "__pte_offset_map_lock: pmd changed, spin_unlock(ptl) and retry");
	}
}

void Kernel::freeTable(TableIdx t, const char *label)
{
	point(tableObject(t), K::Write, label);
	world_.tables[t].freed = true;
	Event e = makeEvent(Event::Kind::TableFreed, self());
	e.table = t;
	e.label = label;
	event(e);
}

PmdIdx Kernel::pmdLookup(std::uint64_t addr, const char *label)
{
	PmdIdx p = world_.pmdFor(addr);
	if (p == kNone)
		point(mmObject(MmField::Pud), K::Read, label);
	return p;
}

PmdIdx Kernel::pmdAlloc(std::uint64_t addr, bool fail, const char *label)
{
	PmdIdx p = world_.pmdFor(addr);
	/* Most slots an op can allocate at exist from the start (World: the
	 * VMAs and a scenario's likely mremap destinations). Any other
	 * address gets its slot here: the model's stand-in for the PMD entry
	 * that was always there in a PMD page (pmd_none()) or for the
	 * pud_none() that __pmd_alloc() fills below. Making it writes the PUD
	 * object, which every walker that found no slot read
	 * (pmdLookup()), and the new slot's readers read it too. */
	if (p == kNone) {
		point(mmObject(MmField::Pud), K::Write, "pmd_alloc: p4d/pud_offset() (model: the PMD slot appears)");
		p = world_.newPmdSlot(addr & ~(kPmdSize - 1));
	}
	if (!world_.pmds[p].pudNoneAtStart)
		return p;	/* pud_none() is false: the PMD page exists */
	point(mmObject(MmField::Pud), K::Read, "pmd_alloc: pud_none(*pud)");
	if (!world_.pmds[p].pudNone)
		return p;
	if (fail)
		return kNone;	/* __pmd_alloc(): pmd_alloc_one() failed */
	point(mmObject(MmField::Pud), K::Write, label);
	/* pud_populate(): the new PMD page covers the whole 1 GiB region */
	const std::uint64_t region = addr & ~(kPudSize - 1);
	for (PmdSlot &s : world_.pmds)
		if ((s.base & ~(kPudSize - 1)) == region)
			s.pudNone = false;
	return p;
}

bool Kernel::pteAlloc(PmdIdx p, bool fail, const char *label)
{
	/* pte_alloc(): only if pmd_none(*pmd) (a read under the mmap lock) */
	if (readPmd(p, "pte_alloc: pmd_none(*pmd)").kind != Pmd::Kind::None)
		return true;
	if (fail)
		return false;
	TableIdx t = world_.newTable(world_.pmds[p].base);	/* pte_alloc_one() */
	lock(*world_.pmdLock, "pmd_install: pmd_lock()");
	if (readPmd(p, "pmd_install: pmd_none(*pmd)").kind == Pmd::Kind::None) {
		Pmd v;
		v.kind = Pmd::Kind::Table;
		v.table = t;
		writePmd(p, v, label);
	} else {
		world_.tables[t].freed = true;	/* pte_free(): never visible */
	}
	unlock(*world_.pmdLock, "pmd_install: spin_unlock()");
	return true;
}

bool Kernel::ptepTestAndClearYoung(PteRef r, const char *label)
{
	bool young = false;
	updatePte(
	    r,
	    [&](Pte p) {
		    young = p.young;
		    p.young = false;
		    return p;
	    },
	    label);
	return young;
}

void Kernel::ptepSetAccessFlags(PteRef r, bool dirty, const char *label)
{
	updatePte(
	    r,
	    [&](Pte p) {
		    p.young = true;
		    p.dirty = p.dirty || dirty;
		    return p;
	    },
	    label);
}

Pte Kernel::writePte(PteRef r, const Pte &v, const char *label)
{
	return updatePte(
	    r, [&](const Pte &) { return v; }, label);
}

/* The new value is computed from the entry as it is at the step. */
Pte Kernel::updatePte(PteRef r, const std::function<Pte(const Pte &)> &update, const char *label)
{
	Pte old = world_.pte(r);
	Pte v = update(old);
	/* A store that maps or unmaps a folio also changes that folio's rmap
	 * (a migration entry counts for its folio: rmap must find it too). */
	FolioIdx f = v.present() ? v.folio : old.present() ? old.folio : kNone;
	FolioIdx f2 = old.isMigration() ? old.folio : v.isMigration() ? v.folio : kNone;
	if (f == kNone) {
		f = f2;
		f2 = kNone;
	}
	point(r.object(), K::Write, label, nullptr,
	      f == kNone ? kNoObject : folioObject(f, FolioField::Rmap),
	      f2 == kNone || f2 == f ? kNoObject : folioObject(f2, FolioField::Rmap));
	old = world_.pte(r);
	v = update(old);
	if (world_.tables[r.table].freed)
		staleTable(r.table, label);
	world_.pte(r) = v;
	for (RmapWalk &w : world_.walks) {
		if (!w.active)
			continue;
		auto it = std::find(w.throughout.begin(), w.throughout.end(), r);
		bool remapped = old.present() != v.present() || old.folio != v.folio;
		if (w.migrationOf != kNone)
			remapped = !(v.isMigration() && v.folio == w.migrationOf);
		if (it != w.throughout.end() && remapped)
			w.throughout.erase(it);
	}
	Event e = makeEvent(Event::Kind::PteWritten, self());
	e.pte = r;
	e.oldPte = old;
	e.newPte = v;
	e.label = label;
	world_.events.push_back(e);
	return old;
}

AnonVmaIdx Kernel::readMapping(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Mapping), K::Read, label);
	return world_.folios[f].mapping;
}

void Kernel::writeMapping(FolioIdx f, AnonVmaIdx a, const char *label)
{
	point(folioObject(f, FolioField::Mapping), K::Write, label, nullptr,
	      folioObject(f, FolioField::Rmap));
	Event e = makeEvent(Event::Kind::MappingWritten, self());
	e.folio = f;
	e.oldValue = static_cast<std::uint64_t>(world_.folios[f].mapping);
	e.newValue = static_cast<std::uint64_t>(a);
	e.label = label;
	world_.folios[f].mapping = a;
	world_.events.push_back(e);
}

std::uint64_t Kernel::readIndex(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Index), K::Read, label);
	return world_.folios[f].index;
}

void Kernel::writeIndex(FolioIdx f, std::uint64_t index, const char *label)
{
	point(folioObject(f, FolioField::Index), K::Write, label, nullptr,
	      folioObject(f, FolioField::Rmap));
	Event e = makeEvent(Event::Kind::IndexWritten, self());
	e.folio = f;
	e.oldValue = world_.folios[f].index;
	e.newValue = index;
	e.label = label;
	world_.folios[f].index = index;
	world_.events.push_back(e);
}

int Kernel::readMapcount(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Mapcount), K::Read, label);
	return world_.folios[f].mapcount;
}

int Kernel::readRefcount(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::Read, label);
	return world_.folios[f].refcount;
}

void Kernel::addRefcount(FolioIdx f, int delta, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::ReadModifyWrite, label);
	world_.folios[f].refcount += delta;
}

void Kernel::addMapcount(FolioIdx f, int delta, const char *label)
{
	point(folioObject(f, FolioField::Mapcount), K::ReadModifyWrite, label);
	world_.folios[f].mapcount += delta;
}

void Kernel::folioPut(FolioIdx f, int refs, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::ReadModifyWrite, label);
	Folio &fo = world_.folios[f];
	fo.refcount -= refs;
	if (fo.refcount < 0) {
		warn(label, fmt::format("folio {} refcount underflow ({})", fo.name, fo.refcount));
		return;
	}
	if (fo.refcount == 0 && !fo.freed) {
		fo.freed = true;
		Event e = makeEvent(Event::Kind::FolioFreed, self());
		e.folio = f;
		e.label = label;
		event(e);
	}
}

bool Kernel::tryGetFolio(FolioIdx f, int refs, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::ReadModifyWrite, label);
	Folio &fo = world_.folios[f];
	if (fo.refcount <= 0)
		return false;
	fo.refcount += refs;
	return true;
}

bool Kernel::refFreeze(FolioIdx f, int expected, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::ReadModifyWrite, label);
	Folio &fo = world_.folios[f];
	if (fo.refcount != expected)
		return false;
	fo.refcount = 0;
	return true;
}

void Kernel::refUnfreeze(FolioIdx f, int count, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::Write, label);
	world_.folios[f].refcount = count;
}

void Kernel::freeFrozenFolio(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Refcount), K::ReadModifyWrite, label);
	Folio &fo = world_.folios[f];
	if (fo.refcount != 0) {
		warn(label, fmt::format("freeing folio {} with refcount {}", fo.name, fo.refcount));
		return;
	}
	if (fo.freed)
		return;
	fo.freed = true;
	Event e = makeEvent(Event::Kind::FolioFreed, self());
	e.folio = f;
	e.label = label;
	event(e);
}

bool Kernel::readPageAnonExclusive(FolioIdx f, const char *label, ObjectId also)
{
	point(folioObject(f, FolioField::Pae), K::Read, label, nullptr, also);
	return world_.folios[f].pae;
}

void Kernel::writePageAnonExclusive(FolioIdx f, bool pae, const char *label)
{
	point(folioObject(f, FolioField::Pae), K::Write, label);
	if (world_.folios[f].pae && !pae) {
		Event e = makeEvent(Event::Kind::PaeCleared, self());
		e.folio = f;
		e.label = label;
		event(e);
	}
	world_.folios[f].pae = pae;
}

static bool &flagRef(Folio &f, Kernel::Flag flag)
{
	switch (flag) {
	case Kernel::Flag::Swapcache: return f.swapcache;
	case Kernel::Flag::Writeback: return f.writeback;
	case Kernel::Flag::Dirty: return f.dirty;
	case Kernel::Flag::Lru: break;
	}
	return f.lru;
}

static FolioField flagField(Kernel::Flag flag)
{
	return flag == Kernel::Flag::Writeback ? FolioField::Writeback : FolioField::Flags;
}

bool Kernel::readFlag(FolioIdx f, Flag flag, const char *label)
{
	point(folioObject(f, flagField(flag)), K::Read, label);
	return flagRef(world_.folios[f], flag);
}

void Kernel::writeFlag(FolioIdx f, Flag flag, bool value, const char *label)
{
	point(folioObject(f, flagField(flag)), K::Write, label);
	flagRef(world_.folios[f], flag) = value;
}

bool Kernel::testAndClearFlag(FolioIdx f, Flag flag, const char *label)
{
	point(folioObject(f, flagField(flag)), K::ReadModifyWrite, label);
	bool &b = flagRef(world_.folios[f], flag);
	bool was = b;
	b = false;
	return was;
}

SwapIdx Kernel::readFolioSwap(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Flags), K::Read, label);
	return world_.folios[f].swap;
}

void Kernel::writeFolioSwap(FolioIdx f, SwapIdx s, const char *label)
{
	point(folioObject(f, FolioField::Flags), K::Write, label);
	world_.folios[f].swap = s;
}

std::uint64_t Kernel::readContent(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Content), K::Read, label);
	return world_.folios[f].content;
}

void Kernel::writeContent(FolioIdx f, std::uint64_t v, const char *label)
{
	point(folioObject(f, FolioField::Content), K::Write, label);
	world_.folios[f].content = v;
}

FolioIdx Kernel::allocFolio(const char *label, bool locked)
{
	point(mmObject(MmField::FolioAlloc), K::ReadModifyWrite, label);
	std::size_t n = 0;
	for (const Folio &f : world_.folios)
		n += f.name.rfind("new", 0) == 0;
	FolioIdx f = world_.newFolio(fmt::format("new{}", n));
	if (locked) {
		/* __folio_set_locked(): nobody else can see the folio yet */
		Lock &l = *world_.folios[f].lock;
		l.setWriter(self());
		acquired(l, false, true, 0, label);
	}
	return f;
}

void Kernel::waitFolioUnlocked(FolioIdx f, const char *label)
{
	Event e = makeEvent(Event::Kind::MightSleep, self());
	e.folio = f;
	e.label = label;
	event(e);
	world_.bitWait[self()]->set(f, false);
	point(world_.folios[f].lock->id(), K::Wait, label, world_.bitWait[self()].get());
}

void Kernel::spinUntilTryGetCanChange(FolioIdx f, SwapIdx s, const char *label)
{
	World &w = world_;
	SpinWait &sw = *w.spinWait[self()];
	sw.set([&w, f, s] { return w.folios[f].refcount != 0 || w.swap.slots[s].cache != f; },
	       "folio_try_get() of a frozen folio: retry when it is unfrozen or leaves the swap cache");
	point(folioObject(f, FolioField::Refcount), K::Wait, label, &sw, swapObject(s, SwapField::Cache));
}

void Kernel::waitWriteback(FolioIdx f, const char *label)
{
	Event e = makeEvent(Event::Kind::MightSleep, self());
	e.folio = f;
	e.label = label;
	event(e);
	world_.bitWait[self()]->set(f, true);
	point(folioObject(f, FolioField::Writeback), K::Wait, label, world_.bitWait[self()].get());
}

/*
 * The bio's hand-over to the environment is declared as a release of the
 * bio's ghost object: the environment's wait for it is a blocking
 * acquisition that can only come after it, so the race analysis does not
 * try to reverse the two (docs/model.md, I/O completion).
 */
void Kernel::submitBio(int bio, FolioIdx f, bool inlineEnd, const char *label)
{
	point(mmObject(MmField::Bio, static_cast<std::uint64_t>(bio)), K::Release, label);
	Bio &b = world_.bios[bio];
	b.folio = f;
	b.state = inlineEnd ? Bio::State::Done : Bio::State::Submitted;
}

void Kernel::waitBio(int bio, const char *label)
{
	point(mmObject(MmField::Bio, static_cast<std::uint64_t>(bio)), K::Wait, label,
	      world_.bioWait[bio].get());
}

void Kernel::endBio(int bio, const char *label)
{
	Bio &b = world_.bios[bio];
	point(folioObject(b.folio, FolioField::Writeback), K::Write, label, nullptr,
	      mmObject(MmField::Bio, static_cast<std::uint64_t>(bio)));
	world_.folios[b.folio].writeback = false;
	b.state = Bio::State::Done;
}

void Kernel::lruAdd(FolioIdx f, std::uint64_t addr, const char *label)
{
	point(lruObject(addr), K::Write, label);
	world_.lruAt[addr] = f;
}

FolioIdx Kernel::lruFolioAt(std::uint64_t addr, const char *label)
{
	point(lruObject(addr), K::Read, label);
	auto it = world_.lruAt.find(addr);
	return it == world_.lruAt.end() ? kNone : it->second;
}

SwapIdx Kernel::allocSwapSlot(const char *label)
{
	point(mmObject(MmField::SwapAlloc), K::ReadModifyWrite, label);
	for (std::size_t i = 0; i < world_.swap.slots.size(); ++i) {
		SwapSlot &s = world_.swap.slots[i];
		if (s.allocated)
			continue;
		s = SwapSlot{};
		s.allocated = true;
		return static_cast<SwapIdx>(i);
	}
	return kNone;
}

int Kernel::readSwapCount(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Count), K::Read, label);
	return world_.swap.slots[s].count;
}

void Kernel::swapDup(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Count), K::ReadModifyWrite, label);
	++world_.swap.slots[s].count;
}

static void maybeFreeSlot(Kernel &k, World &w, SwapIdx s, const char *label)
{
	SwapSlot &slot = w.swap.slots[s];
	if (!slot.allocated || slot.count > 0 || slot.cache != kNone || slot.pinned)
		return;
	slot.allocated = false;
	Event e{};
	e.kind = Event::Kind::SwapFreed;
	e.task = k.self();
	e.swap = s;
	e.label = label;
	w.events.push_back(e);
}

void Kernel::swapFree(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Count), K::ReadModifyWrite, label,
	      nullptr, mmObject(MmField::SwapAlloc));
	SwapSlot &slot = world_.swap.slots[s];
	if (--slot.count < 0) {
		warn(label, fmt::format("swap slot {} count underflow", s));
		slot.count = 0;
	}
	maybeFreeSlot(*this, world_, s, label);
}

FolioIdx Kernel::swapCacheGet(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Cache), K::Read, label);
	return world_.swap.slots[s].cache;
}

void Kernel::swapCacheAdd(SwapIdx s, FolioIdx f, const char *label)
{
	point(swapObject(s, SwapField::Cache), K::Write, label);
	world_.swap.slots[s].cache = f;
}

void Kernel::swapCacheDel(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Cache), K::Write, label, nullptr,
	      mmObject(MmField::SwapAlloc));
	world_.swap.slots[s].cache = kNone;
	maybeFreeSlot(*this, world_, s, label);
}

int Kernel::swapCacheAddIfAbsent(SwapIdx s, FolioIdx f, FolioIdx &cached, const char *label)
{
	point(swapObject(s, SwapField::Cache), K::ReadModifyWrite, label, nullptr,
	      swapObject(s, SwapField::Count));
	SwapSlot &slot = world_.swap.slots[s];
	cached = slot.cache;
	if (!slot.allocated || slot.count == 0)
		return -2;	/* -ENOENT */
	if (slot.cache != kNone || slot.pinned)
		return -17;	/* -EEXIST */
	slot.cache = f;
	return 0;
}

int Kernel::swapcachePrepare(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Cache), K::ReadModifyWrite, label, nullptr,
	      swapObject(s, SwapField::Count));
	SwapSlot &slot = world_.swap.slots[s];
	if (!slot.allocated || slot.count == 0)
		return -2;
	if (slot.cache != kNone || slot.pinned)
		return -17;
	slot.pinned = true;
	world_.swapPinnedBy[s] = self();
	return 0;
}

void Kernel::swapcacheClear(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Cache), K::Write, label, nullptr,
	      mmObject(MmField::SwapAlloc));
	world_.swap.slots[s].pinned = false;
	world_.swapPinnedBy[s] = kNoTask;
	maybeFreeSlot(*this, world_, s, label);
}

void Kernel::waitSwapcachePin(SwapIdx s, const char *label)
{
	Event e = makeEvent(Event::Kind::MightSleep, self());
	e.swap = s;
	e.label = label;
	event(e);
	world_.swapWait[self()]->set(s);
	point(swapObject(s, SwapField::Cache), K::Wait, label, world_.swapWait[self()].get());
}

std::uint64_t Kernel::swapReadData(SwapIdx s, const char *label)
{
	point(swapObject(s, SwapField::Data), K::Read, label);
	return world_.swap.slots[s].data;
}

void Kernel::swapWriteData(SwapIdx s, std::uint64_t v, const char *label)
{
	point(swapObject(s, SwapField::Data), K::Write, label);
	world_.swap.slots[s].data = v;
	world_.swap.slots[s].written = true;
}

/*
 * IRQ state is per CPU, and to the explorer it is a lock: a CPU's IRQs-off
 * section holds its Irq object shared, an IPI to that CPU (the handler
 * running there) holds it exclusively from its start to its end. So an IPI
 * waits for the IRQs-off section to end, and the race analysis of DPOR sees
 * the sections as the critical sections they are. These are not kernel
 * locks: no lock events, no lockdep.
 */
void Kernel::localIrqDisable(const char *label)
{
	point(mmObject(MmField::Irq, self()), K::AcquireShared, label, world_.cpuIpi[self()].get());
	world_.irqOff[self()] = true;
}

void Kernel::localIrqEnable(const char *label)
{
	point(mmObject(MmField::Irq, self()), K::ReleaseShared, label);
	world_.irqOff[self()] = false;
}

void Kernel::ipiRun(TaskId c, const char *label, ObjectId also,
		    const std::function<void()> &handler)
{
	point(mmObject(MmField::Irq, c), K::Acquire, label, world_.cpuIpi[c].get(), also);
	world_.ipiHolder[c] = self();
	handler();
	point(mmObject(MmField::Irq, c), K::Release, label);
	world_.ipiHolder[c] = kNoTask;
}

void Kernel::ipiSync(const char *label)
{
	for (TaskId c = 0; c < world_.irqOff.size(); ++c)
		if (c != self())
			ipiRun(c, label, kNoObject, [] {});
}

void Kernel::flushTlbRange(std::uint64_t start, std::uint64_t end, const char *label)
{
	/* flush_tlb_mm_range(): the local flush, then an IPI each CPU answers
	 * when its IRQs are on; the initiator waits for all of them. */
	if (world_.tlbBroadcast) {
		flushTlbRangeBroadcast(start, end, label);
		return;
	}
	for (TaskId c = 0; c < world_.tlb.size(); ++c) {
		auto flush = [&] {
			std::erase_if(world_.tlb[c],
				      [&](const TlbEntry &t) { return t.addr >= start && t.addr < end; });
		};
		if (c == self()) {
			point(mmObject(MmField::Tlb, c), K::Write, label);
			flush();
		} else {
			ipiRun(c, label, mmObject(MmField::Tlb, c), flush);
		}
	}
}

void Kernel::flushTlbRangeBroadcast(std::uint64_t start, std::uint64_t end, const char *label)
{
	/* INVLPGB + TLBSYNC: the hardware invalidates remote TLBs, no IPI.
	 * The invalidation completes only after the CPU's in-flight
	 * translations are done (oracle-rcu: docs/model.md, "broadcast TLB
	 * invalidation"): wait for them, then drop the entries. */
	for (TaskId c = 0; c < world_.tlb.size(); ++c) {
		if (c != self())
			point(mmObject(MmField::HwWalk, c), K::Wait,
			      "broadcast TLB flush: TLBSYNC/DSB waits for in-flight walks",
			      world_.cpuWalk[c].get());
		point(mmObject(MmField::Tlb, c), K::Write, label);
		std::erase_if(world_.tlb[c],
			      [&](const TlbEntry &t) { return t.addr >= start && t.addr < end; });
	}
}

void Kernel::rcuReadLock(const char *label, ObjectId also)
{
	point(mmObject(MmField::Rcu), K::Read, label, nullptr, also);
	++world_.rcuDepth[self()];
}

void Kernel::rcuReadUnlock(const char *label)
{
	point(mmObject(MmField::Rcu), K::Read, label);
	if (--world_.rcuDepth[self()] == 0)
		++world_.rcuExits[self()];
}

void Kernel::synchronizeRcu(const char *label)
{
	Event e = makeEvent(Event::Kind::MightSleep, self());
	e.label = label;
	event(e);
	/* The grace period waits for the readers inside a section now. */
	point(mmObject(MmField::Rcu), K::Write, label);
	auto &waitFor = world_.rcuWaitFor[self()];
	waitFor.clear();
	for (TaskId t = 0; t < world_.rcuDepth.size(); ++t)
		if (t != self() && world_.rcuDepth[t] > 0)
			waitFor.emplace_back(t, world_.rcuExits[t]);
	point(mmObject(MmField::Rcu), K::Wait, label, &world_.rcuSync);
}

int Kernel::readWriteProtectSeq(const char *label)
{
	point(mmObject(MmField::WriteProtectSeq), K::Read, label);
	return world_.writeProtectSeq;
}

void Kernel::userAccessDone(std::uint64_t addr, bool write, std::uint64_t value, bool dma,
			    int gupRef, const char *label)
{
	Event e = makeEvent(write ? Event::Kind::UserWrite : Event::Kind::UserRead, self());
	e.addr = addr;
	e.dma = dma;
	e.gupRef = gupRef;
	e.label = label;
	auto it = world_.memory.find(addr);
	e.known = it != world_.memory.end();	/* the oracle knows the value */
	e.oldValue = e.known ? it->second : 0;
	e.newValue = value;
	if (world_.discarded(addr)) {
		/* racing with MADV_DONTNEED: old data or zero, nothing promised */
		e.known = false;
		if (write)
			forgetAddress(addr);
	} else if (write) {
		/* a store that succeeded at the source of a move in flight is
		 * linearised before the move: its value is the destination's */
		const World::MemForward *fwd = nullptr;
		for (const World::MemForward &f : world_.memForward)
			if (f.from == addr)
				fwd = &f;
		if (fwd)
			storeForwarded(*fwd, value);
		else
			rememberWrite(addr, value);
	} else {
		e.legal = world_.memoryLegal(addr, value);
	}
	event(e);
}

/* lost-write linearisability */
void Kernel::forgetAddress(std::uint64_t addr)
{
	world_.memory.erase(addr);
	world_.memoryAlso.erase(addr);
	world_.memoryStep.erase(addr);
}

void Kernel::rememberWrite(std::uint64_t addr, std::uint64_t value)
{
	world_.memory[addr] = value;
	world_.memoryAlso.erase(addr);
	world_.memoryStep[addr] = exec_.steps();
}

/*
 * A store through a translation of `from` after the move's ghost point
 * (a TLB entry whose flush has not completed): linearised before the move,
 * so the destination holds it, unless the destination was written since
 * the move's ghost point: that write is linearised after the move, but
 * real time puts it before this store, so either may be what a later load
 * returns.
 */
void Kernel::storeForwarded(const World::MemForward &fwd, std::uint64_t value)
{
	auto step = world_.memoryStep.find(fwd.to);
	if (world_.memory.count(fwd.to) && step != world_.memoryStep.end() && step->second > fwd.step) {
		auto &also = world_.memoryAlso[fwd.to];
		if (world_.memory[fwd.to] != value &&
		    std::find(also.begin(), also.end(), value) == also.end())
			also.push_back(value);
		return;
	}
	rememberWrite(fwd.to, value);
}
/* end lost-write linearisability */

static TlbEntry *tlbLookup(World &w, TaskId cpu, std::uint64_t addr)
{
	for (TlbEntry &t : w.tlb[cpu])
		if (t.addr == addr)
			return &t;
	return nullptr;
}

/*
 * A user load or store is one instruction: an IPI (a TLB flush) is taken
 * before or after it, never in the middle. The model holds the CPU's Irq
 * object shared for the instruction, so every step's declared access depends
 * only on what this task already read: the data object is named after the
 * translation was looked up, while no flush can change it.
 */
void Kernel::accessData(FolioIdx f, std::uint64_t addr, bool write, std::uint64_t &value,
			const char *label)
{
	point(folioObject(f, FolioField::Content), write ? K::Write : K::Read, label, nullptr,
	      memObject(addr));
	Folio &fo = world_.folios[f];
	if (write)
		fo.content = value;
	else
		value = fo.content;
	userAccessDone(addr, write, value, false, -1, label);
}

/* oracle-rcu: a user instruction's translation in flight (broadcast flush only) */
void Kernel::hwInstrBegin()
{
	if (!world_.tlbBroadcast)
		return;
	point(mmObject(MmField::HwWalk, self()), K::AcquireShared,
	      "user access: translation in flight (a broadcast flush waits for it)",
	      world_.cpuWalk[self()].get());
	world_.hwInFlight[self()] = true;
}

void Kernel::hwInstrEnd()
{
	if (!world_.tlbBroadcast)
		return;
	point(mmObject(MmField::HwWalk, self()), K::ReleaseShared, "user access: translation done");
	world_.hwInFlight[self()] = false;
}

bool Kernel::tlbAccess(std::uint64_t addr, bool write, std::uint64_t &value, const char *label)
{
	hwInstrBegin();
	point(mmObject(MmField::Irq, self()), K::AcquireShared,
	      "user access: TLB lookup (one instruction: no IPI until it ends)",
	      world_.cpuIpi[self()].get(), mmObject(MmField::Tlb, self()));
	world_.irqOff[self()] = true;
	TlbEntry *t = tlbLookup(world_, self(), addr);
	bool ok = false;
	if (t && write && !t->writable) {
		/* A write to a read-only TLB entry faults; the entry is dropped. */
		std::erase_if(world_.tlb[self()], [&](const TlbEntry &x) { return x.addr == addr; });
	} else if (t && write && !t->dirty) {
		ok = tlbSetDirty(addr, t->folio, value, label);
	} else if (t) {
		accessData(t->folio, addr, write, value, label);
		ok = true;
	}
	hwInstrEnd();
	localIrqEnable("user access: instruction done");
	return ok;
}

/*
 * x86: a store through a TLB entry whose dirty bit is clear does not just
 * write. The CPU walks the page table again and sets the PTE's D (and A)
 * bit with a locked operation, provided the PTE is still present and
 * writable; otherwise the entry is invalidated and the store faults (here:
 * the caller retries with a fresh walk, then the fault path). The model
 * also requires the PTE to still map the entry's folio (a PTE that was
 * changed to map another page is a fresh translation: the caller's walk
 * fills it). Called inside the instruction (IRQs held off for IPIs).
 */
bool Kernel::tlbSetDirty(std::uint64_t addr, FolioIdx folio, std::uint64_t &value,
			 const char *label)
{
	auto drop = [&] {
		std::erase_if(world_.tlb[self()],
			      [&](const TlbEntry &x) { return x.addr == addr; });
	};
	PmdIdx p = world_.pmdFor(addr);
	if (p == kNone) {
		drop();
		return false;
	}
	Pmd pmd = readPmd(p, "store through a clean TLB entry: page walk to set D, read PMD");
	if (!pmd.isTable()) {
		drop();
		return false;
	}
	PteRef r = world_.pteIn(pmd.table, addr);
	point(r.object(), K::ReadModifyWrite,
	      "store through a clean TLB entry: locked walk, read PTE, set D bit", nullptr,
	      tableObject(r.table));
	if (world_.tables[r.table].freed)
		staleTable(r.table, label);
	Pte &pte = world_.pte(r);
	drop();
	if (!(pte.present() && pte.writable && pte.folio == folio))
		return false;
	pte.young = true;
	pte.dirty = true;
	world_.tlb[self()].push_back({addr, folio, true, true, exec_.steps()});
	accessData(folio, addr, true, value, label);
	return true;
}

bool Kernel::hwWalk(std::uint64_t addr, bool write, std::uint64_t &value, const char *label)
{
	PmdIdx p = pmdLookup(addr, "hardware page-table walk: no PMD");
	if (p == kNone)
		return false;
	localIrqDisable("hardware page-table walk: one instruction (no IPI until it ends)");
	hwInstrBegin();
	Pmd pmd = readPmd(p, "hardware page-table walk: read PMD");
	if (!pmd.isTable()) {
		hwInstrEnd();
		localIrqEnable("hardware page-table walk: done");
		return false;
	}
	PteRef r = world_.pteIn(pmd.table, addr);
	/* The walker reads the PTE and sets the accessed and dirty bits
	 * atomically (a locked RMW), then fills the TLB. */
	point(r.object(), K::ReadModifyWrite, "hardware page-table walk: read PTE, set A/D bits",
	      nullptr, tableObject(r.table));
	if (world_.tables[r.table].freed)
		staleTable(r.table, label);
	Pte &pte = world_.pte(r);
	bool ok = false;
	if (pte.present() && (!write || pte.writable)) {
		pte.young = true;
		if (write)
			pte.dirty = true;
		FolioIdx f = pte.folio;
		world_.tlb[self()].push_back({addr, f, pte.writable, pte.dirty, exec_.steps()});
		accessData(f, addr, write, value, label);
		ok = true;
	}
	hwInstrEnd();
	localIrqEnable("hardware page-table walk: done");
	return ok;
}

void Kernel::dmaAccess(int ref, bool write, std::uint64_t &value, const char *label)
{
	/* A copy for the declaration, and the element indexed again after
	 * point(): other tasks run there, and their GUP may grow gupRefs and
	 * move its elements (a reference held across the point dangled: the
	 * SIGSEGV of issue 10, seen once in 71 runs), while a mremap may move
	 * the reference's address (moveMemory) */
	const GupRef before = world_.gupRefs[ref];
	point(folioObject(before.folio, FolioField::Content), write ? K::Write : K::Read, label,
	      nullptr, memObject(before.addr));
	const GupRef &g = world_.gupRefs[ref];
	Folio &f = world_.folios[g.folio];
	if (write)
		f.content = value;
	else
		value = f.content;
	userAccessDone(g.addr, write, value, true, ref, label);
}

void Kernel::forgetMemory(std::uint64_t start, std::uint64_t end, const char *label)
{
	for (std::uint64_t a = start; a < end; a += kPageSize) {
		point(memObject(a), K::Write, label);
		forgetAddress(a);
		for (std::size_t i = 0; i < world_.gupRefs.size(); ++i)
			if (world_.gupRefs[i].addr == a)
				world_.gupRefRemapped[i] = true;
	}
	/* The range's translations are flushed: no store reaches a move's
	 * source or destination here through them any more. */
	std::erase_if(world_.memForward, [&](const World::MemForward &f) {
		return (f.from >= start && f.from < end) || (f.to >= start && f.to < end);
	});
}

void Kernel::discardMemoryBegin(std::uint64_t start, std::uint64_t end, const char *label)
{
	for (std::uint64_t a = start; a < end; a += kPageSize)
		point(memObject(a), K::Write, label);
	world_.discarding.push_back({self(), start, end});
}

void Kernel::discardMemoryEnd(std::uint64_t start, std::uint64_t end, const char *label)
{
	forgetMemory(start, end, label);
	auto &d = world_.discarding;
	for (auto it = d.begin(); it != d.end(); ++it)
		if (it->task == self() && it->start == start && it->end == end) {
			d.erase(it);
			break;
		}
}

void Kernel::zeroFillMemory(std::uint64_t addr, const char *label)
{
	point(memObject(addr), K::Write, label);
	if (world_.memory.emplace(addr, 0).second)
		world_.memoryStep[addr] = exec_.steps();
	/* a new page is mapped at addr: later stores there reach it, not the
	 * page a move took away (a fault there waits for the move's VMA write
	 * lock, so this is a guard-off schedule) */
	std::erase_if(world_.memForward, [&](const World::MemForward &f) { return f.from == addr; });
}

int Kernel::recordGupRef(FolioIdx f, std::uint64_t addr, bool pin, bool write)
{
	GupRef g;
	g.task = self();
	g.folio = f;
	g.addr = addr;
	g.pin = pin;
	g.write = write;
	g.step = exec_.steps();
	auto id = static_cast<int>(world_.gupRefs.size());
	world_.gupRefs.push_back(g);
	world_.gupRefRemapped.push_back(false);
	Event e = makeEvent(Event::Kind::PinTaken, self());
	e.gupRef = id;
	e.folio = f;
	e.addr = addr;
	event(e);
	return id;
}

void Kernel::releaseGupRef(int ref)
{
	world_.gupRefs[ref].released = true;
	Event e = makeEvent(Event::Kind::PinReleased, self());
	e.gupRef = ref;
	e.folio = world_.gupRefs[ref].folio;
	event(e);
}

/* khugepaged */
AnonVmaIdx Kernel::readVmaAnonVma(VmaIdx v, const char *label)
{
	point(vmaAnonVmaObject(v), K::Read, label);
	return world_.vmas[v].anonVma;
}

void Kernel::writeVmaAnonVma(VmaIdx v, AnonVmaIdx a, const char *label)
{
	point(vmaAnonVmaObject(v), K::Write, label);
	world_.vmas[v].anonVma = a;
}

void Kernel::pteFreeDefer(TableIdx t, const char *label)
{
	/* call_rcu(): the grace period starts now; it waits for the read
	 * sections already begun (the explicit ones, as synchronizeRcu()) */
	point(mmObject(MmField::Rcu), K::Write, "pte_free_defer: call_rcu(&page->rcu_head, pte_free_now)");
	auto &waitFor = world_.rcuWaitFor[self()];
	waitFor.clear();
	for (TaskId c = 0; c < world_.rcuDepth.size(); ++c)
		if (c != self() && world_.rcuDepth[c] > 0)
			waitFor.emplace_back(c, world_.rcuExits[c]);
	/* oracle-rcu: IRQs-off sections are RCU readers too (GUP-fast's
	 * local_irq_save(): one RCU flavour since the consolidation) */
	std::vector<TaskId> irqOff;
	for (TaskId c = 0; c < world_.irqOff.size() && guard(Guard::PteFreeDeferIrqsOffReaders); ++c)
		if (c != self() && world_.irqOff[c])
			irqOff.push_back(c);
	point(mmObject(MmField::Rcu), K::Wait, "pte_free_defer: RCU grace period (rcu_read_lock() sections)",
	      &world_.rcuSync);
	for (TaskId c : irqOff)
		ipiRun(c, "pte_free_defer: RCU grace period (an IRQs-off section: GUP-fast)", kNoObject,
		       [] {});
	/* ... and the __pte_offset_map() sections that can still reach t: only
	 * those read the PMD before it was cleared, so none begins later;
	 * each ends at a release of t's PTL, which this wait conflicts with */
	world_.pteMapWait[self()]->set(t);
	point(world_.tables[t].ptl->id(), K::Wait,
	      "pte_free_defer: RCU grace period (__pte_offset_map() readers of the table)",
	      world_.pteMapWait[self()].get(), tableObject(t));
	freeTable(t, label);
}

void Kernel::ghostUserWrite(std::uint64_t addr, std::uint64_t value, const char *label)
{
	point(memObject(addr), K::Write, label);
	/* the kernel installed a new page at addr (not through a stale TLB) */
	std::erase_if(world_.memForward, [&](const World::MemForward &f) { return f.from == addr; });
	userAccessDone(addr, true, value, false, -1, label);
}
/* end khugepaged */

void Kernel::warn(const char *label, std::string condition)
{
	Event e = makeEvent(Event::Kind::Warn, self());
	e.label = label;
	e.text = std::move(condition);
	event(e);
}

std::vector<VmaIdx> Kernel::readAnonVmaTree(AnonVmaIdx a, const char *label)
{
	point(anonVmaObject(a, AnonVmaField::Vmas), K::Read, label);
	return world_.anonVmas[a].vmas;
}

bool Kernel::anonVmaTryGet(AnonVmaIdx a, const char *label)
{
	point(anonVmaObject(a, AnonVmaField::Refcount), K::ReadModifyWrite, label);
	if (world_.anonVmas[a].refcount == 0)
		return false;
	++world_.anonVmas[a].refcount;
	return true;
}

void Kernel::anonVmaPut(AnonVmaIdx a, const char *label)
{
	point(anonVmaObject(a, AnonVmaField::Refcount), K::ReadModifyWrite, label);
	--world_.anonVmas[a].refcount;
}

void Kernel::anonVmaTreeRemove(AnonVmaIdx a, VmaIdx v, const char *label)
{
	point(anonVmaObject(a, AnonVmaField::Vmas), K::Write, label);
	std::erase(world_.anonVmas[a].vmas, v);
}

void Kernel::iMmapInsert(VmaIdx v, const char *label)
{
	const FileIdx file = world_.vmas[v].file;
	point(mmObject(MmField::IMmap, static_cast<std::uint64_t>(file)), K::Write, label);
	auto &tree = world_.files[file].iMmap;
	const std::uint64_t pgoff = world_.vmas[v].pgoff;
	auto it = tree.begin();
	for (auto i = tree.begin(); i != tree.end(); ++i)
		if (world_.vmas[*i].pgoff <= pgoff)
			it = std::next(i);
	tree.insert(it, v);
}

void Kernel::iMmapRemove(VmaIdx v, const char *label)
{
	const FileIdx file = world_.vmas[v].file;
	point(mmObject(MmField::IMmap, static_cast<std::uint64_t>(file)), K::Write, label);
	std::erase(world_.files[file].iMmap, v);
}

void Kernel::linkVma(VmaIdx v, const char *label)
{
	point(vmaObject(v), K::Write, label, nullptr, mmObject(MmField::VmaTree));
	world_.vmas[v].detached = false;
}

void Kernel::anonVmaTreeInsert(AnonVmaIdx a, VmaIdx v, const char *label)
{
	point(anonVmaObject(a, AnonVmaField::Vmas), K::Write, label);
	auto &tree = world_.anonVmas[a].vmas;
	const std::uint64_t pgoff = world_.vmas[v].pgoff;
	auto it = tree.begin();
	/* in-order position: after every VMA whose start pgoff is <= ours */
	for (auto i = tree.begin(); i != tree.end(); ++i)
		if (world_.vmas[*i].pgoff <= pgoff)
			it = std::next(i);
	tree.insert(it, v);
}

void Kernel::moveMemory(std::uint64_t from, std::uint64_t to, std::uint64_t len,
			const char *label)
{
	const std::uint64_t begin = world_.opBegin[self()];
	for (std::uint64_t off = 0; off < len; off += kPageSize) {
		const std::uint64_t src = from + off, dst = to + off;
		point(memObject(src), K::Write, label, nullptr, memObject(dst));
		auto it = world_.memory.find(src);
		if (it != world_.memory.end()) {
			auto dstStep = world_.memoryStep.find(dst);
			const bool dstWritten = world_.memory.count(dst) &&
						dstStep != world_.memoryStep.end() &&
						dstStep->second >= begin;
			const bool srcWritten = world_.memoryStep.count(src) &&
						world_.memoryStep[src] >= begin;
			std::vector<std::uint64_t> values{it->second};
			if (auto al = world_.memoryAlso.find(src); al != world_.memoryAlso.end())
				values.insert(values.end(), al->second.begin(), al->second.end());
			if (!dstWritten) {
				/* nothing reached the destination since the move began */
				world_.memory[dst] = values.front();
				world_.memoryAlso.erase(dst);
				if (values.size() > 1)
					world_.memoryAlso[dst].assign(values.begin() + 1, values.end());
				world_.memoryStep[dst] = exec_.steps();
			} else if (srcWritten) {
				/* both written while the move ran: a store at the
				 * destination (after the move) and one at the source
				 * (before it, as far as linearisation goes, but perhaps
				 * later in real time, through a stale translation) */
				auto &also = world_.memoryAlso[dst];
				for (std::uint64_t v : values)
					if (v != world_.memory[dst] &&
					    std::find(also.begin(), also.end(), v) == also.end())
						also.push_back(v);
			}
			/* else the destination's write is newer than the source's
			 * value in every linearisation: it stays */
			forgetAddress(src);
		}
		/* Stores still reaching the source through translations the move
		 * has not flushed yet are the destination's (until forgetMemory()
		 * of the source, after its flush, or the end of the op). */
		world_.memForward.push_back({self(), src, dst, exec_.steps()});
		/* A GUP reference follows the page: the user sees it at `to` now. */
		for (GupRef &g : world_.gupRefs)
			if (g.addr == src)
				g.addr = dst;
	}
}

void Kernel::detachVma(VmaIdx v, const char *label)
{
	point(vmaObject(v), K::Write, label, nullptr, mmObject(MmField::VmaTree));
	world_.vmas[v].detached = true;
}

void Kernel::setVmaRange(VmaIdx v, std::uint64_t start, std::uint64_t end, std::uint64_t pgoff,
			 const char *label)
{
	point(vmaObject(v), K::Write, label, nullptr, mmObject(MmField::VmaTree));
	Vma &vma = world_.vmas[v];
	vma.start = start;
	vma.end = end;
	vma.pgoff = pgoff;
}

int Kernel::beginWalk(FolioIdx f, AnonVmaIdx a, const char *walker, bool heuristic,
		      const char *label, FolioIdx migrationOf)
{
	point(folioObject(f, FolioField::Index), K::Read, label, nullptr,
	      folioObject(f, FolioField::Rmap),
	      migrationOf == kNone ? kNoObject : folioObject(migrationOf, FolioField::Rmap));
	RmapWalk w;
	w.task = self();
	w.walker = walker;
	w.heuristic = heuristic;
	w.folio = f;
	w.anonVma = a;
	w.pgoff = world_.folios[f].index;
	w.beginStep = exec_.steps();
	w.throughout = world_.mappingsOf(f);
	if (migrationOf != kNone) {
		w.migrationOf = migrationOf;
		w.throughout.clear();
		for (const PteRef &r : world_.entriesReferring(migrationOf))
			if (world_.pte(r).isMigration())
				w.throughout.push_back(r);
	}
	w.active = true;
	auto id = static_cast<int>(world_.walks.size());
	world_.walks.push_back(std::move(w));
	Event e = makeEvent(Event::Kind::WalkBegin, self());
	e.walk = id;
	e.folio = f;
	e.label = label;
	world_.events.push_back(e);
	return id;
}

void Kernel::visitWalk(int walk, PteRef r)
{
	world_.walks[walk].visited.push_back(r);
}

void Kernel::endWalk(int walk, const char *label)
{
	FolioIdx m = world_.walks[walk].migrationOf;
	point(folioObject(world_.walks[walk].folio, FolioField::Rmap), K::Read, label, nullptr,
	      m == kNone ? kNoObject : folioObject(m, FolioField::Rmap));
	world_.walks[walk].active = false;
	Event e = makeEvent(Event::Kind::WalkEnd, self());
	e.walk = walk;
	e.folio = world_.walks[walk].folio;
	e.label = label;
	world_.events.push_back(e);
}

} // namespace mmrace::model
