/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace sweep (sweep.hpp, docs/sweep.md): generate, judge (each scenario in
 * a child process), minimise, report.
 */
#include "sweep.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checker/mm_program.hpp"
#include "checker/spec.hpp"
#include "commands.hpp"
#include "runner.hpp"
#include "scenarios/generator.hpp"
#include "scheduler/strategies/strategies.hpp"

namespace mmrace::cli
{

namespace
{

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

/* MmProgram that also holds every complete execution against the spec. */
class SpecProgram : public checker::MmProgram
{
public:
	SpecProgram(const scenarios::Scenario &sc, const model::GuardSet &g)
	    : MmProgram(sc, g), sc_(sc)
	{
	}
	void atEnd(Execution &exec) override
	{
		MmProgram::atEnd(exec);
		if (mismatch.empty() && world())
			mismatch = checker::checkSequentialSpec(sc_, *world());
	}
	std::string mismatch;

private:
	const scenarios::Scenario &sc_;
};

Verdict judgeLoaded(const scenarios::Scenario &sc, const JudgeOptions &o)
{
	Verdict v;
	RunOptions ro;
	ro.preset = "mainline";
	ro.guardsOff = std::vector<std::string>{};
	ro.maxExecutions = o.maxExecutions;
	ro.maxSteps = o.maxSteps;
	ro.timeBudgetSeconds = o.timeBudgetSeconds;
	ro.jobs = 1;
	ScenarioRun run = runScenario(sc, ro);
	v.budgetLimited = !run.result.stats.exhausted && !run.result.harmful;
	if (run.result.harmful) {
		v.kind = run.result.harmful->finding.invariant;
		v.detail = run.result.harmful->finding.title;
		return v;
	}
	if (sc.threads.size() != 1 || !o.spec)
		return v;
	if (!run.result.benign.empty()) {
		v.kind = "spec-mismatch";
		v.detail = fmt::format("benign [{}] {} in a one-thread scenario",
				       run.result.benign[0].finding.invariant,
				       run.result.benign[0].finding.title);
		return v;
	}
	model::GuardSet guards;
	if (std::string err = model::GuardSet::build("mainline", {}, guards); !err.empty())
		throw std::logic_error(err);
	SpecProgram program(sc, guards);
	auto dfs = makeDfsStrategy();
	ExploreOptions eo;
	eo.maxExecutions = 16;
	eo.limits.maxSteps = o.maxSteps;
	explore(program, *dfs, eo);
	if (!program.mismatch.empty()) {
		v.kind = "spec-mismatch";
		v.detail = program.mismatch;
	}
	return v;
}

Json verdictJson(const Verdict &v)
{
	return Json{{"kind", v.kind}, {"detail", v.detail}, {"budget", v.budgetLimited}};
}

Verdict verdictOf(const Json &j)
{
	return {j.at("kind").get<std::string>(), j.at("detail").get<std::string>(),
		j.at("budget").get<bool>()};
}

std::string signalText(int status)
{
	if (WIFSIGNALED(status))
		return fmt::format("killed by signal {} ({})", WTERMSIG(status),
				   strsignal(WTERMSIG(status)));
	return fmt::format("exited with status {} without a verdict", WEXITSTATUS(status));
}

/* Runs fn in a child; its stdout-less JSON answer comes back through a pipe. */
template<typename Fn> Json inChild(Fn fn, double hardLimitSeconds, std::string &failure)
{
	int fds[2];
	if (pipe(fds) != 0)
		throw std::runtime_error("pipe() failed");
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid < 0)
		throw std::runtime_error("fork() failed");
	if (pid == 0) {
		close(fds[0]);
		if (hardLimitSeconds > 0)
			alarm(static_cast<unsigned>(hardLimitSeconds) + 1);
		std::string out = fn().dump();
		std::size_t off = 0;
		while (off < out.size()) {
			ssize_t n = write(fds[1], out.data() + off, out.size() - off);
			if (n <= 0)
				_exit(3);
			off += static_cast<std::size_t>(n);
		}
		_exit(0);
	}
	close(fds[1]);
	std::string text;
	char buf[4096];
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n <= 0)
			break;
		text.append(buf, static_cast<std::size_t>(n));
	}
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
		failure = signalText(status);
		return Json();
	}
	return Json::parse(text);
}

bool parseRange(const std::string &s, unsigned lo, unsigned hi, unsigned &a, unsigned &b)
{
	try {
		std::size_t dash = s.find('-');
		a = static_cast<unsigned>(std::stoul(s.substr(0, dash)));
		b = dash == std::string::npos
			? a
			: static_cast<unsigned>(std::stoul(s.substr(dash + 1)));
	} catch (const std::exception &) {
		return false;
	}
	return a >= lo && b <= hi && a <= b;
}

/* Candidates one smaller than doc, in the order tried. */
std::vector<Json> shrink(const Json &doc)
{
	std::vector<Json> out;
	const Json &threads = doc.at("threads");
	if (threads.size() > 1)
		for (std::size_t t = 0; t < threads.size(); ++t) {
			Json c = doc;
			std::string name = c["threads"][t]["name"];
			c["threads"].erase(t);
			if (c["state"].contains("pages"))
				for (Json &p : c["state"]["pages"])
					if (p.contains("tlb")) {
						Json keep = Json::array();
						for (const Json &n : p["tlb"])
							if (n != name)
								keep.push_back(n);
						if (keep.empty())
							p.erase("tlb");
						else
							p["tlb"] = keep;
					}
			out.push_back(std::move(c));
		}
	for (std::size_t t = 0; t < threads.size(); ++t)
		if (threads[t]["ops"].size() > 1)
			for (std::size_t i = 0; i < threads[t]["ops"].size(); ++i) {
				Json c = doc;
				c["threads"][t]["ops"].erase(i);
				out.push_back(std::move(c));
			}
	if (doc["state"].contains("pages"))
		for (std::size_t i = 0; i < doc["state"]["pages"].size(); ++i) {
			Json c = doc;
			c["state"]["pages"].erase(i);
			if (c["state"]["pages"].empty())
				c["state"].erase("pages");
			out.push_back(std::move(c));
		}
	if (doc["state"]["vmas"].size() > 1)
		for (std::size_t i = 0; i < doc["state"]["vmas"].size(); ++i) {
			Json c = doc;
			c["state"]["vmas"].erase(i);
			out.push_back(std::move(c));
		}
	/* then simpler shapes: fewer VMA pages, fewer page and device options */
	for (std::size_t i = 0; i < doc["state"]["vmas"].size(); ++i) {
		std::uint64_t n = doc["state"]["vmas"][i]["pages"].get<std::uint64_t>();
		std::uint64_t prev = n;
		for (std::uint64_t m : {std::uint64_t{1}, n / 2, n - 1})
			if (m >= 1 && m < n && m != prev) {
				Json c = doc;
				c["state"]["vmas"][i]["pages"] = m;
				out.push_back(std::move(c));
				prev = m;
			}
	}
	if (doc["state"].contains("pages"))
		for (std::size_t i = 0; i < doc["state"]["pages"].size(); ++i)
			for (const char *key :
			     {"tlb", "gup", "young", "large", "writeback", "exclusive", "writable"})
				if (doc["state"]["pages"][i].contains(key)) {
					Json c = doc;
					c["state"]["pages"][i].erase(key);
					out.push_back(std::move(c));
				}
	for (const char *key : {"tlb_flush", "swap", "files"})
		if (doc["state"].contains(key)) {
			Json c = doc;
			c["state"].erase(key);
			out.push_back(std::move(c));
		}
	return out;
}

} // namespace

Verdict judgeScenario(const Json &doc, const JudgeOptions &o)
{
	std::string name = doc.value("name", std::string("generated"));
	auto loaded = scenarios::loadScenarioText(doc.dump(1), name + ".json");
	if (auto *err = std::get_if<scenarios::LoadError>(&loaded))
		return {"invalid-scenario", err->format(), false};
	try {
		return judgeLoaded(std::get<scenarios::Scenario>(loaded), o);
	} catch (const std::exception &e) {
		return {"internal-error", e.what(), false};
	}
}

Verdict judgeIsolated(const Json &doc, const JudgeOptions &o)
{
	std::string failure;
	double hard = o.timeBudgetSeconds > 0 ? o.timeBudgetSeconds * 4 + 10 : 0;
	Json j = inChild([&] { return verdictJson(judgeScenario(doc, o)); }, hard, failure);
	if (!failure.empty())
		return {"internal-error", failure, false};
	return verdictOf(j);
}

Json minimise(const Json &doc, const std::string &kind, const JudgeOptions &o, bool isolated,
	      unsigned *calls)
{
	Json best = doc;
	unsigned n = 0;
	constexpr unsigned kMaxCalls = 150;
	for (bool progress = true; progress && n < kMaxCalls;) {
		progress = false;
		for (Json &c : shrink(best)) {
			if (n >= kMaxCalls)
				break;
			++n;
			Verdict v = isolated ? judgeIsolated(c, o) : judgeScenario(c, o);
			if (v.kind == kind) {
				best = std::move(c);
				progress = true;
				break;
			}
		}
	}
	if (calls)
		*calls = n;
	return best;
}

int cmdSweep(const SweepArgs &a)
{
	scenarios::GeneratorOptions g;
	if (!parseRange(a.threads, 1, 4, g.minThreads, g.maxThreads))
		throw std::invalid_argument("--threads: a number or a range within 1-4, e.g. 1-3");
	if (!parseRange(a.pages, 1, 4, g.minPages, g.maxPages))
		throw std::invalid_argument("--pages: a number or a range within 1-4, e.g. 2-4");
	g.maxExecutions = a.maxExecutions;
	JudgeOptions o;
	o.maxExecutions = a.maxExecutions;
	o.maxSteps = a.maxSteps;
	o.timeBudgetSeconds = a.timeBudget;
	unsigned jobs = std::max(1u, a.jobs);
	if (!a.files.empty()) {
		unsigned bad = 0;
		for (const std::string &f : a.files) {
			std::ifstream in(f);
			if (!in)
				throw std::invalid_argument(f + ": cannot open");
			Json doc;
			try {
				doc = Json::parse(in);
			} catch (const std::exception &e) {
				throw std::invalid_argument(f + ": not JSON: " + e.what());
			}
			Verdict v = judgeIsolated(doc, o);
			bad += !v.kind.empty();
			std::cout << fmt::format("{}: {}{}", f,
						 v.kind.empty() ? "clean" : "[" + v.kind + "] ",
						 v.detail)
				  << (v.budgetLimited ? " (budget-limited)" : "") << std::endl;
		}
		return bad ? kExitViolation : kExitOk;
	}
	fs::create_directories(a.outDir);
	if (!a.emitDir.empty())
		fs::create_directories(a.emitDir);

	auto t0 = std::chrono::steady_clock::now();
	std::uint64_t harmful = 0, budget = 0;
	std::map<std::string, unsigned> byKind;
	std::map<std::uint64_t, Json> done; /* finished, not yet printed */
	std::map<pid_t, std::uint64_t> running;
	std::uint64_t next = 0, printed = 0;
	fs::path tmp = fs::temp_directory_path() / fmt::format("mmrace-sweep-{}", getpid());
	fs::create_directories(tmp);

	/* One child per scenario: generate, judge, minimise; the answer in a file. */
	auto spawn = [&](std::uint64_t i) {
		std::fflush(nullptr);
		pid_t pid = fork();
		if (pid < 0)
			throw std::runtime_error("fork() failed");
		if (pid == 0) {
			Json doc = scenarios::generateScenario(a.seed, a.from + i, g);
			if (!a.emitDir.empty())
				std::ofstream(
				    fs::path(a.emitDir) /
				    fmt::format("{}.json", doc["name"].get<std::string>()))
				    << doc.dump(1) << "\n";
			Verdict v = judgeIsolated(doc, o);
			Json res = verdictJson(v);
			if (!v.kind.empty() && v.kind != "invalid-scenario" && a.minimise) {
				unsigned calls = 0;
				Json m = minimise(doc, v.kind, o, true, &calls);
				Verdict mv = judgeIsolated(m, o);
				if (mv.kind == v.kind)
					res["detail"] = mv.detail;
				res["minimise_runs"] = calls;
				doc = m;
			}
			if (!v.kind.empty()) {
				doc["description"] = fmt::format(
				    "mmrace sweep --seed {} finding (scenario {}), minimised: [{}] "
				    "{}. Every "
				    "guard is on, so the expectation is clean: either a model or "
				    "oracle bug, "
				    "or a kernel race to write up in docs/findings.md.",
				    a.seed, a.from + i, v.kind, res["detail"].get<std::string>());
				res["scenario"] = doc;
			}
			std::ofstream(tmp / fmt::format("{}.json", i)) << res.dump();
			_exit(0);
		}
		running[pid] = i;
	};
	auto report = [&](std::uint64_t i, const Json &res) {
		Verdict v = verdictOf(res);
		budget += v.budgetLimited;
		if (v.kind.empty())
			return;
		++harmful;
		++byKind[v.kind];
		std::string file = "-";
		if (res.contains("scenario")) {
			fs::path p = fs::path(a.outDir) /
				     fmt::format("sweep-{}-{}-{}.json", a.seed, a.from + i, v.kind);
			std::ofstream(p) << res["scenario"].dump(1) << "\n";
			file = p.string();
		}
		std::cout << fmt::format("finding {}: [{}] {} -> {}", a.from + i, v.kind, v.detail,
					 file)
			  << std::endl;
	};
	while (printed < a.count) {
		while (running.size() < jobs && next < a.count)
			spawn(next++);
		int status = 0;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0)
			throw std::runtime_error("waitpid() failed");
		auto it = running.find(pid);
		if (it == running.end())
			continue;
		std::uint64_t i = it->second;
		running.erase(it);
		fs::path f = tmp / fmt::format("{}.json", i);
		Json res;
		std::ifstream in(f);
		std::string text((std::istreambuf_iterator<char>(in)),
				 std::istreambuf_iterator<char>());
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !text.empty())
			res = Json::parse(text);
		else
			res = verdictJson(
			    {"internal-error", "the sweep worker " + signalText(status), false});
		fs::remove(f);
		done[i] = res;
		while (done.count(printed)) {
			report(printed, done[printed]);
			done.erase(printed++);
		}
	}
	fs::remove_all(tmp);
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	std::string kinds;
	for (const auto &[k, n] : byKind)
		kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", k, n);
	std::cout << fmt::format("findings by kind: {}; {:.1f} s, {:.2f} scenarios/s",
				 kinds.empty() ? "none" : kinds, secs,
				 secs > 0 ? a.count / secs : 0.0)
		  << "\n";
	std::cout << fmt::format("sweep: {} scenarios, {} harmful, {} budget-limited", a.count,
				 harmful, budget)
		  << std::endl;
	return harmful ? kExitViolation : kExitOk;
}

} // namespace mmrace::cli
