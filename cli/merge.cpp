/* SPDX-License-Identifier: GPL-2.0 */
#include "merge.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace mmrace::cli
{

using nlohmann::json;

namespace
{

json statsJson(const ExploreStats &s)
{
	return {{"executions", s.executions},
		{"complete", s.complete},
		{"pruned", s.pruned},
		{"steps", s.steps},
		{"benign_findings", s.benignFindings},
		{"max_depth", s.maxDepth},
		{"exhausted", s.exhausted},
		{"stopped_by", s.stoppedBy},
		{"seconds", s.seconds}};
}

ExploreStats statsFrom(const json &j)
{
	ExploreStats s;
	s.executions = j.at("executions").get<std::uint64_t>();
	s.complete = j.at("complete").get<std::uint64_t>();
	s.pruned = j.at("pruned").get<std::uint64_t>();
	s.steps = j.at("steps").get<std::uint64_t>();
	s.benignFindings = j.at("benign_findings").get<std::uint64_t>();
	s.maxDepth = j.at("max_depth").get<std::uint64_t>();
	s.exhausted = j.at("exhausted").get<bool>();
	s.stoppedBy = j.at("stopped_by").get<std::string>();
	return s;
}

json findingJson(const Counterexample &c)
{
	return {{"invariant", c.finding.invariant},
		{"title", c.finding.title},
		{"execution", c.execution}};
}

/* The subtree a share's reported counterexample came from: the first one
 * (in order) holding a counterexample of that invariant. */
std::optional<std::size_t> subtreeOf(const ExploreResult &r, const std::string &invariant,
				     bool harmful)
{
	for (const SubtreeResult &s : r.subtrees) {
		if (harmful && s.harmful && s.harmful->finding.invariant == invariant)
			return s.index;
		if (!harmful)
			for (const Counterexample &c : s.benign)
				if (c.finding.invariant == invariant)
					return s.index;
	}
	return std::nullopt;
}

} // namespace

std::string shareResultJson(const std::vector<ShareRecord> &records, unsigned shardIndex,
			    unsigned shardCount)
{
	json scs = json::array();
	for (const ShareRecord &rec : records) {
		const ExploreResult &r = rec.run->result;
		json j = {{"name", rec.scenario->name},
			  {"file", rec.scenario->file},
			  {"strategy", rec.run->strategy},
			  {"preset", rec.run->preset},
			  {"guards_off", rec.run->guards.offNames()},
			  {"seed", rec.run->seed},
			  {"max_steps", rec.run->maxSteps},
			  {"kind", r.subtreeCount ? "subtrees" : "random"},
			  {"totals", statsJson(r.stats)}};
		if (r.subtreeCount) {
			j["subtree_count"] = r.subtreeCount;
			j["top_pruned"] = r.topPruned;
			json subs = json::array();
			for (const SubtreeResult &s : r.subtrees) {
				json sj = {{"index", s.index},
					   {"ran", s.ran},
					   {"stats", statsJson(s.stats)}};
				sj["harmful"] = s.harmful ? findingJson(*s.harmful) : json(nullptr);
				sj["benign"] = json::array();
				for (const Counterexample &c : s.benign)
					sj["benign"].push_back(findingJson(c));
				subs.push_back(std::move(sj));
			}
			j["subtrees"] = std::move(subs);
		}
		j["harmful"] = nullptr;
		if (r.harmful) {
			json h = findingJson(*r.harmful);
			h["trace"] = rec.harmfulTrace;
			if (auto k = subtreeOf(r, r.harmful->finding.invariant, true))
				h["subtree"] = *k;
			j["harmful"] = std::move(h);
		}
		j["benign"] = json::array();
		for (const Counterexample &c : r.benign) {
			json b = findingJson(c);
			auto t = rec.benignTraces.find(c.finding.invariant);
			b["trace"] = t == rec.benignTraces.end() ? "" : t->second;
			if (auto k = subtreeOf(r, c.finding.invariant, false))
				b["subtree"] = *k;
			j["benign"].push_back(std::move(b));
		}
		scs.push_back(std::move(j));
	}
	json out = {{"mmrace_result", kResultFormat},
		    {"shard", {{"index", shardIndex}, {"count", shardCount}}},
		    {"scenarios", std::move(scs)}};
	return out.dump(1, '\t') + "\n";
}

namespace
{

struct Share {
	std::string file;
	unsigned index = 0, count = 1;
	const json *scenario = nullptr;
};

std::string listOf(const std::vector<unsigned> &v)
{
	std::string s;
	for (unsigned x : v)
		s += (s.empty() ? "" : ", ") + std::to_string(x);
	return s;
}

struct Merged {
	ExploreStats stats;
	std::optional<json> harmful; /* with "share", "execution" global */
	std::vector<json> benign;
};

/* The single-process merge of parallel.cpp, over every share's subtrees. */
Merged mergeSubtrees(const std::vector<Share> &shares)
{
	const json &first = *shares.front().scenario;
	const std::size_t count = first.at("subtree_count").get<std::size_t>();
	std::vector<const json *> sub(count, nullptr);
	std::vector<const Share *> owner(count, nullptr);
	Merged m;
	ExploreStats &st = m.stats;
	for (const Share &sh : shares) {
		const json &sc = *sh.scenario;
		if (sc.at("kind") != "subtrees" ||
		    sc.at("subtree_count").get<std::size_t>() != count)
			throw std::invalid_argument(fmt::format(
			    "{}: scenario {} was split differently from {} (another mmrace, "
			    "strategy or "
			    "options?)",
			    sh.file, sc.at("name").get<std::string>(), shares.front().file));
		st.pruned += sc.at("top_pruned").get<std::uint64_t>();
		for (const json &s : sc.at("subtrees")) {
			std::size_t k = s.at("index").get<std::size_t>();
			if (k >= count || sub[k])
				throw std::invalid_argument(fmt::format(
				    "{}: subtree {} is out of range or in two shares", sh.file, k));
			sub[k] = &s;
			owner[k] = &sh;
		}
	}
	st.executions = st.pruned;
	bool all = true;
	std::set<std::string> seen;
	for (std::size_t k = 0; k < count; ++k) {
		if (!sub[k] || !sub[k]->at("ran").get<bool>()) {
			all = false;
			st.stoppedBy = "budget";
			break;
		}
		const json &s = *sub[k];
		ExploreStats r = statsFrom(s.at("stats"));
		std::uint64_t offset = st.executions;
		st.executions += r.executions;
		st.complete += r.complete;
		st.pruned += r.pruned;
		st.steps += r.steps;
		st.benignFindings += r.benignFindings;
		st.maxDepth = std::max(st.maxDepth, r.maxDepth);
		const json &sc = *owner[k]->scenario;
		auto traceFor = [&](const json &list, const std::string &inv) -> std::string {
			for (const json &f : list)
				if (f.at("invariant") == inv &&
				    f.value("subtree", std::size_t(-1)) == k)
					return f.at("trace").get<std::string>();
			return "";
		};
		for (const json &b : s.at("benign")) {
			std::string inv = b.at("invariant").get<std::string>();
			if (!seen.insert(inv).second)
				continue;
			json e = b;
			e["execution"] = offset + b.at("execution").get<std::uint64_t>();
			e["share"] = owner[k]->index;
			e["trace"] = traceFor(sc.at("benign"), inv);
			m.benign.push_back(std::move(e));
		}
		if (!s.at("harmful").is_null()) {
			json h = s.at("harmful");
			h["execution"] = offset + h.at("execution").get<std::uint64_t>();
			h["share"] = owner[k]->index;
			const json &mine = sc.at("harmful");
			h["trace"] = !mine.is_null() && mine.value("subtree", std::size_t(-1)) == k
					 ? mine.at("trace").get<std::string>()
					 : "";
			m.harmful = std::move(h);
			st.stoppedBy = "violation";
			break;
		}
		if (!r.exhausted) {
			all = false;
			st.stoppedBy = r.stoppedBy == "stopped" ? "budget" : r.stoppedBy;
			break;
		}
	}
	st.exhausted = all && !m.harmful;
	if (st.exhausted)
		st.stoppedBy = "exhausted";
	return m;
}

/* Random strategies: every share ran the executions i = K mod N; the totals
 * add up while no share found a harmful violation; the reported one is the
 * lowest-numbered. */
Merged mergeRandom(const std::vector<Share> &shares)
{
	Merged m;
	std::uint64_t best = 0;
	std::set<std::string> seen;
	for (const Share &sh : shares) {
		const json &sc = *sh.scenario;
		ExploreStats r = statsFrom(sc.at("totals"));
		m.stats.executions += r.executions;
		m.stats.complete += r.complete;
		m.stats.pruned += r.pruned;
		m.stats.steps += r.steps;
		m.stats.benignFindings += r.benignFindings;
		m.stats.maxDepth = std::max(m.stats.maxDepth, r.maxDepth);
		if (!sc.at("harmful").is_null()) {
			std::uint64_t e = sc.at("harmful").at("execution").get<std::uint64_t>();
			if (!m.harmful || e < best) {
				best = e;
				m.harmful = sc.at("harmful");
				(*m.harmful)["share"] = sh.index;
			}
		}
		for (const json &b : sc.at("benign"))
			if (seen.insert(b.at("invariant").get<std::string>()).second) {
				m.benign.push_back(b);
				m.benign.back()["share"] = sh.index;
			}
	}
	m.stats.stoppedBy =
	    m.harmful ? "violation" : shares.front().scenario->at("totals").at("stopped_by");
	return m;
}

} // namespace

int cmdMerge(const std::vector<std::string> &files)
{
	std::vector<json> docs(files.size());
	/* Scenario key (name, file) -> its record in each result file. */
	std::vector<std::pair<std::string, std::vector<Share>>> byScenario;
	unsigned count = 0;
	std::set<unsigned> indices;
	for (std::size_t i = 0; i < files.size(); ++i) {
		std::ifstream in(files[i], std::ios::binary);
		if (!in) {
			std::cerr << "mmrace: " << files[i] << ": cannot read\n";
			return kExitBadInput;
		}
		/* At most kMaxResultFileSize bytes: `merge /dev/zero` must not eat memory. */
		std::string text(kMaxResultFileSize + 1, '\0');
		in.read(text.data(), static_cast<std::streamsize>(text.size()));
		text.resize(static_cast<std::size_t>(in.gcount()));
		if (text.size() > kMaxResultFileSize) {
			std::cerr << fmt::format(
			    "mmrace: {}: larger than {} MiB: not a result file\n", files[i],
			    kMaxResultFileSize >> 20);
			return kExitBadInput;
		}
		try {
			docs[i] = json::parse(text);
			if (docs[i].at("mmrace_result").get<int>() != kResultFormat)
				throw std::invalid_argument("not a result of this mmrace (format " +
							    docs[i].at("mmrace_result").dump() +
							    ")");
			Share sh;
			sh.file = files[i];
			sh.index = docs[i].at("shard").at("index").get<unsigned>();
			sh.count = docs[i].at("shard").at("count").get<unsigned>();
			if (count && sh.count != count)
				throw std::invalid_argument(
				    fmt::format("share {} of {}, but {} was of {}", sh.index,
						sh.count, files.front(), count));
			count = sh.count;
			if (sh.index >= sh.count || !indices.insert(sh.index).second)
				throw std::invalid_argument(
				    fmt::format("share {} of {} is out of range or given twice",
						sh.index, sh.count));
			for (const json &sc : docs[i].at("scenarios")) {
				std::string key = sc.at("name").get<std::string>() + "\n" +
						  sc.at("file").get<std::string>() + "\n" +
						  sc.at("strategy").dump() +
						  sc.at("preset").dump() +
						  sc.at("guards_off").dump();
				sh.scenario = &sc;
				auto it =
				    std::find_if(byScenario.begin(), byScenario.end(),
						 [&](const auto &p) { return p.first == key; });
				if (it == byScenario.end())
					byScenario.push_back({key, {sh}});
				else
					it->second.push_back(sh);
			}
		} catch (const std::exception &e) {
			std::cerr << "mmrace: " << files[i] << ": " << e.what() << "\n";
			return kExitBadInput;
		}
	}
	if (indices.size() != count) {
		std::vector<unsigned> missing;
		for (unsigned k = 0; k < count; ++k)
			if (!indices.count(k))
				missing.push_back(k);
		std::cerr << fmt::format(
		    "mmrace: shares {} of {} are missing: merge needs every share\n",
		    listOf(missing), count);
		return kExitBadInput;
	}
	int exit = kExitOk;
	for (auto &[key, shares] : byScenario) {
		const json &sc = *shares.front().scenario;
		std::string name = sc.at("name").get<std::string>();
		if (shares.size() != count) {
			std::cerr << fmt::format("mmrace: scenario {} is in {} of the {} shares\n",
						 name, shares.size(), count);
			return kExitBadInput;
		}
		Merged m;
		try {
			m = sc.at("kind") == "subtrees" ? mergeSubtrees(shares)
							: mergeRandom(shares);
		} catch (const std::exception &e) {
			std::cerr << "mmrace: " << e.what() << "\n";
			return kExitBadInput;
		}
		std::cout << fmt::format("scenario {} ({})\n  strategy {}, {} shares\n", name,
					 sc.at("file").get<std::string>(),
					 sc.at("strategy").get<std::string>(), count);
		auto where = [](const json &f) {
			std::string t = f.value("trace", "");
			return fmt::format(
			    "share {}{}", f.at("share").get<unsigned>(),
			    t.empty() ? "" : ", trace: " + t + "\n  replay: " + replayCommand(t));
		};
		if (m.harmful)
			std::cout << fmt::format("harmful violation [{}]: {}\n  execution {}, {}\n",
						 m.harmful->at("invariant").get<std::string>(),
						 m.harmful->at("title").get<std::string>(),
						 m.harmful->at("execution").get<std::uint64_t>(),
						 where(*m.harmful));
		for (const json &b : m.benign)
			std::cout << fmt::format("benign finding [{}]: {}\n  {}\n",
						 b.at("invariant").get<std::string>(),
						 b.at("title").get<std::string>(), where(b));
		const ExploreStats &s = m.stats;
		/* the single run's summary fields, in its words (summaryLine()) */
		const std::uint64_t rest = s.executions - std::min(s.executions, s.complete + s.pruned);
		std::cout << fmt::format(
		    "executions {} (complete {}, pruned {}{}), steps {}, benign findings "
		    "{}, {}\n\n",
		    s.executions, s.complete, s.pruned,
		    rest ? fmt::format(", ended by a finding {}", rest) : "", s.steps,
		    s.benignFindings, s.exhausted ? "exhausted" : "stopped by " + s.stoppedBy);
		if (m.harmful)
			exit = kExitViolation;
		else if (!s.exhausted && exit == kExitOk)
			exit = kExitIncomplete;
	}
	return exit;
}

} // namespace mmrace::cli
