/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* Scenarios built in code, for model tests that must not depend on files. */

#include "scenarios/scenario.hpp"

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

} // namespace mmrace::testing
