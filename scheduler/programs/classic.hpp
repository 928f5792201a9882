/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The classic benchmark programs of the DPOR literature, as fiber programs on
 * the scheduler, so that strategies (plain DFS, sleep sets, DPOR) can be
 * checked against the published numbers of complete executions: an optimal
 * DPOR, like our sleep-set DFS, explores exactly one complete execution per
 * Mazurkiewicz trace.
 *
 * Each program records the final state of every complete execution (see
 * ObservedProgram) and reports a harmful Finding when an assertion of the
 * original program fails (only indexer has one, and it cannot fail).
 * Definitions and sources are at each factory in classic.cpp.
 */

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "shared.hpp"

namespace mmrace::programs
{

class ClassicProgram : public ObservedProgram
{
public:
	/*
	 * Number of Mazurkiewicz traces (= complete executions of an optimal
	 * DPOR) if known for these parameters: from the literature, or derived
	 * in the program's comment in classic.cpp where the literature has no
	 * number for this size.
	 */
	virtual std::optional<std::uint64_t> knownTraces() const = 0;
};

/* Abdulla et al., JACM 2017: the reader scans array[n..0] down for a zero. */
std::unique_ptr<ClassicProgram> makeLastZero(int n);
/* One writer of x, n readers of x (RCMC, Kokologiannakis et al. POPL 2018). */
std::unique_ptr<ClassicProgram> makeReaders(int n);
/* Flanagan & Godefroid, POPL 2005: n threads insert into a hash table by CAS. */
std::unique_ptr<ClassicProgram> makeIndexer(int n);
/* Flanagan & Godefroid, POPL 2005: n threads allocate disk blocks to inodes. */
std::unique_ptr<ClassicProgram> makeFilesystem(int n);
/* Optimistic locking, 2 threads, n attempts each (DC-DPOR, Chalupa et al. POPL 2018). */
std::unique_ptr<ClassicProgram> makeOptLock(int n);

/*
 * indexer and filesystem with only the given threads of the n-thread program
 * (thread ids as in the original, which decide the hash slots and inodes).
 * In both programs a thread that shares no slot or block with another one
 * is independent of everything, so the full program has exactly as many
 * traces as the subset of its colliding threads: this makes the published
 * counts for 12..15 indexer threads checkable without DPOR.
 */
std::unique_ptr<ClassicProgram> makeIndexerThreads(std::vector<int> tids);
std::unique_ptr<ClassicProgram> makeFilesystemThreads(std::vector<int> tids);

} // namespace mmrace::programs
