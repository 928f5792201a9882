/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * A blocking object as the scheduler sees it. A task whose pending access is
 * an Acquire or Wait on a SyncObject is enabled only while canProceed() says
 * so: a blocked task is never scheduled, so blocking costs no step and wake-up
 * needs no bookkeeping (the object's state is re-read at every decision).
 */

#include <string>

#include "access.hpp"

namespace mmrace {

using TaskId = std::uint32_t;
inline constexpr TaskId kNoTask = ~TaskId{0};

class SyncObject {
public:
	virtual ~SyncObject() = default;
	virtual bool canProceed(AccessKind kind, TaskId task) const = 0;
	/* "folio_lock(F), held by reclaim": for deadlock reports. */
	virtual std::string describeWait(AccessKind kind) const = 0;
	/* Tasks that must act before a waiter can proceed (wait-for edges). */
	virtual void holders(void (*emit)(void *, TaskId), void *arg) const = 0;
};

} // namespace mmrace
