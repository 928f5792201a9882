/* SPDX-License-Identifier: GPL-2.0 */
#include "world.hpp"

#include <algorithm>
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
	     const std::vector<std::string> &taskNames)
	: guards_(guards), taskNames_(taskNames)
{
	held.resize(taskNames.size());
	mmapLock.reset(newLock(LockClass::MmapLock, "mm->mmap_lock"));

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
		auto idx = static_cast<VmaIdx>(vmas.size());
		vmas.push_back(vma);
		if (vma.anonVma != kNone) {
			/* anon_vma_chain: linked into its own anon_vma and, for a
			 * forked child, into the root's tree as well. */
			anonVmas[vma.anonVma].vmas.push_back(idx);
			AnonVmaIdx root = anonVmas[vma.anonVma].root;
			if (root != vma.anonVma)
				anonVmas[root].vmas.push_back(idx);
		}
		for (std::uint64_t b = vma.start & ~(kPmdSize - 1); b < vma.end; b += kPmdSize) {
			bool exists = std::any_of(tables.begin(), tables.end(),
						  [&](const PteTable &t) { return t.base == b; });
			if (exists)
				continue;
			PteTable t;
			t.base = b;
			t.ptl.reset(newLock(LockClass::Ptl, fmt::format("ptl({:#x})", b)));
			tables.push_back(std::move(t));
		}
	}

	for (const auto &p : sc.pages) {
		VmaIdx v = findVma(p.at);
		if (v == kNone || vmas[v].anonVma == kNone)
			throw std::invalid_argument(fmt::format("page {:#x} has no anon VMA", p.at));
		Folio f;
		f.name = p.folio;
		/* do_anonymous_page(): folio_add_new_anon_rmap(RMAP_EXCLUSIVE) */
		f.refcount = 1;
		f.mapcount = 1;
		f.pae = true;
		f.mapping = vmas[v].anonVma;
		f.index = vmas[v].pageIndex(p.at);
		f.content = p.content ? p.content : std::hash<std::string>{}(p.folio) | 1;
		f.lock.reset(newLock(LockClass::FolioLock, "folio " + p.folio));
		auto fi = static_cast<FolioIdx>(folios.size());
		folios.push_back(std::move(f));
		Pte &e = pte(pteFor(p.at));
		e = Pte{Pte::Kind::Present, fi, p.writable, p.writable, true};
	}
}

VmaIdx World::findVma(std::uint64_t addr) const
{
	for (std::size_t i = 0; i < vmas.size(); ++i)
		if (vmas[i].contains(addr))
			return static_cast<VmaIdx>(i);
	return kNone;
}

PteRef World::pteFor(std::uint64_t addr) const
{
	std::uint64_t base = addr & ~(kPmdSize - 1);
	for (std::size_t i = 0; i < tables.size(); ++i)
		if (tables[i].base == base)
			return {static_cast<TableIdx>(i), static_cast<std::uint32_t>((addr - base) / kPageSize)};
	throw std::logic_error(fmt::format("no page table covers {:#x}", addr));
}

FolioIdx World::findFolio(const std::string &name) const
{
	for (std::size_t i = 0; i < folios.size(); ++i)
		if (folios[i].name == name)
			return static_cast<FolioIdx>(i);
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
		for (std::uint32_t s = 0; s < 512; ++s)
			if (tables[t].entries[s].mapsFolio(f))
				out.push_back({static_cast<TableIdx>(t), s});
	return out;
}

bool World::holds(TaskId t, const Lock &l) const
{
	return l.heldBy(t);
}

} // namespace mmrace::model
