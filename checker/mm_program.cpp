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
	/* io-completion: one environment task per bio that can be in flight */
	for (const Bio &b : World::bioPlan(scenario))
		taskNames_.push_back(b.task);
}

MmProgram::~MmProgram()
{
	mergeCoverage();
}

/* The last execution's reached guards, once per execution (not per test). */
void MmProgram::mergeCoverage()
{
	if (coverage_ && world_)
		coverage_->guardsReached.fetch_or(world_->guards().reached().to_ullong(),
						  std::memory_order_relaxed);
}

void MmProgram::setUp(Execution &exec)
{
	mergeCoverage();
	lockdepExecution_ = lockdep_->beginExecution();
	world_ = std::make_unique<World>(scenario_, guards_, taskNames_, scenario_.threads.size());
	lastFolioWrite_.assign(world_->folios.size(), StepRef{0, kNoTask, ""});
	tableFreedBy_.clear();
	pendingSwapFrees_.clear();
	stepLog_.clear();
	if (tracing_)
		initialState_ = describeState();
	for (const auto &t : scenario_.threads) {
		std::vector<std::function<void(Kernel &)>> ops;
		for (const auto &op : t.ops) {
			auto test = testOps_.find(op.op);
			ops.push_back(test != testOps_.end() ? test->second : bindOp(*world_, op));
		}
		World *w = world_.get();
		exec.spawn(t.name, [&exec, w, ops = std::move(ops)] {
			Kernel k(exec, *w);
			for (const auto &op : ops) {
				/* lost-write linearisability: the op's invocation, and
				 * at its response no move of it is in flight any more */
				w->opBegin[k.self()] = exec.steps();
				op(k);
				std::erase_if(w->memForward, [&](const World::MemForward &f) {
					return f.task == k.self();
				});
			}
		});
	}
	/* io-completion: the environment's I/O completions, each a task of its
	 * own (an interrupt on another CPU), spawned after the threads */
	for (std::size_t b = 0; environmentIo_ && b < world_->bios.size(); ++b) {
		World *w = world_.get();
		exec.spawn(
		    world_->bios[b].task,
		    [&exec, w, b] {
			    Kernel k(exec, *w);
			    swapIoCompletion(k, static_cast<int>(b));
		    },
		    true);
	}
	/* Events of the tasks' prologues (up to their first points). */
	drainEvents(exec, 0);
}

std::vector<std::string> MmProgram::describeState() const
{
	const World &w = *world_;
	std::vector<std::string> out;
	for (const Vma &v : w.vmas) {
		if (v.detached)
			continue;
		std::string anon =
		    v.anonVma == kNone ? "no anon_vma" : "anon_vma " + anonVmaName(v.anonVma);
		out.push_back(fmt::format(
		    "vma {} [{:#x}, {:#x}) pgoff {:#x}, {}{}{}{}", v.name, v.start, v.end, v.pgoff,
		    anon, v.file != kNone ? ", file" : "", v.writable ? "" : ", read-only",
		    v.uffdMissing || v.uffdWp ? ", userfaultfd" : ""));
	}
	for (std::size_t t = 0; t < w.tables.size(); ++t) {
		const PteTable &pt = w.tables[t];
		if (pt.freed || pt.installedAt == kNone)
			continue;
		for (std::uint32_t i = 0; i < pt.entries.size(); ++i) {
			const Pte &e = pt.entries[i];
			if (e.none())
				continue;
			std::uint64_t addr = pt.base + i * kPageSize;
			std::string what;
			if (e.present()) {
				const Folio &f = w.folios[e.folio];
				what = fmt::format("folio {} ({}{}, refcount {}, mapcount {}{})",
						   f.name, e.writable ? "writable" : "read-only",
						   e.dirty ? ", dirty" : "", f.refcount, f.mapcount,
						   f.pae ? ", PageAnonExclusive" : "");
			} else if (e.isSwap()) {
				what = fmt::format("swap entry, slot {}{}", e.swap,
						   e.exclusive ? ", exclusive" : "");
			} else {
				what = fmt::format("migration entry for folio {}",
						   w.folios[e.folio].name);
			}
			out.push_back(fmt::format("pte({:#x}) -> {}", addr, what));
		}
	}
	for (std::size_t c = 0; c < w.tlb.size(); ++c)
		for (const TlbEntry &e : w.tlb[c])
			out.push_back(fmt::format(
			    "tlb(cpu{}) of {}: {:#x} -> folio {}{}", c,
			    c < taskNames_.size() ? taskNames_[c] : fmt::format("task {}", c),
			    e.addr, e.folio == kNone ? "(none)" : w.folios[e.folio].name,
			    e.writable ? " (writable)" : ""));
	return out;
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

std::string MmProgram::objectName(ObjectId id, AccessKind kind) const
{
	const World &w = *world_;
	std::uint64_t idx = objIndex(id);
	std::uint8_t f = objField(id);
	switch (objKind(id)) {
	case ObjKind::Lock:
		return idx < w.locks.size() ? w.locks[idx]->name() : fmt::format("lock #{}", idx);
	case ObjKind::Pte:
		return fmt::format("pte({:#x})",
				   w.addressOf({static_cast<TableIdx>(idx / 512),
						static_cast<std::uint32_t>(idx % 512)}));
	case ObjKind::Folio: {
		static const char *fields[] = {"->mapping",	     "->index", "->_refcount",
					       "->_mapcount",	     "->flags", " rmap (ghost)",
					       " PageAnonExclusive", " data"};
		std::string name =
		    idx < w.folios.size() ? w.folios[idx].name : fmt::format("#{}", idx);
		return fmt::format("folio {}{}", name, f < 8 ? fields[f] : "");
	}
	case ObjKind::AnonVma:
		return fmt::format("anon_vma {}{}",
				   idx < w.anonVmas.size() ? w.anonVmas[idx].name
							   : fmt::format("#{}", idx),
				   f == 0 ? " tree" : "->refcount");
	case ObjKind::Pmd:
		return idx < w.pmds.size() ? fmt::format("pmd({:#x})", w.pmds[idx].base)
					   : fmt::format("pmd #{}", idx);
	case ObjKind::Table:
		return idx < w.tables.size() ? fmt::format("pte table of {:#x}", w.tables[idx].base)
					     : fmt::format("pte table #{}", idx);
	case ObjKind::Swap: {
		static const char *fields[] = {"count", "swap cache entry", "data"};
		return fmt::format("swap slot {} {}", idx, f < 3 ? fields[f] : "");
	}
	case ObjKind::Mm:
		switch (static_cast<MmField>(f)) {
		case MmField::Tlb:
			return fmt::format("tlb(cpu{})", idx);
		case MmField::Irq:
			/* Exclusive: an IPI delivered to that CPU; shared: its
			 * local_irq_save() section. */
			return kind == AccessKind::Acquire || kind == AccessKind::Release
				   ? fmt::format("ipi(cpu{})", idx)
				   : fmt::format("irq(cpu{})", idx);
		case MmField::Rcu:
			return "rcu";
		case MmField::FolioAlloc:
			return "page allocator";
		case MmField::SwapAlloc:
			return "swap slot allocator";
		case MmField::WriteProtectSeq:
			return "mm->write_protect_seq";
		case MmField::Pud:
			return "pud";
		case MmField::VmaTree:
			return "mm->mm_mt (VMA tree)";
		}
		return fmt::format("mm field {}", f);
	case ObjKind::Vma: {
		std::string name = idx < w.vmas.size() ? w.vmas[idx].name : fmt::format("#{}", idx);
		return f == 1 ? fmt::format("vma {}->anon_vma", name)
			      : fmt::format("vma {} (tree entry)", name);
	}
	case ObjKind::Mem:
		return fmt::format("memory at {:#x}", idx * 4096);
	}
	return fmt::format("object {:#x}", id);
}

void MmProgram::afterStep(Execution &exec, const Step &step)
{
	drainEvents(exec, step.index);
	if (!pendingSwapFrees_.empty())
		checkPendingSwapFrees(exec);
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
		info.access += " " + objectName(step.access.object, step.access.kind);
	for (ObjectId o : {step.access.object2, step.access.object3})
		if (o != kNoObject)
			info.touches.push_back(objectName(o, step.access.kind));
	for (const HeldLock &h : world_->held[step.task])
		info.locks.push_back(h.lock->name() + (h.shared ? " (read)" : ""));
	stepLog_.push_back(std::move(info));
}

void MmProgram::drainEvents(Execution &exec, std::uint64_t step)
{
	World &w = *world_;
	if (lastFolioWrite_.size() < w.folios.size())
		lastFolioWrite_.resize(w.folios.size(), StepRef{0, kNoTask, ""});
	for (std::size_t i = 0; i < w.events.size(); ++i) {
		const Event e = w.events[i];
		const std::string &who = taskNames_[e.task];
		switch (e.kind) {
		case Event::Kind::Acquiring: {
			bool reported = e.lock->sleeps() && checkSleep(exec, e, step);
			/* lockdep's cycle report first: it says more than the rank rule. */
			if (!reported && !(lockdepOn_ && checkLockdep(exec, e, step)))
				checkLockRank(exec, e, step);
			break;
		}
		case Event::Kind::MightSleep:
			checkSleep(exec, e, step);
			break;

		case Event::Kind::PteWritten:
			checkRangeSafety(exec, e, step);
			checkPae(exec, e, step);
			checkStableWrite(exec, e, step);
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
			checkRelocatePinned(exec, e, step);
			break;
		case Event::Kind::WalkBegin:
			checkWalkBegin(exec, e, step);
			break;
		case Event::Kind::WalkEnd:
			checkWalkEnd(exec, e, step);
			break;
		case Event::Kind::PmdWritten:
			checkRangeSafety(exec, e, step);
			if (!w.holds(e.task, *w.pmdLock)) {
				Finding f;
				f.invariant = "pmd-unlocked";
				f.title = fmt::format("{} writes PMD {:#x} without holding {}", who,
						      w.pmds[e.pmd].base, w.pmdLock->name());
				f.message = fmt::format("  at \"{}\"\n", e.label);
				f.steps = {{step, e.task, e.label}};
				exec.report(std::move(f));
			}
			break;
		case Event::Kind::FolioFreed:
			checkFolioFreed(exec, e, step);
			break;
		case Event::Kind::TableFreed:
		case Event::Kind::StaleTableAccess:
			checkTable(exec, e, step);
			break;
		case Event::Kind::UserRead:
			checkUserRead(exec, e, step);
			break;
		case Event::Kind::PinTaken:
			checkPin(exec, e, step);
			break;
		case Event::Kind::SwapFreed:
			checkSwapFreed(exec, e, step);
			break;
		case Event::Kind::Warn: {
			Finding f;
			f.invariant = "kernel-warning";
			f.title = fmt::format("WARNING: {} in {}", e.text, e.label);
			f.message = fmt::format("  {} hits a VM_WARN_ON/VM_BUG_ON the model reproduces\n"
						"  at \"{}\": {}\n",
						who, e.label, e.text);
			f.steps = {{step, e.task, e.label}};
			exec.report(std::move(f));
			break;
		}
		case Event::Kind::PaeCleared:
			checkPaeCleared(exec, e, step);
			break;
		case Event::Kind::RemapDone:
			checkRemapResult(exec, e, step);
			break;
		case Event::Kind::Acquired:
		case Event::Kind::Released:
		case Event::Kind::UserWrite:
		case Event::Kind::PinReleased:
			break;
		}
	}
	w.events.clear();
}

bool MmProgram::checkSleep(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	const std::string &who = taskNames_[e.task];
	std::string what = e.lock ? fmt::format("takes {} ({}), a sleeping lock,", e.lock->name(),
					       lockClassName(e.lock->lockClass()))
				  : std::string("sleeps");
	std::string context;
	StepRef since{step, e.task, e.label};
	for (const HeldLock &h : w.held[e.task]) {
		if (h.lock->sleeps())
			continue;
		context = fmt::format("while holding spinlock {} taken at \"{}\"", h.lock->name(),
				      h.label);
		since = {h.step, e.task, h.label};
		break;
	}
	if (context.empty() && w.irqOff[e.task])
		context = "with IRQs disabled (local_irq_save)";
	if (context.empty() && w.rcuDepth[e.task] > 0)
		context = "inside an RCU read-side critical section";
	if (context.empty())
		return false;
	Finding f;
	f.invariant = "sleep-in-atomic";
	f.title = fmt::format("BUG: sleeping function called from invalid context: {} {} {}", who,
			      what, context);
	f.message = fmt::format("BUG: sleeping function called from invalid context\n"
				"in_atomic(): 1, task: {}\n"
				"  {} at \"{}\"\n"
				"  {}\n"
				"Atomic context may only trylock a sleeping lock.\n",
				who, what, e.label, context);
	f.steps = {since, {step, e.task, e.label}};
	if (since.step == step)
		f.steps.pop_back();
	exec.report(std::move(f));
	return true;
}

void MmProgram::checkPae(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	if (!e.newPte.present() || !e.newPte.writable)
		return;
	const Folio &f = w.folios[e.newPte.folio];
	if (!f.anon || f.pae)
		return;
	Finding fd;
	fd.invariant = "pae";
	fd.title = fmt::format("{} maps folio {} writable at {} without PageAnonExclusive",
			       taskNames_[e.task], f.name, objectName(e.pte.object()));
	fd.message = fmt::format("  at \"{}\"\n  VM_BUG_ON(pte_write(pte) && !PageAnonExclusive(page)): "
				 "a writable anon PTE must map an exclusive page (I-5b)\n",
				 e.label);
	fd.steps = {{step, e.task, e.label}};
	exec.report(std::move(fd));
}

void MmProgram::checkPin(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	const GupRef &g = w.gupRefs[e.gupRef];
	const Folio &f = w.folios[g.folio];
	if (!g.pin || !f.anon || f.pae)
		return;
	Finding fd;
	fd.invariant = "pae";
	fd.title = fmt::format("{} pins anon folio {} at {:#x} without PageAnonExclusive",
			       taskNames_[e.task], f.name, g.addr);
	fd.message = "  sanity_check_pinned_pages(): a FOLL_PIN of an anon page requires it to be "
		     "exclusive (I-5c); gup_must_unshare() should have refused\n";
	fd.steps = {{step, e.task, "pin"}};
	exec.report(std::move(fd));
}

void MmProgram::checkFolioFreed(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	const Folio &f = w.folios[e.folio];
	std::vector<std::string> refs;
	for (const PteRef &r : w.entriesReferring(e.folio))
		refs.push_back(fmt::format("{} ({})", objectName(r.object()),
					   w.pte(r).present() ? "present" : "migration entry"));
	for (std::size_t c = 0; c < w.tlb.size(); ++c)
		for (const TlbEntry &t : w.tlb[c])
			if (t.folio == e.folio)
				refs.push_back(fmt::format("the TLB of {}'s CPU ({:#x})", taskNames_[c],
							   t.addr));
	for (const GupRef &g : w.gupRefs)
		if (g.folio == e.folio && !g.released)
			refs.push_back(fmt::format("a GUP {} held by {}", g.pin ? "pin" : "reference",
						   gupHolder(g)));
	if (refs.empty())
		return;
	Finding fd;
	fd.invariant = "folio-use-after-free";
	fd.title = fmt::format("folio {} is freed while {} still reaches it", f.name, refs.front());
	fd.message = fmt::format("  freed at \"{}\" by {}\n  still reachable through: {}\n"
				 "  (I-7: a folio is freed only after every PTE, migration entry, "
				 "TLB entry and pin to it is gone)\n",
				 e.label, taskNames_[e.task], fmt::join(refs, "; "));
	fd.steps = {{step, e.task, e.label}};
	exec.report(std::move(fd));
}

void MmProgram::checkTable(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	const PteTable &t = w.tables[e.table];
	Finding fd;
	fd.invariant = "pgtable-use-after-free";
	fd.steps = {{step, e.task, e.label}};
	if (e.kind == Event::Kind::StaleTableAccess) {
		fd.title = fmt::format("{} accesses the freed page table that mapped {:#x}",
				       taskNames_[e.task], t.base);
		fd.message = fmt::format("  at \"{}\": the table page was freed at \"{}\"\n"
					 "  (I-7f: a lockless walker must be excluded, by IRQs off + "
					 "IPI or RCU, before a table is freed)\n",
					 e.label, tableFreedBy_.count(e.table) ? tableFreedBy_[e.table].what : "?");
		if (tableFreedBy_.count(e.table))
			fd.steps.insert(fd.steps.begin(), tableFreedBy_[e.table]);
		exec.report(std::move(fd));
		return;
	}
	/* guards-audit: table indices are never reused, so a second free of
	 * one is a double pte_free() */
	if (auto first = tableFreedBy_.find(e.table); first != tableFreedBy_.end()) {
		fd.title = fmt::format("{} frees the page table that mapped {:#x} a second time",
				       taskNames_[e.task], t.base);
		fd.message = fmt::format("  at \"{}\": it was freed at \"{}\" already (a double "
					 "free of a page-table page)\n",
					 e.label, first->second.what);
		fd.steps.insert(fd.steps.begin(), first->second);
		exec.report(std::move(fd));
		return;
	}
	tableFreedBy_[e.table] = {step, e.task, e.label};
	std::string why;
	if (t.installedAt != kNone)
		why = fmt::format("the PMD for {:#x} still points at it", w.pmds[t.installedAt].base);
	else
		for (std::uint32_t s = 0; s < 512 && why.empty(); ++s)
			if (!t.entries[s].none())
				why = fmt::format("entry {} is not none", objectName(PteRef{e.table, s}.object()));
	if (why.empty())
		return;
	fd.title = fmt::format("{} frees a page table while {}", taskNames_[e.task], why);
	fd.message = fmt::format("  at \"{}\"\n", e.label);
	exec.report(std::move(fd));
}

void MmProgram::checkUserRead(Execution &exec, const Event &e, std::uint64_t step)
{
	if (!e.known || e.legal)
		return;
	Finding fd;
	fd.invariant = "lost-write";
	fd.title = fmt::format("{} reads {:#x} at {:#x} but the last completed write there stored "
			       "{:#x}",
			       taskNames_[e.task], e.newValue, e.addr, e.oldValue);
	fd.message = fmt::format("  at \"{}\"{}\n  (I-8: every completed user or DMA write is seen "
				 "by later reads of that address)\n",
				 e.label, e.dma ? " (DMA through a pin)" : "");
	fd.steps = {{step, e.task, e.label}};
	exec.report(std::move(fd));
}

void MmProgram::checkSwapFreed(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	for (std::size_t t = 0; t < w.tables.size(); ++t) {
		if (w.tables[t].freed)
			continue;
		/* do_swap_page() frees the entry (swap_free_nr(), folio_free_swap())
		 * under the PTL of the swap PTE it is about to replace: nobody
		 * can use that PTE before set_ptes(). */
		if (w.holds(e.task, *w.tables[t].ptl))
			continue;
		bool otherHolds = false;
		for (TaskId x = 0; x < w.held.size() && !otherHolds; ++x)
			otherHolds = w.holds(x, *w.tables[t].ptl);
		for (std::uint32_t s = 0; s < 512; ++s) {
			const Pte &pte = w.tables[t].entries[s];
			if (!pte.isSwap() || pte.swap != e.swap)
				continue;
			if (otherHolds) {
				/* The holder may be replacing it (do_swap_page() after
				 * its swap_free_nr(), another task's reclaim having
				 * reused and freed the slot since): judge at unlock. */
				pendingSwapFrees_.push_back({static_cast<std::uint32_t>(t), s,
							     static_cast<std::uint32_t>(e.swap), step,
							     e.task, e.label});
				continue;
			}
			reportSwapDangling(exec, static_cast<std::uint32_t>(t), s,
					   static_cast<std::uint32_t>(e.swap), step, e.task, e.label,
					   false);
			return;
		}
	}
}

void MmProgram::checkPendingSwapFrees(Execution &exec)
{
	const World &w = *world_;
	for (std::size_t i = 0; i < pendingSwapFrees_.size();) {
		const PendingSwapFree p = pendingSwapFrees_[i];
		const auto &table = w.tables[p.table];
		const Pte &pte = table.entries[p.slot];
		if (table.freed || !pte.isSwap() || pte.swap != p.swap) {
			pendingSwapFrees_.erase(pendingSwapFrees_.begin() + i); /* replaced */
			continue;
		}
		bool held = false;
		for (TaskId x = 0; x < w.held.size() && !held; ++x)
			held = w.holds(x, *table.ptl);
		if (held) {
			++i;
			continue;
		}
		pendingSwapFrees_.clear();
		reportSwapDangling(exec, p.table, p.slot, p.swap, p.step, p.task, p.label, true);
		return;
	}
}

void MmProgram::reportSwapDangling(Execution &exec, std::uint32_t table, std::uint32_t slot,
				   std::uint32_t swap, std::uint64_t step, TaskId task,
				   const std::string &label, bool deferred)
{
	Finding fd;
	fd.invariant = "swap-entry-dangling";
	fd.title = fmt::format("swap slot {} is freed while {} still holds its swap entry", swap,
			       objectName(PteRef{static_cast<TableIdx>(table), slot}.object()));
	fd.message = fmt::format("  freed at \"{}\"{} (I-7c: a swap PTE names a slot with count > "
				 "0)\n",
				 label,
				 deferred ? "; the PTE was still there when its PTL was released"
					  : "");
	fd.steps = {{step, task, label}};
	exec.report(std::move(fd));
}

/*
 * do_swap_page(): "not all swap backends support concurrent page
 * modifications while under writeback ... we must not ... map it writable
 * without further checks and modify it while still under writeback". A
 * folio whose swap-out I/O to a SWP_STABLE_WRITES device is in flight is
 * never mapped writable.
 */
void MmProgram::checkStableWrite(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	if (!e.newPte.present() || !e.newPte.writable || !w.swap.stableWrites)
		return;
	const Folio &f = w.folios[e.newPte.folio];
	if (!f.writeback || !f.swapcache)
		return;
	Finding fd;
	fd.invariant = "stable-write";
	fd.title = fmt::format("{} maps folio {} writable at {} while its writeback to a stable-writes "
			       "swap device is in flight",
			       taskNames_[e.task], f.name, objectName(e.pte.object()));
	fd.message = fmt::format("  at \"{}\"\n  a user store can now change the page while the device "
				 "reads it (SWP_STABLE_WRITES: checksums, compression); the data "
				 "written to swap slot {} no longer matches the page\n",
				 e.label, f.swap);
	fd.steps = {{step, e.task, e.label}};
	exec.report(std::move(fd));
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
	checkEndState(exec);
	checkMemoryAtEnd(exec);
	if (coverage_)
		coverage_->endStates.fetch_add(1, std::memory_order_relaxed);
}

/*
 * The quiescent invariants, on the final state (every operation is done,
 * so no lock is held): I-1 rmap reachability of every present, migration
 * and swapcache-backed swap entry, I-3 mapcount, I-4 refcount, I-6 pins,
 * I-7b no migration entry left behind.
 */
void MmProgram::checkEndState(Execution &exec)
{
	World &w = *world_;
	std::vector<int> mapped(w.folios.size(), 0);
	auto unreachable = [&](const Folio &f, std::uint64_t addr) -> std::string {
		VmaIdx v = w.findVma(addr);
		if (v == kNone)
			return "no VMA covers it";
		const Vma &vma = w.vmas[v];
		std::uint64_t at = 0;
		if (f.mapping == kNone || vma.anonVma == kNone)
			return "the folio or the VMA has no anon_vma";
		if (w.anonVmas[f.mapping].root != w.anonVmas[vma.anonVma].root)
			return fmt::format("{}->mapping is {} but VMA {} belongs to {}", f.name,
					   anonVmaName(f.mapping), vma.name, anonVmaName(vma.anonVma));
		const auto &tree = w.anonVmas[f.mapping].vmas;
		if (std::find(tree.begin(), tree.end(), v) == tree.end())
			return fmt::format("VMA {} is not on anon_vma {}'s tree", vma.name,
					   anonVmaName(f.mapping));
		if (!vma.addressOf(f.index, at) || at != addr)
			return fmt::format("{}->index {:#x} puts it at another address of VMA {}", f.name,
					   f.index, vma.name);
		return {};
	};
	for (std::size_t t = 0; t < w.tables.size(); ++t) {
		if (w.tables[t].freed || w.tables[t].installedAt == kNone)
			continue;
		for (std::uint32_t s = 0; s < 512; ++s) {
			const Pte &pte = w.tables[t].entries[s];
			PteRef r{static_cast<TableIdx>(t), s};
			FolioIdx fi = kNone;
			const char *kind = "";
			if (pte.present()) {
				fi = pte.folio;
				++mapped[fi];
				kind = "maps";
			} else if (pte.isMigration()) {
				fi = pte.folio;
				kind = "holds a migration entry for";
				Finding fd;
				fd.invariant = "migration-entry-leak";
				fd.title = fmt::format("{} still holds a migration entry for folio {} after "
						       "every migration ended",
						       objectName(r.object()), w.folios[fi].name);
				fd.message = "  a fault there waits on the folio lock and retries forever; "
					     "rmap no longer finds it (I-7b)\n";
				exec.report(std::move(fd));
			} else if (pte.isSwap() && pte.swap < static_cast<SwapIdx>(w.swap.slots.size())) {
				fi = w.swap.slots[pte.swap].cache;
				kind = "holds a swap entry whose swapcache folio is";
			}
			if (fi == kNone || w.folios[fi].freed)
				continue;
			const Folio &f = w.folios[fi];
			std::string why = unreachable(f, w.addressOf(r));
			if (why.empty())
				continue;
			Finding fd;
			fd.invariant = "rmap-unreachable";
			fd.title = fmt::format("{} {} folio {} but rmap cannot find it: {}",
					       objectName(r.object()), kind, f.name, why);
			fd.message = "  try_to_unmap()/try_to_migrate() would leave this entry behind\n";
			if (lastFolioWrite_[fi].task != kNoTask)
				fd.steps = {lastFolioWrite_[fi]};
			exec.report(std::move(fd));
		}
	}
	std::vector<int> gupRefs(w.folios.size(), 0);
	for (std::size_t i = 0; i < w.gupRefs.size(); ++i) {
		const GupRef &g = w.gupRefs[i];
		if (g.released)
			continue;
		gupRefs[g.folio] += g.pin ? kGupPinCountingBias : 1;
		/* I-6 is FOLL_PIN's promise; a FOLL_GET reference may legitimately
		 * outlive the mapping (reclaim unmaps such folios, and
		 * __remove_mapping's freeze keeps them in the swap cache). */
		if (!g.pin || w.gupRefRemapped[i])
			continue;
		PteRef r = w.pteFor(g.addr);
		if (r.table != kNone && w.pte(r).mapsFolio(g.folio))
			continue;
		Finding fd;
		fd.invariant = "pin-unmapped";
		fd.title = fmt::format("{} holds a {} on folio {} for {:#x}, but {:#x} no longer maps it",
				       gupHolder(g), g.pin ? "pin" : "GUP reference",
				       w.folios[g.folio].name, g.addr, g.addr);
		fd.message = "  I-6: while a pin is held and the user did not unmap or remap the "
			     "address, the entry keeps mapping the pinned folio (DMA would go to memory "
			     "the process no longer sees)\n";
		if (g.task != kNoTask)
			fd.steps = {{g.step, g.task, "pinned"}};
		exec.report(std::move(fd));
	}
	for (std::size_t i = 0; i < w.folios.size(); ++i) {
		const Folio &f = w.folios[i];
		if (f.freed)
			continue;
		if (f.mapcount != mapped[i]) {
			Finding fd;
			fd.invariant = "mapcount";
			fd.title = fmt::format("folio {} has mapcount {} but {} PTEs map it", f.name,
					       f.mapcount, mapped[i]);
			exec.report(std::move(fd));
		}
		int expected = f.mapcount + (f.swapcache ? 1 : 0) + gupRefs[i];
		if (f.refcount != expected) {
			Finding fd;
			fd.invariant = "refcount";
			fd.title = fmt::format("folio {} ends with refcount {}, expected {} (mapcount {}{}{})",
					       f.name, f.refcount, expected, f.mapcount,
					       f.swapcache ? " + swapcache 1" : "",
					       gupRefs[i] ? fmt::format(" + GUP {}", gupRefs[i]) : "");
			fd.message = fmt::format("  a reference was {}\n",
						 f.refcount > expected ? "leaked" : "dropped twice");
			exec.report(std::move(fd));
		}
	}
}

/* A GUP reference's holder: a task, or someone outside the scenario. */
std::string MmProgram::gupHolder(const GupRef &g) const
{
	return g.task == kNoTask ? std::string("a driver (held since before the scenario)")
				 : taskNames_[g.task];
}

/*
 * I-5c/I-5e: a page stays PageAnonExclusive while a FOLL_PIN pin on it is
 * held: folio_try_share_anon_rmap_pte() must refuse to clear it.
 */
void MmProgram::checkPaeCleared(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	for (const GupRef &g : w.gupRefs) {
		if (g.folio != e.folio || !g.pin || g.released)
			continue;
		Finding fd;
		fd.invariant = "pae";
		fd.title = fmt::format("{} clears PageAnonExclusive of folio {} while {} holds a pin on it",
				       taskNames_[e.task], w.folios[e.folio].name, gupHolder(g));
		fd.message = fmt::format("  at \"{}\"\n  a pinned anon page must stay exclusive (I-5c): "
					 "__folio_try_share_anon_rmap() backs off on "
					 "folio_maybe_dma_pinned(); sharing it lets the pinned page and "
					 "the page the process maps drift apart\n",
					 e.label);
		fd.steps = {{step, e.task, e.label}};
		exec.report(std::move(fd));
		return;
	}
}

/*
 * I-8 at the end: what a read of each address the oracle knows would
 * return now (a present PTE: its folio; a swap PTE: the swap cache folio,
 * else the slot's data on the device) is the last completed write there.
 * Catches writes that went to a folio after its data was written out and
 * were dropped with it (a stale TLB entry during swap-out).
 */
void MmProgram::checkMemoryAtEnd(Execution &exec)
{
	const World &w = *world_;
	for (const auto &[addr, value] : w.memory) {
		PteRef r = w.pteFor(addr);
		std::uint64_t now = 0;
		std::string where;
		/* khugepaged: a file VMA's address without a PTE (no table, or a
		 * none entry) reads the file's page through the page cache */
		if (VmaIdx v = w.findVma(addr);
		    v != kNone && w.vmas[v].file != kNone && (r.table == kNone || w.pte(r).none())) {
			const File &file = w.files[w.vmas[v].file];
			std::uint64_t index = w.vmas[v].pageIndex(addr);
			now = file.content(index);
			if (w.memoryLegal(addr, now))
				continue;
			Finding fd;
			fd.invariant = "lost-write";
			fd.title = fmt::format("{:#x} would now read {:#x} from the page cache of file {} "
					       "(index {:#x}: no PTE maps it) but the last completed write "
					       "there stored {:#x}",
					       addr, now, file.name, index, value);
			fd.message = "  at the end of the execution (I-8: every completed user or DMA "
				     "write is seen by later reads of that address)\n";
			exec.report(std::move(fd));
			return;
		}
		/* end khugepaged */
		if (r.table == kNone)
			continue;
		const Pte &pte = w.pte(r);
		if (pte.present()) {
			now = w.folios[pte.folio].content;
			where = fmt::format("folio {}", w.folios[pte.folio].name);
		} else if (pte.isSwap() && pte.swap < static_cast<SwapIdx>(w.swap.slots.size())) {
			const SwapSlot &slot = w.swap.slots[pte.swap];
			if (slot.cache != kNone) {
				now = w.folios[slot.cache].content;
				where = fmt::format("swap cache folio {} of slot {}", w.folios[slot.cache].name,
						    pte.swap);
			} else {
				now = slot.data;
				where = fmt::format("swap slot {} on the device", pte.swap);
			}
		} else {
			continue;
		}
		if (w.memoryLegal(addr, now))
			continue;
		Finding fd;
		fd.invariant = "lost-write";
		fd.title = fmt::format("{:#x} would now read {:#x} from the {} but the last completed "
				       "write there stored {:#x}",
				       addr, now, where, value);
		fd.message = "  at the end of the execution (I-8: every completed user or DMA write is "
			     "seen by later reads of that address)\n";
		exec.report(std::move(fd));
		return;
	}
}

/* mremap */
/*
 * I-10 range safety: while an operation has declared the ranges it may
 * change (mremap: old and new range), each PTE it writes lies inside them,
 * and a PMD entry it writes carries no non-none PTE outside them, neither
 * at the PMD's address (what is taken away) nor there after the write
 * (what is installed).
 */
void MmProgram::checkRangeSafety(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	if (e.task >= w.opRanges.size() || !w.opRanges[e.task].op)
		return;
	const OpRanges &r = w.opRanges[e.task];
	std::vector<std::uint64_t> outside;
	if (e.kind == Event::Kind::PteWritten) {
		std::uint64_t a = w.addressOf(e.pte);
		if (!r.covers(a))
			outside.push_back(a);
	} else {
		for (const Pmd *pmd : {&e.oldPmd, &e.newPmd}) {
			if (!pmd->isTable())
				continue;
			const PteTable &t = w.tables[pmd->table];
			for (std::uint32_t s = 0; s < 512; ++s) {
				std::uint64_t a = w.pmds[e.pmd].base + s * kPageSize;
				if (!t.entries[s].none() && !r.covers(a) &&
				    std::find(outside.begin(), outside.end(), a) == outside.end())
					outside.push_back(a);
			}
		}
	}
	if (outside.empty())
		return;
	std::vector<std::string> where;
	for (std::uint64_t a : outside)
		where.push_back(fmt::format("{:#x}", a));
	std::vector<std::string> ranges;
	for (const auto &[s, en] : r.ranges)
		ranges.push_back(fmt::format("[{:#x}, {:#x})", s, en));
	Finding f;
	f.invariant = "range-safety";
	f.title = fmt::format("{} changes the mapping of {} outside its ranges {}", r.op,
			      fmt::join(where, ", "), fmt::join(ranges, " and "));
	f.message = fmt::format("  {} at \"{}\" writes {} and with it a mapping at an address "
				"outside the ranges {} operates on: another mapping is destroyed "
				"or moved\n",
				taskNames_[e.task], e.label,
				e.kind == Event::Kind::PteWritten
					? objectName(e.pte.object())
					: fmt::format("PMD {:#x}", w.pmds[e.pmd].base),
				r.op);
	f.steps = {{step, e.task, e.label}};
	exec.report(std::move(f));
}

/*
 * mremap-result: the result is the new address or a negative errno;
 * move_page_tables() never reports more than it was asked to move (a
 * negative count seen as unsigned); on success every page that had an entry
 * in the first min(old_len, new_len) of the old range has one at the same
 * offset of the new range (the same address when resized in place), the
 * old range has no entry and no VMA where it is no longer mapped (all of it
 * after a move, the tail after a shrink), and a VMA covers the new range;
 * on failure the first min(old_len, new_len) of the old range keep their
 * entries (MREMAP_FIXED shrinks before it can fail). "Had an entry" is
 * judged when the mremap first write-locked a VMA over the old range (the
 * point from which no MADV_DONTNEED or fault can change it), not when it
 * took the mmap lock; a mremap that never write-locks one (the no-resize
 * return) promises nothing about the entries, nor a VMA over the range.
 * Checked when mremap returns, its mmap write lock still held.
 */
void MmProgram::checkRemapResult(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	const RemapRecord &rec = w.remaps[e.record];
	/* 1: an entry; 2: none, but another task holds the table's PTL (a
	 * clear-then-set under the lock is in flight: nobody respecting the
	 * lock can see the gap); 0: none */
	auto stateAt = [&](std::uint64_t a) {
		PteRef r = w.pteFor(a);
		if (r.table == kNone)
			return 0;
		if (!w.pte(r).none())
			return 1;
		const Lock &ptl = *w.tables[r.table].ptl;
		for (std::size_t t = 0; t < w.held.size(); ++t)
			if (t != e.task && w.holds(static_cast<TaskId>(t), ptl))
				return 2;
		return 0;
	};
	auto entryAt = [&](std::uint64_t a) { return stateAt(a) != 0; };
	std::vector<std::string> problems;
	if (rec.moved && rec.movedLen > rec.len)
		problems.push_back(fmt::format("move_page_tables() returned {:#x} for a length of "
					       "{:#x} ({} as a signed count)",
					       rec.movedLen, rec.len,
					       static_cast<long>(rec.movedLen)));
	/* mremap-shapes: the first min(old_len, new_len) pages are what moves
	 * (or stays, in place); a shrunk tail is unmapped */
	const std::uint64_t keep =
	    std::min<std::uint64_t>(rec.hadEntry.size(), rec.newLen / kPageSize);
	if (rec.result >= 0) {
		if (static_cast<std::uint64_t>(rec.result) != rec.newAddr)
			problems.push_back(fmt::format("returned {:#x}, not the new address {:#x}",
						       rec.result, rec.newAddr));
		for (std::size_t i = 0; i < keep; ++i) {
			std::uint64_t o = rec.oldAddr + i * kPageSize, n = rec.newAddr + i * kPageSize;
			if (rec.hadEntry[i] && !entryAt(n))
				problems.push_back(fmt::format("the page at {:#x} did not arrive at {:#x}",
							       o, n));
		}
		/* what the old range no longer maps: all of it after a move, the
		 * tail after an in-place shrink */
		const std::size_t from = rec.newAddr == rec.oldAddr ? keep : 0;
		for (std::size_t i = from; i < rec.hadEntry.size(); ++i) {
			std::uint64_t o = rec.oldAddr + i * kPageSize;
			if (stateAt(o) == 1)
				problems.push_back(fmt::format("{:#x} is still mapped", o));
			if (w.findVma(o) != kNone) {
				problems.push_back(fmt::format("a VMA still covers {:#x}", o));
				break;
			}
		}
		/* mremap_at()'s no-resize case returns addr without checking
		 * that a VMA covers [addr, addr + len) */
		/* ... nor does the in-place shrink (shrink_vma() unmaps the tail
		 * and returns addr): there, only a page that had an entry must
		 * still have a VMA */
		for (std::uint64_t off = 0; !rec.noResize && off < rec.newLen; off += kPageSize)
			if (rec.shrunkInPlace &&
			    !(off / kPageSize < rec.hadEntry.size() && rec.hadEntry[off / kPageSize]))
				continue;
			else if (w.findVma(rec.newAddr + off) == kNone) {
				problems.push_back(fmt::format(
				    "no VMA covers {:#x} of the new range", rec.newAddr + off));
				break;
			}
	} else {
		if (rec.result != -12 && rec.result != -22 && rec.result != -14)
			problems.push_back(fmt::format("returned {}, not an errno mremap gives", rec.result));
		for (std::size_t i = 0; i < keep; ++i) {
			std::uint64_t o = rec.oldAddr + i * kPageSize;
			if (rec.hadEntry[i] && !entryAt(o))
				problems.push_back(fmt::format("failed, but the page at {:#x} is gone", o));
		}
	}
	if (problems.empty())
		return;
	Finding f;
	f.invariant = "mremap-result";
	f.title = fmt::format("mremap({:#x}, {:#x} -> {:#x}) returned {}: {}", rec.oldAddr, rec.len,
			      rec.newAddr,
			      rec.result < 0 ? fmt::format("{}", rec.result)
					     : fmt::format("{:#x}", rec.result),
			      problems.front());
	f.message = fmt::format("  the sequential specification of mremap is violated:\n    {}\n",
				fmt::join(problems, "\n    "));
	f.steps = {{step, e.task, e.label}};
	exec.report(std::move(f));
}
/* end mremap */

/*
 * relocate-pinned (Seed A1): a folio->mapping/index store of
 * MREMAP_RELOCATE_ANON's forward pass while folio_maybe_dma_pinned() is
 * true, i.e. what the posted check-then-store promised not to do. The
 * refcount is read at the store (ghost); a FOLL_LONGTERM GUP-fast reads
 * folio->mapping after its grab, which orders the grab against the store.
 */
void MmProgram::checkRelocatePinned(Execution &exec, const Event &e, std::uint64_t step)
{
	const World &w = *world_;
	if (!w.relocatingAnon[e.task] || !w.folios[e.folio].maybeDmaPinned())
		return;
	const bool mapping = e.kind == Event::Kind::MappingWritten;
	std::string holders;
	for (const GupRef &g : w.gupRefs)
		if (!g.released && g.pin && g.folio == e.folio)
			holders += (holders.empty() ? "" : ", ") + gupHolder(g);
	Finding fd;
	fd.invariant = "relocate-pinned";
	fd.title =
	    fmt::format("{} relocates folio {} ({} {} -> {}) while it is pinned (refcount {})",
			taskNames_[e.task], w.folios[e.folio].name, mapping ? "mapping" : "index",
			mapping ? anonVmaName(static_cast<AnonVmaIdx>(e.oldValue))
				: fmt::format("{:#x}", e.oldValue),
			mapping ? anonVmaName(static_cast<AnonVmaIdx>(e.newValue))
				: fmt::format("{:#x}", e.newValue),
			w.folios[e.folio].refcount);
	fd.message = fmt::format(
	    "  at \"{}\"\n  pins recorded so far: {}\n  the "
	    "folio_maybe_dma_pinned() check was meant to leave pinned folios "
	    "alone: 'whatever has pinned this folio may then incorrectly assume "
	    "these do not change'\n",
	    e.label, holders.empty() ? "none yet (a GUP-fast between grab and recheck)" : holders);
	fd.steps = {{step, e.task, e.label}};
	exec.report(std::move(fd));
}

} // namespace mmrace::checker
