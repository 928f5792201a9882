/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GUP-fast of one small anon page, and what a driver does with the result:
 *
 *   pin_user_pages_fast() / get_user_pages_fast()    mm/gup.c
 *     gup_fast_fallback() -> gup_fast(start, end, gup_flags, pages)
 *       FOLL_PIN: raw_seqcount_try_begin(&mm->write_protect_seq)
 *       local_irq_save()        [guard gup_fast.irq_disable]
 *       gup_fast_pgd_range .. gup_fast_pmd_range:
 *         pmd = pmdp_get_lockless(pmdp); !pmd_present -> stop
 *         gup_fast_pte_range(pmd, pmdp, addr):
 *           pte = ptep_get_lockless(ptep)
 *           !pte_present / !pte_access_permitted(pte, FOLL_WRITE) -> fail
 *           folio = try_grab_folio_fast(page, 1, flags)
 *           if (pmd_val(pmd) != pmd_val(*pmdp) ||
 *               pte_val(pte) != pte_val(ptep_get(ptep)))   [guard gup_fast.pte_recheck
 *                   gup_put_folio(); fail                    for the PTE half]
 *           if (!pte_write(pte) && gup_must_unshare(NULL, flags, page))
 *                   gup_put_folio(); fail
 *       local_irq_restore()
 *       FOLL_PIN: read_seqcount_retry(&mm->write_protect_seq, seq)
 *                 -> gup_fast_unpin_user_pages(), 0 pages
 *     ...then the slow GUP for the rest: NOT modelled, the op returns 0.
 *
 *   unpin_user_page() -> gup_put_folio(FOLL_PIN); put_page() for FOLL_GET.
 *
 * Reduced from mm/gup.c @02c39c22 (docs/model.md). Reductions:
 * try_grab_folio_fast() is one step that adds GUP_PIN_COUNTING_BIAS (or 1)
 * and fails on a free or frozen folio (try_get_folio's folio_ref_try_add
 * and the folio_ref_add of the rest of the bias are one atomic step);
 * gup_fast_folio_allowed() reads folio->mapping only for FOLL_PIN |
 * FOLL_LONGTERM (the op's "longterm"; anon folios are allowed), folio_set_referenced() and arch_make_folio_accessible()
 * are left out; PMD leaves (THP) are refused like a non-table PMD. The PMD
 * half of the recheck is always on, not a guard: mremap's move_normal_pmd()
 * does change the PMD under intact PTEs, but the table takes F along, so a
 * pin that passes the PTE recheck through the moved table is a pin of the
 * page the process sees at the new address (the ref is recorded for the
 * address the table maps at that point), as if GUP-fast had run before the
 * move; retract_page_tables() detaches only tables whose PTEs are none. The
 * harm the recheck prevents (commit 70cbc3cc78a9) is against
 * collapse_huge_page(), which frees the small folios after its refcount
 * check, and the model does not have it (docs/decisions.md, "Guard audit";
 * gup-fast-vs-move-normal-pmd-broadcast-mainline.json).
 *
 * Ghost: the GUP reference is recorded (recordGupRef) in the step of the
 * last check that lets it through, its linearisation point: the PTE
 * recheck, or the PMD recheck when the PTE recheck is off, or for a R/O
 * pin of a R/O PTE gup_must_unshare()'s PageAnonExclusive read (so that a
 * refusal is not reported as a pin of a non-exclusive page). That step
 * also declares the address's logical memory (memObject), so exploration
 * orders it against munmap's forgetMemory(): a pin linearised before the
 * unmap is forgiven by pin-unmapped, one linearised after it is not.
 * With gup_fast.pte_recheck off the pin is recorded at the PMD recheck, so
 * a grab that came before a concurrent munmap's zap is reported too; the
 * harm the recheck prevents against munmap (the folio freed and reused
 * between the PTE read and the grab) needs folio reuse, which the model
 * does not have. Its witness is UFFDIO_MOVE (gup-pte-recheck-off.json).
 * Results: 1 (one page), 0 (gup_fast failed; the kernel would go on with
 * slow GUP, which is not modelled).
 */
#include "ops.hpp"

namespace mmrace::model {

namespace {

constexpr long kEINVAL = -22;

/* The task's GUP references still held, oldest first. */
std::vector<int> heldRefs(Kernel &k)
{
	std::vector<int> out;
	const World &w = k.world();
	for (std::size_t i = 0; i < w.gupRefs.size(); ++i)
		if (w.gupRefs[i].task == k.self() && !w.gupRefs[i].released)
			out.push_back(static_cast<int>(i));
	return out;
}

} // namespace

int gupFast(Kernel &k, std::uint64_t addr, bool write, bool pin, int *refOut, bool longterm)
{
	World &w = k.world();
	const int refs = pin ? kGupPinCountingBias : 1;
	int seq = 0;
	if (pin) {
		seq = k.readWriteProtectSeq(
		    "gup_fast: raw_seqcount_try_begin(&mm->write_protect_seq)");
		if (seq & 1)
			return 0;	/* fork is write-protecting: slow GUP */
	}
	const bool irqOff = k.guard(Guard::GupFastIrqDisable);
	if (irqOff)
		k.localIrqDisable("gup_fast: local_irq_save()");
	auto restore = [&]() {
		if (irqOff)
			k.localIrqEnable("gup_fast: local_irq_restore()");
	};
	auto fail = [&]() {
		restore();
		return 0;	/* gup_fast_fallback(): slow GUP would follow */
	};

	PmdIdx p = k.pmdLookup(addr, "gup_fast_pud_range: pud_none()");
	if (p == kNone)
		return fail();
	Pmd pmd = k.readPmd(p, "gup_fast_pmd_range: pmdp_get_lockless()");
	if (!pmd.isTable())
		return fail();	/* !pmd_present, or a leaf (gup_fast_pmd_leaf not modelled) */
	PteRef r = w.pteIn(pmd.table, addr);
	Pte pte = k.readPte(r, "gup_fast_pte_range: ptep_get_lockless()");
	if (!pte.present())
		return fail();
	if (write && !pte.writable)
		return fail();	/* !pte_access_permitted(pte, flags & FOLL_WRITE) */
	FolioIdx f = pte.folio;
	if (!k.tryGetFolio(f, refs, "try_grab_folio_fast: folio_ref_try_add()"))
		return fail();
	/* gup_fast_folio_allowed(): with FOLL_PIN | FOLL_LONGTERM (reject
	 * file-backed folios) it reads the mapping; an anon folio is allowed */
	if (pin && longterm)
		k.readMapping(f, "gup_fast_folio_allowed: READ_ONCE(folio->mapping) (FOLL_LONGTERM)");

	/* gup_must_unshare() matters for FOLL_PIN without FOLL_WRITE of a R/O PTE */
	const bool unshareCheck = pin && !write && !pte.writable;
	const bool pteRecheck = k.guard(Guard::GupFastPteRecheck);
	/* The last check declares the address too: the pin is recorded in its step. */
	const ObjectId mem = memObject(addr);
	auto putAndFail = [&](const char *label) {
		k.folioPut(f, refs, label);
		return fail();
	};
	if (!(k.readPmd(p, "gup_fast_pte_range: recheck pmd_val(pmd) == pmd_val(*pmdp)",
			!pteRecheck && !unshareCheck ? mem : kNoObject) == pmd))
		return putAndFail("gup_fast_pte_range: pmd changed, gup_put_folio()");
	if (pteRecheck &&
	    !(k.readPte(r, "gup_fast_pte_range: recheck pte_val(pte) == pte_val(ptep_get(ptep))",
			!unshareCheck ? mem : kNoObject) == pte))
		return putAndFail("gup_fast_pte_range: pte changed, gup_put_folio()");
	/* gup_must_unshare(): an anon page pinned R/O must be PageAnonExclusive
	 * (its smp_rmb() pairs with the barrier after ClearPageAnonExclusive). */
	if (unshareCheck &&
	    !k.readPageAnonExclusive(f, "gup_must_unshare: PageAnonExclusive()", mem))
		return putAndFail("gup_fast_pte_range: must unshare, gup_put_folio()");
	/* The pin is for the address the table maps now: a table that
	 * move_normal_pmd() moved between the PMD recheck and the PTE recheck
	 * took F along, and the pin follows it, as moveMemory() makes a pin
	 * taken before the move follow it. */
	int ref = k.recordGupRef(f, w.addressOf(r), pin, write);
	restore();
	if (pin &&
	    k.readWriteProtectSeq("gup_fast: read_seqcount_retry(&mm->write_protect_seq)") != seq) {
		k.folioPut(f, refs, "gup_fast_unpin_user_pages: gup_put_folio()");
		k.releaseGupRef(ref);	/* in the put's step: the checker sees both */
		return 0;
	}
	if (refOut)
		*refOut = ref;
	return 1;
}

long dmaAccessOp(Kernel &k, bool write, std::uint64_t value)
{
	std::vector<int> held = heldRefs(k);
	if (held.empty())
		return kEINVAL;
	int ref = held.back();
	if (write && !k.world().gupRefs[ref].write)
		return kEINVAL;	/* a device must not write a page pinned without FOLL_WRITE */
	k.dmaAccess(ref, write, value, write ? "DMA: device writes the pinned page"
					     : "DMA: device reads the pinned page");
	return write ? 0 : static_cast<long>(value);
}

long unpinAll(Kernel &k)
{
	std::vector<int> held = heldRefs(k);
	if (held.empty())
		return kEINVAL;
	for (auto it = held.rbegin(); it != held.rend(); ++it) {
		const GupRef &g = k.world().gupRefs[*it];
		FolioIdx f = g.folio;
		if (g.pin)
			k.folioPut(f, kGupPinCountingBias,
				   "unpin_user_page: gup_put_folio(FOLL_PIN)");
		else
			k.folioPut(f, 1, "put_page: folio_put()");
		/* Ghost, in the put's step: the checker sees the reference gone
		 * when the put frees the folio. */
		k.releaseGupRef(*it);
	}
	return 0;
}

} // namespace mmrace::model
