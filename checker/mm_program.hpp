/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * A scenario as a program for the explorer: every execution rebuilds the
 * World from the scenario and runs one task per scenario thread; after each
 * step the checkers judge the step's events, and at the end of a complete
 * execution the quiescent invariants are checked. Lockdep's dependency graph
 * lives as long as this object: it accumulates over the whole run.
 */

#include <atomic>
#include <bitset>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checker/lockdep.hpp"
#include "model/guards.hpp"
#include "model/world.hpp"
#include "scenarios/scenario.hpp"
#include "scheduler/execution.hpp"

namespace mmrace::model {
class Kernel;
}

namespace mmrace::checker {

/* One traced step, in kernel terms (for traces and race diagrams). */
struct StepInfo {
	std::uint64_t index;
	TaskId task;
	std::string function;	/* kernel function, from the label */
	std::string what;	/* the rest of the label */
	std::string access;	/* "write pte(0x200000)" */
	std::vector<std::string> locks;	/* held after the step */
	std::vector<std::string> touches;	/* the step's other objects (object2, object3) */
};

/*
 * What a run's executions evaluated, merged from every program of the run
 * (parallel workers): the guards whose check some execution reached
 * (GuardSet::reached() of each execution's World), and how many
 * executions ran to their end and had the end-state invariants checked.
 */
struct RunCoverage {
	std::atomic<std::uint64_t> guardsReached{0};
	std::atomic<std::uint64_t> endStates{0};
};

class MmProgram : public Program {
public:
	/* `lockdep` is shared by every program of a run (parallel workers). */
	MmProgram(const scenarios::Scenario &scenario, const model::GuardSet &guards,
		  std::shared_ptr<LockDep> lockdep = std::make_shared<LockDep>());
	~MmProgram() override;

	void setUp(Execution &exec) override;
	void afterStep(Execution &exec, const Step &step) override;
	void atEnd(Execution &exec) override;

	/* Keep a StepInfo per step (for the re-run that writes a trace). */
	void setTracing(bool on) { tracing_ = on; }
	const std::vector<StepInfo> &stepLog() const { return stepLog_; }
	const std::vector<std::string> &taskNames() const { return taskNames_; }
	/* The World right after setUp() of the last traced execution: VMAs,
	 * PTEs, every CPU's cached translations (for reports). */
	const std::vector<std::string> &initialState() const { return initialState_; }
	std::vector<std::string> describeState() const;
	const model::World *world() const { return world_.get(); }
	LockDep &lockdep() { return *lockdep_; }
	/* Re-runs of findings that are not lock-order ones switch lockdep off,
	 * so that edges recorded later in the run cannot fire first. */
	void setLockdep(bool on) { lockdepOn_ = on; }
	/* Merge this program's coverage into `c` (shared by a run's programs). */
	void setCoverage(std::shared_ptr<RunCoverage> c) { coverage_ = std::move(c); }

	/* Tests only: a scenario op named `name` runs `fn` instead of a model
	 * operation (a fiber that is no operation: a user access, GUP-fast). */
	void addTestOp(const std::string &name, std::function<void(model::Kernel &)> fn)
	{
		testOps_[name] = std::move(fn);
	}

	/* Tests only: no environment I/O completion (World::bios): write-outs
	 * stay in flight unless an op ends them, as with a very slow device,
	 * so a test can look at the state one pass leaves. */
	void setEnvironmentIo(bool on)
	{
		environmentIo_ = on;
		taskNames_.resize(scenario_.threads.size());
		if (on)
			for (const model::Bio &b : model::World::bioPlan(scenario_))
				taskNames_.push_back(b.task);
	}

	/* "pte(0x200000)", "folio F->mapping", "anon_vma A->rwsem" */
	std::string objectName(ObjectId id, AccessKind kind = AccessKind::Read) const;

private:
	void drainEvents(Execution &exec, std::uint64_t step);
	/* Each true if it reported a violation. */
	bool checkLockdep(Execution &exec, const model::Event &e, std::uint64_t step);
	bool checkLockRank(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkWalkBegin(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkFolioWrite(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkWalkEnd(Execution &exec, const model::Event &e, std::uint64_t step);
	bool checkSleep(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkPae(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkPin(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkFolioFreed(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkTable(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkUserRead(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkSwapFreed(Execution &exec, const model::Event &e, std::uint64_t step);
	/* A slot freed while another task holds the PTL of a swap PTE naming
	 * it: that task may be about to replace the PTE (do_swap_page() frees
	 * the entry before set_ptes()); judged when the PTL is released. */
	struct PendingSwapFree {
		std::uint32_t table, slot, swap;
		std::uint64_t step;
		TaskId task;
		std::string label;
	};
	std::vector<PendingSwapFree> pendingSwapFrees_;
	void checkPendingSwapFrees(Execution &exec);
	void reportSwapDangling(Execution &exec, std::uint32_t table, std::uint32_t slot,
				std::uint32_t swap, std::uint64_t step, TaskId task,
				const std::string &label, bool deferred);
	void checkPaeCleared(Execution &exec, const model::Event &e, std::uint64_t step);
	std::string gupHolder(const model::GupRef &g) const;
	void checkStableWrite(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkEndState(Execution &exec);
	/* mremap */
	void checkRangeSafety(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkRemapResult(Execution &exec, const model::Event &e, std::uint64_t step);
	void checkRelocatePinned(Execution &exec, const model::Event &e, std::uint64_t step);
	/* end mremap */
	void checkMemoryAtEnd(Execution &exec);
	std::string anonVmaName(model::AnonVmaIdx a) const;
	void mergeCoverage();

	const scenarios::Scenario &scenario_;
	model::GuardSet guards_;
	std::vector<std::string> taskNames_;
	bool environmentIo_ = true;
	std::unique_ptr<model::World> world_;
	std::shared_ptr<LockDep> lockdep_;
	bool lockdepOn_ = true;
	std::shared_ptr<RunCoverage> coverage_;
	std::uint64_t lockdepExecution_ = 0;	/* this execution's id in lockdep_ */
	/*
	 * Dependencies this program knows the shared graph has. Edges are never
	 * removed and a cycle is caught when its last edge is added, so an
	 * acquisition adding only known edges needs no check (lockdep's chain
	 * cache) and takes no lock: parallel workers do not serialise on it.
	 */
	std::bitset<LockDep::kNodes * LockDep::kNodes> knownEdges_;
	bool tracing_ = false;
	std::vector<StepInfo> stepLog_;
	std::vector<std::string> initialState_;
	/* Last step that wrote each folio's mapping or index (for reports). */
	std::vector<StepRef> lastFolioWrite_;
	std::map<model::TableIdx, StepRef> tableFreedBy_;
	std::map<std::string, std::function<void(model::Kernel &)>> testOps_;
};

} // namespace mmrace::checker
