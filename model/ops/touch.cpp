/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A user load or store by the CPU, without the fault path: the TLB lookup,
 * and on a miss the hardware page-table walk (which fills the TLB from a
 * present PTE allowing the access). Anything else would be a page fault
 * (handle_mm_fault(), the access area's op); here it returns -EFAULT.
 * Exists so the munmap area can show what a TLB entry left behind reaches.
 */
#include "ops.hpp"

namespace mmrace::model {

long userTouch(Kernel &k, std::uint64_t addr, bool write, std::uint64_t value)
{
	constexpr long kEFAULT = -14;
	if (k.tlbAccess(addr, write, value, write ? "user store: TLB hit" : "user load: TLB hit") ||
	    k.hwWalk(addr, write, value,
		     write ? "user store: page-table walk" : "user load: page-table walk"))
		return write ? 0 : static_cast<long>(value);
	return kEFAULT;	/* a page fault: not handled by this op */
}

} // namespace mmrace::model
