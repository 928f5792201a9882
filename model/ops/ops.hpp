/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* The operations a scenario thread can run, bound to a World. */

#include <functional>
#include <string>

#include "../kernel.hpp"

namespace mmrace::scenarios {
struct OpSpec;
}

namespace mmrace::model {

int folioReferenced(Kernel &k, FolioIdx folio);
int uffdioMove(Kernel &k, std::uint64_t dst, std::uint64_t src, std::uint64_t len);
void lockSequence(Kernel &k, const std::vector<Lock *> &locks);
/* access (faults) */
/* end access */
/* gup */
/* gup.cpp: 1 page pinned (result id in *ref) or 0 (slow GUP fallback not modelled) */
int gupFast(Kernel &k, std::uint64_t addr, bool write, bool pin, int *ref = nullptr);
/* DMA through the task's most recent held GUP reference; -EINVAL without one */
long dmaAccessOp(Kernel &k, bool write, std::uint64_t value);
/* unpin_user_page() / put_page() of every GUP reference the task holds */
long unpinAll(Kernel &k);
/* munmap.cpp */
long munmap(Kernel &k, std::uint64_t addr, std::uint64_t len, bool tlbBroadcast);
/* touch.cpp: a user load/store without fault handling */
long userTouch(Kernel &k, std::uint64_t addr, bool write, std::uint64_t value);
/* end gup */
/* migrate */
/* end migrate */
/* reclaim */
/* end reclaim */

/* Resolves the op's names against the World; throws std::invalid_argument
 * for references the loader should have rejected. */
std::function<void(Kernel &)> bindOp(World &world, const scenarios::OpSpec &op);

} // namespace mmrace::model
