/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* Scenarios built in code, for model tests that must not depend on files. */

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "checker/mm_program.hpp"
#include "scenarios/scenario.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

namespace mmrace::testing {

/*
 * Seed E: folio F mapped at 0x100000 in VMA src (anon_vma As); VMA dst at
 * 0x200000 (anon_vma Ad, another root) registered for uffd missing faults.
 * "mover" runs UFFDIO_MOVE src -> dst while "reclaim" runs
 * folio_referenced(F).
 */
inline scenarios::Scenario seedE()
{
	scenarios::Scenario s;
	s.name = "seed-e";
	s.anonVmas = {{"As", "As"}, {"Ad", "Ad"}};
	s.vmas = {{"src", 0x100000, 1, "As", {}}, {"dst", 0x200000, 1, "Ad", {"missing"}}};
	s.pages = {{0x100000, "F", true, 0}};
	scenarios::OpSpec move{"uffdio_move", {}};
	move.args = {{"src", 0x100000, "", {}}, {"dst", 0x200000, "", {}}, {"len", 4096, "", {}}};
	scenarios::OpSpec ref{"folio_referenced", {{"folio", 0, "F", {}}}};
	s.threads = {{"mover", {move}}, {"reclaim", {ref}}};
	return s;
}

/*
 * Runs a scenario exhaustively with plain DFS (a one-thread scenario: once)
 * under a preset plus guards off (default: every guard on) and returns the
 * program, whose World is the final state.
 */
inline std::unique_ptr<checker::MmProgram> runAlone(const scenarios::Scenario &s, ExploreResult &out,
						    const std::string &preset = "",
						    const std::vector<std::string> &off = {})
{
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build(preset, off, guards).empty());
	auto p = std::make_unique<checker::MmProgram>(s, guards);
	auto strat = makeDfsStrategy();
	out = explore(*p, *strat, {});
	return p;
}

/* The PTE mapping addr now (its table must exist). */
inline const model::Pte &pteAt(const model::World &w, std::uint64_t addr)
{
	model::PteRef r = w.pteFor(addr);
	REQUIRE(r.table != model::kNone);
	return w.pte(r);
}

} // namespace mmrace::testing
