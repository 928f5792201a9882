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
inline constexpr std::int32_t kNone = -1;

enum class ObjKind : std::uint8_t { Lock = 1, Pte, Folio, AnonVma };

enum class FolioField : std::uint8_t {
	Mapping,
	Index,
	Refcount,
	Mapcount,
	Flags,
	/* Ghost: "the set of entries mapping this folio". A PTE store that maps
	 * or unmaps the folio writes it; an rmap walk's start reads it. */
	Rmap,
};

enum class AnonVmaField : std::uint8_t { Vmas, Refcount };

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
