/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mmrace binary as users and CI run it: exit codes, messages, the
 * run -> trace -> replay round trip, and bad input that must never crash.
 */
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Result {
	int exit;
	std::string out;	/* stdout and stderr together */
};

std::string root()
{
	const char *r = std::getenv("MMRACE_SOURCE_ROOT");
	return r ? r : ".";
}

Result mmrace(const std::string &args)
{
	const char *bin = std::getenv("MMRACE_BIN");
	REQUIRE(bin);
	std::string cmd = std::string(bin) + " " + args + " 2>&1";
	FILE *p = popen(cmd.c_str(), "r");
	REQUIRE(p);
	std::string out;
	std::array<char, 4096> buf;
	while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
		out.append(buf.data(), n);
	int status = pclose(p);
	REQUIRE(WIFEXITED(status));
	return {WEXITSTATUS(status), out};
}

std::string readFile(const fs::path &p)
{
	std::ifstream in(p);
	return {std::istreambuf_iterator<char>(in), {}};
}

struct TempDir {
	fs::path path;
	TempDir()
	{
		char tmpl[] = "/tmp/mmrace-cli-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		path = tmpl;
	}
	~TempDir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("cli: every malformed scenario exits 3 with a positioned message", "[cli]")
{
	int n = 0;
	for (const auto &e : fs::directory_iterator(root() + "/tests/fixtures/bad")) {
		auto r = mmrace("run '" + e.path().string() + "'");
		INFO(e.path().filename().string() << ": " << r.out);
		CHECK(r.exit == 3);
		CHECK_THAT(r.out, Catch::StartsWith("mmrace: " + e.path().string() + ":"));
		CHECK_THAT(r.out, Catch::Contains("$"));
		++n;
	}
	CHECK(n >= 10);
}

TEST_CASE("cli: usage errors and unreadable files exit 3", "[cli]")
{
	CHECK(mmrace("").exit == 3);
	CHECK(mmrace("run").exit == 3);
	CHECK(mmrace("frobnicate").exit == 3);
	CHECK(mmrace("list nothing").exit == 3);
	CHECK(mmrace("run --strategy bogus '" + root() + "/scenarios/library/seed-e-mainline.json'").exit == 3);
	auto missing = mmrace("run /nonexistent/scenario.json");
	CHECK(missing.exit == 3);
	CHECK_THAT(missing.out, Catch::Contains("cannot read"));
	auto guard = mmrace("run --guards-off no.such_guard '" + root() +
			    "/scenarios/library/seed-e-mainline.json'");
	CHECK(guard.exit == 3);
	CHECK_THAT(guard.out, Catch::Contains("unknown guard \"no.such_guard\"; allowed:"));
	auto bound = mmrace("run --strategy optimal --preemption-bound 1 '" + root() +
			    "/scenarios/library/seed-e-mainline.json'");
	CHECK(bound.exit == 3);
	CHECK_THAT(bound.out, Catch::Contains("--preemption-bound works with --strategy dpor"));
}

TEST_CASE("cli: --preemption-bound uses bounded POR by default, bounded DFS with dfs", "[cli]")
{
	TempDir tmp;
	const std::string sc = "'" + root() + "/scenarios/library/seed-e-unprotected.json'";
	auto por = mmrace("run --preemption-bound 2 --trace-dir '" + tmp.path.string() + "' " + sc);
	CHECK(por.exit == 1);
	CHECK_THAT(por.out, Catch::Contains("strategy bounded-por(preemption bound 0..2)"));
	CHECK_THAT(por.out, Catch::Contains("rmap-walk-lock"));
	auto dfs = mmrace("run --strategy dfs --preemption-bound 2 --trace-dir '" +
			  tmp.path.string() + "' " + sc);
	CHECK(dfs.exit == 1);
	CHECK_THAT(dfs.out, Catch::Contains("strategy dfs(preemption bound 0..2)"));
}

TEST_CASE("cli: run finds Seed E, writes a trace, and replay reproduces it", "[cli][replay]")
{
	TempDir tmp;
	std::string scenario = root() + "/scenarios/library/seed-e-unprotected.json";
	auto run = mmrace("run --trace-dir '" + tmp.path.string() + "' '" + scenario + "'");
	INFO(run.out);
	REQUIRE(run.exit == 1);
	CHECK_THAT(run.out, Catch::Contains("harmful violation [rmap-walk-lock]"));
	fs::path trace = tmp.path / "seed-e-unprotected.trace.json";
	/* the binary as invoked, so that the command works as printed */
	CHECK_THAT(run.out, Catch::Contains(" replay '" + trace.string() + "'"));
	CHECK_THAT(run.out, Catch::Contains("replay: " + std::string(std::getenv("MMRACE_BIN")) + " replay '"));
	CHECK_THAT(run.out, Catch::Contains("executions "));
	REQUIRE(fs::exists(trace));

	auto replay = mmrace("replay '" + trace.string() + "'");
	INFO(replay.out);
	CHECK(replay.exit == 1);
	CHECK_THAT(replay.out, Catch::Contains("replay reproduced the violation"));
	/* The report printed by replay is the report printed by run. */
	auto report = [](const std::string &s) {
		auto a = s.find("harmful violation");
		auto b = s.find("steps involved:");
		return s.substr(a, b - a);
	};
	CHECK(report(replay.out) == report(run.out));

	auto show = mmrace("show --locks '" + trace.string() + "'");
	CHECK(show.exit == 0);
	CHECK_THAT(show.out, Catch::Contains("folio_move_anon_rmap: WRITE_ONCE(folio->mapping)"));
	CHECK_THAT(show.out, Catch::Contains("anon_vma As->rwsem (read)"));

	/* The same scenario with every guard on is clean. */
	auto mainline = mmrace("run --preset mainline --trace-dir '" + tmp.path.string() + "' '" +
			       scenario + "'");
	CHECK(mainline.exit == 0);
	CHECK_THAT(mainline.out, Catch::Contains("no harmful violation"));
	CHECK_THAT(mainline.out, Catch::Contains("exhausted"));
}

TEST_CASE("cli: a corrupt or tampered trace is bad input or a divergence", "[cli][replay]")
{
	TempDir tmp;
	std::string scenario = root() + "/scenarios/library/seed-e-unprotected.json";
	REQUIRE(mmrace("run --trace-dir '" + tmp.path.string() + "' '" + scenario + "'").exit == 1);
	fs::path trace = tmp.path / "seed-e-unprotected.trace.json";
	std::string text = readFile(trace);
	fs::path corrupt = tmp.path / "corrupt.trace.json";
	std::ofstream(corrupt) << text.substr(0, text.size() / 2);
	CHECK(mmrace("replay '" + corrupt.string() + "'").exit == 3);

	/* Swap the schedule for "mover runs first, alone": the race cannot happen. */
	auto j = nlohmann::json::parse(text);
	for (auto &c : j["choices"])
		if (c[0] == "t")
			c[1] = 0;
	std::string tampered = j.dump();
	fs::path bad = tmp.path / "tampered.trace.json";
	std::ofstream(bad) << tampered;
	auto r = mmrace("replay '" + bad.string() + "'");
	INFO(r.out);
	CHECK(r.exit == 2);
	CHECK_THAT(r.out, Catch::Contains("DIVERGED"));
}

TEST_CASE("cli: check passes on scenarios and fails on a wrong expectation", "[cli]")
{
	/* The whole library is the check-library test's job; two files show the
	 * TAP output and the summary. */
	auto lib = mmrace("check --tap '" + root() + "/scenarios/library/seed-e-unprotected.json' '" +
			  root() + "/scenarios/library/seed-e-mainline.json'");
	INFO(lib.out);
	CHECK(lib.exit == 0);
	CHECK_THAT(lib.out, Catch::Contains("TAP version 13\n1..2")); /* ASan may warn first */
	CHECK_THAT(lib.out, Catch::Contains("2 passed, 0 failed"));

	TempDir tmp;
	std::string text = readFile(root() + "/scenarios/library/seed-e-unprotected.json");
	auto at = text.find("\"expect\"");
	REQUIRE(at != std::string::npos);
	text = text.substr(0, at) + "\"expect\": {\"clean\": true}\n}\n";
	fs::path wrong = tmp.path / "wrong.json";
	std::ofstream(wrong) << text;
	auto r = mmrace("check '" + wrong.string() + "'");
	INFO(r.out);
	CHECK(r.exit == 2);
	CHECK_THAT(r.out, Catch::Contains("FAIL"));
	CHECK_THAT(r.out, Catch::Contains("0 passed, 1 failed"));
}

TEST_CASE("cli: list prints every registry", "[cli]")
{
	auto guards = mmrace("list guards");
	CHECK(guards.exit == 0);
	CHECK_THAT(guards.out, Catch::Contains("uffd_move.anon_vma_write_lock"));
	CHECK_THAT(guards.out, Catch::Contains("folio_lock_anon_vma_read()"));
	CHECK_THAT(mmrace("list ops").out, Catch::Contains("move_pages -> move_pages_pte"));
	CHECK_THAT(mmrace("list presets").out, Catch::Contains("pre-seed-e"));
	CHECK_THAT(mmrace("list invariants").out, Catch::Contains("rmap-walk-lock"));
}
