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
		 "the documented mm lock order (mmap_lock, folio_lock, anon_vma->rwsem, PTL), "
		 "even before any execution closes a cycle"},
		{"lock-recursion", "I-9g, lockdep",
		 "a task never blocks on a lock of a class it already holds unless the "
		 "acquisition is annotated as nested (lockdep: possible recursive locking)"},
		{"sleep-in-atomic", "I-9f",
		 "no sleeping lock (folio lock, rwsem) is acquired while holding a spinlock "
		 "(PTL): trylocks only"},
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
		 "at the end of an execution, every PTE mapping anon folio F at address x of "
		 "VMA V is found from F's (mapping, index): V is on the anon_vma's VMA list, "
		 "the roots agree and x = V.start + (F.index - V.pgoff) * PAGE_SIZE"},
		{"mapcount", "I-3",
		 "at the end of an execution, folio mapcount equals the number of present PTEs "
		 "mapping it"},
		{"refcount", "I-4",
		 "a folio's refcount is at least its mapcount, and returns to it when every "
		 "operation is done"},
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
