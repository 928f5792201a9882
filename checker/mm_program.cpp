/* SPDX-License-Identifier: GPL-2.0 */
#include "mm_program.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/kernel.hpp"
#include "model/ops/ops.hpp"

namespace mmrace::checker {

using namespace model;

MmProgram::MmProgram(const scenarios::Scenario &scenario, const GuardSet &guards,
		     std::shared_ptr<LockDep> lockdep)
	: scenario_(scenario), guards_(guards), lockdep_(std::move(lockdep))
{
	for (const auto &t : scenario.threads)
		taskNames_.push_back(t.name);
}

MmProgram::~MmProgram() = default;

void MmProgram::setUp(Execution &exec)
{
	lockdepExecution_ = lockdep_->beginExecution();
	world_ = std::make_unique<World>(scenario_, guards_, taskNames_);
	lastFolioWrite_.assign(world_->folios.size(), StepRef{0, kNoTask, ""});
	stepLog_.clear();
	for (const auto &t : scenario_.threads) {
		std::vector<std::function<void(Kernel &)>> ops;
		for (const auto &op : t.ops)
			ops.push_back(bindOp(*world_, op));
		World *w = world_.get();
		exec.spawn(t.name, [&exec, w, ops = std::move(ops)] {
			Kernel k(exec, *w);
			for (const auto &op : ops)
				op(k);
		});
	}
	/* Events of the tasks' prologues (up to their first points). */
	drainEvents(exec, 0);
}

std::string MmProgram::anonVmaName(AnonVmaIdx a) const
{
	if (a == kNone)
		return "(none)";
	const World &w = *world_;
	const AnonVma &av = w.anonVmas[a];
	if (av.root == a)
		return av.name;
	return fmt::format("{} (root {})", av.name, w.anonVmas[av.root].name);
}

std::string MmProgram::objectName(ObjectId id) const
{
	const World &w = *world_;
	std::uint64_t idx = objIndex(id);
	switch (objKind(id)) {
	case ObjKind::Lock:
		return idx < w.locks.size() ? w.locks[idx]->name() : "lock?";
	case ObjKind::Pte:
		return fmt::format("pte({:#x})", w.addressOf({static_cast<TableIdx>(idx / 512),
							       static_cast<std::uint32_t>(idx % 512)}));
	case ObjKind::Folio: {
		static const char *fields[] = {"->mapping", "->index", "->_refcount", "->_mapcount",
					       "->flags", " rmap (ghost)"};
		std::uint8_t f = objField(id);
		return fmt::format("folio {}{}", w.folios[idx].name, f < 6 ? fields[f] : "?");
	}
	case ObjKind::AnonVma:
		return fmt::format("anon_vma {}{}", w.anonVmas[idx].name,
				   objField(id) == 0 ? " tree" : "->refcount");
	}
	return "?";
}

void MmProgram::afterStep(Execution &exec, const Step &step)
{
	drainEvents(exec, step.index);
	if (!tracing_)
		return;
	StepInfo info;
	info.index = step.index;
	info.task = step.task;
	std::string_view label = step.access.label;
	auto colon = label.find(": ");
	info.function = std::string(label.substr(0, colon));
	info.what = colon == std::string_view::npos ? "" : std::string(label.substr(colon + 2));
	info.access = std::string(accessKindName(step.access.kind));
	if (step.access.object != kNoObject)
		info.access += " " + objectName(step.access.object);
	for (const HeldLock &h : world_->held[step.task])
		info.locks.push_back(h.lock->name() + (h.shared ? " (read)" : ""));
	stepLog_.push_back(std::move(info));
}

void MmProgram::drainEvents(Execution &exec, std::uint64_t step)
{
	World &w = *world_;
	for (std::size_t i = 0; i < w.events.size(); ++i) {
		const Event e = w.events[i];
		const std::string &who = taskNames_[e.task];
		switch (e.kind) {
		case Event::Kind::Acquiring: {
			bool reported = false;
			if (e.lock->sleeps()) {
				for (const HeldLock &h : w.held[e.task]) {
					if (h.lock->sleeps())
						continue;
					Finding f;
					f.invariant = "sleep-in-atomic";
					f.title = fmt::format("BUG: sleeping function called from invalid "
							      "context: {} takes {} while holding {}",
							      who, e.lock->name(), h.lock->name());
					f.message = fmt::format(
						"BUG: sleeping function called from invalid context\n"
						"in_atomic(): 1, task: {}\n"
						"  {} ({}) is a sleeping lock, taken at \"{}\"\n"
						"  while holding spinlock {} taken at \"{}\"\n"
						"Code holding a spinlock may only trylock a sleeping lock.\n",
						who, e.lock->name(), lockClassName(e.lock->lockClass()),
						e.label, h.lock->name(), h.label);
					f.steps = {{h.step, e.task, h.label}, {step, e.task, e.label}};
					exec.report(std::move(f));
					reported = true;
					break;
				}
			}
			/* lockdep's cycle report first: it says more than the rank rule. */
			if (!reported && !(lockdepOn_ && checkLockdep(exec, e, step)))
				checkLockRank(exec, e, step);
			break;
		}

		case Event::Kind::PteWritten:
			if (!w.holds(e.task, *w.tables[e.pte.table].ptl)) {
				Finding f;
				f.invariant = "pte-unlocked";
				f.title = fmt::format("{} writes {} without holding {}", who,
						      objectName(e.pte.object()),
						      w.tables[e.pte.table].ptl->name());
				f.message = fmt::format("  at \"{}\"\n  a PTE store must hold the PTL of its "
							"table, or concurrent walkers (rmap, faults, "
							"pte_same() rechecks) see it change under them\n",
							e.label);
				f.steps = {{step, e.task, e.label}};
				exec.report(std::move(f));
			}
			break;
		case Event::Kind::MappingWritten:
		case Event::Kind::IndexWritten:
			checkFolioWrite(exec, e, step);
			break;
		case Event::Kind::WalkBegin:
			checkWalkBegin(exec, e, step);
			break;
		case Event::Kind::WalkEnd:
			checkWalkEnd(exec, e, step);
			break;
		case Event::Kind::Acquired:
		case Event::Kind::Released:
			break;
		}
	}
	w.events.clear();
}

bool MmProgram::checkLockdep(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	const int next = LockDep::node(*e.lock, e.subclass);
	bool known = true;
	for (const HeldLock &h : w.held[e.task])
		known &= knownEdges_.test(LockDep::node(*h.lock, h.subclass) * LockDep::kNodes + next);
	if (known)
		return false;
	auto f = lockdep_->acquiring(taskNames_[e.task], step, lockdepExecution_, *e.lock, e.subclass,
				     e.label, w.held[e.task]);
	if (!f) {
		for (const HeldLock &h : w.held[e.task])
			knownEdges_.set(LockDep::node(*h.lock, h.subclass) * LockDep::kNodes + next);
		return false;
	}
	for (StepRef &s : f->steps)
		s.task = e.task;
	/* What a re-run needs: the graph as it was at this point. */
	f->context = {lockdep_->seq(), lockdepExecution_};
	exec.report(std::move(*f));
	return true;
}

bool MmProgram::checkLockRank(Execution &exec, const Event &e, std::uint64_t step)
{
	const int rank = lockClassRank(e.lock->lockClass());
	for (const HeldLock &h : world_->held[e.task]) {
		if (lockClassRank(h.lock->lockClass()) <= rank)
			continue;
		const std::string &who = taskNames_[e.task];
		Finding f;
		f.invariant = "lock-rank";
		f.title = fmt::format("{} takes {} while holding {}: against the documented mm lock "
				      "order",
				      who, e.lock->name(), h.lock->name());
		f.message = fmt::format("  mm/rmap.c orders {} (rank {}) before {} (rank {})\n"
					"  {} holds {} taken at \"{}\"\n"
					"  and blocks on {} at \"{}\"\n"
					"  (only a trylock may take a lock out of order)\n",
					lockClassName(e.lock->lockClass()), rank,
					lockClassName(h.lock->lockClass()), lockClassRank(h.lock->lockClass()),
					who, h.lock->name(), h.label,
					e.lock->name(), e.label);
		f.steps = {{h.step, e.task, h.label}, {step, e.task, e.label}};
		exec.report(std::move(f));
		return true;
	}
	return false;
}

static Severity walkSeverity(const RmapWalk &walk)
{
	return walk.heuristic ? Severity::Benign : Severity::Harmful;
}

void MmProgram::checkWalkBegin(Execution &exec, const Event &e, std::uint64_t step)
{
	World &w = *world_;
	RmapWalk &walk = w.walks[e.walk];
	const Folio &f = w.folios[walk.folio];
	bool folioLocked = w.holds(walk.task, *f.lock);
	AnonVmaIdx now = f.mapping;
	bool rootHeld = now != kNone && w.holds(walk.task, w.rootRwsem(now));
	const StepRef &last = lastFolioWrite_[walk.folio];
	std::string lastText = last.task == kNoTask
				       ? std::string()
				       : fmt::format("\n  folio {}->mapping/index last changed at step {} by {}: \"{}\"",
						     f.name, last.step, taskNames_[last.task], last.what);
	if (!folioLocked && !rootHeld) {
		Finding fd;
		fd.invariant = "rmap-walk-lock";
		fd.title = fmt::format("{} walks anon_vma {} for folio {}, but {}->mapping is {}: "
				       "the walker holds neither its root rwsem nor the folio lock",
				       walk.walker, anonVmaName(walk.anonVma), f.name, f.name,
				       anonVmaName(now));
		fd.message = fmt::format(
			"  {} holds {} and walks {}'s tree at pgoff {:#x}\n"
			"  but folio {} now hangs off anon_vma {}: the lock held does not serialise "
			"against changes to that rmap, and {} may be unlinked and freed under the "
			"walker{}\n",
			taskNames_[walk.task], w.rootRwsem(walk.anonVma).name(),
			anonVmaName(walk.anonVma), walk.pgoff, f.name, anonVmaName(now),
			anonVmaName(walk.anonVma), lastText);
		fd.steps = {{step, walk.task, e.label}};
		if (last.task != kNoTask)
			fd.steps.insert(fd.steps.begin(), last);
		walk.reported = true;
		exec.report(std::move(fd));
	} else if (now != walk.anonVma) {
		Finding fd;
		fd.invariant = "rmap-walk-stable";
		fd.severity = walkSeverity(walk);
		fd.title = fmt::format("{} walks anon_vma {} but folio {} belongs to {}", walk.walker,
				       anonVmaName(walk.anonVma), f.name, anonVmaName(now));
		fd.message = fmt::format("  the walk searches a tree the folio no longer hangs off{}\n",
					 lastText);
		fd.steps = {{step, walk.task, e.label}};
		walk.reported = true;
		exec.report(std::move(fd));
	}
}

void MmProgram::checkFolioWrite(Execution &exec, const Event &e, std::uint64_t step)
{
	World &w = *world_;
	const Folio &f = w.folios[e.folio];
	bool mapping = e.kind == Event::Kind::MappingWritten;
	const char *field = mapping ? "mapping" : "index";
	auto show = [&](std::uint64_t v) {
		return mapping ? anonVmaName(static_cast<AnonVmaIdx>(v)) : fmt::format("{:#x}", v);
	};
	StepRef here{step, e.task, e.label};
	if (!w.holds(e.task, *f.lock)) {
		Finding fd;
		fd.invariant = "folio-mapping-unlocked";
		fd.title = fmt::format("{} changes folio {}->{} without holding the folio lock",
				       taskNames_[e.task], f.name, field);
		fd.message = fmt::format("  at \"{}\": {} -> {}\n"
					 "  folio_move_anon_rmap(): VM_BUG_ON_FOLIO(!folio_test_locked(folio))\n"
					 "  rmap walkers that hold the folio lock rely on it\n",
					 e.label, show(e.oldValue), show(e.newValue));
		fd.steps = {here};
		exec.report(std::move(fd));
	}
	lastFolioWrite_[e.folio] = here;
	for (RmapWalk &walk : w.walks) {
		if (!walk.active || walk.folio != e.folio || walk.reported || walk.task == e.task)
			continue;
		AnonVmaIdx now = f.mapping;
		bool lockOk = w.holds(walk.task, *f.lock) ||
			      (now != kNone && w.holds(walk.task, w.rootRwsem(now)));
		Finding fd;
		fd.steps = {{walk.beginStep, walk.task, "rmap walk started"}, here};
		if (mapping && !lockOk) {
			fd.invariant = "rmap-walk-lock";
			fd.title = fmt::format("{} moves folio {} to anon_vma {} while {} walks {} "
					       "holding only {}",
					       taskNames_[e.task], f.name, anonVmaName(now), walk.walker,
					       anonVmaName(walk.anonVma), w.rootRwsem(walk.anonVma).name());
			fd.message = fmt::format("  at \"{}\"\n  the walker's lock no longer covers the "
						 "folio's rmap\n",
						 e.label);
		} else {
			fd.invariant = "rmap-walk-stable";
			fd.severity = walkSeverity(walk);
			fd.title = fmt::format("folio {}->{} changes from {} to {} while {} walks "
					       "anon_vma {} at pgoff {:#x}",
					       f.name, field, show(e.oldValue), show(e.newValue),
					       walk.walker, anonVmaName(walk.anonVma), walk.pgoff);
			fd.message = fmt::format(
				"  at \"{}\" by {}\n  the walk searches with the {} it read at its start and "
				"can miss the folio's mapping{}\n",
				e.label, taskNames_[e.task], field,
				walk.heuristic ? " (benign: a heuristic walker only gets a wrong "
						 "\"not referenced\")"
					       : "");
		}
		walk.reported = true;
		exec.report(std::move(fd));
	}
}

void MmProgram::checkWalkEnd(Execution &exec, const Event &e, std::uint64_t step)
{
	World &w = *world_;
	RmapWalk &walk = w.walks[e.walk];
	if (walk.reported)
		return;
	std::vector<std::string> missed;
	for (const PteRef &r : walk.throughout)
		if (std::find(walk.visited.begin(), walk.visited.end(), r) == walk.visited.end())
			missed.push_back(objectName(r.object()));
	if (missed.empty())
		return;
	Finding fd;
	fd.invariant = "rmap-walk-incomplete";
	fd.severity = walkSeverity(walk);
	fd.title = fmt::format("{} missed {} mapping folio {} throughout its walk", walk.walker,
			       fmt::join(missed, ", "), w.folios[walk.folio].name);
	fd.message = fmt::format("  walked anon_vma {} at pgoff {:#x}\n", anonVmaName(walk.anonVma),
				 walk.pgoff);
	fd.steps = {{walk.beginStep, walk.task, "rmap walk started"}, {step, walk.task, e.label}};
	walk.reported = true;
	exec.report(std::move(fd));
}

void MmProgram::atEnd(Execution &exec)
{
	drainEvents(exec, exec.steps());
	World &w = *world_;
	std::vector<int> mapped(w.folios.size(), 0);
	for (std::size_t t = 0; t < w.tables.size(); ++t) {
		for (std::uint32_t s = 0; s < 512; ++s) {
			const Pte &pte = w.tables[t].entries[s];
			if (!pte.present())
				continue;
			++mapped[pte.folio];
			const Folio &f = w.folios[pte.folio];
			PteRef r{static_cast<TableIdx>(t), s};
			std::uint64_t addr = w.addressOf(r);
			VmaIdx v = w.findVma(addr);
			std::string why;
			if (v == kNone) {
				why = "no VMA covers it";
			} else {
				const Vma &vma = w.vmas[v];
				std::uint64_t at = 0;
				if (f.mapping == kNone || vma.anonVma == kNone)
					why = "the folio or the VMA has no anon_vma";
				else if (w.anonVmas[f.mapping].root != w.anonVmas[vma.anonVma].root)
					why = fmt::format("{}->mapping is {} but VMA {} belongs to {}",
							  f.name, anonVmaName(f.mapping), vma.name,
							  anonVmaName(vma.anonVma));
				else if (std::find(w.anonVmas[f.mapping].vmas.begin(),
						   w.anonVmas[f.mapping].vmas.end(),
						   v) == w.anonVmas[f.mapping].vmas.end())
					why = fmt::format("VMA {} is not on anon_vma {}'s tree", vma.name,
							  anonVmaName(f.mapping));
				else if (!vma.addressOf(f.index, at) || at != addr)
					why = fmt::format("{}->index {:#x} puts it at another address of "
							  "VMA {}", f.name, f.index, vma.name);
			}
			if (!why.empty()) {
				Finding fd;
				fd.invariant = "rmap-unreachable";
				fd.title = fmt::format("{} maps folio {} but rmap cannot find it: {}",
						       objectName(r.object()), f.name, why);
				fd.message = "  try_to_unmap()/try_to_migrate() would leave this PTE behind\n";
				if (lastFolioWrite_[pte.folio].task != kNoTask)
					fd.steps = {lastFolioWrite_[pte.folio]};
				exec.report(std::move(fd));
			}
		}
	}
	for (std::size_t i = 0; i < w.folios.size(); ++i) {
		const Folio &f = w.folios[i];
		if (f.mapcount != mapped[i]) {
			Finding fd;
			fd.invariant = "mapcount";
			fd.title = fmt::format("folio {} has mapcount {} but {} PTEs map it", f.name,
					       f.mapcount, mapped[i]);
			exec.report(std::move(fd));
		}
		if (f.refcount != f.mapcount) {
			Finding fd;
			fd.invariant = "refcount";
			fd.title = fmt::format("folio {} ends with refcount {} for mapcount {}: a "
					       "reference was {}",
					       f.name, f.refcount, f.mapcount,
					       f.refcount > f.mapcount ? "leaked" : "dropped twice");
			exec.report(std::move(fd));
		}
	}
}

} // namespace mmrace::checker
