/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Typed indices into the per-execution World, and their encoding as the
 * scheduler's opaque ObjectId: kind (8 bits) | index (48 bits) | field (8).
 */

#include <cstdint>

#include "scheduler/access.hpp"

namespace mmrace::model {

using FolioIdx = std::int32_t;
using AnonVmaIdx = std::int32_t;
using VmaIdx = std::int32_t;
using TableIdx = std::int32_t;
using PmdIdx = std::int32_t;
using SwapIdx = std::int32_t;	/* swap slot offset on the (single) swap device */
using FileIdx = std::int32_t;	/* a file (its address_space) mapped by file VMAs */
inline constexpr std::int32_t kNone = -1;

enum class ObjKind : std::uint8_t {
	Lock = 1,
	Pte,
	Folio,
	AnonVma,
	Pmd,		/* one PMD entry */
	Table,		/* a PTE table page itself: freeing it writes this */
	Swap,		/* one swap slot: count, swapcache entry, data */
	Mm,		/* per-mm singletons, see MmField */
	Vma,
	Mem,		/* ghost: the logical memory at one user page (I-8) */
};

/* Per-mm objects (index 0) and per-CPU ones (index = the task's CPU). */
enum class MmField : std::uint8_t {
	Tlb,		/* per CPU: its TLB entries for this mm */
	Irq,		/* per CPU: IRQs off, as IPIs see it */
	Rcu,		/* RCU read sections and grace periods */
	FolioAlloc,	/* the page allocator (new folios get the next index) */
	SwapAlloc,	/* the swap slot allocator */
	WriteProtectSeq,	/* mm->write_protect_seq */
	Pud,		/* the PUD entries (is there a PMD page for a 1 GiB region?) */
	VmaTree,	/* the mm's VMA tree as a lockless (RCU) walk sees it */
	HwWalk,		/* per CPU (oracle-rcu): a user instruction's translation in flight */
	IMmap,		/* index = a file: its mapping->i_mmap tree */
	/* io-completion: one swap write-out bio (index = World::bios), ghost:
	 * whether it was submitted and completed */
	Bio,
};

enum class FolioField : std::uint8_t {
	Mapping,
	Index,
	Refcount,
	Mapcount,
	Flags, /* PG_swapcache, PG_writeback, PG_dirty, PG_lru, folio->swap */
	/* Ghost: "the set of entries mapping this folio". A PTE store that maps
	 * or unmaps the folio writes it; an rmap walk's start reads it. */
	Rmap,
	Pae,	 /* PageAnonExclusive of its page */
	Content, /* the page's data */
	/* io-completion: PG_writeback on its own (an atomic bit of the flags
	 * word: its set and clear commute with the other flags' bit ops), so
	 * the environment's folio_end_writeback() races only with the steps
	 * that test or wait for it */
	Writeback,
};

enum class AnonVmaField : std::uint8_t { Vmas, Refcount };
enum class SwapField : std::uint8_t { Count, Cache, Data };

constexpr ObjectId objectId(ObjKind k, std::uint64_t index, std::uint8_t field = 0)
{
	return (static_cast<ObjectId>(k) << 56) | (index << 8) | field;
}

constexpr ObjKind objKind(ObjectId id)
{
	return static_cast<ObjKind>(id >> 56);
}

constexpr std::uint64_t objIndex(ObjectId id)
{
	return (id >> 8) & ((std::uint64_t{1} << 48) - 1);
}

constexpr std::uint8_t objField(ObjectId id)
{
	return static_cast<std::uint8_t>(id & 0xff);
}

constexpr ObjectId folioObject(FolioIdx f, FolioField field)
{
	return objectId(ObjKind::Folio, static_cast<std::uint64_t>(f), static_cast<std::uint8_t>(field));
}

constexpr ObjectId anonVmaObject(AnonVmaIdx a, AnonVmaField field)
{
	return objectId(ObjKind::AnonVma, static_cast<std::uint64_t>(a), static_cast<std::uint8_t>(field));
}

constexpr ObjectId pmdObject(PmdIdx p)
{
	return objectId(ObjKind::Pmd, static_cast<std::uint64_t>(p));
}

constexpr ObjectId tableObject(TableIdx t)
{
	return objectId(ObjKind::Table, static_cast<std::uint64_t>(t));
}

constexpr ObjectId swapObject(SwapIdx s, SwapField field)
{
	return objectId(ObjKind::Swap, static_cast<std::uint64_t>(s), static_cast<std::uint8_t>(field));
}

constexpr ObjectId mmObject(MmField field, std::uint64_t cpu = 0)
{
	return objectId(ObjKind::Mm, cpu, static_cast<std::uint8_t>(field));
}

constexpr ObjectId vmaObject(VmaIdx v)
{
	return objectId(ObjKind::Vma, static_cast<std::uint64_t>(v));
}

/* vma->anon_vma (set once by __anon_vma_prepare(), read racily by
 * retract_page_tables()); field 0 is the VMA's place in the mm's tree */
constexpr ObjectId vmaAnonVmaObject(VmaIdx v)
{
	return objectId(ObjKind::Vma, static_cast<std::uint64_t>(v), 1);
}

constexpr ObjectId memObject(std::uint64_t addr)
{
	return objectId(ObjKind::Mem, addr / 4096);
}

/* Ghost: the LRU's folio for one user page (World::lruAt), the folio a
 * `reclaim` at that address isolates */
constexpr ObjectId lruObject(std::uint64_t addr)
{
	return objectId(ObjKind::Mem, addr / 4096, 1);
}

/* One PTE: its table and slot (address bits 12-20). */
struct PteRef {
	TableIdx table = kNone;
	std::uint32_t slot = 0;

	bool operator==(const PteRef &) const = default;
	ObjectId object() const
	{
		return objectId(ObjKind::Pte, static_cast<std::uint64_t>(table) * 512 + slot);
	}
};

} // namespace mmrace::model
