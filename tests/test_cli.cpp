/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mmrace binary as users and CI run it: exit codes, messages, the
 * run -> trace -> replay round trip, and bad input that must never crash.
 */
#include <catch2/catch.hpp>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

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

/* `redirect` "2>&1" merges stderr into out; "2>/dev/null" keeps stdout only. */
Result mmrace(const std::string &args, const std::string &redirect = "2>&1")
{
	const char *bin = std::getenv("MMRACE_BIN");
	REQUIRE(bin);
	std::string cmd = std::string(bin) + " " + args + " " + redirect;
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
	CHECK_THAT(guards.out, Catch::Contains("mm/rmap.c: folio_lock_anon_vma_read()"));
	CHECK_THAT(guards.out, Catch::Contains("mm/gup.c: gup_fast_pte_range()"));
	CHECK_THAT(mmrace("list ops").out, Catch::Contains("move_pages -> move_pages_pte"));
	CHECK_THAT(mmrace("list presets").out, Catch::Contains("pre-seed-e"));
	CHECK_THAT(mmrace("list invariants").out, Catch::Contains("rmap-walk-lock"));
}

/* ---- hardening (issue 16): each reproduction gets a clear message and its exit code ---- */

namespace
{

std::string shq(const fs::path &p)
{
	return "'" + p.string() + "'";
}

std::string seedE()
{
	return root() + "/scenarios/library/seed-e-unprotected.json";
}

/* Seed E (a harmful violation and a benign finding) under another name. */
fs::path renamed(const fs::path &dir, const std::string &name, const std::string &file = "s.json")
{
	auto j = nlohmann::json::parse(readFile(seedE()));
	j["name"] = name;
	fs::path p = dir / file;
	std::ofstream(p) << j.dump(1);
	return p;
}

/* Files left in `dir` whose name starts with a dot: temporary files. */
int hiddenFiles(const fs::path &dir)
{
	int n = 0;
	for (const auto &e : fs::directory_iterator(dir))
		n += e.path().filename().string().starts_with(".");
	return n;
}

} // namespace

TEST_CASE("cli: --trace replaces only a regular file, atomically", "[cli][hardening]")
{
	TempDir tmp;
	fs::create_directory(tmp.path / "dir");
	fs::create_symlink("/dev/null", tmp.path / "to-null");
	for (const auto &[dest, why] : std::vector<std::pair<std::string, std::string>>{
		 {"/dev/null", "it is a device node"},
		 {(tmp.path / "dir").string(), "it is a directory"},
		 {(tmp.path / "to-null").string(),
		  "it is a symbolic link to something that is not a regular"}}) {
		auto r = mmrace("run --trace '" + dest + "' " + shq(seedE()));
		INFO(r.out);
		CHECK(r.exit == 3);
		CHECK_THAT(r.out, Catch::Contains("cannot write " + dest + ": " + why));
		CHECK_THAT(r.out, Catch::Contains("only a regular file is replaced"));
		/* Refused before exploring. */
		CHECK_THAT(r.out, !Catch::Contains("executions"));
	}
	CHECK(fs::is_symlink(tmp.path / "to-null"));
	CHECK(fs::is_character_file("/dev/null"));

	/* A regular file is replaced; no temporary file is left. */
	fs::path out = tmp.path / "t.trace.json";
	std::ofstream(out) << "old";
	auto r = mmrace("run --trace " + shq(out) + " " + shq(seedE()));
	INFO(r.out);
	CHECK(r.exit == 1);
	CHECK_THAT(r.out, Catch::Contains("replay: " + std::string(std::getenv("MMRACE_BIN")) + " replay " + shq(out)));
	CHECK(readFile(out).starts_with("{"));
	CHECK(fs::exists(tmp.path / "t.benign-rmap-walk-stable.trace.json"));
	CHECK(hiddenFiles(tmp.path) == 0);
	CHECK(mmrace("replay " + shq(out)).exit == 1);
}

TEST_CASE("cli: the trace destination is checked before exploring", "[cli][hardening]")
{
	TempDir tmp;
	std::ofstream(tmp.path / "file") << "x";
	const std::vector<std::pair<std::string, std::string>> bad{
	    {(tmp.path / "missing").string(), "No such file or directory"},
	    {(tmp.path / "file").string(), "is not a directory"},
	    /* Not writable even for root. */
	    {"/proc/self", "is not writable"}};
	for (const auto &[dir, why] : bad) {
		auto run = mmrace("run --trace-dir '" + dir + "' " + shq(seedE()));
		INFO(run.out);
		CHECK(run.exit == 3);
		CHECK_THAT(run.out, Catch::Contains(why));
		CHECK_THAT(run.out, !Catch::Contains("executions"));
		auto check = mmrace("check --trace-dir '" + dir + "' " + shq(seedE()));
		INFO(check.out);
		CHECK(check.exit == 3);
		CHECK_THAT(check.out, Catch::Contains(why));
		CHECK_THAT(check.out, !Catch::Contains("passed"));
	}
	auto junit = mmrace("check --junit /proc/self/x.xml " + shq(seedE()));
	CHECK(junit.exit == 3);
	CHECK_THAT(junit.out, Catch::Contains("is not writable"));
}

TEST_CASE("cli: a scenario's name is sanitised into one file inside --trace-dir",
	  "[cli][hardening]")
{
	TempDir tmp;
	fs::path traces = tmp.path / "traces";
	fs::create_directory(traces);
	std::string evil = "../../../tmp/evil-" + tmp.path.filename().string();
	const std::vector<std::string> names{
	    evil, std::string("seed\0e", 6), std::string(300, 'n'), "..", ".hidden", "a b/c"};
	for (const std::string &name : names) {
		INFO("name " << nlohmann::json(name).dump());
		fs::path sc = renamed(tmp.path, name);
		auto r = mmrace("run --trace-dir " + shq(traces) + " " + shq(sc));
		INFO(r.out);
		REQUIRE(r.exit == 1);
		/* The printed replay command names the file that was written, in traces/. */
		const std::string prefix =
		    "replay: " + std::string(std::getenv("MMRACE_BIN")) + " replay '";
		auto at = r.out.find(prefix);
		REQUIRE(at != std::string::npos);
		at += prefix.size();
		fs::path written = r.out.substr(at, r.out.find('\'', at) - at);
		CHECK(written.parent_path() == traces);
		CHECK(fs::is_regular_file(written));
		std::string file = written.filename().string();
		CHECK(file.size() < 255);
		CHECK(file[0] != '.');
		CHECK(file.find("..") == std::string::npos);
		CHECK(file.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789._-") == std::string::npos);
		/* The benign trace has a name of its own: it overwrites nothing. */
		CHECK_THAT(r.out, Catch::Contains("benign-rmap-walk-stable.trace.json"));
		CHECK(mmrace("replay " + shq(written)).exit == 1);
		for (const auto &e : fs::directory_iterator(traces))
			fs::remove(e.path());
	}
	CHECK(!fs::exists("/tmp/evil-" + tmp.path.filename().string() + ".trace.json"));
	CHECK(fs::is_empty(traces));
}

TEST_CASE("cli: show and replay read at most 64 MiB", "[cli][hardening]")
{
	TempDir tmp;
	fs::path huge = tmp.path / "huge.trace.json";
	{
		std::ofstream(huge) << "{";
	}
	fs::resize_file(huge, (std::uintmax_t{64} << 20) + 1); /* sparse */
	for (const std::string &f : {std::string("/dev/zero"), huge.string()})
		for (const char *cmd : {"show", "replay"}) {
			auto r = mmrace(std::string(cmd) + " '" + f + "'");
			INFO(cmd << " " << f << ": " << r.out);
			CHECK(r.exit == 3);
			CHECK_THAT(r.out, Catch::Contains("a trace is at most 64 MiB"));
		}
}

TEST_CASE("cli: trace numbers must be integers in range", "[cli][hardening]")
{
	TempDir tmp;
	REQUIRE(mmrace("run --trace-dir " + shq(tmp.path) + " " + shq(seedE())).exit == 1);
	const auto good =
	    nlohmann::json::parse(readFile(tmp.path / "seed-e-unprotected.trace.json"));
	auto edited = [&](const std::function<void(nlohmann::json &)> &edit) {
		auto j = good;
		edit(j);
		fs::path p = tmp.path / "edited.trace.json";
		std::ofstream(p) << j.dump();
		return mmrace("replay " + shq(p));
	};
	struct Case {
		const char *what;
		std::function<void(nlohmann::json &)> edit;
		const char *message;
	};
	const std::vector<Case> cases{
	    {"version 1.9", [](nlohmann::json &j) { j["version"] = 1.9; },
	     "version 1.9 is not supported"},
	    {"version 2^32+1", [](nlohmann::json &j) { j["version"] = 4294967297ull; },
	     "version 4294967297 is not supported"},
	    {"seed 5.5e19", [](nlohmann::json &j) { j["seed"] = 5.5e19; },
	     "$.seed: expected an integer"},
	    {"max_steps -1", [](nlohmann::json &j) { j["max_steps"] = -1; },
	     "$.max_steps: expected an integer"},
	    {"choice 2^32", [](nlohmann::json &j) { j["choices"][0][1] = 4294967296ull; },
	     "$.choices[0][1]: expected an integer in 0..4294967295"},
	    {"choice 1.0", [](nlohmann::json &j) { j["choices"][0][1] = 1.0; },
	     "$.choices[0][1]: expected an integer"},
	    {"task 64", [](nlohmann::json &j) { j["choices"][0][1] = 64; },
	     "$.choices[0]: value 64 is out of range"},
	    {"step index 0.5", [](nlohmann::json &j) { j["steps"][0]["i"] = 0.5; },
	     "$.steps[0].i: expected an integer"},
	    {"lockdep from -1",
	     [](nlohmann::json &j) {
		     j["lockdep"] = nlohmann::json::array({{{"from", -1},
							    {"to", 0},
							    {"task", ""},
							    {"from_lock", ""},
							    {"to_lock", ""},
							    {"from_at", ""},
							    {"to_at", ""},
							    {"execution", 0}}});
	     },
	     "$.lockdep[0].from: expected an integer"},
	    {"threads a string", [](nlohmann::json &j) { j["threads"] = "x"; },
	     "$.threads: expected an array"},
	};
	for (const Case &c : cases) {
		auto r = edited(c.edit);
		INFO(c.what << ": " << r.out);
		CHECK(r.exit == 3);
		CHECK_THAT(r.out, Catch::Contains(c.message));
	}
}

TEST_CASE("cli: command-line numbers are validated as the file's are", "[cli][hardening]")
{
	const std::vector<std::pair<std::string, std::string>> cases{
	    {"--jobs 100000", "allowed: an integer in 0..256"},
	    {"--max-steps 0", "allowed: an integer in 1.."},
	    {"--max-executions 0", "allowed: an integer in 1.."},
	    {"--max-executions -5", "allowed: an integer in 1.."},
	    {"--seed 18446744073709551616", "allowed: an integer in 0..18446744073709551615"},
	    {"--seed 1.5", "allowed: an integer in 0.."},
	    {"--time-budget -1", "a number greater than 0"},
	    {"--time-budget nan", "a number greater than 0"},
	    {"--time-budget inf", "a number greater than 0"},
	    {"--preemption-bound 4294967295", "allowed: an integer in 0..16"},
	    {"--progress-seconds 0", "a number greater than 0"},
	};
	for (const auto &[opt, why] : cases) {
		auto r = mmrace("run " + opt + " " + shq(seedE()));
		INFO(opt << ": " << r.out);
		CHECK(r.exit == 3);
		CHECK_THAT(r.out, Catch::Contains("out of range; " + why) || Catch::Contains(why));
	}
}

TEST_CASE("cli: replay compares the whole violation, not just its title",
	  "[cli][replay][hardening]")
{
	TempDir tmp;
	REQUIRE(mmrace("run --trace-dir " + shq(tmp.path) + " " + shq(seedE())).exit == 1);
	const auto good =
	    nlohmann::json::parse(readFile(tmp.path / "seed-e-unprotected.trace.json"));
	struct Case {
		const char *what;
		std::function<void(nlohmann::json &)> edit;
		const char *where;
	};
	const std::vector<Case> cases{
	    {"threads emptied", [](nlohmann::json &j) { j["threads"] = nlohmann::json::array(); },
	     "the recorded threads are []"},
	    {"steps emptied", [](nlohmann::json &j) { j["steps"] = nlohmann::json::array(); },
	     "the recorded run has 0 steps"},
	    {"a step edited", [](nlohmann::json &j) { j["steps"][3]["what"] = "something else"; },
	     "first difference at step 3"},
	    {"violation steps emptied",
	     [](nlohmann::json &j) { j["violation"]["steps"] = nlohmann::json::array(); },
	     "the steps involved differ"},
	    {"message edited", [](nlohmann::json &j) { j["violation"]["message"] = "x"; },
	     "message differs"},
	    {"schedule cut short",
	     [](nlohmann::json &j) {
		     auto &c = j["choices"];
		     c.erase(c.end() - 1);
	     },
	     "DIVERGED"},
	    {"schedule extended",
	     [](nlohmann::json &j) {
		     j["choices"].push_back({"t", 0, 2});
	     },
	     "DIVERGED"},
	    /* The embedded scenario edited away from the violation: the source
	     * page is not PageAnonExclusive, so UFFDIO_MOVE refuses to move it. */
	    {"scenario edited",
	     [](nlohmann::json &j) {
		     auto sc = nlohmann::json::parse(j["scenario"].get<std::string>());
		     sc["state"]["pages"][0]["exclusive"] = false;
		     sc["state"]["pages"][0]["writable"] = false;
		     j["scenario"] = sc.dump();
	     },
	     "DIVERGED"},
	    {"threads renamed",
	     [](nlohmann::json &j) {
		     auto sc = nlohmann::json::parse(j["scenario"].get<std::string>());
		     sc["threads"][0]["name"] = "someone";
		     j["scenario"] = sc.dump();
	     },
	     "the replay found a different violation: [rmap-walk-lock] someone moves"},
	    {"another scenario's name",
	     [](nlohmann::json &j) {
		     auto sc = nlohmann::json::parse(j["scenario"].get<std::string>());
		     sc["name"] = "other";
		     j["scenario"] = sc.dump();
	     },
	     "the embedded scenario is \"other\", the trace's \"seed-e-unprotected\""},
	};
	for (const Case &c : cases) {
		auto j = good;
		c.edit(j);
		fs::path p = tmp.path / "edited.trace.json";
		std::ofstream(p) << j.dump();
		auto r = mmrace("replay --no-diagram " + shq(p));
		INFO(c.what << ": " << r.out);
		CHECK(r.exit == 2);
		CHECK_THAT(r.out, Catch::Contains("DIVERGED"));
		CHECK_THAT(r.out, Catch::Contains(c.where));
	}
}

TEST_CASE("cli: run exits 5 when a budget ends an incomplete exploration", "[cli][hardening]")
{
	auto r = mmrace("run --max-executions 1 -j1 '" + root() +
			"/scenarios/library/seed-e-mainline.json'");
	INFO(r.out);
	CHECK(r.exit == 5);
	CHECK_THAT(r.out,
		   Catch::Contains("the budget ran out before the exploration was complete"));
	CHECK_THAT(r.out, Catch::Contains("stopped by"));
	/* Exhausted: 0. */
	CHECK(mmrace("run '" + root() + "/scenarios/library/seed-e-mainline.json'").exit == 0);

	/* check: an expected violation not found within the budget says so. */
	auto c = mmrace("check --max-executions 1 -j1 --strategy dfs " + shq(seedE()));
	INFO(c.out);
	CHECK(c.exit == 2);
	CHECK_THAT(c.out, Catch::Contains("got clean (not exhausted)"));
}

TEST_CASE("cli: check of nothing is an error", "[cli][hardening]")
{
	TempDir tmp;
	auto r = mmrace("check " + shq(tmp.path));
	CHECK(r.exit == 3);
	CHECK_THAT(r.out, Catch::Contains("no scenario files (*.json) in this directory"));
}

namespace
{

/* A directory with a passing, a failing and a malformed scenario. */
fs::path mixedCorpus(const fs::path &dir)
{
	fs::copy_file(root() + "/scenarios/library/seed-e-mainline.json", dir / "a-pass.json");
	auto wrong = nlohmann::json::parse(readFile(seedE()));
	wrong["name"] = "b-wrong <&\"'>";
	wrong["expect"] = {{"clean", true}};
	std::ofstream(dir / "b-fail.json") << wrong.dump(1);
	std::ofstream(dir / "c-bad.json") << "{\"name\": \"bad\", \"state\": {}, \"threads\": []}";
	return dir;
}

} // namespace

TEST_CASE("cli: check --tap is TAP that prove parses, with YAML diagnostics", "[cli][hardening]")
{
	TempDir tmp;
	fs::path corpus = tmp.path / "corpus";
	fs::create_directory(corpus);
	mixedCorpus(corpus);
	auto r = mmrace("check --tap " + shq(corpus), "2>/dev/null");
	INFO(r.out);
	CHECK(r.exit == 3); /* a file did not load */
	fs::path tap = tmp.path / "out.tap";
	std::ofstream(tap) << r.out;

	/* Every line is TAP: version, plan, test lines, comments, YAML blocks. */
	std::istringstream lines(r.out);
	std::string line;
	bool inYaml = false;
	int tests = 0, notOk = 0, yaml = 0;
	std::string prev;
	while (std::getline(lines, line)) {
		INFO(line);
		if (inYaml) {
			if (line == "  ...")
				inYaml = false;
			else
				CHECK(line.starts_with("  "));
			prev = line;
			continue;
		}
		if (line == "  ---") {
			CHECK(prev.starts_with("not ok"));
			inYaml = true;
			++yaml;
		} else if (line.starts_with("ok ") || line.starts_with("not ok ")) {
			++tests;
			notOk += line.starts_with("not ok");
		} else {
			CHECK(
			    (line == "TAP version 13" || line == "1..3" || line.starts_with("# ")));
		}
		prev = line;
	}
	CHECK(!inYaml);
	CHECK(tests == 3);
	CHECK(notOk == 2);
	CHECK(yaml == 2);
	CHECK_THAT(r.out, Catch::Contains("  expect: \"clean\"\n  got: \"harmful rmap-walk-lock"));
	CHECK_THAT(r.out, Catch::Contains("  reproduce: \"mmrace run '"));
	CHECK_THAT(r.out, Catch::Contains("  message: \"bad input: "));

	/* TAP::Parser (prove) agrees: 3 tests, 2 failed, parsed without errors. */
	std::string cmd = "prove -e cat '" + tap.string() + "' 2>&1";
	FILE *p = popen(cmd.c_str(), "r");
	REQUIRE(p);
	std::string out;
	std::array<char, 4096> buf;
	while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
		out.append(buf.data(), n);
	int status = pclose(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		WARN("prove is not installed: TAP::Parser check skipped");
		return;
	}
	INFO(out);
	CHECK_THAT(out, Catch::Contains("Failed tests:  2-3"));
	CHECK_THAT(out, Catch::Contains("Tests=3"));
	CHECK_THAT(out, !Catch::Contains("Parse errors"));
}

TEST_CASE("cli: check --junit writes one testcase per scenario, valid JUnit XML",
	  "[cli][hardening]")
{
	TempDir tmp;
	fs::path corpus = tmp.path / "corpus";
	fs::create_directory(corpus);
	mixedCorpus(corpus);
	fs::path traces = tmp.path / "traces";
	fs::create_directory(traces);
	fs::path xml = tmp.path / "report.xml";
	auto r =
	    mmrace("check --junit " + shq(xml) + " --trace-dir " + shq(traces) + " " + shq(corpus));
	INFO(r.out);
	CHECK(r.exit == 3);
	CHECK_THAT(r.out, Catch::Contains("1 passed, 2 failed (1 did not load)"));
	std::string report = readFile(xml);
	INFO(report);
	CHECK_THAT(report,
		   Catch::Contains("tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"0\""));
	CHECK_THAT(report, Catch::Contains(
			       "<testcase classname=\"mmrace.check\" name=\"seed-e-mainline\""));
	CHECK_THAT(report, Catch::Contains("name=\"b-wrong &lt;&amp;&quot;&apos;&gt;\""));
	CHECK_THAT(report,
		   Catch::Contains("<failure type=\"expectation\" message=\"expect clean; got "
				   "harmful rmap-walk-lock"));
	/* The failure names the trace and the command that replays it. */
	CHECK_THAT(report,
		   Catch::Contains("replay: " + std::string(std::getenv("MMRACE_BIN")) +
				   " replay &apos;" + traces.string() + "/b-wrong"));
	CHECK_THAT(report, Catch::Contains("<error type=\"bad-input\""));
	CHECK(hiddenFiles(tmp.path) == 0);

	std::string lint = "xmllint --noout --schema '" + root() + "/tests/fixtures/junit.xsd' '" +
			   xml.string() + "' 2>&1";
	FILE *p = popen(lint.c_str(), "r");
	REQUIRE(p);
	std::string out;
	std::array<char, 4096> buf;
	while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
		out.append(buf.data(), n);
	int status = pclose(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		WARN("xmllint is not installed: schema check skipped");
		return;
	}
	INFO(out);
	CHECK(WEXITSTATUS(status) == 0);
	CHECK_THAT(out, Catch::Contains("validates"));
}

TEST_CASE("cli: an interrupted check reports only what it ran", "[cli][hardening]")
{
	TempDir tmp;
	fs::path corpus = tmp.path / "corpus";
	fs::create_directory(corpus);
	fs::copy_file(root() + "/scenarios/library/seed-e-mainline.json", corpus / "a.json");
	/* Random exploration without a budget runs until interrupted. */
	auto endless =
	    nlohmann::json::parse(readFile(root() + "/scenarios/library/seed-e-mainline.json"));
	endless["name"] = "endless";
	endless["explore"] = {{"strategy", "random"}};
	std::ofstream(corpus / "b.json") << endless.dump(1);
	fs::copy_file(seedE(), corpus / "c.json");

	for (bool tap : {false, true}) {
		/* A file of its own per pass: reading the previous pass's output
		 * before the child truncated it sent Ctrl-C too early */
		fs::path out = tmp.path / (tap ? "out-tap.txt" : "out.txt");
		const char *bin = std::getenv("MMRACE_BIN");
		REQUIRE(bin);
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			std::freopen(out.c_str(), "w", stdout);
			std::freopen("/dev/null", "w", stderr);
			std::string dir = corpus.string();
			if (tap)
				execl(bin, bin, "check", "--tap", "-j1", dir.c_str(),
				      (char *)nullptr);
			else
				execl(bin, bin, "check", "-j1", dir.c_str(), (char *)nullptr);
			_exit(127);
		}
		/* Wait until the first scenario's result is out, then Ctrl-C (up to
		 * 250 s: under ASan on a loaded machine it can take long) */
		for (int i = 0;
		     i < 25000 && readFile(out).find("seed-e-mainline") == std::string::npos; ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		kill(pid, SIGINT);
		int status = 0;
		REQUIRE(waitpid(pid, &status, 0) == pid);
		REQUIRE(WIFEXITED(status));
		std::string text = readFile(out);
		INFO(text);
		CHECK(WEXITSTATUS(status) == 130);
		CHECK_THAT(text, Catch::Contains(
				     "1 passed, 0 failed; interrupted: 2 of 3 scenarios not run"));
		CHECK_THAT(text, !Catch::Contains("FAIL"));
		CHECK_THAT(text, !Catch::Contains("not ok"));
		if (tap)
			CHECK_THAT(text, Catch::Contains("ok 1 - seed-e-mainline\n") &&
					     Catch::Contains("Bail out! interrupted"));
	}
}

TEST_CASE("cli: off a terminal, a plain progress line every --progress-seconds", "[cli][hardening]")
{
	/* stderr is a pipe here. The run lasts its time budget, 2.5 s: progress
	 * is reported after about 1 s and 2 s. */
	auto r = mmrace("run -j1 --strategy sleepset --time-budget 2.5 --progress-seconds 0.5 '" +
			root() + "/scenarios/library/uffd-move-two-movers-reclaim.json'");
	INFO(r.out);
	CHECK(r.exit == 5);
	CHECK_THAT(r.out, Catch::Contains("\nmmrace: progress: ") ||
			      Catch::StartsWith("mmrace: progress: "));
	CHECK_THAT(r.out, Catch::Contains(" executions ("));
	CHECK_THAT(r.out, !Catch::Contains("\r"));
}

/* guards-audit: verdicts carry their coverage */
TEST_CASE("cli: a switched-off guard no execution reached is named; a witness's is not",
	  "[cli][coverage]")
{
	TempDir tmp;
	const std::string witness = root() + "/scenarios/library/gup-pte-recheck-off.json";
	const std::string never =
	    "note: guard migrate.expected_refcount was never reached: this run says nothing about it";
	/* the witness: its one guard off is reached */
	auto w = mmrace("run '" + witness + "' --trace-dir '" + tmp.path.string() + "'");
	INFO(w.out);
	CHECK(w.exit == 1);
	CHECK_THAT(w.out, Catch::Contains("coverage: "));
	CHECK_THAT(w.out, !Catch::Contains("was never reached"));
	/* no execution migrates: switching migration's refcount check off says nothing */
	auto r = mmrace("run '" + witness + "' --trace-dir '" + tmp.path.string() +
			"' --guards-off gup_fast.pte_recheck,migrate.expected_refcount");
	INFO(r.out);
	CHECK(r.exit == 1);
	CHECK_THAT(r.out, Catch::Contains(never));
	CHECK_THAT(r.out, !Catch::Contains("guard gup_fast.pte_recheck was never reached"));
	auto trace = nlohmann::json::parse(readFile(tmp.path / "gup-pte-recheck-off.trace.json"));
	CHECK(trace["run_coverage"]["guards_off_not_reached"] ==
	      nlohmann::json::array({"migrate.expected_refcount"}));
	CHECK(trace["run_coverage"]["guards_off_reached"] ==
	      nlohmann::json::array({"gup_fast.pte_recheck"}));
	/* check says it too, as a note under the verdict */
	auto c = mmrace("check '" + witness +
			"' --guards-off gup_fast.pte_recheck,migrate.expected_refcount");
	INFO(c.out);
	CHECK_THAT(c.out, Catch::Contains("     " + never));
	CHECK_THAT(mmrace("check '" + witness + "'").out, !Catch::Contains("never reached"));
}

TEST_CASE("cli: run says when no execution reached the end-state invariants", "[cli][coverage]")
{
	TempDir tmp;
	fs::path f = tmp.path / "self-deadlock.json";
	std::ofstream(f) << R"({"name": "self-deadlock", "description": "mmap_lock twice",
		"state": {"anon_vmas": [], "vmas": [], "pages": []},
		"threads": [{"name": "t", "ops": [{"op": "lock_sequence",
			"locks": ["mmap_lock", "mmap_lock"]}]}],
		"expect": {"violation": "lock-recursion", "severity": "harmful"}})";
	auto r = mmrace("run '" + f.string() + "' --trace-dir '" + tmp.path.string() + "'");
	INFO(r.out);
	CHECK(r.exit == 1);
	CHECK_THAT(r.out, Catch::Contains("end state checked in 0 executions"));
	CHECK_THAT(r.out, Catch::Contains("note: the end-state invariants (rmap reachability, "
					  "mapcount, refcount, pins, migration entries, lost writes) "
					  "were never evaluated: no execution ran to its end"));
	auto ok = mmrace("run '" + root() + "/scenarios/library/mremap-vs-gup-fast-mainline.json'");
	INFO(ok.out);
	CHECK(ok.exit == 0);
	CHECK_THAT(ok.out, !Catch::Contains("note:"));
}
