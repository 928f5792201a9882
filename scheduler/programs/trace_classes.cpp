/* SPDX-License-Identifier: GPL-2.0 */
#include "trace_classes.hpp"

#include <algorithm>

namespace mmrace::programs
{

namespace
{

/* Steps that observe the object's value (a lock operation observes the lock). */
bool reads(AccessKind k)
{
	return k != AccessKind::Write && k != AccessKind::Release &&
	       k != AccessKind::ReleaseShared && k != AccessKind::Local;
}

/* Steps of one class commute with each other unless the class is kOrdered. */
constexpr int kOrdered = 0, kReads = 1, kShared = 2;

int commuting(AccessKind kind, bool write)
{
	return isSharedLockOp(kind) ? kShared : write ? kOrdered : kReads;
}

} // namespace

void TraceClasses::setUp(Execution &e)
{
	perObject_.clear();
	stepsOf_.clear();
	inner_.setUp(e);
}

void TraceClasses::touch(ObjectId object, const Event &event)
{
	if (object != kNoObject)
		perObject_[object].push_back(event);
}

void TraceClasses::afterStep(Execution &e, const Step &step)
{
	if (stepsOf_.size() <= step.task)
		stepsOf_.resize(step.task + 1, 0);
	Event ev{step.task, stepsOf_[step.task]++, step.access.kind, isWriteLike(step.access.kind)};
	/* A local step conflicts with nothing: it orders no pair. */
	if (step.access.kind != AccessKind::Local) {
		touch(step.access.object, ev);
		if (step.access.object2 != step.access.object)
			touch(step.access.object2, ev);
		if (step.access.object3 != step.access.object &&
		    step.access.object3 != step.access.object2)
			touch(step.access.object3, ev);
	}
	inner_.afterStep(e, step);
}

void TraceClasses::atEnd(Execution &e)
{
	inner_.atEnd(e);
	auto before = [](const Event &a, const Event &b) {
		return a.task != b.task ? a.task < b.task : a.index < b.index;
	};
	auto name = [](const Event &ev) {
		return std::to_string(ev.task) + "." + std::to_string(ev.index);
	};
	std::string form;
	std::vector<std::string> rf;
	for (auto &[object, events] : perObject_) {
		/* In execution order, before the reads are sorted. */
		std::string lastWrite = "init";
		for (const Event &ev : events) {
			if (reads(ev.kind))
				rf.push_back(std::to_string(object) + ":" + name(ev) + "<" +
					     lastWrite);
			if (ev.write)
				lastWrite = name(ev);
		}
		/*
		 * Adjacent reads commute, and so do adjacent reader-side
		 * operations on an rwsem: sort each maximal run of either.
		 */
		for (auto it = events.begin(); it != events.end();) {
			int cls = commuting(it->kind, it->write);
			auto end = std::find_if(it + 1, events.end(), [cls](const Event &ev) {
				return cls == kOrdered || commuting(ev.kind, ev.write) != cls;
			});
			std::sort(it, end, before);
			it = end;
		}
		form += std::to_string(object) + ":";
		for (const Event &ev : events)
			form += (isSharedLockOp(ev.kind) ? "s"
				 : ev.write		 ? "w"
							 : "r") +
				name(ev) + " ";
		form += ";";
	}
	traces_.insert(std::move(form));
	/* Equivalent executions list the same pairs, maybe in another order. */
	std::sort(rf.begin(), rf.end());
	std::string rfForm;
	for (const std::string &r : rf)
		rfForm += r + " ";
	readsFrom_.insert(std::move(rfForm));
}

} // namespace mmrace::programs
