/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The sequential specification (docs/sweep.md): for every operation, what
 * it does when it runs alone, written from the syscall and kernel-function
 * contracts, not from the model's op code. A small reference interpreter
 * runs a one-thread scenario over an abstract state (which VMA covers each
 * page and what a user load there returns; whether an anon entry is there,
 * present or swapped; the GUP references the thread holds) and says, for
 * each op in order, which results are allowed and what state each leaves.
 *
 * checkSequentialSpec() replays the ops of a one-thread scenario on that
 * interpreter with the results the model's execution returned (where the
 * spec allows several, e.g. reclaim's "kept" or "freed", the model's choice
 * picks the branch) and then compares the end state the model left: the
 * pages covered by VMAs (anon or file, and the file index), and what a load
 * of each covered page would return. Where the spec leaves something open
 * (a write with no explicit value, a page whose content the scenario
 * derives) it compares nothing.
 */

#include <string>

#include "model/world.hpp"
#include "scenarios/scenario.hpp"

namespace mmrace::checker
{

/* "" if the execution matches the spec, else the first mismatch. The
 * scenario must have exactly one thread; `end` is the World after one of
 * its complete executions. */
std::string checkSequentialSpec(const scenarios::Scenario &scenario, const model::World &end);

} // namespace mmrace::checker
