/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Small random programs over shared integers, mutexes and rwsems, for property tests
 * of the strategies (as dscheck does for OCaml's DPOR): every exhaustive
 * strategy must reach the same final states as plain DFS. A program is
 * plain data (RandomProgramSpec), generated from a seed alone, so a failing
 * seed is a reproducer; describe() prints it.
 *
 * Programs never deadlock: blocking locks nest properly and every task takes
 * them in increasing index order, and a task never blocks on a mutex while
 * holding a higher one (trylocks, which never block, may take any mutex the
 * task does not hold, and the later blocking locks then go above it too).
 * Rwsems count as locks numbered after the mutexes for this order (a task
 * never takes one it holds, in either mode).
 */

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared.hpp"

namespace mmrace::programs
{

struct RandomOp {
	enum class Kind : std::uint8_t {
		Load,		 /* r = var */
		Store,		 /* var = value, or var = r + value when fromRegister */
		FetchAdd,	 /* r = fetch_add(var, value) */
		CompareExchange, /* r = cas(var, expected, value) ? 1 : 0 */
		Locked,		 /* lock(mutex); body; unlock(mutex) */
		TryLocked,	 /* if (trylock(mutex)) { body; unlock(mutex) } */
		IfEquals,	 /* if (r == value) body else orElse: no step */
		ReadLocked,	 /* down_read(rwsem); body; up_read(rwsem) */
		WriteLocked,	 /* down_write(rwsem); body; up_write(rwsem) */
		TryReadLocked,	 /* if (down_read_trylock(rwsem)) { body; up_read } */
		TryWriteLocked,	 /* if (down_write_trylock(rwsem)) { body; up_write } */
	};
	Kind kind = Kind::Load;
	int var = 0;
	int mutex = 0;
	int rwsem = 0;
	int value = 0;
	int expected = 0;
	bool fromRegister = false;
	std::vector<RandomOp> body;
	std::vector<RandomOp> orElse;
};

/*
 * r above is the value the task loaded last (0 before its first load); every
 * Load, FetchAdd and CompareExchange result is also kept in the task's list of
 * loaded values, part of the final state.
 */
struct RandomProgramSpec {
	std::uint64_t seed = 0;
	int vars = 0;
	int mutexes = 0;
	int rwsems = 0;
	std::vector<std::vector<RandomOp>> threads;
};

struct RandomProgramOptions {
	int minThreads = 2, maxThreads = 4;
	/* Ops per thread, counted as steps (a lock block is two plus its body;
	 * an if costs its longer arm). */
	int minOps = 2, maxOps = 6;
	int minVars = 2, maxVars = 3;
	int minMutexes = 0, maxMutexes = 2;
	/* None by default: the programs of a seed stay those of earlier versions. */
	int minRwsems = 0, maxRwsems = 0;
	/*
	 * If non-zero, threads' op budgets are cut (longest first) until the
	 * number of interleavings of their steps, ignoring blocking, is at most
	 * this: a bound on what plain DFS explores.
	 */
	std::uint64_t maxInterleavings = 0;
};

RandomProgramSpec generateRandomProgram(std::uint64_t seed,
					const RandomProgramOptions &options = {});
/* Steps a thread takes at most. */
int maxSteps(const std::vector<RandomOp> &ops);
/* The multinomial bound on interleavings of the threads' maxSteps(). */
std::uint64_t interleavingBound(const RandomProgramSpec &spec);
/* A C-like listing, one op a line. */
std::string describe(const RandomProgramSpec &spec);

class RandomProgram : public ObservedProgram
{
public:
	explicit RandomProgram(RandomProgramSpec spec);

	std::string name() const override;
	const RandomProgramSpec &spec() const { return spec_; }

	void setUp(Execution &e) override;
	/* Final state: every variable, then every task's loaded values. */
	void atEnd(Execution &e) override;

private:
	struct Task {
		std::vector<int> loaded;
		int last = 0;
	};
	void run(Execution &e, Task &task, const std::vector<RandomOp> &ops);

	RandomProgramSpec spec_;
	ObjectIds ids_;
	std::vector<SharedInt> vars_;
	std::vector<std::unique_ptr<Mutex>> mutexes_;
	std::vector<std::unique_ptr<RwSem>> rwsems_;
	std::vector<Task> tasks_;
};

std::unique_ptr<RandomProgram> makeRandomProgram(std::uint64_t seed,
						 const RandomProgramOptions &options = {});

} // namespace mmrace::programs
