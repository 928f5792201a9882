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
	/* oracle-rcu */
	PteFreeDeferIrqsOffReaders,
	/* end oracle-rcu */
	Count,
};

class GuardSet {
public:
	bool on(Guard g) const { return !off_.test(static_cast<std::size_t>(g)); }
	void setOff(Guard g) { off_.set(static_cast<std::size_t>(g)); }
	/* Names of the guards that are off, in registry order. */
	std::vector<std::string> offNames() const;

	/*
	 * A preset (may be empty) plus extra guards off. Returns an error
	 * message for an unknown name, else empty.
	 */
	static std::string build(const std::string &preset, const std::vector<std::string> &off,
				 GuardSet &out);

private:
	std::bitset<64> off_;
};

} // namespace mmrace::model
