/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Guards as the model code tests them: an enum in registry order (checked
 * at startup against model::allGuards()), so a guard test on the hot path is
 * a bit test, not a string compare.
 */

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

namespace mmrace::model {

enum class Guard : std::uint8_t {
	FolioReferencedFolioTrylock,
	RecheckMapping,
	UffdMoveFolioLock,
	UffdMoveTrylockUnderPtl,
	UffdMoveAnonVmaWriteLock,
	UffdMoveDoublePtLock,
	UffdMovePteSame,
	UffdMovePinnedRecheck,
	PteOffsetMapLockPmdSame,
	/* access (faults) */
	DoAnonymousPagePteNoneRecheck,
	DoSwapPageSwapcacheRecheck,
	DoSwapPagePteSame,
	DoSwapPageStableWritesDropExclusive,
	WpPageCopyPteSame,
	/* end access */
	/* gup */
	GupFastIrqDisable,
	GupFastPteRecheck,
	MunmapTlbFlushBeforeFree,
	MunmapPgtableFreeIpiSync,
	/* end gup */
	/* migrate */
	MigrateExpectedRefcount,
	TryToMigrateOneFlush,
	TryToMigrateOnePinnedCheck,
	/* end migrate */
	/* reclaim */
	TryToUnmapOnePinnedCheck,
	ShrinkFolioListFlushBeforeIo,
	RemoveMappingRefFreeze,
	ShrinkFolioListFlushBeforeFree,
	/* end reclaim */
	/* mremap */
	TryRealignAddrCanAlignDown,
	MovePageTablesRealignReturnGuard,
	MovePtesFlushBeforeUnlock,
	MovePgtEntryTakeRmapLocks,
	RelocateAnonPteWaitMigrationEntry,
	RelocateAnonPteRelocateSwapcache,
	RelocateAnonPteClearThenCheckPinned,
	RelocateAnonPteFolioTrylock,
	RelocateAnonPteNoPaeWarning,
	RelocateAnonPteUndoRelocatesPinned,
	RelocateAnonFoliosHoldFolioLocks,
	/* end mremap */
	/* khugepaged */
	RetractPageTablesAnonVmaRecheck,
	/* end khugepaged */
	/* mremap-shapes */
	CopyVmaNeedRmapLocks,
	CanAlignDownVmaStart,
	VmaPrepareAnonVmaLock,
	/* end mremap-shapes */
	/* guards-audit */
	MfillAtomicInstallPtePteNoneRecheck,
	RetractPageTablesPteFreeDefer,
	HandlePteFaultPteSame,
	RetractPageTablesPmdRecheck,
	/* end guards-audit */
	Count,
};

static_assert(static_cast<std::size_t>(Guard::Count) <= 64, "GuardSet holds 64 guards");

class GuardSet {
public:
	/* The guard test of the model's hot path: a bit test, and a bit set
	 * recording that the guard's check was reached (coverage). */
	bool on(Guard g) const
	{
		const auto i = static_cast<std::size_t>(g);
		reached_.set(i);
		return !off_.test(i);
	}
	void setOff(Guard g) { off_.set(static_cast<std::size_t>(g)); }
	/* Names of the guards that are off, in registry order. */
	std::vector<std::string> offNames() const;
	const std::bitset<64> &offBits() const { return off_; }

	/*
	 * Coverage: the guards whose on() was called since this set was
	 * made (a copy starts empty). Each World owns its copy and one
	 * thread runs it, so the mutable record needs no synchronisation;
	 * never test one GuardSet from several threads.
	 */
	const std::bitset<64> &reached() const { return reached_; }
	/* Guard names of the set bits, in registry order. */
	static std::vector<std::string> namesOf(const std::bitset<64> &bits);

	/*
	 * A preset (may be empty) plus extra guards off. Returns an error
	 * message for an unknown name, else empty.
	 */
	static std::string build(const std::string &preset, const std::vector<std::string> &off,
				 GuardSet &out);

	GuardSet() = default;
	GuardSet(const GuardSet &o) : off_(o.off_) {}
	GuardSet &operator=(const GuardSet &o)
	{
		off_ = o.off_;
		reached_.reset();
		return *this;
	}

private:
	std::bitset<64> off_;
	mutable std::bitset<64> reached_;
};

} // namespace mmrace::model
