/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a scenario: parse with positions, then validate section by section
 * and stop at the first error. Sections are checked in dependency order
 * (state before threads), members within a section in document order.
 */
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "checker/invariants.hpp"
#include "model/registry.hpp"
#include "scenarios/load_context.hpp"

namespace mmrace::scenarios
{

namespace
{

/* Scenarios are a few KiB; this only stops a mistaken path from eating memory. */
constexpr off_t kMaxFileSize = 16 << 20;

void loadPreset(const LoadContext &ctx, const Json &v, Scenario &out)
{
	const std::string path = "$.preset";
	out.preset = ctx.string(v, path, "\"preset\"");
	if (!model::findPreset(out.preset))
		ctx.fail(path, fmt::format("unknown preset \"{}\"; allowed: {}", out.preset,
					   model::presetNames()));
}

void loadGuardsOff(const LoadContext &ctx, const Json &v, Scenario &out)
{
	const std::string path = "$.guards_off";
	ctx.array(v, path, "\"guards_off\"");
	for (std::size_t i = 0; i < v.size(); ++i) {
		std::string p = jsonPathIndex(path, i);
		std::string g = ctx.string(v[i], p, "a guard name");
		if (!model::findGuard(g))
			ctx.fail(p, fmt::format("unknown guard \"{}\"; allowed: {}", g,
						model::guardNames()));
		for (const std::string &o : out.guardsOff)
			if (o == g)
				ctx.fail(p, fmt::format("guard \"{}\" is listed twice", g));
		out.guardsOff.push_back(std::move(g));
	}
}

void loadExplore(const LoadContext &ctx, const Json &v, Scenario &out)
{
	const std::string path = "$.explore";
	ctx.object(v, path, "\"explore\"");
	ctx.checkKeys(v, path, {"strategy", "max_executions", "max_steps", "seed", "preemption_bound"},
		      "\"explore\"");
	ExploreSpec &x = out.explore;
	if (const Json *s = member(v, "strategy")) {
		std::string p = jsonPathMember(path, "strategy");
		x.strategy = ctx.string(*s, p, "\"strategy\"");
		static const char *const allowed[] = {"sleepset", "dpor", "optimal", "dfs", "random", "pct"};
		if (std::find(std::begin(allowed), std::end(allowed), x.strategy) == std::end(allowed))
			ctx.fail(p, fmt::format("unknown strategy \"{}\"; allowed: sleepset, dpor, "
						"optimal, dfs, random, pct",
						x.strategy));
	}
	if (const Json *n = member(v, "max_executions"))
		x.maxExecutions = ctx.unsignedInt(*n, jsonPathMember(path, "max_executions"),
						  "\"max_executions\"", true);
	if (const Json *n = member(v, "max_steps"))
		x.maxSteps =
		    ctx.unsignedInt(*n, jsonPathMember(path, "max_steps"), "\"max_steps\"", true);
	if (const Json *n = member(v, "preemption_bound")) {
		std::string p = jsonPathMember(path, "preemption_bound");
		std::uint64_t b = ctx.unsignedInt(*n, p, "\"preemption_bound\"", false);
		if (b > 16)
			ctx.fail(p, fmt::format("\"preemption_bound\" {} is too large; allowed: 0..16", b));
		if (!x.strategy.empty() && x.strategy != "dpor" && x.strategy != "dfs")
			ctx.fail(p, fmt::format("\"preemption_bound\" works with strategy dpor (bounded "
						"POR) or dfs, not \"{}\"",
						x.strategy));
		x.preemptionBound = static_cast<unsigned>(b);
	}
	/* 0 is as good a PRNG seed as any other. */
	if (const Json *n = member(v, "seed"))
		x.seed = ctx.unsignedInt(*n, jsonPathMember(path, "seed"), "\"seed\"", false);
}

void loadExpect(const LoadContext &ctx, const Json &v, Scenario &out)
{
	const std::string path = "$.expect";
	ctx.object(v, path, "\"expect\"");
	ctx.checkKeys(v, path, {"clean", "violation", "severity"}, "\"expect\"");
	const Json *clean = member(v, "clean");
	const Json *violation = member(v, "violation");
	const Json *severity = member(v, "severity");
	ExpectSpec &x = out.expect;
	if (clean && violation)
		ctx.fail(path,
			 "\"expect\" takes either \"clean\": true or \"violation\", not both");
	if (!clean && !violation)
		ctx.fail(path, "\"expect\" needs either \"clean\": true or \"violation\": "
			       "\"<invariant id>\"");
	if (clean) {
		std::string p = jsonPathMember(path, "clean");
		if (!ctx.boolean(*clean, p, "\"clean\""))
			ctx.fail(p, "\"clean\" must be true (to expect a violation, give "
				    "\"violation\" instead)");
		if (severity)
			ctx.failAtKey(jsonPathMember(path, "severity"),
				      "\"severity\" applies only to an expected violation");
		x.kind = ExpectSpec::Kind::Clean;
		return;
	}
	std::string p = jsonPathMember(path, "violation");
	x.kind = ExpectSpec::Kind::Violation;
	x.invariant = ctx.string(*violation, p, "\"violation\"");
	if (!checker::findInvariant(x.invariant))
		ctx.fail(p, fmt::format("unknown invariant \"{}\"; allowed: {}", x.invariant,
					checker::invariantNames()));
	if (severity) {
		std::string sp = jsonPathMember(path, "severity");
		x.severity = ctx.string(*severity, sp, "\"severity\"");
		if (x.severity != "harmful" && x.severity != "benign")
			ctx.fail(sp,
				 fmt::format("unknown severity \"{}\"; allowed: harmful, benign",
					     x.severity));
	}
}

Scenario load(const JsonDocument &doc, const std::string &text, const std::string &file)
{
	LoadContext ctx(doc, file);
	const Json &root = doc.impl().root;
	if (!root.is_object())
		ctx.fail("$", fmt::format("a scenario must be a JSON object {{...}}, got {}",
					  describeValue(root)));
	ctx.checkKeys(root, "$",
		      {"name", "description", "source", "state", "threads", "preset", "guards_off",
		       "explore", "expect"},
		      "a scenario");
	ctx.requireKeys(root, "$", {"name", "state", "threads"}, "a scenario");

	Scenario s;
	s.file = file;
	s.json = text;
	s.name = ctx.name(root.at("name"), "$.name", "\"name\"");
	if (const Json *d = member(root, "description"))
		s.description = ctx.string(*d, "$.description", "\"description\"");
	if (const Json *src = member(root, "source"))
		s.source = ctx.string(*src, "$.source", "\"source\"");
	loadState(ctx, root.at("state"), s);
	loadThreads(ctx, root.at("threads"), s);
	/* state.pages[].tlb names threads, known only now. */
	for (std::size_t i = 0; i < s.pages.size(); ++i)
		for (std::size_t j = 0; j < s.pages[i].tlb.size(); ++j) {
			const std::string &t = s.pages[i].tlb[j];
			if (std::none_of(s.threads.begin(), s.threads.end(),
					 [&](const ThreadSpec &x) { return x.name == t; }))
				ctx.fail(jsonPathIndex(jsonPathMember(jsonPathIndex("$.state.pages", i),
								      "tlb"),
						       j),
					 fmt::format("\"{}\" is not a thread of this scenario", t));
		}
	if (const Json *p = member(root, "preset"))
		loadPreset(ctx, *p, s);
	if (const Json *g = member(root, "guards_off"))
		loadGuardsOff(ctx, *g, s);
	if (const Json *e = member(root, "explore"))
		loadExplore(ctx, *e, s);
	if (const Json *e = member(root, "expect"))
		loadExpect(ctx, *e, s);
	return s;
}

LoadError plainError(const std::string &file, std::string message)
{
	return LoadError{file, "", 0, 0, std::move(message)};
}

/* Reads the whole file; on failure sets `error` and returns false. */
bool readFile(const std::string &path, std::string &text, std::string &error)
{
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error = fmt::format("cannot read: {}", std::strerror(errno));
		return false;
	}
	struct stat st;
	if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > kMaxFileSize) {
		::close(fd);
		error = fmt::format("cannot read: file is larger than {} MiB", kMaxFileSize >> 20);
		return false;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = fmt::format("cannot read: {}", std::strerror(errno));
			::close(fd);
			return false;
		}
		if (n == 0)
			break;
		text.append(buf, static_cast<std::size_t>(n));
		if (text.size() > static_cast<std::size_t>(kMaxFileSize)) {
			::close(fd);
			error = fmt::format("cannot read: file is larger than {} MiB",
					    kMaxFileSize >> 20);
			return false;
		}
	}
	::close(fd);
	return true;
}

} // namespace

std::string LoadError::format() const
{
	std::string out = file.empty() ? "<input>" : file;
	if (line > 0)
		out += column > 0 ? fmt::format(":{}:{}", line, column) : fmt::format(":{}", line);
	out += ": ";
	if (!path.empty())
		out += path + ": ";
	return out + message;
}

LoadResult loadScenarioText(const std::string &text, const std::string &file)
{
	/* Bad input is a returned error, never an exception across the API. */
	try {
		JsonParseResult parsed = JsonDocument::parse(text);
		if (const auto *e = std::get_if<JsonSyntaxError>(&parsed))
			return LoadError{file, e->path, e->pos.line, e->pos.column, e->message};
		return load(std::get<JsonDocument>(parsed), text, file);
	} catch (const LoadFailure &f) {
		return f.error;
	} catch (const std::bad_alloc &) {
		return plainError(file, "out of memory while loading");
	} catch (const std::exception &e) {
		return plainError(file, fmt::format("internal error while loading: {}", e.what()));
	} catch (...) {
		return plainError(file, "internal error while loading");
	}
}

LoadResult loadScenarioFile(const std::string &path)
{
	try {
		std::string text;
		std::string error;
		if (!readFile(path, text, error))
			return plainError(path, error);
		return loadScenarioText(text, path);
	} catch (...) {
		return plainError(path, "out of memory while reading");
	}
}

} // namespace mmrace::scenarios
