/* SPDX-License-Identifier: GPL-2.0 */
#include "kernel.hpp"

#include <algorithm>

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

Pte Kernel::readPte(PteRef r, const char *label)
{
	point(r.object(), K::Read, label);
	return world_.pte(r);
}

Pte Kernel::writePte(PteRef r, const Pte &v, const char *label)
{
	Pte old = world_.pte(r);
	/* A store that maps or unmaps a folio also changes that folio's rmap. */
	FolioIdx f = v.present() ? v.folio : old.present() ? old.folio : kNone;
	point(r.object(), K::Write, label, nullptr,
	      f == kNone ? kNoObject : folioObject(f, FolioField::Rmap));
	old = world_.pte(r);
	world_.pte(r) = v;
	for (RmapWalk &w : world_.walks) {
		if (!w.active)
			continue;
		auto it = std::find(w.throughout.begin(), w.throughout.end(), r);
		bool remapped = old.present() != v.present() || old.folio != v.folio;
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

bool Kernel::readPageAnonExclusive(FolioIdx f, const char *label)
{
	point(folioObject(f, FolioField::Flags), K::Read, label);
	return world_.folios[f].pae;
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

int Kernel::beginWalk(FolioIdx f, AnonVmaIdx a, const char *walker, bool heuristic,
		      const char *label)
{
	point(folioObject(f, FolioField::Index), K::Read, label, nullptr,
	      folioObject(f, FolioField::Rmap));
	RmapWalk w;
	w.task = self();
	w.walker = walker;
	w.heuristic = heuristic;
	w.folio = f;
	w.anonVma = a;
	w.pgoff = world_.folios[f].index;
	w.beginStep = exec_.steps();
	w.throughout = world_.mappingsOf(f);
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
	point(folioObject(world_.walks[walk].folio, FolioField::Rmap), K::Read, label);
	world_.walks[walk].active = false;
	Event e = makeEvent(Event::Kind::WalkEnd, self());
	e.walk = walk;
	e.folio = world_.walks[walk].folio;
	e.label = label;
	world_.events.push_back(e);
}

} // namespace mmrace::model
