/* SPDX-License-Identifier: GPL-2.0 */
#include "trace.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace mmrace::traces {

using nlohmann::json;

std::string traceToJson(const Trace &t)
{
	json j;
	j["format"] = "mmrace-trace";
	j["version"] = t.version;
	j["scenario_file"] = t.scenarioFile;
	j["scenario_name"] = t.scenarioName;
	j["preset"] = t.preset;
	j["guards_off"] = t.guardsOff;
	j["strategy"] = t.strategy;
	j["seed"] = t.seed;
	j["execution"] = t.execution;
	j["max_steps"] = t.maxSteps;
	j["outcome"] = t.outcome;
	j["schedule"] = encodeSchedule(t.choices);
	json choices = json::array();
	for (const Choice &c : t.choices)
		choices.push_back({c.kind == Choice::Kind::Task ? "t" : "v", c.value, c.options});
	j["choices"] = choices;
	j["threads"] = t.threads;
	json steps = json::array();
	for (const TraceStep &s : t.steps) {
		steps.push_back({{"i", s.index},
				 {"thread", s.thread},
				 {"function", s.function},
				 {"what", s.what},
				 {"access", s.access},
				 {"locks", s.locks}});
		if (!s.touches.empty())
			steps.back()["touches"] = s.touches;
	}
	j["steps"] = steps;
	json v;
	v["invariant"] = t.violation.invariant;
	v["severity"] = t.violation.severity;
	v["title"] = t.violation.title;
	v["message"] = t.violation.message;
	json refs = json::array();
	for (const TraceStepRef &r : t.violation.steps)
		refs.push_back({{"step", r.step}, {"thread", r.thread}, {"what", r.what}});
	v["steps"] = refs;
	j["violation"] = v;
	json edges = json::array();
	for (const LockEdge &e : t.lockdep)
		edges.push_back({{"from", e.from},
				 {"to", e.to},
				 {"task", e.task},
				 {"from_lock", e.fromName},
				 {"to_lock", e.toName},
				 {"from_at", e.fromLabel},
				 {"to_at", e.toLabel},
				 {"execution", e.execution}});
	j["lockdep"] = edges;
	if (!t.initialState.empty())
		j["initial_state"] = t.initialState;
	if (t.minimized)
		j["minimized"] = {{"original_schedule", encodeSchedule(t.originalChoices)},
				  {"original_steps", t.originalSteps},
				  {"original_preemptions", t.originalPreemptions},
				  {"steps", t.minimizedSteps},
				  {"preemptions", t.minimizedPreemptions}};
	/* Embedded last: it is the longest and least read part. */
	j["scenario"] = t.scenarioJson;
	return j.dump(1, '\t') + "\n";
}

std::variant<Trace, std::string> traceFromJson(const std::string &text, const std::string &file)
{
	try {
		json j = json::parse(text);
		if (!j.is_object() || j.value("format", "") != "mmrace-trace")
			return file + ": not an mmrace trace (no \"format\": \"mmrace-trace\")";
		Trace t;
		t.version = j.at("version").get<int>();
		if (t.version != kTraceVersion)
			return fmt::format("{}: trace format version {} is not supported (this mmrace "
					   "reads version {})",
					   file, t.version, kTraceVersion);
		t.scenarioFile = j.at("scenario_file").get<std::string>();
		t.scenarioName = j.value("scenario_name", "");
		t.scenarioJson = j.at("scenario").get<std::string>();
		t.preset = j.value("preset", "");
		t.guardsOff = j.at("guards_off").get<std::vector<std::string>>();
		t.strategy = j.value("strategy", "");
		t.seed = j.value("seed", std::uint64_t{0});
		t.execution = j.value("execution", std::uint64_t{0});
		t.maxSteps = j.value("max_steps", std::uint64_t{0});
		t.outcome = j.value("outcome", "");
		for (const json &c : j.at("choices")) {
			std::string kind = c.at(0).get<std::string>();
			if (kind != "t" && kind != "v")
				return file + ": $.choices: each choice is [\"t\"|\"v\", value, options]";
			t.choices.push_back({kind == "t" ? Choice::Kind::Task : Choice::Kind::Value,
					     c.at(1).get<std::uint32_t>(), c.at(2).get<std::uint32_t>()});
		}
		t.threads = j.at("threads").get<std::vector<std::string>>();
		for (const json &s : j.at("steps")) {
			t.steps.push_back({s.at("i").get<std::uint64_t>(), s.at("thread").get<std::string>(),
					   s.at("function").get<std::string>(), s.at("what").get<std::string>(),
					   s.at("access").get<std::string>(),
					   s.at("locks").get<std::vector<std::string>>()});
			if (s.contains("touches"))
				t.steps.back().touches = s.at("touches").get<std::vector<std::string>>();
		}
		if (j.contains("initial_state"))
			t.initialState = j.at("initial_state").get<std::vector<std::string>>();
		const json &v = j.at("violation");
		t.violation.invariant = v.at("invariant").get<std::string>();
		t.violation.severity = v.at("severity").get<std::string>();
		t.violation.title = v.at("title").get<std::string>();
		t.violation.message = v.at("message").get<std::string>();
		for (const json &r : v.at("steps"))
			t.violation.steps.push_back({r.at("step").get<std::uint64_t>(),
						     r.at("thread").get<std::string>(),
						     r.at("what").get<std::string>()});
		if (j.contains("lockdep"))
			for (const json &e : j.at("lockdep"))
				t.lockdep.push_back({e.at("from").get<int>(), e.at("to").get<int>(),
						     e.at("task").get<std::string>(),
						     e.at("from_lock").get<std::string>(),
						     e.at("to_lock").get<std::string>(),
						     e.at("from_at").get<std::string>(),
						     e.at("to_at").get<std::string>(),
						     e.at("execution").get<std::uint64_t>()});
		if (j.contains("minimized")) {
			const json &m = j.at("minimized");
			std::string error;
			auto original = decodeSchedule(m.at("original_schedule").get<std::string>(), &error);
			if (!original)
				return file + ": $.minimized.original_schedule: " + error;
			t.minimized = true;
			t.originalChoices = *original;
			t.originalSteps = m.at("original_steps").get<std::uint64_t>();
			t.originalPreemptions = m.at("original_preemptions").get<std::uint64_t>();
			t.minimizedSteps = m.at("steps").get<std::uint64_t>();
			t.minimizedPreemptions = m.at("preemptions").get<std::uint64_t>();
		}
		return t;
	} catch (const json::exception &e) {
		return fmt::format("{}: malformed trace: {}", file, e.what());
	}
}

std::string saveTrace(const Trace &trace, const std::string &path)
{
	std::string tmp = path + ".tmp";
	{
		std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
		if (!out)
			return fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
		out << traceToJson(trace);
		out.flush();
		if (!out)
			return fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
	}
	if (std::rename(tmp.c_str(), path.c_str()) != 0) {
		std::string err = fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(errno));
		::unlink(tmp.c_str());
		return err;
	}
	return {};
}

std::variant<Trace, std::string> loadTrace(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return fmt::format("{}: cannot read: {}", path, std::strerror(errno));
	std::ostringstream text;
	text << in.rdbuf();
	return traceFromJson(text.str(), path);
}

} // namespace mmrace::traces
