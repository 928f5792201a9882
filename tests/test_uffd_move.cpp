/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UFFDIO_MOVE's checks before the first page (move_pages() and
 * validate_move_areas(), mm/userfaultfd.c) and its result for a short move,
 * one thread at a time. Each case was a finding of mmrace sweep.
 */
#include <catch2/catch.hpp>

#include <variant>

#include "checker/mm_program.hpp"
#include "model_fixtures.hpp"
#include "scheduler/explorer.hpp"

using namespace mmrace;
using testing::runAlone;

namespace
{

scenarios::Scenario load(const std::string &text)
{
	auto loaded = scenarios::loadScenarioText(text, "uffd-move-test.json");
	REQUIRE(std::holds_alternative<scenarios::Scenario>(loaded));
	return std::get<scenarios::Scenario>(loaded);
}

/* src "a" (anon_vma A, one page F at 0x100000) moves one page to dst "b"
 * at 0x300000, with b's attributes from `dst` (JSON members) */
std::string moveOne(const std::string &dst, std::uint64_t len = 4096)
{
	return R"({"name": "t", "state": {"anon_vmas": ["A", "B"], "files": ["S"],
	  "vmas": [{"name": "a", "start": "0x100000", "pages": 2, "anon_vma": "A"},
	           {"name": "b", "start": "0x300000", "pages": 2, )" +
	       dst + R"(}],
	  "pages": [{"at": "0x100000", "folio": "F", "content": 7}]},
	  "threads": [{"name": "t0", "ops": [{"op": "uffdio_move", "src": "0x100000",
	               "dst": "0x300000", "len": )" +
	       std::to_string(len) + "}]}]}";
}

/* The move was refused before any page: F is still mapped at the source,
 * in its anon_vma, and nothing is at the destination. */
void requireUntouched(const model::World &w)
{
	model::FolioIdx f = w.findFolio("F");
	CHECK(w.pte(w.pteFor(0x100000)).mapsFolio(f));
	CHECK(w.folios[f].mapping == w.findAnonVma("A"));
	model::PteRef d = w.pteFor(0x300000);
	CHECK((d.table == model::kNone || w.pte(d).none()));
}

} // namespace

TEST_CASE("uffdio_move: validate_move_areas() refuses a file VMA with -EINVAL",
	  "[model][sequential][uffd-move]")
{
	/* "Only allow moving across anonymous vmas": a private file VMA is not
	 * vma_is_anonymous(), with or without an anon_vma */
	for (const char *dst : {R"("file": "S", "uffd": ["missing"])",
				R"("file": "S", "anon_vma": "B", "uffd": ["missing", "wp"])"}) {
		ExploreResult r;
		auto p = runAlone(load(moveOne(dst)), r);
		CHECK_FALSE(r.harmful.has_value());
		CHECK(r.benign.empty());
		const model::World &w = *p->world();
		CHECK(w.results.at(0).value == -22);
		requireUntouched(w);
	}
}

TEST_CASE("uffdio_move: validate_move_areas() wants the same access flags and a writable source",
	  "[model][sequential][uffd-move]")
{
	/* dst without VM_WRITE from a writable source: the access flags differ */
	{
		ExploreResult r;
		auto p = runAlone(
		    load(moveOne(R"("anon_vma": "B", "uffd": ["missing"], "writable": false)")), r);
		CHECK_FALSE(r.harmful.has_value());
		CHECK(p->world()->results.at(0).value == -22);
		requireUntouched(*p->world());
	}
	/* both read-only: the flags agree, but "only move between writable VMAs" */
	{
		auto s =
		    load(moveOne(R"("anon_vma": "B", "uffd": ["missing"], "writable": false)"));
		s.vmas[0].writable = false;
		s.pages[0].writable = false;
		ExploreResult r;
		auto p = runAlone(s, r);
		CHECK(p->world()->results.at(0).value == -22);
		requireUntouched(*p->world());
	}
	/* a destination not registered with the userfaultfd (the loader
	 * refuses it in a file; an mremap could leave one) */
	{
		auto s = load(moveOne(R"("anon_vma": "B", "uffd": ["missing"])"));
		s.vmas[1].uffd.clear();
		ExploreResult r;
		auto p = runAlone(s, r);
		CHECK(p->world()->results.at(0).value == -22);
		requireUntouched(*p->world());
	}
	/* and the same VMAs, writable and registered, do move */
	{
		ExploreResult r;
		auto p = runAlone(load(moveOne(R"("anon_vma": "B", "uffd": ["missing"])")), r);
		CHECK_FALSE(r.harmful.has_value());
		CHECK(p->world()->results.at(0).value == 4096);
	}
}

TEST_CASE("uffdio_move: a range past its VMA's end is -EINVAL before any page",
	  "[model][sequential][uffd-move]")
{
	/* "the src and dst remap ranges are both valid and fully within a
	 * single existing vma" */
	auto s = load(moveOne(R"("anon_vma": "B", "uffd": ["missing"])", 8192));
	for (auto &a : s.threads[0].ops[0].args)
		if (a.name == "len")
			a.number = 3 * 4096; /* one page past both VMAs */
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK(p->world()->results.at(0).value == -22);
	requireUntouched(*p->world());
}

TEST_CASE("uffdio_move: a short move returns the bytes moved, not the later error",
	  "[model][sequential][uffd-move]")
{
	/* page 0 present, page 1 a hole: move_pages() moves page 0, stops at
	 * page 1 with -ENOENT and returns "moved ? moved : err" */
	ExploreResult r;
	auto p = runAlone(load(moveOne(R"("anon_vma": "B", "uffd": ["missing"])", 8192)), r);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 4096);
	model::FolioIdx f = w.findFolio("F");
	CHECK(w.pte(w.pteFor(0x300000)).mapsFolio(f));
	CHECK(w.folios[f].mapping == w.findAnonVma("B"));
	CHECK(w.pte(w.pteFor(0x100000)).none());
}
