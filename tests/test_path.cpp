/* SPDX-License-Identifier: GPL-2.0 */
/* The exploration path as plain data: search order without any fibers. */
#include <catch2/catch.hpp>

#include "scheduler/path.hpp"

using namespace mmrace;

namespace {

/*
 * Drives a Path over a synthetic tree: two tasks with `k` steps each, both
 * always enabled until done. Returns how many leaves the DFS visits.
 */
int countInterleavings(int k)
{
	Path p;
	int leaves = 0;
	do {
		p.beginExecution();
		int left[2] = {k, k};
		TaskId current = kNoTask;
		while (left[0] || left[1]) {
			TaskMask enabled = (left[0] ? bit(0) : 0) | (left[1] ? bit(1) : 0);
			TaskId t = *p.branchTask(enabled, 0, current);
			--left[t];
			current = t;
		}
		++leaves;
	} while (p.backtrack());
	return leaves;
}

} // namespace

TEST_CASE("path: DFS over two independent tasks visits C(2k, k) leaves", "[path]")
{
	CHECK(countInterleavings(1) == 2);
	CHECK(countInterleavings(2) == 6);
	CHECK(countInterleavings(3) == 20);
	CHECK(countInterleavings(4) == 70);
}

TEST_CASE("path: prefers the current task, then the lowest id", "[path]")
{
	Path p;
	p.beginExecution();
	CHECK(*p.branchTask(bit(0) | bit(1) | bit(2), 0, 2) == 2);
	CHECK(*p.branchTask(bit(0) | bit(1), 0, 2) == 0);
	REQUIRE(p.backtrack());
	/* The deepest branch moves to its next alternative; the prefix replays. */
	p.beginExecution();
	CHECK(*p.branchTask(bit(0) | bit(1) | bit(2), 0, 2) == 2);
	CHECK(*p.branchTask(bit(0) | bit(1), 0, 2) == 1);
	REQUIRE(p.backtrack());
	p.beginExecution();
	CHECK(*p.branchTask(bit(0) | bit(1) | bit(2), 0, 2) == 0);
}

TEST_CASE("path: value branches enumerate every value", "[path]")
{
	Path p;
	std::vector<std::pair<unsigned, unsigned>> seen;
	do {
		p.beginExecution();
		unsigned a = p.branchValue(3);
		unsigned b = p.branchValue(2);
		seen.emplace_back(a, b);
	} while (p.backtrack());
	REQUIRE(seen.size() == 6);
	CHECK(seen.front() == std::make_pair(0u, 0u));
	CHECK(seen.back() == std::make_pair(2u, 1u));
}

TEST_CASE("path: sleeping tasks are never chosen; all asleep means blocked", "[path]")
{
	Path p;
	p.beginExecution();
	CHECK(*p.branchTask(bit(0) | bit(1), bit(0), 0) == 1);
	CHECK_FALSE(p.branchTask(bit(0), bit(0), 1).has_value());
	/* The node with task 0 asleep has no alternative: the tree is done. */
	CHECK_FALSE(p.backtrack());
}

TEST_CASE("path: a restricted branch backtracks only over the allowed tasks", "[path]")
{
	Path p;
	p.beginExecution();
	CHECK(*p.branchTask(bit(0) | bit(1) | bit(2), 0, 0, bit(0)) == 0);
	CHECK(p.last().backtrack == bit(0));
	p.addBacktrack(p.lastIndex(), bit(2));
	REQUIRE(p.backtrack());
	p.beginExecution();
	CHECK(*p.branchTask(bit(0) | bit(1) | bit(2), 0, 0, bit(0)) == 2);
	CHECK_FALSE(p.backtrack());
}

TEST_CASE("path: replaying a different enabled set is reported as nondeterminism", "[path]")
{
	Path p;
	p.beginExecution();
	p.branchTask(bit(0) | bit(1), 0, kNoTask);
	p.branchTask(bit(0) | bit(1), 0, 0);
	REQUIRE(p.backtrack());
	p.beginExecution();
	CHECK_THROWS_WITH(p.branchTask(bit(1), 0, kNoTask),
			  Catch::Contains("nondeterministic"));
}

TEST_CASE("path: serialize and deserialize round trip", "[path]")
{
	Path p;
	p.beginExecution();
	p.branchTask(bit(0) | bit(3), bit(3), kNoTask);
	p.branchValue(4);
	p.branchTask(bit(1) | bit(3), 0, 3);
	std::string text = p.serialize();
	CHECK(text == "path2 t0:9:1:8:9 v0/4 t3:10:8:0:10");
	auto q = Path::deserialize(text);
	REQUIRE(q.has_value());
	CHECK(q->branches() == p.branches());
	CHECK_FALSE(Path::deserialize("path2 t5:1:1:0:1").has_value());
	CHECK_FALSE(Path::deserialize("nonsense").has_value());
}
