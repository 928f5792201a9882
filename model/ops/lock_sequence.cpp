/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kernel thread taking locks in a fixed order and dropping them in
 * reverse, the shape of lib/locking-selftest.c's cases (two such threads
 * with opposite orders are its ABBA test). Spinlocks (PTLs) are taken with
 * spin_lock(), sleeping locks with their blocking form (down_write,
 * folio_lock).
 */
#include "ops.hpp"

namespace mmrace::model {

void lockSequence(Kernel &k, const std::vector<Lock *> &locks)
{
	for (Lock *l : locks)
		k.lock(*l, "lock_sequence: lock");
	for (auto it = locks.rbegin(); it != locks.rend(); ++it)
		k.unlock(**it, "lock_sequence: unlock");
}

} // namespace mmrace::model
