/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freeing swap cache folios and swap entries (mm/swapfile.c), shared by the
 * fault path (do_swap_page(), free_swap_cache()) and the zap path
 * (zap_nonpresent_ptes() -> free_swap_and_cache_nr()):
 *
 *   folio_free_swap(folio)            the folio is locked by the caller
 *     folio_swapcache_freeable(): in the swap cache, not under writeback
 *     folio_swapped(): no swap entry still refers to it
 *     swap_cache_del_folio(); folio_set_dirty()
 *
 *   free_swap_and_cache_nr(entry, 1)
 *     swap_put_entries...(): the count drops; the slot stays while the
 *       swap cache holds a folio for it (SWAP_HAS_CACHE)
 *     swap_only_has_cache() -> __try_to_reclaim_swap(si, offset,
 *                                         TTRS_UNMAPPED | TTRS_FULL)
 *       swap_cache_get_folio() (a reference); folio_trylock() (a trylock:
 *       the caller holds the PTL); folio_matches_swap_entry() else retry;
 *       need_reclaim = TTRS_UNMAPPED && !folio_mapped() (TTRS_FULL:
 *       mem_cgroup_swap_full() is false in the model: swap is never
 *       nearly full); folio_swapcache_freeable(); under the cluster lock
 *       swap_only_has_cache(); swap_cache_del_folio(); folio_set_dirty()
 *
 * Reduced from mm/swapfile.c (linux-next @09f03682): one device, small
 * folios, no cluster lock (the slot's count and cache fields are the
 * shared objects; each access is one step), no zswap.
 */
#include "ops.hpp"

namespace mmrace::model {

bool folioFreeSwap(Kernel &k, FolioIdx f)
{
	if (!k.readFlag(f, Kernel::Flag::Swapcache, "folio_free_swap: folio_test_swapcache()"))
		return false;
	if (k.readFlag(f, Kernel::Flag::Writeback, "folio_free_swap: folio_test_writeback()"))
		return false;
	/* folio->swap is stable under the folio lock */
	SwapIdx s = k.world().folios[f].swap;
	if (k.readSwapCount(s, "folio_free_swap: folio_swapped()") > 0)
		return false;
	k.swapCacheDel(s, "delete_from_swap_cache: __swap_cache_del_folio()");
	k.writeFlag(f, Kernel::Flag::Swapcache, false, "__swap_cache_del_folio: folio_clear_swapcache()");
	k.folioPut(f, 1, "delete_from_swap_cache: folio_ref_sub(folio, nr)");
	k.writeFlag(f, Kernel::Flag::Dirty, true, "folio_free_swap: folio_set_dirty()");
	return true;
}

namespace {

/* __try_to_reclaim_swap(si, offset, TTRS_UNMAPPED | TTRS_FULL) */
void tryToReclaimSwap(Kernel &k, SwapIdx s)
{
	for (;;) { /* again: */
		/* swap_cache_get_folio(): the lookup and folio_try_get() */
		FolioIdx f = k.swapCacheGet(s, "__try_to_reclaim_swap: swap_cache_get_folio()");
		if (f == kNone)
			return;
		if (!k.tryGetFolio(f, 1, "swap_cache_get_folio: folio_try_get()")) {
			k.spinUntilTryGetCanChange(f, s, "swap_cache_get_folio: folio_try_get() "
							 "failed, look up again");
			continue;
		}
		Lock &l = *k.world().folios[f].lock;
		if (!k.trylock(l, "__try_to_reclaim_swap: folio_trylock()")) {
			k.folioPut(f, 1, "__try_to_reclaim_swap: out: folio_put()");
			return;
		}
		/* folio_matches_swap_entry(): it may have left the cache */
		if (!k.readFlag(f, Kernel::Flag::Swapcache,
				"__try_to_reclaim_swap: folio_matches_swap_entry(): "
				"folio_test_swapcache()") ||
		    k.readFolioSwap(f, "__try_to_reclaim_swap: folio_matches_swap_entry(): "
				       "folio->swap") != s) {
			k.unlock(l, "__try_to_reclaim_swap: folio_unlock()");
			k.folioPut(f, 1, "__try_to_reclaim_swap: folio_put()");
			continue;
		}
		/* need_reclaim: TTRS_UNMAPPED && !folio_mapped() */
		bool need = k.readMapcount(f, "__try_to_reclaim_swap: folio_mapped()") == 0;
		/* folio_swapcache_freeable(): not under writeback */
		if (need && !k.readFlag(f, Kernel::Flag::Writeback,
					"folio_swapcache_freeable: folio_test_writeback()") &&
		    k.readSwapCount(s, "__try_to_reclaim_swap: swap_only_has_cache()") == 0) {
			k.swapCacheDel(s, "__try_to_reclaim_swap: swap_cache_del_folio()");
			k.writeFlag(f, Kernel::Flag::Swapcache, false,
				    "swap_cache_del_folio: folio_clear_swapcache()");
			k.folioPut(f, 1, "swap_cache_del_folio: folio_ref_sub(folio, nr)");
			k.writeFlag(f, Kernel::Flag::Dirty, true,
				    "__try_to_reclaim_swap: folio_set_dirty()");
		}
		k.unlock(l, "__try_to_reclaim_swap: out_unlock: folio_unlock()");
		k.folioPut(f, 1, "__try_to_reclaim_swap: out: folio_put()");
		return;
	}
}

} // namespace

void freeSwapAndCache(Kernel &k, SwapIdx s)
{
	k.swapFree(s, "free_swap_and_cache_nr: swap_put_entries()");
	/* "Now go back over the range trying to reclaim the swap cache":
	 * READ_ONCE(si->swap_map[offset]) == SWAP_HAS_CACHE (the count read
	 * here, the cache in the lookup) */
	if (k.readSwapCount(s, "free_swap_and_cache_nr: READ_ONCE(si->swap_map[offset])") > 0)
		return;
	tryToReclaimSwap(k, s);
}

} // namespace mmrace::model
