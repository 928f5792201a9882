/* SPDX-License-Identifier: GPL-2.0 */
#include "classic.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mmrace::programs
{

namespace
{

void requireRange(const char *program, int n, int lo, int hi)
{
	if (n < lo || n > hi)
		throw std::invalid_argument(std::string(program) + ": parameter " +
					    std::to_string(n) + " outside [" + std::to_string(lo) +
					    ", " + std::to_string(hi) + "]");
}

/* Distinct thread ids in [0, maxTid], at most maxThreads of them. */
void requireTids(const char *program, const std::vector<int> &tids, int maxTid, int maxThreads)
{
	if (tids.empty() || static_cast<int>(tids.size()) > maxThreads)
		throw std::invalid_argument(std::string(program) + ": 1 to " +
					    std::to_string(maxThreads) + " threads");
	std::vector<int> sorted = tids;
	std::sort(sorted.begin(), sorted.end());
	if (sorted.front() < 0 || sorted.back() > maxTid ||
	    std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
		throw std::invalid_argument(std::string(program) +
					    ": thread ids must be distinct, in [0, " +
					    std::to_string(maxTid) + "]");
}

std::string joinInts(const std::vector<int> &v, const char *sep = ",")
{
	std::string s;
	for (std::size_t i = 0; i < v.size(); ++i) {
		if (i)
			s += sep;
		s += std::to_string(v[i]);
	}
	return s;
}

std::vector<int> firstN(int n)
{
	std::vector<int> v(static_cast<std::size_t>(n));
	for (int i = 0; i < n; ++i)
		v[static_cast<std::size_t>(i)] = i;
	return v;
}

/*
 * lastzero(n). Source: Abdulla, Aronis, Jonsson, Sagonas, "Source Sets: A
 * Foundation for Optimal Dynamic Partial Order Reduction", JACM 64(4), 2017;
 * as benchmarked in Nidhugg (benchmarks/from_CONCUERROR/lastzero.c) and GenMC
 * (tests/correct/synthetic/lastzero).
 *
 * An array of n+1 integers, all zero. Thread 0, the reader, reads array[n],
 * array[n-1], ... and stops at the first index whose element it reads as 0
 * (array[0] is never written, so it always stops). Thread j, 1 <= j <= n,
 * reads array[j-1] and writes that value plus one into array[j].
 *
 * Traces: 2, 5, 12, 28 for n = 1..4 (Nidhugg's smoke-test reference
 * results), 64, 3328, 147456 for n = 5, 10, 15 (GenMC's expected results).
 * Final state: the array and the index at which the reader stopped.
 */
class LastZero : public ClassicProgram
{
public:
	explicit LastZero(int n) : n_(n) { requireRange("lastzero", n, 1, 63); }

	std::string name() const override { return "lastzero(" + std::to_string(n_) + ")"; }

	std::optional<std::uint64_t> knownTraces() const override
	{
		/* n = 1..5, then 10 and 15. */
		static constexpr std::uint64_t kSmall[] = {2, 5, 12, 28, 64};
		if (n_ <= 5)
			return kSmall[n_ - 1];
		if (n_ == 10)
			return 3328;
		if (n_ == 15)
			return 147456;
		return std::nullopt;
	}

	void setUp(Execution &e) override
	{
		ids_.reset();
		array_.clear();
		array_.reserve(static_cast<std::size_t>(n_) + 1);
		for (int i = 0; i <= n_; ++i)
			array_.emplace_back(ids_, 0);
		stoppedAt_ = -1;
		e.spawn("reader", [this, &e] {
			int i = n_;
			while (array_[i].load(e, "lastzero reader: array[i] != 0?") != 0)
				--i;
			stoppedAt_ = i;
		});
		for (int j = 1; j <= n_; ++j)
			e.spawn("writer" + std::to_string(j), [this, &e, j] {
				int v = array_[j - 1].load(e, "lastzero writer: read array[j-1]");
				array_[j].store(e, v + 1,
						"lastzero writer: array[j] = array[j-1] + 1");
			});
	}

	void atEnd(Execution &) override
	{
		std::vector<int> values;
		for (const SharedInt &a : array_)
			values.push_back(a.peek());
		recordFinalState("array=[" + joinInts(values) + "] reader stopped at " +
				 std::to_string(stoppedAt_));
	}

private:
	int n_;
	ObjectIds ids_;
	std::vector<SharedInt> array_;
	int stoppedAt_ = -1;
};

/*
 * readers(n). Source: the RCMC benchmark (Kokologiannakis, Lahav, Sagonas,
 * Vafeiadis, "Effective Stateless Model Checking for C/C++ Concurrency",
 * POPL 2018), as in Nidhugg (benchmarks/from_RCMC/readers.c) and GenMC
 * (tests/correct/synthetic/readers).
 *
 * x = 0. One writer stores 42 to x; each of n readers loads x once. Each
 * reader's load is before or after the store: 2^n traces (Nidhugg's
 * reference results for n = 1..4, GenMC's for n = 2, 8, 13).
 * Final state: x and the value each reader saw.
 */
class Readers : public ClassicProgram
{
public:
	explicit Readers(int n) : n_(n) { requireRange("readers", n, 1, 63); }

	std::string name() const override { return "readers(" + std::to_string(n_) + ")"; }

	std::optional<std::uint64_t> knownTraces() const override { return std::uint64_t{1} << n_; }

	void setUp(Execution &e) override
	{
		ids_.reset();
		x_.emplace(ids_, 0);
		seen_.assign(static_cast<std::size_t>(n_), -1);
		e.spawn("writer", [this, &e] { x_->store(e, 42, "readers writer: x = 42"); });
		for (int k = 0; k < n_; ++k)
			e.spawn("reader" + std::to_string(k + 1), [this, &e, k] {
				seen_[static_cast<std::size_t>(k)] =
				    x_->load(e, "readers reader: read x");
			});
	}

	void atEnd(Execution &) override
	{
		recordFinalState("x=" + std::to_string(x_->peek()) + " seen=[" + joinInts(seen_) +
				 "]");
	}

private:
	int n_;
	ObjectIds ids_;
	std::optional<SharedInt> x_;
	std::vector<int> seen_;
};

/*
 * indexer. Source: Flanagan & Godefroid, "Dynamic Partial-Order Reduction
 * for Model Checking Software", POPL 2005 (Fig. 4); also Nidhugg
 * (benchmarks/SV-COMP/indexer.c, with the CAS built from a mutex) and GenMC
 * (tests/correct/synthetic/indexer, with a real CAS).
 *
 * A hash table of 128 integers, all zero (empty). Thread tid makes the
 * messages w = m * 11 + tid for m = 1..4 and inserts each at
 * h = (w * 7) mod 128 by CAS(table[h], 0, w), moving to h+1 (mod 128) while
 * the slot is taken. The original asserts h >= 0.
 *
 * Traces: with n <= 11 threads every message is distinct, so no two threads
 * touch a common slot: 1 trace. Thread 11 + t sends the messages 22 + t,
 * 33 + t, 44 + t that thread t sends for m = 2..4: three races, each
 * resolved two ways, and the loser moves to a slot nobody else uses
 * (7w + 1 = 7(w + 55) mod 128, and w + 55 is no message for n <= 22), so
 * 8^(n - 11) traces for 12 <= n <= 22. GenMC's expected results: 8 for 12
 * threads, 4096 for 15. Final state: the occupied slots, each with the
 * thread that filled it: two colliding threads insert equal messages, so the
 * table alone would not tell the traces apart (a ghost, not in the original).
 */
class Indexer : public ClassicProgram
{
public:
	static constexpr int kSize = 128;
	static constexpr int kMax = 4;

	Indexer(std::vector<int> tids, bool full) : tids_(std::move(tids)), full_(full)
	{
		/* 32 threads fill the table exactly; one more would probe forever. */
		requireTids("indexer", tids_, 31, kSize / kMax);
	}

	std::string name() const override
	{
		if (full_)
			return "indexer(" + std::to_string(tids_.size()) + ")";
		return "indexer{" + joinInts(tids_) + "}";
	}

	std::optional<std::uint64_t> knownTraces() const override
	{
		if (!full_)
			return std::nullopt;
		int n = static_cast<int>(tids_.size());
		if (n <= 11)
			return 1;
		if (n <= 22)
			return std::uint64_t{1} << (3 * (n - 11));
		return std::nullopt;
	}

	void setUp(Execution &e) override
	{
		ids_.reset();
		table_.clear();
		table_.reserve(kSize);
		for (int i = 0; i < kSize; ++i)
			table_.emplace_back(ids_, 0);
		filledBy_.assign(kSize, -1);
		for (int tid : tids_)
			e.spawn("t" + std::to_string(tid), [this, &e, tid] { insertAll(e, tid); });
	}

	void atEnd(Execution &) override
	{
		std::string s = "table:";
		for (int h = 0; h < kSize; ++h)
			if (int w = table_[static_cast<std::size_t>(h)].peek())
				s += " " + std::to_string(h) + "=" + std::to_string(w) + "(t" +
				     std::to_string(filledBy_[static_cast<std::size_t>(h)]) + ")";
		recordFinalState(s);
	}

private:
	void insertAll(Execution &e, int tid)
	{
		for (int m = 1; m <= kMax; ++m) {
			int w = m * 11 + tid;
			int h = (w * 7) % kSize;
			if (h < 0) {
				Finding f;
				f.invariant = "assertion";
				f.title = name() + ": assertion h >= 0 failed";
				f.message = "thread " + std::to_string(tid) + " hashed message " +
					    std::to_string(w) + " to " + std::to_string(h) + "\n";
				e.report(std::move(f));
				return;
			}
			int expected = 0;
			while (!table_[static_cast<std::size_t>(h)].compareExchange(
			    e, expected, w, "indexer: cas(table[h], 0, w)")) {
				h = (h + 1) % kSize;
				expected = 0;
			}
			filledBy_[static_cast<std::size_t>(h)] = tid;
		}
	}

	std::vector<int> tids_;
	bool full_;
	ObjectIds ids_;
	std::vector<SharedInt> table_;
	std::vector<int> filledBy_;
};

/*
 * filesystem. Source: Flanagan & Godefroid, POPL 2005 (Fig. 5); also Nidhugg
 * (benchmarks/from_TRACER/filesystem.c, with the block search bounded to 10
 * tries) and GenMC (tests/correct/lapor/filesystem).
 *
 * 32 inodes and 26 blocks, each with its own mutex; inode[i] = 0 means no
 * block, busy[b] = 0 means block b free. Thread tid takes i = tid mod 32 and
 * locks inode i; if inode[i] is 0 it searches blocks from b = 2i mod 26
 * upwards: lock block b, and if it is not busy mark it busy, set
 * inode[i] = b + 1, unlock and stop; else unlock and try b + 1 (mod 26).
 * Then it unlocks inode i.
 *
 * Traces: threads 0..12 start at the distinct even blocks 0..24; thread
 * 13 + t starts at thread t's block 2t, and whichever of the two locks it
 * second moves to block 2t + 1, which nobody else uses. So 1 trace for
 * n <= 13 and 2^(n - 13) for 14 <= n <= 26 (at most 26 threads, so that a
 * free block always exists). GenMC's expected result: 64 for 19 threads.
 * Final state: every inode's block and every block's busy bit.
 */
class Filesystem : public ClassicProgram
{
public:
	static constexpr int kBlocks = 26;
	static constexpr int kInodes = 32;

	Filesystem(std::vector<int> tids, bool full) : tids_(std::move(tids)), full_(full)
	{
		requireTids("filesystem", tids_, kInodes - 1, kBlocks);
	}

	std::string name() const override
	{
		if (full_)
			return "filesystem(" + std::to_string(tids_.size()) + ")";
		return "filesystem{" + joinInts(tids_) + "}";
	}

	std::optional<std::uint64_t> knownTraces() const override
	{
		if (!full_)
			return std::nullopt;
		int n = static_cast<int>(tids_.size());
		return n <= 13 ? 1 : std::uint64_t{1} << (n - 13);
	}

	void setUp(Execution &e) override
	{
		ids_.reset();
		lockI_.clear();
		inode_.clear();
		lockB_.clear();
		busy_.clear();
		inode_.reserve(kInodes);
		busy_.reserve(kBlocks);
		for (int i = 0; i < kInodes; ++i) {
			lockI_.push_back(
			    std::make_unique<Mutex>(ids_, "locki[" + std::to_string(i) + "]"));
			inode_.emplace_back(ids_, 0);
		}
		for (int b = 0; b < kBlocks; ++b) {
			lockB_.push_back(
			    std::make_unique<Mutex>(ids_, "lockb[" + std::to_string(b) + "]"));
			busy_.emplace_back(ids_, 0);
		}
		for (int tid : tids_)
			e.spawn("t" + std::to_string(tid), [this, &e, tid] { allocate(e, tid); });
	}

	void atEnd(Execution &) override
	{
		std::string s = "inode:";
		for (int i = 0; i < kInodes; ++i)
			if (int b = inode_[static_cast<std::size_t>(i)].peek())
				s += " " + std::to_string(i) + "=" + std::to_string(b);
		s += " busy:";
		for (int b = 0; b < kBlocks; ++b)
			if (busy_[static_cast<std::size_t>(b)].peek())
				s += " " + std::to_string(b);
		recordFinalState(s);
	}

private:
	void allocate(Execution &e, int tid)
	{
		auto i = static_cast<std::size_t>(tid % kInodes);
		lockI_[i]->lock(e, "filesystem: lock(locki[i])");
		if (inode_[i].load(e, "filesystem: inode[i] == 0?") == 0) {
			auto b = static_cast<std::size_t>((i * 2) % kBlocks);
			for (;;) {
				lockB_[b]->lock(e, "filesystem: lock(lockb[b])");
				if (busy_[b].load(e, "filesystem: busy[b]?") == 0) {
					busy_[b].store(e, 1, "filesystem: busy[b] = true");
					inode_[i].store(e, static_cast<int>(b) + 1,
							"filesystem: inode[i] = b + 1");
					lockB_[b]->unlock(e, "filesystem: unlock(lockb[b])");
					break;
				}
				lockB_[b]->unlock(e, "filesystem: unlock(lockb[b])");
				b = (b + 1) % kBlocks;
			}
		}
		lockI_[i]->unlock(e, "filesystem: unlock(locki[i])");
	}

	std::vector<int> tids_;
	bool full_;
	ObjectIds ids_;
	std::vector<std::unique_ptr<Mutex>> lockI_;
	std::vector<SharedInt> inode_;
	std::vector<std::unique_ptr<Mutex>> lockB_;
	std::vector<SharedInt> busy_;
};

/*
 * opt_lock(n). Source: the DC-DPOR benchmarks (Chalupa, Chatterjee,
 * Pavlogiannis, Sinha, Vaidya, "Data-centric Dynamic Partial Order
 * Reduction", POPL 2018), as in Nidhugg (benchmarks/from_DCDPOR/opt_lock.c;
 * tests/smoke/C-tests/opt_lock.inc is the same program).
 *
 * Two threads, id 0 and 1, shared x = y = 0. Each makes up to n attempts at
 * an optimistic lock: store x = id, store y = 1, load x; if it still reads
 * its own id it has the lock, loads y and stops, else it tries again.
 *
 * Traces: 10, 42, 126, 346 for n = 1..4, computed here twice (the trace
 * classes of all plain-DFS interleavings, test_classic.cpp, and the complete
 * executions of sleep sets); n = 1 also by hand. Nidhugg's smoke-test
 * reference results, 19 for n = 2 and 31 for n = 3, are not trace counts:
 * its smoke tests run with --sc --rf, which counts reads-from classes (what
 * each read observed), coarser than traces when a variable is written more
 * than once: here both threads write x and y, and traces that order two
 * writes differently but give every read the same write fall in one class.
 * TraceClasses counts 19 and 31 reads-from classes too (test_classic.cpp).
 * Final state: x, y and per thread the attempt that won (0 if none) and the
 * value of y it then read.
 */
class OptLock : public ClassicProgram
{
public:
	static constexpr int kThreads = 2;

	explicit OptLock(int n) : n_(n) { requireRange("opt_lock", n, 1, 1000); }

	std::string name() const override { return "opt_lock(" + std::to_string(n_) + ")"; }

	std::optional<std::uint64_t> knownTraces() const override
	{
		static constexpr std::uint64_t kTraces[] = {10, 42, 126, 346};
		if (n_ <= 4)
			return kTraces[n_ - 1];
		return std::nullopt;
	}

	void setUp(Execution &e) override
	{
		ids_.reset();
		x_.emplace(ids_, 0);
		y_.emplace(ids_, 0);
		for (int id = 0; id < kThreads; ++id) {
			wonAt_[id] = 0;
			readY_[id] = -1;
			e.spawn("t" + std::to_string(id), [this, &e, id] {
				for (int attempt = 1; attempt <= n_; ++attempt) {
					x_->store(e, id, "opt_lock: x = id");
					y_->store(e, 1, "opt_lock: y = 1");
					if (x_->load(e, "opt_lock: x == id?") == id) {
						wonAt_[id] = attempt;
						readY_[id] = y_->load(e, "opt_lock: read y");
						break;
					}
				}
			});
		}
	}

	void atEnd(Execution &) override
	{
		std::string s =
		    "x=" + std::to_string(x_->peek()) + " y=" + std::to_string(y_->peek());
		for (int id = 0; id < kThreads; ++id)
			s += " t" + std::to_string(id) + ":won@" + std::to_string(wonAt_[id]) +
			     ",y=" + std::to_string(readY_[id]);
		recordFinalState(s);
	}

private:
	int n_;
	ObjectIds ids_;
	std::optional<SharedInt> x_, y_;
	int wonAt_[kThreads] = {};
	int readY_[kThreads] = {};
};

} // namespace

std::unique_ptr<ClassicProgram> makeLastZero(int n)
{
	return std::make_unique<LastZero>(n);
}

std::unique_ptr<ClassicProgram> makeReaders(int n)
{
	return std::make_unique<Readers>(n);
}

std::unique_ptr<ClassicProgram> makeIndexer(int n)
{
	requireRange("indexer", n, 1, Indexer::kSize / Indexer::kMax);
	return std::make_unique<Indexer>(firstN(n), true);
}

std::unique_ptr<ClassicProgram> makeFilesystem(int n)
{
	requireRange("filesystem", n, 1, Filesystem::kBlocks);
	return std::make_unique<Filesystem>(firstN(n), true);
}

std::unique_ptr<ClassicProgram> makeOptLock(int n)
{
	return std::make_unique<OptLock>(n);
}

std::unique_ptr<ClassicProgram> makeIndexerThreads(std::vector<int> tids)
{
	return std::make_unique<Indexer>(std::move(tids), false);
}

std::unique_ptr<ClassicProgram> makeFilesystemThreads(std::vector<int> tids)
{
	return std::make_unique<Filesystem>(std::move(tids), false);
}

} // namespace mmrace::programs
