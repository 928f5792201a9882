/* SPDX-License-Identifier: GPL-2.0 */
/*
 * docs/scale-out.md's GNU parallel recipe on this machine: 4 shares of a
 * run (`run --shard K/4 --result`), then `mmrace merge`, against a single
 * run. The merge must give exactly the single run's totals (executions,
 * complete, pruned, steps) and first violation, and the shares must be
 * balanced by work: the largest within 1.5x of the smallest, in executions.
 * Without GNU parallel the same commands run as background processes.
 */
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace
{

struct Result {
	int exit;
	std::string out;
};

Result shell(const std::string &cmd)
{
	FILE *p = popen((cmd + " 2>&1").c_str(), "r");
	REQUIRE(p);
	std::string out;
	std::array<char, 4096> buf;
	while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
		out.append(buf.data(), n);
	int status = pclose(p);
	REQUIRE(WIFEXITED(status));
	return {WEXITSTATUS(status), out};
}

std::string bin()
{
	const char *b = std::getenv("MMRACE_BIN");
	REQUIRE(b);
	return b;
}

std::string root()
{
	const char *r = std::getenv("MMRACE_SOURCE_ROOT");
	return r ? r : ".";
}

struct TempDir {
	fs::path path;
	TempDir()
	{
		char tmpl[] = "/tmp/mmrace-scaleout-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		path = tmpl;
	}
	~TempDir() { fs::remove_all(path); }
};

/* "executions X (complete C, pruned P), steps S" of a run or merge summary. */
std::string totals(const std::string &out)
{
	static const std::regex re(R"(executions \d+ \(complete \d+, pruned \d+(, ended by a finding \d+)?\), steps \d+)");
	std::smatch m;
	std::string last;
	for (auto it = out.cbegin(); std::regex_search(it, out.cend(), m, re);
	     it = m.suffix().first)
		last = m.str();
	return last;
}

std::string violation(const std::string &out)
{
	static const std::regex re(R"(\[([a-z0-9-]+)\]: ([^\n]*))");
	std::smatch m;
	return std::regex_search(out, m, re) ? m[1].str() + ": " + m[2].str() : "";
}

} // namespace

TEST_CASE("scale-out: 4 shares merge to the single run, balanced", "[scaleout]")
{
	bool haveParallel = shell("command -v parallel").exit == 0;
	INFO("GNU parallel: " << (haveParallel ? "yes" : "no, background processes"));
	for (const char *name :
	     {"mremap-vs-reclaim-mainline", "mremap-vma-prepare-anon-vma-lock-mainline",
	      "mremap-copy-vma-need-rmap-locks-mainline", "mremap-take-rmap-locks-off"}) {
		INFO(name);
		TempDir dir;
		const std::string sc = root() + "/scenarios/library/" + name + ".json";
		const std::string d = dir.path.string();
		Result whole = shell(bin() + " run '" + sc + "' --jobs 1 --trace-dir '" + d + "'");
		REQUIRE((whole.exit == 0 || whole.exit == 1));
		/* docs/scale-out.md, "One machine". */
		std::string shares =
		    "cd '" + d + "' && mkdir -p traces/0 traces/1 traces/2 traces/3 && ";
		/* Paths in double quotes: GNU parallel fills in {} (the command is in
		 * single quotes), the shell loop $k. */
		std::string one = bin() + " run \"" + sc + "\" --jobs 1 --shard {}/4 --result \"" +
				  d + "/result-{}.json\" --trace-dir \"" + d + "/traces/{}\" > \"" +
				  d + "/log-{}\" 2>&1";
		if (haveParallel) {
			shares += "parallel --will-cite -j 2 '" + one + "' ::: 0 1 2 3";
		} else {
			std::string bg = one;
			for (auto p = bg.find("{}"); p != std::string::npos; p = bg.find("{}"))
				bg.replace(p, 2, "${k}");
			shares += "for k in 0 1 2 3; do " + bg + " & done; wait";
		}
		Result ran = shell(shares);
		INFO(shares << "\n" << ran.out);
		std::vector<std::uint64_t> executions;
		for (int k = 0; k < 4; ++k) {
			std::ifstream in(dir.path / ("result-" + std::to_string(k) + ".json"));
			REQUIRE(in);
			auto j = nlohmann::json::parse(in);
			CHECK(j["shard"]["index"] == k);
			executions.push_back(
			    j["scenarios"][0]["totals"]["executions"].get<std::uint64_t>());
		}
		Result merged = shell(bin() + " merge '" + d + "'/result-*.json");
		INFO(whole.out << "\n---\n" << merged.out);
		CHECK(merged.exit == whole.exit);
		REQUIRE_FALSE(totals(whole.out).empty());
		CHECK(totals(merged.out) == totals(whole.out));
		CHECK(violation(merged.out) == violation(whole.out));
		if (whole.exit == 1) {
			/* The trace merge points at was written by that share, and replays. */
			std::smatch m;
			REQUIRE(std::regex_search(merged.out, m, std::regex(R"(trace: (\S+))")));
			Result replay = shell(bin() + " replay --no-diagram '" + m[1].str() + "'");
			CHECK(replay.exit == 1); /* reproduced: the violation's code */
			CHECK(replay.out.find("replay reproduced the violation") !=
			      std::string::npos);
		} else {
			auto [lo, hi] = std::minmax_element(executions.begin(), executions.end());
			INFO("share executions " << executions[0] << " " << executions[1] << " "
						 << executions[2] << " " << executions[3]);
			CHECK(*hi <= *lo * 3 / 2);
		}
	}
}

TEST_CASE("scale-out: merge refuses a missing or repeated share", "[scaleout]")
{
	TempDir dir;
	const std::string sc = root() + "/scenarios/library/mremap-vs-reclaim-mainline.json";
	const std::string d = dir.path.string();
	for (int k : {0, 2})
		REQUIRE(shell(bin() + " run '" + sc + "' --jobs 1 --shard " + std::to_string(k) +
			      "/3 --result '" + d + "/r" + std::to_string(k) +
			      ".json' --trace-dir '" + d + "'")
			    .exit == 0);
	Result missing = shell(bin() + " merge '" + d + "/r0.json' '" + d + "/r2.json'");
	CHECK(missing.exit == 3);
	CHECK(missing.out.find("shares 1 of 3 are missing") != std::string::npos);
	Result twice = shell(bin() + " merge '" + d + "/r0.json' '" + d + "/r0.json'");
	CHECK(twice.exit == 3);
	CHECK(twice.out.find("given twice") != std::string::npos);
	/* Not result files: bounded reads, exit 3. */
	Result zero = shell(bin() + " merge /dev/zero");
	CHECK(zero.exit == 3);
	CHECK(zero.out.find("larger than 256 MiB") != std::string::npos);
	Result trace = shell(bin() + " merge '" + sc + "'");
	CHECK(trace.exit == 3);
	CHECK(trace.out.find("mmrace_result") != std::string::npos);
}
