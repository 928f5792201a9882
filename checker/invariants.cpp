/* SPDX-License-Identifier: GPL-2.0 */
#include "invariants.hpp"

namespace mmrace::checker {

const std::vector<InvariantInfo> &allInvariants()
{
	static const std::vector<InvariantInfo> invariants = {
		{"deadlock", "scheduler",
		 "some task is unfinished and none can run: every one waits for a lock or "
		 "condition another waiting task holds"},
		{"step-bound", "scheduler",
		 "an execution ends within --max-steps steps (else: livelock or an unbounded "
		 "retry loop)"},
		{"lock-order", "I-9g, lockdep",
		 "the lock-class dependency graph, accumulated over every execution of a run, "
		 "has no cycle (lockdep: possible circular locking dependency)"},
		{"lock-rank", "I-9g, mm/rmap.c lock order",
		 "a blocking acquisition happens only while holding locks that come earlier in "
		 "the documented mm lock order (mmap_lock, VMA lock, folio_lock, anon_vma->rwsem, "
		 "PMD lock, PTL), even before any execution closes a cycle"},
		{"lock-recursion", "I-9g, lockdep",
		 "a task never blocks on a lock of a class it already holds unless the "
		 "acquisition is annotated as nested (lockdep: possible recursive locking)"},
		{"sleep-in-atomic", "I-9f",
		 "no sleeping lock (folio lock, rwsem, VMA lock) is acquired and no sleeping wait "
		 "happens while holding a spinlock (PTL, PMD lock), with IRQs off or inside an RCU "
		 "read section: trylocks only"},
		{"pmd-unlocked", "I-9b",
		 "a PMD entry is written only while holding the PMD lock"},
		{"pte-unlocked", "I-9a",
		 "a page-table entry is written only while holding the PTL of its table"},
		{"folio-mapping-unlocked", "I-2, I-9",
		 "folio->mapping and folio->index of a mapped anon folio change only under the "
		 "folio lock"},
		{"rmap-walk-lock", "I-2",
		 "an rmap walk of an anon folio runs under the root rwsem of folio->mapping's "
		 "anon_vma or under the folio lock, for its whole duration"},
		{"rmap-walk-stable", "I-2",
		 "folio->mapping and folio->index do not change while an rmap walk of the folio "
		 "is in progress (benign for heuristic walkers such as folio_referenced)"},
		{"rmap-walk-incomplete", "I-1 (observer)",
		 "an rmap walk visits every entry that mapped the folio throughout the walk "
		 "(benign for heuristic walkers)"},
		{"rmap-unreachable", "I-1",
		 "at the end of an execution, every present or migration entry for anon folio F "
		 "(and every swap entry whose swapcache folio is F) at address x of VMA V is found "
		 "from F's (mapping, index): V is on the anon_vma's VMA list, the roots agree and "
		 "x = V.start + (F.index - V.pgoff) * PAGE_SIZE"},
		{"mapcount", "I-3",
		 "at the end of an execution, folio mapcount equals the number of present PTEs "
		 "mapping it"},
		{"refcount", "I-4",
		 "when every operation is done, a live folio's refcount is its mapcount + 1 if in "
		 "the swap cache + the GUP references still held (GUP_PIN_COUNTING_BIAS per pin)"},
		{"pae", "I-5b, I-5c",
		 "a writable present PTE maps a PageAnonExclusive page, FOLL_PIN pins only "
		 "PageAnonExclusive anon pages, and a pinned page stays PageAnonExclusive while the "
		 "pin is held (I-5e)"},
		{"pin-unmapped", "I-6",
		 "when every operation is done, each FOLL_PIN pin still held maps its folio at the "
		 "pinned address, unless the user unmapped that address"},
		{"folio-use-after-free", "I-7a, I-7d",
		 "a folio is freed only when no present PTE, migration entry, CPU TLB entry or GUP "
		 "reference reaches it"},
		{"migration-entry-leak", "I-7b",
		 "when every operation is done, no migration entry is left in a page table"},
		{"swap-entry-dangling", "I-7c",
		 "a swap slot is freed only when no swap PTE names it"},
		{"pgtable-use-after-free", "I-7f",
		 "a page table is freed only after its PMD entry was cleared and its entries are "
		 "none, and nothing (a lockless walker, a PTL taker) touches it afterwards"},
		{"lost-write", "I-8",
		 "every completed user or DMA write to an address is seen by later reads of that "
		 "address, unless the user unmapped it (a ghost logical memory is the oracle); "
		 "also at the end of an execution, for what a read would return then (present "
		 "folio, swap cache folio or the swap slot's data)"},
		{"kernel-warning", "VM_WARN_ON / VM_BUG_ON",
		 "an assertion the kernel makes (VM_WARN_ON_FOLIO, VM_BUG_ON, refcount or swap "
		 "count underflow) holds"},
		{"stable-write", "do_swap_page() SWP_STABLE_WRITES comment",
		 "a swapcache folio whose writeback to a SWP_STABLE_WRITES swap device is in flight "
		 "is never mapped writable (the device needs the page stable until the I/O ends)"},
		{"range-safety", "I-10",
		 "an operation that declares the address ranges it works on (mremap: the old and "
		 "the new range) writes no PTE outside them and moves no PMD entry whose table "
		 "maps anything outside them (Seed D1)"},
		{"mremap-result", "mremap(2)",
		 "mremap returns the new address or a negative errno; move_page_tables() never "
		 "reports more than it was asked to move (a negative count, Seed D2); on success "
		 "every mapped page of the old range is at the same offset of the new range and "
		 "the old range is empty, on failure the old range keeps its pages"},
		{"relocate-pinned", "Seed A design (I-6, project-specific)",
		 "MREMAP_RELOCATE_ANON's forward pass never changes folio->mapping or ->index of a "
		 "folio while folio_maybe_dma_pinned() is true (the posted patch's "
		 "folio_maybe_dma_pinned() check: 'whatever has pinned this folio may then "
		 "incorrectly assume these do not change'). Not a kernel-wide invariant (David "
		 "Hildenbrand: 'maybe we can just allow for moving these'); it states what the "
		 "check promises (Seed A1)"},
	};
	return invariants;
}

const InvariantInfo *findInvariant(std::string_view id)
{
	for (const InvariantInfo &i : allInvariants())
		if (id == i.id)
			return &i;
	return nullptr;
}

std::string invariantNames()
{
	std::string out;
	for (const InvariantInfo &i : allInvariants()) {
		if (!out.empty())
			out += ", ";
		out += i.id;
	}
	return out;
}

} // namespace mmrace::checker
