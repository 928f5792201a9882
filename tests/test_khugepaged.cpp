/* SPDX-License-Identifier: GPL-2.0 */
/*
 * retract_page_tables and uffdio_copy alone (one thread, one execution):
 * what the kernel would leave behind (Seed C's operations).
 */
#include <catch2/catch.hpp>

#include "model_fixtures.hpp"

using namespace mmrace;
using testing::pteAt;
using testing::runAlone;

namespace
{

constexpr std::uint64_t kBase = 0x200000, kDst = 0x201000;

scenarios::OpSpec retract()
{
	return {"retract_page_tables", {{"addr", kBase, "", {}, false}}};
}

scenarios::OpSpec copy(std::uint64_t value)
{
	return {"uffdio_copy", {{"dst", kDst, "", {}, false}, {"value", value, "", {}, false}}};
}

/* MAP_PRIVATE of shmem file S over one PMD at kBase, registered MISSING
 * (plus the given uffd modes), optionally with an anon_vma already. */
scenarios::Scenario fileVma(std::vector<scenarios::OpSpec> ops, const std::string &anonVma = "",
			    std::vector<std::string> uffd = {"missing"})
{
	scenarios::Scenario s;
	s.name = "khugepaged";
	s.files = {"S"};
	if (!anonVma.empty())
		s.anonVmas = {{anonVma, anonVma}};
	scenarios::VmaSpec v{"V", kBase, 512, anonVma, std::move(uffd)};
	v.file = "S";
	s.vmas = {v};
	s.threads = {{"t", std::move(ops)}};
	return s;
}

bool cleanRun(const ExploreResult &r)
{
	return !r.harmful && r.benign.empty();
}

} // namespace

TEST_CASE("retract_page_tables clears the PMD and frees the empty PTE table", "[khugepaged]")
{
	ExploreResult r;
	auto p = runAlone(fileVma({retract()}), r);
	const model::World &w = *p->world();
	CHECK(cleanRun(r));
	REQUIRE(w.results.size() == 1);
	CHECK(w.results[0].value == 1);
	model::PmdIdx pmd = w.pmdFor(kBase);
	REQUIRE(pmd != model::kNone);
	CHECK(w.pmds[pmd].entry.kind == model::Pmd::Kind::None);
	CHECK(w.tables[0].freed);
	CHECK(w.tables[0].installedAt == model::kNone);
}

TEST_CASE("retract_page_tables skips a VMA with an anon_vma or registered uffd-wp", "[khugepaged]")
{
	for (bool wp : {false, true}) {
		ExploreResult r;
		auto p = wp ? runAlone(fileVma({retract()}, "", {"missing", "wp"}), r)
			    : runAlone(fileVma({retract()}, "A"), r);
		const model::World &w = *p->world();
		CHECK(cleanRun(r));
		REQUIRE(w.results.size() == 1);
		CHECK(w.results[0].value == 0);
		CHECK(w.pmds[w.pmdFor(kBase)].entry.isTable());
		CHECK_FALSE(w.tables[0].freed);
	}
}

TEST_CASE("uffdio_copy maps a new anon folio with the data and creates the anon_vma",
	  "[khugepaged]")
{
	ExploreResult r;
	auto p = runAlone(fileVma({copy(0x77)}), r);
	const model::World &w = *p->world();
	CHECK(cleanRun(r));
	REQUIRE(w.results.size() == 1);
	CHECK(w.results[0].value == 4096);
	const model::Vma &v = w.vmas[0];
	REQUIRE(v.anonVma != model::kNone);
	CHECK(w.anonVmas[v.anonVma].vmas == std::vector<model::VmaIdx>{0});
	const model::Pte &pte = pteAt(w, kDst);
	REQUIRE(pte.present());
	CHECK(pte.writable);
	CHECK(pte.dirty);
	const model::Folio &f = w.folios[pte.folio];
	CHECK(f.content == 0x77);
	CHECK(f.mapping == v.anonVma);
	CHECK(f.index == v.pageIndex(kDst));
	CHECK(f.mapcount == 1);
	CHECK(f.refcount == 1);
	CHECK(f.pae);
	CHECK(w.memory.at(kDst) == 0x77);
}

TEST_CASE("uffdio_copy onto a present PTE is -EEXIST; retract after it skips the VMA",
	  "[khugepaged]")
{
	ExploreResult r;
	auto p = runAlone(fileVma({copy(1), copy(2), retract()}), r);
	const model::World &w = *p->world();
	CHECK(cleanRun(r));
	REQUIRE(w.results.size() == 3);
	CHECK(w.results[0].value == 4096);
	CHECK(w.results[1].value == -17);
	CHECK(w.results[2].value == 0);
	CHECK(w.folios[pteAt(w, kDst).folio].content == 1);
}

TEST_CASE("uffdio_copy after retract allocates a new PTE table", "[khugepaged]")
{
	ExploreResult r;
	auto p = runAlone(fileVma({retract(), copy(5)}), r);
	const model::World &w = *p->world();
	CHECK(cleanRun(r));
	REQUIRE(w.results.size() == 2);
	CHECK(w.results[0].value == 1);
	CHECK(w.results[1].value == 4096);
	model::PteRef ref = w.pteFor(kDst);
	REQUIRE(ref.table != model::kNone);
	CHECK(ref.table != 0);
	CHECK(w.pte(ref).present());
}

TEST_CASE("a fault on a file VMA is refused (do_fault() is not modelled)", "[khugepaged]")
{
	ExploreResult r;
	scenarios::OpSpec access{"access", {{"addr", kDst, "", {}, false}}};
	auto p = runAlone(fileVma({access}), r);
	const model::World &w = *p->world();
	REQUIRE(w.results.size() == 1);
	CHECK(w.results[0].value == -12);
}

TEST_CASE("i_mmap follows munmap, __split_vma and mremap of a file VMA", "[khugepaged][i_mmap]")
{
	auto num = [](const char *n, std::uint64_t v) {
		return scenarios::OpArg{n, v, "", {}, false};
	};
	auto flag = [](const char *n) { return scenarios::OpArg{n, 1, "", {}, true}; };
	SECTION("munmap unlinks the VMA: retract finds nothing and frees no anon table")
	{
		/* the shape of retract-stale-i-mmap-after-munmap-mainline */
		scenarios::Scenario s = fileVma({}, "", {});
		s.anonVmas = {{"A", "A"}};
		s.vmas.push_back({"x", 0x1005000, 4, "A", {}});
		scenarios::PageSpec pg;
		pg.at = 0x1007000;
		pg.folio = "F";
		s.pages = {pg};
		s.threads[0].ops = {
		    {"munmap", {num("addr", kBase), num("len", 0x200000)}},
		    {"mremap",
		     {num("old", 0x1005000), num("old_len", 0x4000), num("new_len", 0x4000),
		      flag("maymove"), flag("fixed"), num("new_addr", 0x204000)}},
		    retract()};
		ExploreResult r;
		auto p = runAlone(s, r);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		CHECK(w.results.at(0).value == 0);
		CHECK(w.results.at(1).value == 0x204000);
		CHECK(w.results.at(2).value == 0); /* nothing retracted */
		CHECK(w.files.at(0).iMmap.empty());
		CHECK(pteAt(w, 0x206000).mapsFolio(w.findFolio("F")));
	}
	SECTION("a partial munmap splits the VMA: both pieces stay in i_mmap, pgoff order")
	{
		scenarios::Scenario s = fileVma({{"munmap", {num("addr", kBase + 0x1000), num("len", 0x1000)}}},
						"", {});
		ExploreResult r;
		auto p = runAlone(s, r);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		const auto &tree = w.files.at(0).iMmap;
		REQUIRE(tree.size() == 2);
		CHECK((w.vmas[tree[0]].start == kBase && w.vmas[tree[0]].end == kBase + 0x1000));
		CHECK(w.vmas[tree[0]].pgoff == 0);
		CHECK((w.vmas[tree[1]].start == kBase + 0x2000 && w.vmas[tree[1]].end == kBase + 0x200000));
		CHECK(w.vmas[tree[1]].pgoff == 2);
		for (model::VmaIdx v : tree)
			CHECK_FALSE(w.vmas[v].detached);
	}
	SECTION("mremap of the whole file VMA: the copy is linked, the source unlinked; pgoff kept")
	{
		scenarios::Scenario s = fileVma({{"mremap",
						  {num("old", kBase), num("old_len", 0x200000),
						   num("new_len", 0x200000), flag("maymove"), flag("fixed"),
						   num("new_addr", 0x600000)}},
						 retract()}, /* file S, pgoff 0 */
						"", {});
		ExploreResult r;
		auto p = runAlone(s, r);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		CHECK(w.results.at(0).value == 0x600000);
		const auto &tree = w.files.at(0).iMmap;
		REQUIRE(tree.size() == 1);
		CHECK(w.vmas[tree[0]].start == 0x600000);
		CHECK(w.vmas[tree[0]].pgoff == 0); /* a file VMA keeps its file offset */
		CHECK(w.results.at(1).value == 1); /* the moved table is retracted */
	}
}
